# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""X.509 certificates and CRLs: names, validity, public keys. PRIVATE to the collection.

Enough to show a certificate's names and validity and to find the public key
the daemon names it by; the daemon does the cryptography.
"""

from __future__ import annotations

from typing import Dict, Optional

from .der import DerError, children, decode_oid, read_tlv

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
