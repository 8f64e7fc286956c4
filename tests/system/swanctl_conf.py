# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A small reader of swanctl.conf (strongSwan's settings syntax), for the conformance test.

Follows ``src/libstrongswan/settings/settings_lexer.l``: ``#`` comments, ``name { ... }`` sections,
``key = value`` (a value ends at a newline, ``#`` or ``}``; its words are joined by one space; ``"..."``
strings with ``\\`` escapes), ``include pattern`` (relative to the including file, globbed), sections of
the same name merged, and references ``name : other.section, ... { }`` (keys and sub-sections the section
does not have are inherited; its own come first). The result is a tree of dicts with text values.
"""

from __future__ import annotations

import glob
import os
from typing import Any, Dict, List, Optional

NAME_STOP = set('#{}="\r\n\t ')


class ConfError(ValueError):
    pass


class _Section:
    def __init__(self) -> None:
        self.keys: Dict[str, str] = {}
        self.sections: Dict[str, "_Section"] = {}
        self.refs: List[str] = []

    def merge(self, other: "_Section") -> None:
        self.keys.update(other.keys)
        for name, section in other.sections.items():
            self.sections.setdefault(name, _Section()).merge(section)
        self.refs.extend(other.refs)


class _Reader:
    def __init__(self, text: str, path: str) -> None:
        self.text = text
        self.pos = 0
        self.path = path

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def skip(self, newlines: bool = True) -> None:
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == "#":
                while self.pos < len(self.text) and self.text[self.pos] != "\n":
                    self.pos += 1
            elif char in " \t\r" or (newlines and char == "\n"):
                self.pos += 1
            else:
                return

    def name(self) -> str:
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] not in NAME_STOP:
            self.pos += 1
        return self.text[start:self.pos]

    def string(self) -> str:
        self.pos += 1  # opening quote
        out = []
        while True:
            if self.pos >= len(self.text):
                raise ConfError("%s: unterminated string" % self.path)
            char = self.text[self.pos]
            if char == '"':
                self.pos += 1
                return "".join(out)
            if char == "\\" and self.pos + 1 < len(self.text):
                nxt = self.text[self.pos + 1]
                self.pos += 2
                if nxt == "\n":
                    continue
                out.append({"n": "\n", "r": "\r", "t": "\t"}.get(nxt, nxt))
                continue
            if char != "\r":
                out.append(char)
            self.pos += 1

    def value(self) -> str:
        parts = []
        while True:
            self.skip(newlines=False)
            char = self.peek()
            if char in ("", "\n", "#", "}"):
                return " ".join(parts)
            if char == '"':
                parts.append(self.string())
            else:
                start = self.pos
                while self.pos < len(self.text) and self.text[self.pos] not in '#}"\r\n\t ':
                    self.pos += 1
                parts.append(self.text[start:self.pos])

    def include_pattern(self) -> str:
        self.skip(newlines=False)
        if self.peek() == '"':
            return self.string()
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] not in "#}\r\n\t ":
            self.pos += 1
        return self.text[start:self.pos]

    def body(self, section: _Section, top: bool) -> None:
        while True:
            self.skip()
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
            self.skip(newlines=False)
            if name == "include" and self.peek() not in ("=", "{", ":"):
                pattern = self.include_pattern()
                if not os.path.isabs(pattern):
                    pattern = os.path.join(os.path.dirname(self.path), pattern)
                matches = sorted(glob.glob(pattern))
                if not matches and not glob.has_magic(pattern):
                    raise ConfError("include of a missing file: %s" % pattern)
                for match in matches:
                    with open(match, encoding="utf-8") as handle:
                        _Reader(handle.read(), match).body(section, top=True)
                continue
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
                self.body(child, top=False)
                section.sections.setdefault(name, _Section()).merge(child)
            else:
                raise ConfError("%s: expected '=' or '{' after %r" % (self.path, name))


def _find(root: _Section, path: str) -> Optional[_Section]:
    node = root
    for part in path.split("."):
        node = node.sections.get(part)
        if node is None:
            return None
    return node


def _resolve(root: _Section, section: _Section, depth: int = 0) -> Dict[str, Any]:
    if depth > 20:
        raise ConfError("section references loop")
    result: Dict[str, Any] = dict(section.keys)
    for name, child in section.sections.items():
        result[name] = _resolve(root, child, depth + 1)
    for ref in section.refs:
        target = _find(root, ref)
        if target is None:
            raise ConfError("reference to a missing section: %s" % ref)
        _inherit(result, _resolve(root, target, depth + 1))
    return result


def _inherit(own: Dict[str, Any], inherited: Dict[str, Any]) -> None:
    for key, value in inherited.items():
        if key not in own:
            own[key] = value
        elif isinstance(own[key], dict) and isinstance(value, dict):
            _inherit(own[key], value)


def parse_file(path: str) -> Dict[str, Any]:
    """swanctl.conf at PATH (with its includes) as a tree of dicts and text values."""
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    root = _Section()
    _Reader(text, path).body(root, top=True)
    return _resolve(root, root)
