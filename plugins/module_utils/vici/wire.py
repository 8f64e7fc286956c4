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
The decoder refuses sections nested deeper than :data:`MAX_DEPTH` levels by
default, so that no code walking a decoded message (to convert, mask or
serialise it, recursively as ``json`` does) meets an absurd depth.

Decoded values are ``str`` when they are valid UTF-8 (everything the daemon
sends but binary blobs such as certificate DER) and ``bytes`` otherwise. The
choice is lossless: ``value.encode()`` gives back the exact bytes of a ``str``
value. ``decode_message(data, raw_values=True)`` keeps every value as bytes.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any, Callable, Dict, Iterator, List, NamedTuple, Optional, Tuple

from .errors import ViciEncodeError, ViciLimitError, ViciProtocolError

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
_ELEMENT_NAMES = {SECTION_START: "section", KEY_VALUE: "key", LIST_START: "list"}

MAX_NAME_LENGTH = 255
MAX_VALUE_LENGTH = 65535
# VICI_MESSAGE_SIZE_MAX of the daemon: the largest segment it sends or accepts.
MAX_SEGMENT_SIZE = 512 * 1024
# The deepest section nesting the decoder accepts by default. The daemon's own messages nest at
# most about 6 levels (list-conns: conn, children, child, ...); a reply nested deeper than this
# comes from a broken or hostile peer.
MAX_DEPTH = 64

_YES = b"yes"
_NO = b"no"

# The encoder builds the message as a str with one character per byte (latin-1) and encodes it once at the
# end. ASCII str values, nearly every value in practice, then go in as they are: no per-value encode() and
# no per-value bytes object. The 16-bit lengths below 256 come from these tables.
_LENGTH = tuple(chr(0) + chr(length) for length in range(256))
_ITEM = tuple(chr(LIST_ITEM) + length for length in _LENGTH)
_ITEM_TYPE = chr(LIST_ITEM)
_LIST_END = chr(LIST_END)
_SECTION_END = chr(SECTION_END)


def _path(stack: List[Tuple[Any, str]], key: Any = None, index: Optional[int] = None) -> str:
    """The dotted path of an element, built only when an error needs it."""
    parts = [name for _items, name in stack[1:]]
    if key is not None:
        parts.append(str(key))
    path = ".".join(parts)
    if index is not None:
        path += "[%d]" % index
    return path or "(message)"


def _check_name(name: Any, stack: List[Tuple[Any, str]]) -> str:
    """``name`` if it is a valid element name: a printable ASCII str of 1 to 255 characters."""
    if not isinstance(name, str):
        raise ViciEncodeError("names must be strings, not %s" % type(name).__name__, _path(stack, repr(name)))
    if not name.isascii():
        raise ViciEncodeError("names must be printable ASCII", _path(stack, name))
    if not name:
        raise ViciEncodeError("names must not be empty", _path(stack, "''"))
    if len(name) > MAX_NAME_LENGTH:
        raise ViciEncodeError("names are limited to %d bytes, this one has %d" % (MAX_NAME_LENGTH, len(name)), _path(stack, name))
    if not name.isprintable():  # for ASCII: not 0x00-0x1F, not 0x7F
        raise ViciEncodeError("names must be printable ASCII", _path(stack, name))
    return name


def _encode_name(name: Any, stack: List[Tuple[Any, str]]) -> bytes:
    return _check_name(name, stack).encode("ascii")


class _HeaderCache:
    """Element headers (type, name length, name as latin-1 characters) by name, kept across messages.

    Names repeat a lot (every connection has local_addrs, children, ...; a tree of thousands of connections
    is thousands of messages). One table per element type, which the encoder reads directly (one dict
    lookup per element) and fills through :meth:`add` on a miss. Only names that :func:`_check_name`
    accepts get in, and a table that reaches ``limit`` entries starts again empty: hostile input cannot
    grow them without bound.
    """

    __slots__ = ("key_value", "list_start", "section_start", "limit")

    def __init__(self, limit: int) -> None:
        self.key_value: Dict[str, str] = {}
        self.list_start: Dict[str, str] = {}
        self.section_start: Dict[str, str] = {}
        self.limit = limit

    def add(self, table: Dict[str, str], kind: int, key: Any, stack: List[Tuple[Any, str]]) -> str:
        """The header of an element of type ``kind`` named ``key``, once ``key`` is checked; kept in ``table``."""
        name = _check_name(key, stack)
        header = chr(kind) + chr(len(name)) + name
        if len(table) >= self.limit:
            table.clear()
        table[name] = header
        return header


_HEADER_CACHE_LIMIT = 4096
_HEADERS = _HeaderCache(_HEADER_CACHE_LIMIT)


