# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""swanctl.conf text in both directions: parser and renderer. PRIVATE to the collection.

Standard library only, so it runs on managed hosts (the ``config_info`` and ``config`` modules) as well as
on the controller (the ``from_swanctl_conf`` and ``to_swanctl_conf`` filters).

Follows strongSwan's settings syntax (``src/libstrongswan/settings/settings_lexer.l`` and
``settings_parser.y``): ``#`` comments, ``name { ... }`` sections, ``key = value`` (a value ends at a newline,
``#`` or ``}``; its words are joined by one space; ``"..."`` strings with backslash escapes), sections of the
same name merged (except a connection, secret, pool or authority defined twice: see below), references
``name : other.section, ... { }`` (keys and sub-sections the section lacks are inherited; its own come first),
and ``include`` (relative to ``include_dir``, globbed; without ``include_dir`` an include is an error;
:func:`read_file` skips an include of a missing file as strongSwan does). ``key =`` without a value unsets the key
(it is absent, and hides the key from referenced sections). Names are strongSwan's NAME tokens (none of
``#{}:.,="`` nor white space). Values stay text, exactly as swanctl reads them.

swanctl silently merges a connection, secret, pool or authority that two places define (usually two files
of ``conf.d/`` that both define ``connections.gw``); that is almost always a mistake, so it is a ConfError
naming both places, unless the caller passes a ``merged`` list to take the merge and the list of them.

:func:`render` writes a tree back as text that both this parser and strongSwan's read as the same tree.

