# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The ``from_swanctl_conf`` filter: swanctl.conf text as data for the collection's modules.

Follows strongSwan's settings syntax (``src/libstrongswan/settings/settings_lexer.l``): ``#`` comments,
``name { ... }`` sections, ``key = value`` (a value ends at a newline, ``#`` or ``}``; its words are joined
by one space; ``"..."`` strings with backslash escapes), sections of the same name merged, references
``name : other.section, ... { }`` (keys and sub-sections the section lacks are inherited; its own come
first), and ``include`` (relative to ``include_dir``, globbed; without ``include_dir`` an include is an
error). Values stay text, exactly as swanctl reads them.
"""

from __future__ import annotations

import glob
import os
from typing import Any, Dict, List, Optional

from ansible.errors import AnsibleFilterError

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
    def __init__(self, text: str, path: str, include_dir: Optional[str]) -> None:
        self.text = text
        self.pos = 0
        self.path = path
        self.include_dir = include_dir

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
                if self.include_dir is None:
                    raise ConfError("%s: 'include %s' needs include_dir" % (self.path, pattern))
                if not os.path.isabs(pattern):
                    pattern = os.path.join(self.include_dir, pattern)
                matches = sorted(glob.glob(pattern))
                if not matches and not glob.has_magic(pattern):
                    raise ConfError("include of a missing file: %s" % pattern)
                for match in matches:
                    with open(match, encoding="utf-8") as handle:
                        _Reader(handle.read(), match, os.path.dirname(match)).body(section, top=True)
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


def parse_text(text: str, path: str = "<swanctl.conf>", include_dir: Optional[str] = None) -> Dict[str, Any]:
    """swanctl.conf TEXT as a tree of dicts and text values (ConfError on bad syntax)."""
    root = _Section()
    _Reader(text, path, include_dir).body(root, top=True)
    return _resolve(root, root)


def parse_file(path: str) -> Dict[str, Any]:
    """The swanctl.conf at PATH, includes resolved relative to its directory."""
    with open(path, encoding="utf-8") as handle:
        return parse_text(handle.read(), path, os.path.dirname(os.path.abspath(path)))


def from_swanctl_conf(text: Any, include_dir: Optional[str] = None) -> Dict[str, Any]:
    """Filter: swanctl.conf text -> {connections: {...}, secrets: {...}, pools: {...}, authorities: {...}}."""
    if not isinstance(text, str):
        raise AnsibleFilterError("from_swanctl_conf expects swanctl.conf text, got %s" % type(text).__name__)
    try:
        return parse_text(text, include_dir=include_dir)
    except ConfError as error:
        raise AnsibleFilterError("from_swanctl_conf: %s" % error) from None


class FilterModule:
    def filters(self):
        return {"from_swanctl_conf": from_swanctl_conf}