def _encode_value(value: Any, stack: List[Tuple[Any, str]], key: Any, items: Optional[Any] = None) -> str:
    """16-bit length and bytes of a value of any supported type, as latin-1 characters.

    ``items`` is the list the value is an item of: the error path then names its index.
    """
    if isinstance(value, str):
        try:
            raw = value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ViciEncodeError(
                "strings must be valid Unicode, this one has a lone surrogate at index %d" % exc.start,
                _path(stack, key, _index_of(items, value)),
            ) from None
    elif isinstance(value, (bytes, bytearray, memoryview)):
        raw = bytes(value)
    elif isinstance(value, bool):
        raw = _YES if value else _NO
    elif isinstance(value, int):
        raw = str(value).encode("ascii")
    elif value is None:
        raise ViciEncodeError("None is not a value; leave the key out instead", _path(stack, key, _index_of(items, value)))
    elif items is not None and isinstance(value, (Mapping, list, tuple)):
        raise ViciEncodeError("lists hold values only, not %s" % type(value).__name__, _path(stack, key, _index_of(items, value)))
    else:
        raise ViciEncodeError("unsupported value type %s" % type(value).__name__, _path(stack, key, _index_of(items, value)))
    length = len(raw)
    if length > MAX_VALUE_LENGTH:
        raise ViciEncodeError(
            "values are limited to %d bytes, this one has %d" % (MAX_VALUE_LENGTH, length),
            _path(stack, key, _index_of(items, value)),
        )
    return chr(length >> 8) + chr(length & 0xFF) + raw.decode("latin-1")


def _index_of(items: Optional[Any], value: Any) -> Optional[int]:
    """Index of the first item that is ``value`` (the one that failed: identical objects fail alike)."""
    if items is None:
        return None
    return next(index for index, item in enumerate(items) if item is value)


def _encode_list(append: Callable[[str], None], key: Any, value: Any, stack: List[Tuple[Any, str]]) -> None:
    """Append a list element: its header, its items and its end."""
    header = _HEADERS.list_start.get(key)
    if header is None:
        header = _HEADERS.add(_HEADERS.list_start, LIST_START, key, stack)
    append(header)
    for item in value:
        if item.__class__ is str and item.isascii() and len(item) < 256:
            append(_ITEM[len(item)])
            append(item)
        else:
            append(_ITEM_TYPE)
            append(_encode_value(item, stack, key, value))
    append(_LIST_END)


def _encode_other(append: Callable[[str], None], key: Any, value: Any, stack: List[Tuple[Any, str]]) -> None:
    """Append an element whose value is neither a str nor a mapping: a list (of a subclass), else a key/value."""
    if isinstance(value, (list, tuple)):
        _encode_list(append, key, value, stack)
        return
    header = _HEADERS.key_value.get(key)
    if header is None:
        header = _HEADERS.add(_HEADERS.key_value, KEY_VALUE, key, stack)
    append(header)
    append(_encode_value(value, stack, key))


def encode_message(message: Mapping[str, Any]) -> bytes:
    """Encode a mapping as a VICI message, keeping insertion order.

    dict -> section, list/tuple of scalars -> list, str -> UTF-8, bytes -> raw,
    bool -> ``yes``/``no``, int -> decimal. Anything else (``None``, floats,
    containers inside lists), over-long names or values and names that are
    not printable ASCII raise :class:`ViciEncodeError` naming the key path.
    """
    if not isinstance(message, Mapping):
        raise ViciEncodeError("a message must be a mapping, not %s" % type(message).__name__)
    out: List[str] = []
    append = out.append
    chunks: List[bytes] = []
    kv_headers = _HEADERS.key_value
    section_headers = _HEADERS.section_start
    # The open sections: (items of the enclosing section, name), the root first.
    stack: List[Tuple[Any, str]] = [(None, "")]
    items: Iterator[Tuple[Any, Any]] = iter(message.items())
    while True:
        for key, value in items:
            cls = value.__class__
            if cls is str:  # the common case first, inline
                header = kv_headers.get(key)
                if header is None:
                    header = _HEADERS.add(kv_headers, KEY_VALUE, key, stack)
                append(header)
                length = len(value)
                if length < 256 and value.isascii():
                    append(_LENGTH[length])
                    append(value)
                else:
                    append(_encode_value(value, stack, key))
                continue
            if cls is list or cls is tuple:
                _encode_list(append, key, value, stack)
                continue
            if cls is not dict and not isinstance(value, Mapping):
                _encode_other(append, key, value, stack)
                continue
            # a section: encode its items next, and come back to the rest of these afterwards
            header = section_headers.get(key)
            if header is None:
                header = _HEADERS.add(section_headers, SECTION_START, key, stack)
            append(header)
            stack.append((items, key))
            items = iter(value.items())
            break
        else:
            if len(stack) == 1:
                chunks.append("".join(out).encode("latin-1"))
                return b"".join(chunks)
            append(_SECTION_END)
            items = stack.pop()[0]
            if len(out) > 8192:
                # Join in chunks while the pieces are still in the CPU caches; keeps big messages as fast as small ones.
                chunks.append("".join(out).encode("latin-1"))
                out.clear()


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


