# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Just enough DER to walk certificates, keys and containers. PRIVATE to the collection.

Managed hosts need no crypto library: the daemon does the cryptography, and
the modules only need to recognise data, compare it and read a few fields.
"""

from __future__ import annotations

from typing import List, Tuple


class DerError(ValueError):
    """The data is not the DER structure we expected."""


def read_tlv(data: bytes, pos: int) -> Tuple[int, int, int]:
    """Read one DER element at ``pos``: (tag, content start, content end)."""
    if pos + 2 > len(data):
        raise DerError("truncated DER element")
    tag = data[pos]
    length = data[pos + 1]
    pos += 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4 or pos + count > len(data):
            raise DerError("invalid DER length")
        length = int.from_bytes(data[pos:pos + count], "big")
        pos += count
    if pos + length > len(data):
        raise DerError("truncated DER content")
    return tag, pos, pos + length


def encode_tlv(tag: int, content: bytes) -> bytes:
    """One DER element (definite length)."""
    length = len(content)
    if length < 0x80:
        return bytes((tag, length)) + content
    raw = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes((tag, 0x80 | len(raw))) + raw + content


def children(data: bytes, start: int, end: int) -> List[Tuple[int, int, int]]:
    """The elements inside a constructed element's content."""
    items = []
    while start < end:
        tag, content_start, content_end = read_tlv(data, start)
        items.append((tag, content_start, content_end))
        start = content_end
    return items


def decode_oid(raw: bytes) -> str:
    if not raw:
        raise DerError("empty OID")
    parts = [raw[0] // 40, raw[0] % 40] if raw[0] < 80 else [2, raw[0] - 80]
    value = 0
    for byte in raw[1:]:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            parts.append(value)
            value = 0
    return ".".join(str(part) for part in parts)
