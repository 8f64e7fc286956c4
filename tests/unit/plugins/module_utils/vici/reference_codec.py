# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A plain, recursive VICI message codec, written from the format description: the reference the fast codec
of plugins/module_utils/vici/wire.py is compared with (test_wire_reference.py).

It is slow on purpose and does nothing clever: no caches, no latin-1 views, no iteration instead of
recursion. It raises the same error types as the fast codec for the same inputs, and checks in the same
order within one element (the element's name before its value or contents), so that the first error met
in a message is of the same type in both. Its recursion limits it to messages nested a few hundred levels
deep, plenty for tests.

The format (strongSwan's src/libcharon/plugins/vici/README.md, "Message format"): a message is a sequence
of elements, each one type byte followed by

* SECTION_START (1): a name; the elements of the section follow, up to its SECTION_END (2), which has nothing else;
* KEY_VALUE (3): a name, then a value;
* LIST_START (4): a name; LIST_ITEM (5) elements follow, each with a value, up to a LIST_END (6);

where a name is one length byte and that many bytes, and a value two length bytes (big-endian) and that many
bytes. The collection's rules on top: names in a section are unique; names we send are printable ASCII of 1 to
255 bytes; values are str (UTF-8), bytes, bool (yes/no) or int (decimal); decoded values are str when they are
valid UTF-8, else bytes (raw_values: always bytes); sections nest at most max_depth levels.
"""

from __future__ import annotations

from collections.abc import Mapping

from ansible_collections.strongswan.vici.plugins.module_utils.vici.errors import (
    ViciEncodeError,
    ViciLimitError,
    ViciProtocolError,
)

SECTION_START = 1
SECTION_END = 2
KEY_VALUE = 3
LIST_START = 4
LIST_ITEM = 5
LIST_END = 6

MAX_DEPTH = 64


# -- encoding ------------------------------------------------------------------------------------


def encode(message):
    """The bytes of a message (a mapping), or ViciEncodeError."""
    if not isinstance(message, Mapping):
        raise ViciEncodeError("a message must be a mapping")
    return encode_elements(message)


def encode_elements(mapping):
    out = []
    for name, value in mapping.items():
        if isinstance(value, Mapping):
            out += [bytes([SECTION_START]), encode_name(name), encode_elements(value), bytes([SECTION_END])]
        elif isinstance(value, (list, tuple)):
            out += [bytes([LIST_START]), encode_name(name)]
            for item in value:
                if isinstance(item, (Mapping, list, tuple)):
                    raise ViciEncodeError("lists hold values only")
                out += [bytes([LIST_ITEM]), encode_value(item)]
            out.append(bytes([LIST_END]))
        else:
            out += [bytes([KEY_VALUE]), encode_name(name), encode_value(value)]
    return b"".join(out)


def encode_name(name):
    if not isinstance(name, str):
        raise ViciEncodeError("names are str")
    if not 1 <= len(name) <= 255:
        raise ViciEncodeError("names have 1 to 255 characters")
    for character in name:
        if not 0x20 <= ord(character) <= 0x7E:
            raise ViciEncodeError("names are printable ASCII")
    return bytes([len(name)]) + name.encode("ascii")


def encode_value(value):
    if isinstance(value, str):
        try:
            raw = value.encode("utf-8")
        except UnicodeEncodeError:
            raise ViciEncodeError("not valid Unicode") from None
    elif isinstance(value, (bytes, bytearray, memoryview)):
        raw = bytes(value)
    elif value is True:
        raw = b"yes"
    elif value is False:
        raw = b"no"
    elif isinstance(value, int):
        raw = str(value).encode("ascii")
    else:
        raise ViciEncodeError("not a value: %r" % (value,))
    if len(raw) > 65535:
        raise ViciEncodeError("values have at most 65535 bytes")
    return len(raw).to_bytes(2, "big") + raw


# -- decoding ------------------------------------------------------------------------------------


def decode(data, raw_values=False, offset=0, max_depth=MAX_DEPTH):
    """The message (a dict) in ``data`` from ``offset`` on, or ViciProtocolError / ViciLimitError."""
    data = bytes(data)
    section, pos = decode_elements(data, offset, raw_values, max_depth, depth=0)
    if pos < len(data):  # stopped at a SECTION_END: there is no open section at the top
        raise ViciProtocolError("section end without an open section")
    return section


def decode_elements(data, pos, raw_values, max_depth, depth):
    """The elements of a section from ``pos`` on, up to a SECTION_END or the end of the data.

    Returns the section and the offset of the SECTION_END (at or after ``len(data)`` at the end of the data).
    At the end of the data with sections still open (depth > 0) raises ViciProtocolError.
    """
    section = {}
    while True:
        if pos >= len(data):
            if depth > 0:
                raise ViciProtocolError("section not closed")
            return section, pos
        kind = data[pos]
        pos += 1
        if kind == SECTION_END:
            return section, pos - 1
        if kind == SECTION_START:
            name, pos = decode_name(data, pos)
            check_new(section, name)
            if max_depth is not None and depth >= max_depth:
                raise ViciLimitError("nested too deep")
            section[name], pos = decode_elements(data, pos, raw_values, max_depth, depth + 1)
            pos += 1  # the SECTION_END
        elif kind == KEY_VALUE:
            name, pos = decode_name(data, pos)
            value, pos = decode_value(data, pos, raw_values)
            check_new(section, name)
            section[name] = value
        elif kind == LIST_START:
            name, pos = decode_name(data, pos)
            check_new(section, name)
            section[name], pos = decode_items(data, pos, raw_values)
        elif kind in (LIST_ITEM, LIST_END):
            raise ViciProtocolError("list element outside a list")
        else:
            raise ViciProtocolError("unknown element type")


def decode_items(data, pos, raw_values):
    """The items of a list from ``pos`` on, and the offset after its LIST_END."""
    items = []
    while True:
        if pos == len(data):
            raise ViciProtocolError("list not closed")
        kind = data[pos]
        pos += 1
        if kind == LIST_END:
            return items, pos
        if kind != LIST_ITEM:
            raise ViciProtocolError("lists hold items only")
        item, pos = decode_value(data, pos, raw_values)
        items.append(item)


def check_new(section, name):
    if name in section:
        raise ViciProtocolError("duplicate name")


def take(data, pos, length):
    if pos + length > len(data):
        raise ViciProtocolError("truncated")
    return data[pos:pos + length], pos + length


def decode_name(data, pos):
    length, pos = take(data, pos, 1)
    raw, pos = take(data, pos, length[0])
    try:
        return raw.decode("utf-8"), pos
    except UnicodeDecodeError:
        raise ViciProtocolError("name not UTF-8") from None


def decode_value(data, pos, raw_values):
    length, pos = take(data, pos, 2)
    raw, pos = take(data, pos, int.from_bytes(length, "big"))
    if not raw_values:
        try:
            return raw.decode("utf-8"), pos
        except UnicodeDecodeError:
            pass
    return raw, pos
