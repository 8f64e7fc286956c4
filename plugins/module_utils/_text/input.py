# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Checks of user input that hold for every module, before anything is sent. PRIVATE to the collection.

* **Text**: a value that is not UTF-8 reaches a module as a ``str`` with lone
  surrogates (``\\udcff`` for the byte 0xFF, Python's ``surrogateescape``), for
  example from ``lookup('file')`` of a Latin-1 file. Such a value cannot be
  encoded for the daemon, and a result that carries it cannot be read by the
  controller ("Refusing to deserialize an invalid UTF8 string"). It is refused
  up front, naming the option and the path inside it; the byte and its
  position are shown only for options that are not secret.
* **Requests**: the size and encodability of a VICI request are checked
  locally, so that check mode fails where the real run would (the daemon
  accepts segments of at most 512 KiB, values of at most 65535 bytes).

Everything here is iterative: input nested as deep as the user likes cannot
hit Python's recursion limit.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Iterable, List, Optional, Tuple

from ..vici.errors import ViciEncodeError
from ..vici.wire import CMD_REQUEST, MAX_SEGMENT_SIZE, encode_packet


class UserError(ValueError):
    """What the user asked for cannot be done as given; the message says what and where.

    The base of every input error: ``ViciModule.run`` turns any of them into
    one clean module failure, so modules never catch them one by one.
    """


class InputError(UserError):
    """A user-supplied value is wrong; the message names the field."""


def escaped(text: str) -> str:
    """``text`` safe for a message: bytes that are not UTF-8 as ``\\xff``, control characters escaped."""
    raw = text.encode("utf-8", "surrogateescape")
    shown = raw.decode("utf-8", "backslashreplace")
    return "".join(char if char.isprintable() else char.encode("unicode_escape").decode("ascii") for char in shown)


def text_problem(text: str) -> Optional[Tuple[int, int]]:
    """(position, byte) of the first byte of ``text`` that is not UTF-8 text, or None when it is valid."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        char = text[error.start]
        code = ord(char)
        # surrogateescape maps the byte b to U+DC00 + b; other lone surrogates have no byte.
        return error.start, (code - 0xDC00 if 0xDC80 <= code <= 0xDCFF else code)
    return None


def _walk(value: Any, path: str) -> Iterable[Tuple[str, Any]]:
    """(path, item) of ``value`` and everything inside it, keys included (as items of their own)."""
    stack: List[Tuple[str, Any]] = [(path, value)]
    while stack:
        where, node = stack.pop()
        yield where, node
        if isinstance(node, Mapping):
            for key, item in reversed(list(node.items())):
                if isinstance(key, str):
                    yield "%s (a key)" % where, key
                stack.append(("%s.%s" % (where, escaped(str(key))), item))
        elif isinstance(node, (list, tuple)):
            for index in reversed(range(len(node))):
                stack.append(("%s[%d]" % (where, index), node[index]))


def check_text(params: Mapping[str, Any], secret_options: Iterable[str] = ()) -> None:
    """Raise InputError for the first string in ``params`` (option values, nested keys and values) that is not UTF-8.

    For an option in ``secret_options`` the message names the option only: no byte, no position.
    """
    try:
        # Fast path in C: module arguments come from JSON, and a lone surrogate anywhere makes this raise.
        json.dumps(params, ensure_ascii=False, default=repr).encode("utf-8")
        return
    except (UnicodeEncodeError, TypeError, ValueError, RecursionError):
        pass  # find it (or rule it out) with the iterative walk
    secrets = set(secret_options)
    for option, value in params.items():
        for where, item in _walk(value, str(option)):
            if not isinstance(item, str):
                continue
            problem = text_problem(item)
            if problem is None:
                continue
            if option in secrets:
                raise InputError("%s: is not valid UTF-8 text (the value is not shown: '%s' is a secret option)"
                                 % (where, option))
            position, byte = problem
            what = "byte 0x%02x" % byte if byte < 0x100 else "lone surrogate U+%04X" % byte
            raise InputError("%s: is not valid UTF-8 text (%s at position %d in '%s')"
                             % (where, what, position, escaped(item)))


#: What :func:`without_invalid_text` puts where a text was not UTF-8.
NOT_UTF8 = "<not valid UTF-8 text>"


def without_invalid_text(value: Any) -> Any:
    """``value`` (options as a module got them) with every text that is not UTF-8, key or value, replaced by
    :data:`NOT_UTF8`: what a failed run may echo to the controller, which refuses such text (and a secret with
    such a byte must not be echoed in another form, which Ansible's masking would not recognise). Iterative."""
    def fix(item: Any) -> Any:
        if isinstance(item, str) and text_problem(item) is not None:
            return NOT_UTF8
        return item

    if not isinstance(value, (dict, list)):
        return fix(value)
    root: Any = {} if isinstance(value, dict) else []
    pending: List[Tuple[Any, Any]] = [(value, root)]
    while pending:
        source, target = pending.pop()
        entries = source.items() if isinstance(source, dict) else enumerate(source)
        for key, item in entries:
            if isinstance(item, (dict, list)):
                converted: Any = {} if isinstance(item, dict) else []
                pending.append((item, converted))
            else:
                converted = fix(item)
            if isinstance(target, dict):
                target[fix(key)] = converted
            else:
                target.append(converted)
    return root


def request_size(command: str, message: Mapping[str, Any]) -> int:
    """Bytes of the CMD_REQUEST segment for ``command`` with ``message`` (without the 4-byte length).

    Raises :class:`ViciEncodeError` when the message cannot be encoded at all.
    """
    return len(encode_packet(CMD_REQUEST, command, message))


def check_request(command: str, message: Mapping[str, Any], what: str = "") -> int:
    """Raise InputError unless the daemon can receive ``command`` with ``message``; return its size in bytes.

    ``what`` names the object for the message (``connection 'gw'``). Nothing is sent.
    """
    prefix = "%s: " % what if what else ""
    try:
        size = request_size(command, message)
    except ViciEncodeError as error:
        raise InputError("%scannot be sent to the daemon: %s" % (prefix, escaped(str(error)))) from None
    if size > MAX_SEGMENT_SIZE:
        raise InputError(
            "%sthe %s request would be %d bytes; the daemon accepts at most %d bytes (512 KiB) per message. "
            "This is a local limit, nothing was sent; split the configuration into smaller pieces"
            % (prefix, command, size, MAX_SEGMENT_SIZE)
        )
    return size