Bounded input: only regular files are read (a FIFO or a device such as /dev/zero is refused before a byte is
read), each at most ``MAX_FILE_BYTES`` (16 MiB) and all files of one swanctl.conf together at most
``MAX_TOTAL_BYTES`` (64 MiB) and ``MAX_FILES`` (10 000); includes nest at most ``MAX_INCLUDE_DEPTH`` (16) deep,
and an include of a file that is already being read (a cycle, or a file including itself) is an error;
sections nest at most ``MAX_SECTION_DEPTH`` (64) deep, and a reference to a section that contains or references
the referring one is a loop. Each is a ConfError naming the file. A real gateway reaches none of them.
"""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Mapping
from typing import Any, Dict, List, Optional, Protocol, Tuple, cast

from .._text.bounded import MAX_DEPTH, MAX_FILE_BYTES, BoundError, read_text

# strongSwan's NAME token is [^#{}:.,="\r\n\t ]+ (settings_lexer.l)
NAME_STOP = set('#{}:.,="\r\n\t ')


class _Matches(Protocol):
    """A pattern that matches wherever the reader uses it (it matches the empty string, or the reader
    has seen the first character): its ``match`` never returns None."""

    def match(self, string: str, pos: int = ...) -> re.Match[str]: ...


# The lexer's pieces as regular expressions (one match per token instead of a loop per character).
_SKIP_NL = cast(_Matches, re.compile(r"(?:[ \t\r\n]+|#[^\n]*)*"))
_SKIP = cast(_Matches, re.compile(r"(?:[ \t\r]+|#[^\n]*)*"))
_NAME = cast(_Matches, re.compile(r'[^#{}:.,="\r\n\t ]*'))
_WORD = cast(_Matches, re.compile(r'[^#}"\r\n\t ]+'))
_STR_RUN = re.compile(r'[^"\\\r]+')
_INCLUDE = cast(_Matches, re.compile(r"[^#}\r\n\t ]*"))
_UNESCAPE = {"n": "\n", "r": "\r", "t": "\t"}
# Fast paths for the common lines: 'name = bare words' (no quotes; None when there is no value) and 'name {'.
# Anything else, and everything named 'include', takes the general path.
_KEY_LINE = re.compile(r'([^#{}:.,="\r\n\t ]+)[ \t]*=[ \t]*([^#}"\r\n\t ]+(?:[ \t]+[^#}"\r\n\t ]+)*)?[ \t\r]*(?=[\n#}]|\Z)')
_SECTION_OPEN = re.compile(r'([^#{}:.,="\r\n\t ]+)[ \t]*\{')
_BLANKS = re.compile(r"[ \t]+")


class ConfError(ValueError):
    pass


# Bounds no real gateway reaches (see the module docstring): a file past one is refused with a ConfError.
#: Sections nested at most this deep (swanctl.conf's schema needs 4: connections.NAME.children.NAME).
MAX_SECTION_DEPTH = MAX_DEPTH
#: Includes nested at most this deep (swanctl.conf -> conf.d/*.conf -> ...).
MAX_INCLUDE_DEPTH = 16
#: At most this many files read for one swanctl.conf, itself and every include.
MAX_FILES = 10000
#: At most this many bytes read for one swanctl.conf, itself and every include together (each file at most
#: ``MAX_FILE_BYTES``).
MAX_TOTAL_BYTES = 64 << 20
#: At most this many sections in the tree once references are resolved (inheritance can multiply them).
MAX_SECTIONS = 200000


# The sections whose sub-sections are objects of their own: one definition each.
#: swanctl.conf's top-level sections of objects, in the order swanctl.conf shows them.
SWANCTL_SECTIONS = ("connections", "secrets", "pools", "authorities")
OBJECT_SECTIONS = frozenset(SWANCTL_SECTIONS)


class _Section:
    def __init__(self, path: Tuple[str, ...] = (), origin: str = "") -> None:
        self.path = path
        self.origin = origin
        self.keys: Dict[str, Optional[str]] = {}  # None: 'key =' without a value (strongSwan: unset)
        self.sections: Dict[str, "_Section"] = {}
        self.refs: List[str] = []

    def merge(self, other: "_Section") -> None:
        self.keys.update(other.keys)
        for name, section in other.sections.items():
            self.sections.setdefault(name, _Section()).merge(section)
        self.refs.extend(other.refs)


class _Reader:
    def __init__(self, text: str, path: str, include_dir: Optional[str],
                 files: Optional[Dict[str, Any]] = None, merged: Optional[List[str]] = None,
                 including: Tuple[str, ...] = (), budget: Optional[Dict[str, int]] = None) -> None:
        self.text = text
        self.pos = 0
        self.path = path
        self.include_dir = include_dir
        # When given: {"read": [paths], "missing": [patterns]}; a missing include is then recorded, not an error
        self.files = files
        # Objects defined twice: collected here when given, a ConfError otherwise
        self.merged = merged
        # The files being read, outermost first (real paths: an include of one of them is a cycle)
        self.including = including + (os.path.realpath(path),) if os.path.isabs(path) else including
        # Files and bytes read so far for the outermost file (shared with every include)
        self.budget = budget if budget is not None else {"files": 1, "bytes": len(text)}

    def peek(self) -> str:
        return self.text[self.pos:self.pos + 1]

    def skip(self, newlines: bool = True) -> None:
        self.pos = (_SKIP_NL if newlines else _SKIP).match(self.text, self.pos).end()

    def name(self) -> str:
        match = _NAME.match(self.text, self.pos)
        self.pos = match.end()
        return match.group()

    def string(self) -> str:
        text, pos, out = self.text, self.pos + 1, []  # after the opening quote
        while True:
            run = _STR_RUN.match(text, pos)
            if run:
                out.append(run.group())
                pos = run.end()
            char = text[pos:pos + 1]
            if char == '"':
                self.pos = pos + 1
                return "".join(out)
            if char == "\r":  # the lexer drops CR inside strings
                pos += 1
            elif char == "\\" and pos + 1 < len(text):
                nxt = text[pos + 1]
                if nxt == "\n":  # an escaped line break joins the lines
                    pos += 2
                elif nxt == "\r" and text[pos + 2:pos + 3] == "\n":
                    pos += 3
                else:
                    out.append(_UNESCAPE.get(nxt, nxt))
                    pos += 2
            else:  # end of text, or a backslash at its very end
                raise ConfError("%s: unterminated string" % self.path)

    def value(self) -> Optional[str]:
        parts: List[str] = []
        text = self.text
        while True:
            self.pos = _SKIP.match(text, self.pos).end()
            char = text[self.pos:self.pos + 1]
            if char in ("", "\n", "#", "}"):
                return " ".join(parts) if parts else None
            if char == '"':
                parts.append(self.string())
            else:
                word = _WORD.match(text, self.pos)
                self.pos = word.end()
                parts.append(word.group())

    def include_pattern(self) -> str:
        self.skip(newlines=False)
        if self.peek() == '"':
            return self.string()
        match = _INCLUDE.match(self.text, self.pos)
        self.pos = match.end()
        return match.group()

    def _child(self, section: _Section, name: str, child: _Section) -> None:
        """Read CHILD's body (after its '{') and merge it into SECTION as NAME."""
        child.path, child.origin = section.path + (name,), self.path
        if len(child.path) > MAX_SECTION_DEPTH:
            raise ConfError("%s: sections nested more than %d levels deep (at %s..., offset %d); swanctl.conf needs "
                            "at most 4" % (self.path, MAX_SECTION_DEPTH, ".".join(child.path[:4]), self.pos))
        self.body(child, top=False)
        existing = section.sections.get(name)
        if existing is None:
            section.sections[name] = child
            return
        # 'connections { a {} }' twice is fine; 'a' in both is an object defined twice
        if len(child.path) == 2:
            twice = [(existing, child)]
        elif len(child.path) == 1:
            twice = [(existing.sections[key], body) for key, body in child.sections.items() if key in existing.sections]
        else:
            twice = []
        if child.path[0] in OBJECT_SECTIONS:
            for first, again in twice:
                self._defined_twice(first, again)
        existing.merge(child)

    def _defined_twice(self, first: _Section, again: _Section) -> None:
        where = "%s: defined in %s and again in %s" % (".".join(again.path), first.origin, again.origin)
        if self.merged is None:
            raise ConfError(where + " (swanctl would silently merge the two; define it once)")
        self.merged.append(where)

    def included_text(self, match: str) -> str:
        """The text of the file MATCH that this file includes, within the bounds (ConfError otherwise)."""
        real = os.path.realpath(match)
        if real in self.including:
            chain = [os.path.basename(path) for path in self.including[self.including.index(real):]]
            raise ConfError("%s: include of %s, which is already being read (an include cycle: %s -> %s)"
                            % (self.path, match, " -> ".join(chain), os.path.basename(real)))
        if len(self.including) >= MAX_INCLUDE_DEPTH:
            raise ConfError("%s: include of %s nests includes more than %d deep" % (self.path, match, MAX_INCLUDE_DEPTH))
        self.budget["files"] += 1
        if self.budget["files"] > MAX_FILES:
            raise ConfError("%s: include of %s: more than %d files read in all" % (self.path, match, MAX_FILES))
        left = MAX_TOTAL_BYTES - self.budget["bytes"]
        try:
            text = read_text(match, min(MAX_FILE_BYTES, max(left, 0)), what="included file ")
        except BoundError as error:
            if "larger than" in str(error) and left < MAX_FILE_BYTES:
                raise ConfError("%s: include of %s: more than %d bytes read in all" % (self.path, match, MAX_TOTAL_BYTES)) from None
            raise ConfError("%s: %s" % (self.path, error)) from None
        self.budget["bytes"] += len(text)
        return text

    def include_follows(self) -> bool:
        """After the name 'include': an include statement, not a key or section? (the lexer's
        ``"include"[\\t ]+/[^=]``; 'include  = x' with two spaces, an error in strongSwan, is taken as a key)."""
        pos = self.pos
        while pos < len(self.text) and self.text[pos] in " \t":
            pos += 1
        return pos > self.pos and pos < len(self.text) and self.text[pos] != "="

    def body(self, section: _Section, top: bool) -> None:
        text = self.text
        while True:
            self.pos = _SKIP_NL.match(text, self.pos).end()
            line = _KEY_LINE.match(text, self.pos)
            if line and line.group(1) != "include":
                value = line.group(2)
                if value is not None and ("\t" in value or "  " in value):
                    value = " ".join(_BLANKS.split(value))
                section.keys[line.group(1)] = value
                self.pos = line.end()
                continue
            line = _SECTION_OPEN.match(text, self.pos)
            if line and line.group(1) != "include":
                self.pos = line.end()
                self._child(section, line.group(1), _Section())
                continue
            char = self.peek()
            if char == "":
                if top:
                    return
                raise ConfError("%s: missing '}'" % self.path)
            if char == "}":
                if top:
                    raise ConfError("%s: unexpected '}'" % self.path)
                self.pos += 1
                return
            name = self.name()
            if not name:
                raise ConfError("%s: unexpected %r at offset %d" % (self.path, char, self.pos))
            if name == "include" and self.include_follows():
                self.include(section)
            else:
                self.statement(section, name)

    def include(self, section: _Section) -> None:
        """An include statement (after 'include'): the files it names read into SECTION."""
        pattern = self.include_pattern()
        if not pattern:
            return  # strongSwan: "no include pattern specified, ignored"
        if self.include_dir is None:
            raise ConfError("%s: 'include %s' needs include_dir" % (self.path, pattern))
        if not os.path.isabs(pattern):
            pattern = os.path.join(self.include_dir, pattern)
        matches = sorted(glob.glob(pattern))
        if not matches and not glob.has_magic(pattern):
            if self.files is None:
                raise ConfError("include of a missing file: %s" % pattern)
            self.files["missing"].append(pattern)
        for match in matches:
            included = self.included_text(match)
            if self.files is not None:
                self.files["read"].append(match)
            _Reader(included, match, os.path.dirname(match), self.files, self.merged,
                    self.including, self.budget).body(section, top=True)

    def statement(self, section: _Section, name: str) -> None:
        """The general path, after NAME: 'name = value', 'name {' or 'name : refs {' (its body too)."""
        self.skip()
        char = self.peek()
        if char == "=":
            self.pos += 1
            section.keys[name] = self.value()
        elif char in ("{", ":"):
            child = _Section()
            if char == ":":
                self.pos += 1
                refs = ""
                while self.peek() not in ("{", ""):
                    refs += self.text[self.pos]
                    self.pos += 1
                child.refs = [ref.strip() for ref in refs.split(",") if ref.strip()]
            self.pos += 1  # '{'
            self._child(section, name, child)
        elif char in (".", ","):
            raise ConfError("%s: %r cannot be part of a name (after %r at offset %d)" % (self.path, char, name, self.pos))
        else:
            raise ConfError("%s: expected '=' or '{' after %r" % (self.path, name))


def _find(root: _Section, path: str) -> Optional[_Section]:
    node = root
    for part in path.split("."):
        child = node.sections.get(part)
        if child is None:
            return None
        node = child
    return node


def _resolve(root: _Section, section: _Section, chain: Tuple[_Section, ...] = (),
             count: Optional[List[int]] = None) -> Dict[str, Any]:
    """SECTION's keys and sections with its references resolved. CHAIN: the sections being resolved around it
    (its parents, and the sections that referenced it); a reference to one of them is a loop."""
    count = [0] if count is None else count
    count[0] += 1
    if count[0] > MAX_SECTIONS:
        raise ConfError("more than %d sections once references are resolved (references multiply them)" % MAX_SECTIONS)
    chain = chain + (section,)
    if len(chain) > 2 * MAX_SECTION_DEPTH:
        raise ConfError("%s: sections and references nested more than %d levels deep"
                        % (".".join(section.path[:4]) or "the top level", 2 * MAX_SECTION_DEPTH))
    result: Dict[str, Any] = dict(section.keys)
    for name, child in section.sections.items():
        result[name] = _resolve(root, child, chain, count)
    for ref in section.refs:
        target = _find(root, ref)
        if target is None:
            raise ConfError("reference to a missing section: %s" % ref)
        if any(target is seen for seen in chain):
            raise ConfError("%s: section %s references %s, which contains or references it (a loop)"
                            % (section.origin or "swanctl.conf", ".".join(section.path), ref))
        _inherit(result, _resolve(root, target, chain, count))
    return result


def _inherit(own: Dict[str, Any], inherited: Dict[str, Any]) -> None:
    for key, value in inherited.items():
        if key not in own:
            own[key] = value
        elif isinstance(own[key], dict) and isinstance(value, dict):
            _inherit(own[key], value)


def _drop_unset(tree: Dict[str, Any]) -> Dict[str, Any]:
    """'key =' (None) hid the key from references; in the result it is simply absent, as strongSwan has it."""
    return {key: _drop_unset(value) if isinstance(value, dict) else value
            for key, value in tree.items() if value is not None}


def parse_text(text: str, path: str = "<swanctl.conf>", include_dir: Optional[str] = None,
               merged: Optional[List[str]] = None) -> Dict[str, Any]:
    """swanctl.conf TEXT as a tree of dicts and text values (ConfError on bad syntax)."""
    root = _Section()
    _Reader(text, path, include_dir, merged=merged).body(root, top=True)
    return _drop_unset(_resolve(root, root))


def _read_top(path: str) -> str:
    try:
        return read_text(path)
    except BoundError as error:
        raise ConfError(str(error)) from None


def parse_file(path: str) -> Dict[str, Any]:
    """The swanctl.conf at PATH, includes resolved relative to its directory."""
    path = os.path.abspath(path)
    return parse_text(_read_top(path), path, os.path.dirname(path))


def read_file(path: str, merged: Optional[List[str]] = None) -> Tuple[Dict[str, Any], List[str], List[str]]:
    """The swanctl.conf at PATH as swanctl reads it: (tree, files read, missing includes).

    Unlike :func:`parse_file`, an include of a file that does not exist is skipped, as strongSwan does (its
    glob finds nothing); the caller gets the pattern to report.
    """
    path = os.path.abspath(path)
    files: Dict[str, Any] = {"read": [path], "missing": []}
    text = _read_top(path)
    root = _Section()
    _Reader(text, path, os.path.dirname(path), files, merged).body(root, top=True)
    return _drop_unset(_resolve(root, root)), files["read"], files["missing"]


# strongSwan's NAME token: [^#{}:.,="\r\n\t ]+ (settings_lexer.l). Section and key names are only these.
_NAME_RE = re.compile(r'[^#{}:.,="\r\n\t ]+\Z')
# An unquoted value: words of characters the lexer's value state takes as they are, one space between them.
# '{' and a backslash would be read back as they are too; they are quoted anyway, for a human reader's sake.
# '=' stays bare: identities (C=CH, O=...) and base64 padding are full of it.
_BARE_RE = re.compile(r'[^#{}"\\\r\n\t \0]+( [^#{}"\\\r\n\t \0]+)*\Z')
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}
INDENT = "   "  # strongSwan's own examples indent by three spaces


