# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Just enough DER and PEM to describe certificates. PRIVATE to the collection.

Managed hosts need no crypto library: the daemon does the cryptography, and
the modules only need to recognise data (PEM or DER), compare it, and show a
certificate's names and validity. This reader covers exactly that.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Dict, List, Optional, Tuple

_PEM_BLOCK = re.compile(
    r"-----BEGIN ([A-Z0-9 ]+)-----\s*(.*?)\s*-----END \1-----", re.DOTALL
)

# Attribute names as strongSwan prints them in distinguished names.
_DN_NAMES = {
    "2.5.4.3": "CN",
    "2.5.4.4": "SN",
    "2.5.4.5": "serialNumber",
    "2.5.4.6": "C",
    "2.5.4.7": "L",
    "2.5.4.8": "ST",
    "2.5.4.9": "street",
    "2.5.4.10": "O",
    "2.5.4.11": "OU",
    "2.5.4.12": "T",
    "2.5.4.41": "N",
    "2.5.4.42": "G",
    "2.5.4.43": "I",
    "2.5.4.46": "dnQualifier",
    "2.5.4.65": "pseudonym",
    "1.2.840.113549.1.9.1": "E",
    "0.9.2342.19200300.100.1.1": "UID",
    "0.9.2342.19200300.100.1.25": "DC",
}


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


def _string(tag: int, raw: bytes) -> str:
    if tag == 0x1E:  # BMPString
        return raw.decode("utf-16-be", "replace")
    if tag == 0x1C:  # UniversalString
        return raw.decode("utf-32-be", "replace")
    return raw.decode("utf-8", "replace")


def format_name(data: bytes, start: int, end: int) -> str:
    """An X.501 Name as strongSwan prints it: ``C=CH, O=Org, CN=host``."""
    parts = []
    for _set_tag, set_start, set_end in children(data, start, end):
        for _seq_tag, seq_start, seq_end in children(data, set_start, set_end):
            elements = children(data, seq_start, seq_end)
            if len(elements) != 2:
                raise DerError("invalid attribute in a name")
            oid = decode_oid(data[elements[0][1]:elements[0][2]])
            tag, value_start, value_end = elements[1]
            parts.append("%s=%s" % (_DN_NAMES.get(oid, oid), _string(tag, data[value_start:value_end])))
    return ", ".join(parts)


def _format_time(tag: int, raw: bytes) -> str:
    text = raw.decode("ascii")
    if tag == 0x17:  # UTCTime, YYMMDDHHMMSSZ
        year = int(text[:2])
        text = ("19" if year >= 50 else "20") + text
    return "%s-%s-%sT%s:%s:%sZ" % (text[0:4], text[4:6], text[6:8], text[8:10], text[10:12], text[12:14])


def describe_certificate(der: bytes) -> Optional[Dict[str, str]]:
    """Subject, issuer, serial and validity of an X.509 certificate, or None."""
    try:
        _cert_tag, cert_start, cert_end = read_tlv(der, 0)
        _tbs_tag, tbs_start, tbs_end = children(der, cert_start, cert_end)[0]
        fields = children(der, tbs_start, tbs_end)
        if fields and fields[0][0] == 0xA0:  # explicit version
            fields = fields[1:]
        serial, _signature, issuer, validity, subject = fields[:5]
        times = children(der, validity[1], validity[2])
        return {
            "subject": format_name(der, subject[1], subject[2]),
            "issuer": format_name(der, issuer[1], issuer[2]),
            "serial": der[serial[1]:serial[2]].hex(),
            "not_before": _format_time(times[0][0], der[times[0][1]:times[0][2]]),
            "not_after": _format_time(times[1][0], der[times[1][1]:times[1][2]]),
        }
    except (DerError, IndexError, ValueError):
        return None