# bytes.translate() table: 0 for ASCII bytes, 1 for the others (then found with a fast bytes.find).
_HIGH_BYTES = bytes(128) + b"\x01" * 128


def _ascii_end(high: bytes, pos: int, end: int) -> int:
    """Offset of the first byte above 0x7F at or after ``pos`` (``high`` marks them with 1); ``end`` if none."""
    found = high.find(1, pos)
    return end if found < 0 else found


def _utf8_name(data: bytes, start: int, stop: int, what: str) -> str:
    try:
        return data[start:stop].decode("utf-8")
    except UnicodeDecodeError:
        raise ViciProtocolError("%s name is not valid UTF-8" % what, start) from None


def _value(data: bytes, start: int, stop: int, raw_values: bool) -> Any:
    value = data[start:stop]
    if not raw_values:
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            pass
    return value


# The decoder's state between elements, passed to the helpers of the element types and returned by them:
# ``data`` (bytes), ``text`` (its latin-1 view: one character per byte, same offsets; for ASCII bytes a
# slice of it is the decoded str already), ``high`` (``data`` with 1 for the bytes above 0x7F, 0 for the
# others; empty when there are none or with raw_values), ``end`` (len(data)) and ``ascii_end``: the offset of
# the next byte above 0x7F. An element that ends after ``ascii_end`` is decoded properly from the bytes
# (UTF-8, else bytes), and ascii_end moves on; raw_values=True sends every element that way (ascii_end stays
# -1, before any start).


def _key_value_past_ascii(
    data: bytes, text: str, high: bytes, pos: int, name_end: int, value_end: int, end: int, raw_values: bool
) -> Tuple[str, Any, int]:
    """Name, value and the new ascii_end of a key/value at ``pos`` that ends after ascii_end (or the data)."""
    name = text[pos + 2:name_end]
    if not name.isascii():
        name = _utf8_name(data, pos + 2, name_end, "key")
    if value_end > end:
        raise _truncated("value of '%s'" % name, name_end + 2)
    value: Any = text[name_end + 2:value_end]
    if raw_values or not value.isascii():
        value = _value(data, name_end + 2, value_end, raw_values)
    return name, value, -1 if raw_values else _ascii_end(high, value_end, end)


def _name_past_ascii(
    data: bytes, text: str, high: bytes, pos: int, name_end: int, end: int, raw_values: bool
) -> Tuple[str, int]:
    """Name and the new ascii_end of the list or section at ``pos`` whose name ends after ascii_end (or the data)."""
    if name_end > end:
        raise _truncated("%s name" % _ELEMENT_NAMES[data[pos]], pos + 1)
    name = text[pos + 2:name_end]
    if not name.isascii():
        name = _utf8_name(data, pos + 2, name_end, _ELEMENT_NAMES[data[pos]])
    return name, -1 if raw_values else _ascii_end(high, name_end, end)


def _decode_list(
    data: bytes, text: str, high: bytes, pos: int, end: int, ascii_end: int, raw_values: bool, current: Dict[str, Any]
) -> Tuple[int, int]:
    """Decode the list that starts at ``pos`` into ``current``, and the lists right after it (one call for a run of
    lists, as in load-conn's local_addrs, remote_addrs, proposals); the offset after the last one's end and the
    new ascii_end.
    """
    while True:
        try:
            name_end = pos + 2 + data[pos + 1]
        except IndexError:
            raise _truncated("list name length", pos + 1) from None
        if name_end > ascii_end:
            name, ascii_end = _name_past_ascii(data, text, high, pos, name_end, end, raw_values)
        else:
            name = text[pos + 2:name_end]
        if name in current:
            raise ViciProtocolError("duplicate name '%s'" % name, pos)
        pos = name_end
        items: List[Any] = []
        append = items.append
        while True:
            try:
                item_kind = data[pos]
            except IndexError:
                raise _truncated("list '%s' (no list end)" % name, pos) from None
            if item_kind != LIST_ITEM:
                break
            try:
                item_end = pos + 3 + (data[pos + 1] << 8 | data[pos + 2])
            except IndexError:
                raise _truncated("list item length", pos + 1) from None
            item: Any = text[pos + 3:item_end]
            if item_end > ascii_end:
                if item_end > end:
                    raise _truncated("item of list '%s'" % name, pos + 3)
                if raw_values or not item.isascii():
                    item = _value(data, pos + 3, item_end, raw_values)
                if not raw_values:
                    ascii_end = _ascii_end(high, item_end, end)
            append(item)
            pos = item_end
        if item_kind != LIST_END:
            raise ViciProtocolError("element type %d inside list '%s'; lists hold items only" % (item_kind, name), pos)
        current[name] = items
        pos += 1
        if pos >= end or data[pos] != LIST_START:
            return pos, ascii_end