def _where(path: List[str]) -> str:
    return ".".join(path) if path else "the top level"


def _name(name: Any, path: List[str]) -> str:
    if isinstance(name, int) and not isinstance(name, bool):
        name = str(name)
    if not isinstance(name, str):
        raise ConfError("%s: a name must be text, got %s %r" % (_where(path), type(name).__name__, name))
    if not _NAME_RE.match(name):
        raise ConfError(
            "%s: name %r is not allowed in swanctl.conf (it must be non-empty and contain none of "
            "'#{}:.,=\"', spaces, tabs or line breaks)" % (_where(path), name)
        )
    return name


def _scalar(value: Any, path: List[str]) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return "%d" % value
    if isinstance(value, bytes):
        # swanctl reads "0x<hex>" as binary data (secrets, load_creds.c); everywhere else it stays text
        return "0x" + value.hex()
    if isinstance(value, str):
        return value
    raise ConfError(
        "%s: a value must be text, a number, a boolean, bytes or a list of those, got %s"
        % (_where(path), type(value).__name__)
    )


def render_value(value: Any, path: Optional[List[str]] = None) -> str:
    """VALUE as swanctl.conf value text (quoted where needed); PATH names the key in errors."""
    path = path or []
    if isinstance(value, (list, tuple)):
        items = []
        for index, item in enumerate(value):
            if isinstance(item, (list, tuple, dict)):
                raise ConfError("%s[%d]: a list item must be a single value" % (_where(path), index))
            text = _scalar(item, path)
            if "," in text:
                raise ConfError(
                    "%s[%d]: list item %r contains a comma, which swanctl reads as a separator"
                    % (_where(path), index, text)
                )
            items.append(text)
        text = ", ".join(items)
    else:
        text = _scalar(value, path)
    if "\0" in text:
        raise ConfError("%s: a value cannot contain a NUL character" % _where(path))
    if _BARE_RE.match(text):
        return text
    return '"%s"' % "".join(_ESCAPES.get(char, char) for char in text)


