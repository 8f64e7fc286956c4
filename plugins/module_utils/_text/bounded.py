# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Input files read within bounds: regular files only, at most so many bytes, JSON at most so deep. PRIVATE.

What the user names as input (``src``, swanctl.conf and its includes, ``config_info``'s ``path``, the filters'
``include_dir``) may be anything: ``/dev/zero`` (endless), a FIFO (blocks forever), a file nested 100 000
levels deep (Python's recursion limit). These readers refuse such input with a :class:`BoundError` naming the
file, before memory grows or the run hangs:

* :func:`read_regular` opens without blocking (``O_NONBLOCK``), refuses what is not a regular file (checked on
  the open descriptor), and reads at most ``limit + 1`` bytes;
* :func:`loads_json` measures the nesting of JSON text before decoding it (iteratively), and refuses an object
  that names a key twice.

The trusted file store (``_engine/store.py``) adds owner and mode rules for the collection's own files; user
input has no such rules (it may be a root-owned file in /etc), so it is read here. Standard library only.
"""

from __future__ import annotations

import json
import os
import re
import stat
from itertools import accumulate
from typing import Any, Dict, List, Set, Tuple

#: The largest input file read (one swanctl.conf or include, a JSON or YAML ``src``). 16 MiB: a gateway of
#: 3000 connections is about 3 MiB of swanctl.conf.
MAX_FILE_BYTES = 16 << 20
#: The deepest nesting of sections (swanctl.conf) or of dicts and lists (JSON, YAML). swanctl.conf's own
#: schema is at most 5 deep (connections.NAME.children.NAME.KEY).
MAX_DEPTH = 64
#: The most values (keys' values, list items, dicts) a JSON or YAML tree may hold, YAML aliases expanded: a
#: gateway of 3000 connections has about 100 000.
MAX_VALUES = 5000000


class BoundError(ValueError):
    """Input outside the bounds, or not a regular file; the message names the file."""


def read_regular(path: str, limit: int = MAX_FILE_BYTES, what: str = "") -> bytes:
    """The bytes of the regular file ``path`` (symbolic links followed), at most ``limit`` of them.

    BoundError when it is not a regular file (a FIFO, a device such as /dev/zero, a directory) or is larger
    than ``limit``; OSError when it cannot be opened or read. ``what`` prefixes the file's name in messages.
    """
    name = "%s%s" % (what, path)
    handle = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        status = os.fstat(handle)
        if not stat.S_ISREG(status.st_mode):
            raise BoundError("%s is not a regular file (%s); only regular files are read" % (name, _kind(status.st_mode)))
        if status.st_size > limit:
            raise BoundError("%s is larger than the limit of %d bytes" % (name, limit))
        chunks: List[bytes] = []
        size = 0
        while True:
            chunk = os.read(handle, min(1 << 20, limit + 1 - size))
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:  # grew while being read
                raise BoundError("%s is larger than the limit of %d bytes" % (name, limit))
    finally:
        os.close(handle)


def read_text(path: str, limit: int = MAX_FILE_BYTES, what: str = "") -> str:
    """:func:`read_regular` decoded as UTF-8 (BoundError naming the file when it is not UTF-8)."""
    data = read_regular(path, limit, what)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise BoundError("%s%s is not UTF-8 text (byte 0x%02x at offset %d)"
                         % (what, path, data[error.start], error.start)) from None


def _kind(mode: int) -> str:
    for test, label in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
                        (stat.S_ISBLK, "a block device"), (stat.S_ISDIR, "a directory"),
                        (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return label
    return "mode %o" % stat.S_IFMT(mode)


_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_NOT_BRACKET = re.compile(r'[^\[\]{}]+')
_DEPTH_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def json_depth(text: str) -> int:
    """The deepest nesting of arrays and objects in JSON ``text`` (iterative; strings skipped).

    An unterminated '"' is skipped alone (the brackets after it count): the decoder reports it.
    """
    # Strings out, then everything but brackets, then the running depth: each step in C.
    if "\\" not in text and text.count('"') % 2 == 0:
        # No escape: every '"' opens or closes a string, so every other piece between them is outside one
        # (a split is several times faster than the regular expression on a tree of megabytes).
        outside = "".join(text.split('"')[0::2])
    else:
        outside = _JSON_STRING.sub("", text)
    brackets = _NOT_BRACKET.sub("", outside)
    deepest = max(accumulate(map(_DEPTH_STEP.__getitem__, brackets)), default=0)
    return deepest if deepest > 0 else 0


def json_values_bound(text: str) -> int:
    """An upper bound of the values (as :func:`measure` counts them) of JSON ``text``: every value but the
    top-level one follows a ',' or opens its array or object, and counting those characters inside strings
    too only raises it. JSON has no aliases: the bound holds for the decoded tree."""
    return 1 + text.count(",") + 2 * (text.count("[") + text.count("{"))


def _unique_pairs(pairs: List[Tuple[str, Any]]) -> Dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):  # a key named twice: which one (dict() is the fast path, in C)
        seen: Set[str] = set()
        for key, _value in pairs:
            if key in seen:
                raise ValueError("the key %r appears twice in one object (JSON would keep the last silently; "
                                 "write it once)" % key)
            seen.add(key)
    return result


def loads_json(text: str, max_depth: int = MAX_DEPTH, unique_keys: bool = True) -> Any:
    """JSON ``text`` decoded; ValueError when it is invalid, nested deeper than ``max_depth`` or (``unique_keys``)
    names a key twice in one object."""
    deepest = json_depth(text)
    if deepest > max_depth:
        raise ValueError("nested %d levels deep, more than the limit of %d" % (deepest, max_depth))
    return json.loads(text, object_pairs_hook=_unique_pairs if unique_keys else None)


def _children(node: Any) -> Any:
    return node.values() if isinstance(node, dict) else node


def measure(data: Any) -> Tuple[int, int]:
    """(deepest nesting, number of values) of ``data`` as a tree: a value reached twice (a YAML alias) counts
    twice, as every later walk over the tree sees it. A dict or list that contains itself is endlessly deep
    (depth ``-1``). Iterative, and linear in the distinct dicts and lists."""
    memo: Dict[int, Tuple[int, int]] = {}
    on_path = set()
    stack: List[Tuple[Any, bool]] = [(data, False)]
    while stack:
        node, done = stack.pop()
        if not isinstance(node, (dict, list, tuple)):
            continue
        key = id(node)
        if done:
            on_path.discard(key)
            depth, size = 0, 1
            for child in _children(node):
                if isinstance(child, (dict, list, tuple)):
                    child_depth, child_size = memo[id(child)]
                    depth = max(depth, child_depth)
                    size += child_size
                else:
                    size += 1
            memo[key] = (depth + 1, size)
            continue
        if key in memo:
            continue
        if key in on_path:
            return -1, -1
        on_path.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node)
                     if isinstance(child, (dict, list, tuple)) and id(child) not in memo)
    return memo.get(id(data), (0, 1))