def _decode_sections(
    data: bytes, text: str, high: bytes, pos: int, end: int, ascii_end: int, raw_values: bool, depth_limit: int
) -> Dict[str, Any]:
    """Decode the elements from ``pos`` to the end as the root section: key/values and the opening and closing
    of sections here (inline, iteratively), lists in :func:`_decode_list`. Returns the root section."""
    root: Dict[str, Any] = {}
    current = root
    # The sections enclosing the current one, each with the name of the section opened in it.
    stack: List[Tuple[Dict[str, Any], str]] = []
    while pos < end:
        kind = data[pos]
        if kind == KEY_VALUE:  # the common case first
            try:  # indexing past the end raises: no explicit length checks on the hot path
                name_end = pos + 2 + data[pos + 1]
                value_end = name_end + 2 + (data[name_end] << 8 | data[name_end + 1])
            except IndexError:
                raise _truncated("key name length" if pos + 1 >= end else "key name or value length", pos + 1) from None
            if value_end > ascii_end:
                name, value, ascii_end = _key_value_past_ascii(data, text, high, pos, name_end, value_end, end, raw_values)
            else:
                name = text[pos + 2:name_end]
                value = text[name_end + 2:value_end]
            if name in current:
                raise ViciProtocolError("duplicate name '%s'" % name, pos)
            current[name] = value
            pos = value_end
        elif kind == LIST_START:
            pos, ascii_end = _decode_list(data, text, high, pos, end, ascii_end, raw_values, current)
        elif kind == SECTION_START:
            try:
                name_end = pos + 2 + data[pos + 1]
            except IndexError:
                raise _truncated("section name length", pos + 1) from None
            if name_end > ascii_end:
                name, ascii_end = _name_past_ascii(data, text, high, pos, name_end, end, raw_values)
            else:
                name = text[pos + 2:name_end]
            if name in current:
                raise ViciProtocolError("duplicate name '%s'" % name, pos)
            if len(stack) >= depth_limit:
                raise _too_deep(depth_limit, name, pos)
            section: Dict[str, Any] = {}
            current[name] = section
            stack.append((current, name))
            current = section
            pos = name_end
        elif kind == SECTION_END:
            if not stack:
                raise ViciProtocolError("section end without an open section", pos)
            current = stack.pop()[0]
            pos += 1
        else:
            raise _misplaced(kind, pos)
    if stack:
        raise ViciProtocolError("section '%s' is not closed at the end of the message" % stack[-1][1], end)
    return root


def _too_deep(depth_limit: int, name: str, pos: int) -> ViciLimitError:
    return ViciLimitError(
        "sections nested more than %d levels deep (section '%s'); the daemon's own messages never are"
        % (depth_limit, name),
        pos,
    )


def _misplaced(kind: int, pos: int) -> ViciProtocolError:
    """The error for an element of type ``kind`` at ``pos`` outside a list: a list element, or an unknown type."""
    if kind == LIST_ITEM or kind == LIST_END:
        return ViciProtocolError("list element outside a list", pos)
    return ViciProtocolError("unknown element type %d" % kind, pos)


def decode_message(
    data: bytes, raw_values: bool = False, offset: int = 0, max_depth: Optional[int] = MAX_DEPTH
) -> Dict[str, Any]:
    """Decode a VICI message strictly, starting at ``offset``.

    Raises :class:`ViciProtocolError` (with the byte offset) on unknown element
    types, unbalanced sections, list items outside lists or other elements
    inside lists, truncated data and duplicate names within a section; and
    :class:`ViciLimitError` on sections nested deeper than ``max_depth``
    levels (``None``: no limit).
    """
    if not isinstance(data, bytes):
        data = bytes(data)
    end = len(data)
    text = data.decode("latin-1")
    high = b"" if raw_values or data.isascii() else data.translate(_HIGH_BYTES)
    ascii_end = -1 if raw_values else _ascii_end(high, offset, end)
    depth_limit = sys.maxsize if max_depth is None else max_depth
    return _decode_sections(data, text, high, offset, end, ascii_end, raw_values, depth_limit)


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


def decode_packet(segment: bytes, raw_values: bool = False, max_depth: Optional[int] = MAX_DEPTH) -> Packet:
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
        return Packet(packet_type, name, decode_message(segment, raw_values, pos, max_depth))
    if pos != len(segment):
        raise ViciProtocolError("%s packet has %d trailing bytes" % (PACKET_TYPE_NAMES[packet_type], len(segment) - pos), pos)
    return Packet(packet_type, name, None)
