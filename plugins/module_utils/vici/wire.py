# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The VICI wire format: messages and packets, as pure functions.

A *message* is an ordered tree of sections, key/values and lists. In Python it
is a ``dict``: a nested mapping becomes a section, a list or tuple a list, and
everything else a value. A *packet* is what one framed segment carries: a type
byte, a name for the named types, and a message for the types that carry one.

Both directions are strict and iterative: deep nesting cannot hit Python's
recursion limit, and time and memory grow linearly with the message size.

Decoded values are ``str`` when they are valid UTF-8 (everything the daemon
sends but binary blobs such as certificate DER) and ``bytes`` otherwise. The
choice is lossless: ``value.encode()`` gives back the exact bytes of a ``str``
value. ``decode_message(data, raw_values=True)`` keeps every value as bytes.
"""

from __future__ import annotations

import struct
from typing import Any, Dict, List, Mapping, NamedTuple, Optional, Tuple

from .errors import ViciEncodeError, ViciProtocolError

# Element types of a message (README "Message format").
SECTION_START = 1
SECTION_END = 2
KEY_VALUE = 3
LIST_START = 4
LIST_ITEM = 5
LIST_END = 6

# Packet types (README "Packet layer").
CMD_REQUEST = 0
CMD_RESPONSE = 1
CMD_UNKNOWN = 2
EVENT_REGISTER = 3
EVENT_UNREGISTER = 4
EVENT_CONFIRM = 5
EVENT_UNKNOWN = 6
EVENT = 7

PACKET_TYPE_NAMES = {
    CMD_REQUEST: "CMD_REQUEST",
    CMD_RESPONSE: "CMD_RESPONSE",
    CMD_UNKNOWN: "CMD_UNKNOWN",
    EVENT_REGISTER: "EVENT_REGISTER",
    EVENT_UNREGISTER: "EVENT_UNREGISTER",
    EVENT_CONFIRM: "EVENT_CONFIRM",
    EVENT_UNKNOWN: "EVENT_UNKNOWN",
    EVENT: "EVENT",
}
NAMED_PACKET_TYPES = frozenset((CMD_REQUEST, EVENT_REGISTER, EVENT_UNREGISTER, EVENT))
MESSAGE_PACKET_TYPES = frozenset((CMD_REQUEST, CMD_RESPONSE, EVENT))

MAX_NAME_LENGTH = 255
MAX_VALUE_LENGTH = 65535
# VICI_MESSAGE_SIZE_MAX of the daemon: the largest segment it sends or accepts.
MAX_SEGMENT_SIZE = 512 * 1024

_pack_u16 = struct.Struct("!H").pack
_YES = b"yes"
_NO = b"no"


def _path(stack: List[Tuple[Any, str]], key: Any = None, index: Optional[int] = None) -> str:
    """The dotted path of an element, built only when an error needs it."""
    parts = [name for _items, name in stack[1:]]
    if key is not None:
        parts.append(str(key))
    path = ".".join(parts)
    if index is not None:
        path += "[%d]" % index
    return path or "(message)"


def _encode_name(name: Any, stack: List[Tuple[Any, str]]) -> bytes:
    if not isinstance(name, str):
        raise ViciEncodeError("names must be strings, not %s" % type(name).__name__, _path(stack, repr(name)))
    try:
        raw = name.encode("ascii")
    except UnicodeEncodeError:
        raise ViciEncodeError("names must be printable ASCII", _path(stack, name)) from None
    if not raw:
        raise ViciEncodeError("names must not be empty", _path(stack, "''"))
    if len(raw) > MAX_NAME_LENGTH:
        raise ViciEncodeError("names are limited to %d bytes, this one has %d" % (MAX_NAME_LENGTH, len(raw)), _path(stack, name))
    if not raw.isascii() or any(c < 0x20 or c > 0x7E for c in raw):
        raise ViciEncodeError("names must be printable ASCII", _path(stack, name))
    return raw


def _encode_value(value: Any, stack: List[Tuple[Any, str]], key: Any, index: Optional[int] = None) -> bytes:
    if isinstance(value, str):
        try:
            raw = value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ViciEncodeError(
                "strings must be valid Unicode, this one has a lone surrogate at index %d" % exc.start,
                _path(stack, key, index),
            ) from None
    elif isinstance(value, (bytes, bytearray, memoryview)):
        raw = bytes(value)
    elif isinstance(value, bool):
        raw = _YES if value else _NO
    elif isinstance(value, int):
        raw = str(value).encode("ascii")
    elif value is None:
        raise ViciEncodeError("None is not a value; leave the key out instead", _path(stack, key, index))
    elif index is not None and isinstance(value, (Mapping, list, tuple)):
        raise ViciEncodeError("lists hold values only, not %s" % type(value).__name__, _path(stack, key, index))
    else:
        raise ViciEncodeError("unsupported value type %s" % type(value).__name__, _path(stack, key, index))
    if len(raw) > MAX_VALUE_LENGTH:
        raise ViciEncodeError(
            "values are limited to %d bytes, this one has %d" % (MAX_VALUE_LENGTH, len(raw)), _path(stack, key, index)
        )
    return raw


def encode_message(message: Mapping[str, Any]) -> bytes:
    """Encode a mapping as a VICI message, keeping insertion order.

    dict -> section, list/tuple of scalars -> list, str -> UTF-8, bytes -> raw,
    bool -> ``yes``/``no``, int -> decimal. Anything else (``None``, floats,
    containers inside lists), over-long names or values and names that are
    not printable ASCII raise :class:`ViciEncodeError` naming the key path.
    """
    if not isinstance(message, Mapping):
        raise ViciEncodeError("a message must be a mapping, not %s" % type(message).__name__)
    out: List[bytes] = []
    append = out.append
    # Encoded name headers, per element type: names repeat a lot in real
    # messages (every connection has local_addrs, children, ...).
    headers: Dict[Tuple[int, str], bytes] = {}
    stack: List[Tuple[Any, str]] = [(iter(message.items()), "")]
    while stack:
        items = stack[-1][0]
        for key, value in items:
            if isinstance(value, Mapping):
                kind = SECTION_START
            elif isinstance(value, (list, tuple)):
                kind = LIST_START
            else:
                kind = KEY_VALUE
            header = headers.get((kind, key)) if isinstance(key, str) else None
            if header is None:
                name = _encode_name(key, stack)
                header = bytes((kind, len(name))) + name
                headers[(kind, key)] = header
            append(header)
            if kind == KEY_VALUE:
                if value.__class__ is str:
                    try:
                        raw = value.encode("utf-8")
                    except UnicodeEncodeError:
                        raw = _encode_value(value, stack, key)
                    if len(raw) > MAX_VALUE_LENGTH:
                        raw = _encode_value(value, stack, key)
                else:
                    raw = _encode_value(value, stack, key)
                append(_pack_u16(len(raw)))
                append(raw)
            elif kind == LIST_START:
                for index, item in enumerate(value):
                    raw = _encode_value(item, stack, key, index)
                    append(b"\x05")
                    append(_pack_u16(len(raw)))
                    append(raw)
                append(b"\x06")
            else:
                stack.append((iter(value.items()), key))
                break
        else:
            stack.pop()
            if stack:
                append(b"\x02")
    return b"".join(out)


def _truncated(what: str, offset: int) -> ViciProtocolError:
    return ViciProtocolError("message truncated in %s" % what, offset)


def _decode_name(data: bytes, pos: int, end: int, what: str) -> Tuple[str, int]:
    if pos >= end:
        raise _truncated(what + " name length", pos)
    name_end = pos + 1 + data[pos]
    if name_end > end:
        raise _truncated(what + " name", pos)
    try:
        return data[pos + 1:name_end].decode("utf-8"), name_end
    except UnicodeDecodeError:
        raise ViciProtocolError("%s name is not valid UTF-8" % what, pos + 1) from None


def decode_message(data: bytes, raw_values: bool = False, offset: int = 0) -> Dict[str, Any]:
    """Decode a VICI message strictly, starting at ``offset``.

    Raises :class:`ViciProtocolError` (with the byte offset) on unknown element
    types, unbalanced sections, list items outside lists or other elements
    inside lists, truncated data and duplicate names within a section.
    """
    if not isinstance(data, bytes):
        data = bytes(data)
    pos = offset
    end = len(data)
    root: Dict[str, Any] = {}
    current = root
    stack: List[Tuple[Dict[str, Any], str]] = []
    while pos < end:
        kind = data[pos]
        start = pos
        pos += 1
        if kind == KEY_VALUE:
            if pos >= end:
                raise _truncated("key name length", pos)
            value_start = pos + 3 + data[pos]
            if value_start > end:
                raise _truncated("key name or value length", pos)
            try:
                name = data[pos + 1:value_start - 2].decode("utf-8")
            except UnicodeDecodeError:
                raise ViciProtocolError("key name is not valid UTF-8", pos + 1) from None
            value_end = value_start + (data[value_start - 2] << 8 | data[value_start - 1])
            if value_end > end:
                raise _truncated("value of '%s'" % name, value_start)
            value = data[value_start:value_end]
            if not raw_values:
                try:
                    value = value.decode("utf-8")
                except UnicodeDecodeError:
                    pass
            if name in current:
                raise ViciProtocolError("duplicate name '%s'" % name, start)
            current[name] = value
            pos = value_end
        elif kind == SECTION_START:
            name, pos = _decode_name(data, pos, end, "section")
            if name in current:
                raise ViciProtocolError("duplicate name '%s'" % name, start)
            section: Dict[str, Any] = {}
            current[name] = section
            stack.append((current, name))
            current = section
        elif kind == SECTION_END:
            if not stack:
                raise ViciProtocolError("section end without an open section", start)
            current = stack.pop()[0]
        elif kind == LIST_START:
            name, pos = _decode_name(data, pos, end, "list")
            if name in current:
                raise ViciProtocolError("duplicate name '%s'" % name, start)
            items: List[Any] = []
            while True:
                if pos >= end:
                    raise _truncated("list '%s' (no list end)" % name, pos)
                item_kind = data[pos]
                if item_kind == LIST_END:
                    pos += 1
                    break
                if item_kind != LIST_ITEM:
                    raise ViciProtocolError("element type %d inside list '%s'; lists hold items only" % (item_kind, name), pos)
                item_start = pos + 3
                if item_start > end:
                    raise _truncated("list item length", pos + 1)
                item_end = item_start + (data[pos + 1] << 8 | data[pos + 2])
                if item_end > end:
                    raise _truncated("item of list '%s'" % name, item_start)
                item = data[item_start:item_end]
                if not raw_values:
                    try:
                        item = item.decode("utf-8")
                    except UnicodeDecodeError:
                        pass
                items.append(item)
                pos = item_end
            current[name] = items
        elif kind in (LIST_ITEM, LIST_END):
            raise ViciProtocolError("list element outside a list", start)
        else:
            raise ViciProtocolError("unknown element type %d" % kind, start)
    if stack:
        raise ViciProtocolError("section '%s' is not closed at the end of the message" % stack[-1][1], end)
    return root


class Packet(NamedTuple):
    """One decoded segment: its type, its name (named types) and its message."""

    type: int
    name: Optional[str]
    message: Optional[Dict[str, Any]]

    @property
    def type_name(self) -> str:
        return PACKET_TYPE_NAMES.get(self.type, str(self.type))


def encode_packet(packet_type: int, name: Optional[str] = None, message: Optional[Mapping[str, Any]] = None) -> bytes:
    """Encode one packet (without the 4-byte length of the framing)."""
    if packet_type in NAMED_PACKET_TYPES:
        if not name:
            raise ViciEncodeError("a %s packet needs a name" % PACKET_TYPE_NAMES[packet_type])
        raw_name = _encode_name(name, [(None, "")])
        head = bytes((packet_type, len(raw_name))) + raw_name
    elif packet_type in PACKET_TYPE_NAMES:
        head = bytes((packet_type,))
    else:
        raise ViciEncodeError("unknown packet type %r" % (packet_type,))
    if packet_type in MESSAGE_PACKET_TYPES:
        body = encode_message(message or {})
    elif message:
        raise ViciEncodeError("a %s packet carries no message" % PACKET_TYPE_NAMES[packet_type])
    else:
        body = b""
    return head + body


def decode_packet(segment: bytes, raw_values: bool = False) -> Packet:
    """Decode one segment (without its length header) into a :class:`Packet`."""
    if not segment:
        raise ViciProtocolError("empty segment")
    if not isinstance(segment, bytes):
        segment = bytes(segment)
    packet_type = segment[0]
    if packet_type not in PACKET_TYPE_NAMES:
        raise ViciProtocolError("unknown packet type %d" % packet_type, 0)
    pos = 1
    name = None
    if packet_type in NAMED_PACKET_TYPES:
        name, pos = _decode_name(segment, pos, len(segment), "packet")
    if packet_type in MESSAGE_PACKET_TYPES:
        return Packet(packet_type, name, decode_message(segment, raw_values, pos))
    if pos != len(segment):
        raise ViciProtocolError("%s packet has %d trailing bytes" % (PACKET_TYPE_NAMES[packet_type], len(segment) - pos), pos)
    return Packet(packet_type, name, None)