def der_to_pem(der: bytes, label: str = "CERTIFICATE") -> str:
    body = base64.b64encode(der).decode("ascii")
    lines = [body[index:index + 64] for index in range(0, len(body), 64)]
    return "-----BEGIN %s-----\n%s\n-----END %s-----\n" % (label, "\n".join(lines), label)


def pem_blocks(text: str) -> List[Tuple[str, bytes]]:
    """Every PEM block in ``text`` as (label, DER)."""
    blocks = []
    for match in _PEM_BLOCK.finditer(text):
        body = match.group(2)
        # Encrypted legacy PEM carries headers ("Proc-Type: ...") before the base64.
        if ":" in body.split("\n\n", 1)[0] and "\n\n" in body:
            body = body.split("\n\n", 1)[1]
        try:
            blocks.append((match.group(1), base64.b64decode("".join(body.split()), validate=True)))
        except (binascii.Error, ValueError):
            raise DerError("PEM block '%s' is not valid base64" % match.group(1)) from None
    return blocks


def to_der(data: bytes) -> bytes:
    """DER of a PEM or DER blob (the first block of a PEM file)."""
    stripped = data.lstrip()
    if stripped.startswith(b"-----BEGIN"):
        blocks = pem_blocks(stripped.decode("ascii", "replace"))
        if not blocks:
            raise DerError("no complete PEM block found")
        return blocks[0][1]
    return data


def _spki_bits(data: bytes, start: int, end: int) -> Optional[bytes]:
    """subjectPublicKey bits of the SubjectPublicKeyInfo whose content is data[start:end]."""
    fields = children(data, start, end)
    if len(fields) != 2 or fields[0][0] != 0x30 or fields[1][0] != 0x03:
        return None
    bits_start, bits_end = fields[1][1], fields[1][2]
    if bits_start >= bits_end or data[bits_start] != 0:
        return None
    return data[bits_start + 1:bits_end]


def spki_public_key(der: bytes) -> Optional[bytes]:
    """The subjectPublicKey bits of a DER SubjectPublicKeyInfo (what strongSwan's key ids hash), or None."""
    try:
        tag, start, end = read_tlv(der, 0)
        return _spki_bits(der, start, end) if tag == 0x30 and end == len(der) else None
    except DerError:
        return None


def certificate_public_key(der: bytes) -> Optional[bytes]:
    """The subjectPublicKey bits of an X.509 certificate, or None."""
    try:
        _cert_tag, cert_start, cert_end = read_tlv(der, 0)
        _tbs_tag, tbs_start, tbs_end = children(der, cert_start, cert_end)[0]
        fields = children(der, tbs_start, tbs_end)
        if fields and fields[0][0] == 0xA0:
            fields = fields[1:]
        return _spki_bits(der, fields[5][1], fields[5][2])
    except (DerError, IndexError):
        return None


def describe_crl(der: bytes) -> Optional[Dict[str, str]]:
    """Issuer, update times and number of revoked certificates of an X.509 CRL, or None."""
    try:
        _crl_tag, crl_start, crl_end = read_tlv(der, 0)
        _tbs_tag, tbs_start, tbs_end = children(der, crl_start, crl_end)[0]
        fields = children(der, tbs_start, tbs_end)
        if fields and fields[0][0] == 0x02:  # version
            fields = fields[1:]
        issuer, this_update = fields[1], fields[2]
        info = {
            "issuer": format_name(der, issuer[1], issuer[2]),
            "this_update": _format_time(this_update[0], der[this_update[1]:this_update[2]]),
        }
        rest = fields[3:]
        if rest and rest[0][0] in (0x17, 0x18):
            info["next_update"] = _format_time(rest[0][0], der[rest[0][1]:rest[0][2]])
            rest = rest[1:]
        revoked = rest[0] if rest and rest[0][0] == 0x30 else None
        info["revoked"] = str(len(children(der, revoked[1], revoked[2])) if revoked else 0)
        return info
    except (DerError, IndexError, ValueError):
        return None