def _render_section(tree: Mapping[Any, Any], path: List[str], depth: int, out: List[str]) -> None:
    if depth >= MAX_SECTION_DEPTH:
        raise ConfError("%s: sections nested more than %d levels deep (or a dictionary that contains itself)"
                        % (".".join(str(part) for part in path[:4]) + "...", MAX_SECTION_DEPTH))
    indent = INDENT * depth
    for raw_name, value in tree.items():
        name = raw_name if isinstance(raw_name, str) and _NAME_RE.match(raw_name) else _name(raw_name, path)
        if value is None:
            continue  # 'key =' unsets a key in strongSwan; a missing value is simply not written
        if isinstance(value, str) and _BARE_RE.match(value):  # the common case, as it is
            out.append("%s%s = %s" % (indent, name, value))
        elif isinstance(value, (dict, Mapping)):
            # 'include {' (with white space) would be read by strongSwan as an include statement
            out.append("%s%s%s{" % (indent, name, "" if name == "include" else " "))
            _render_section(value, path + [name], depth + 1, out)
            out.append("%s}" % indent)
        else:
            out.append("%s%s = %s" % (indent, name, render_value(value, path + [name])))


def render(tree: Mapping[str, Any]) -> str:
    """TREE (dicts are sections, other values are keys) as swanctl.conf text, in the tree's own order.

    Booleans become yes/no, integers decimal, lists comma-separated, bytes ``0x`` and hex (swanctl's form
    for binary secrets); ``None`` leaves the key out. Values are quoted when strongSwan would otherwise read
    them differently. Raises ConfError naming the path of a name or value that cannot be written.
    """
    if not isinstance(tree, Mapping):
        raise ConfError("expected a dictionary of sections and keys, got %s" % type(tree).__name__)
    out: List[str] = []
    _render_section(tree, [], 0, out)
    return "\n".join(out) + "\n" if out else ""
