# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Certification authorities (swanctl.conf ``authorities``) as daemon objects. PRIVATE to the collection.

get-authorities gives presence; list-authorities reports the CRL and OCSP
URIs, the certificate URI base and the CA certificate's subject DN, but not
the certificate itself. "Changed" therefore comes from the ledger
fingerprint, cross-checked with what list-authorities does show.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Dict, List, Optional

from .._text.input import InputError
from .._pki import pem
from .._pki.der import DerError, children, decode_oid, read_tlv
from .._pki.source import blocks_of, read_managed_file, token_reference, unreadable
from .._pki.x509 import describe_certificate
from .._engine.kind import Item, Kind
from ..vici.errors import ViciCommandFailed
from ..vici.session import Session

if TYPE_CHECKING:
    from .._base import ViciModule

# Attribute types whose names strongSwan prints exactly as we do (%Y of a DN).
# Others (serialNumber, E, DC, ...) have version-dependent or less certain
# spellings, and a subject that uses them is simply not compared.
_SAFE_DN_TYPES = {"2.5.4.3": "CN", "2.5.4.6": "C", "2.5.4.7": "L", "2.5.4.8": "ST", "2.5.4.10": "O", "2.5.4.11": "OU"}
# PrintableString, UTF8String, IA5String: printed verbatim when ASCII.
_SAFE_STRING_TAGS = (0x13, 0x0C, 0x16)


def read_certificate(value: str, field: str = "cacert") -> bytes:
    """DER of a certificate given as PEM text, or as the path of a PEM or DER file on the managed host."""
    text = value.strip()
    if "-----BEGIN" in text:
        data = text.encode("utf-8")
        source = "the PEM text"
    else:
        try:
            data = read_managed_file(text)
        except OSError as error:
            raise InputError("%s: '%s' is neither PEM text nor a readable file on the managed host (%s)"
                             % (field, text, unreadable(error))) from None
        source = "the file '%s'" % text
    if pem.is_pem(data):
        blocks = [block for block in blocks_of(data) if block.label in pem.CERTIFICATE]
        if not blocks:
            raise InputError("%s: %s holds no PEM CERTIFICATE block" % (field, source))
        try:
            data = blocks[0].der
        except DerError as error:
            raise InputError("%s: %s: %s" % (field, source, error)) from None
    if describe_certificate(data) is None:
        raise InputError("%s: %s is not an X.509 certificate" % (field, source))
    return data


def comparable_subject(der: bytes) -> Optional[str]:
    """The subject DN exactly as strongSwan prints it (%Y), or None when that is not certain.

    None makes the drift check skip the DN: a false "changed" is worse than
    none, and the fingerprint still covers the certificate itself.
    """
    try:
        start, end = read_tlv(der, 0)[1:]
        tbs_start, tbs_end = children(der, start, end)[0][1:]
        fields = children(der, tbs_start, tbs_end)
        if fields and fields[0][0] == 0xA0:
            fields = fields[1:]
        subject = fields[4]
        parts = []
        for rdn in children(der, subject[1], subject[2]):
            set_start, set_end = rdn[1], rdn[2]
            attributes = children(der, set_start, set_end)
            if len(attributes) != 1:  # multi-valued RDN
                return None
            elements = children(der, attributes[0][1], attributes[0][2])
            if len(elements) != 2:
                return None
            name = _SAFE_DN_TYPES.get(decode_oid(der[elements[0][1]:elements[0][2]]))
            tag, value_start, value_end = elements[1]
            raw = der[value_start:value_end]
            if name is None or tag not in _SAFE_STRING_TAGS or not raw or any(byte < 0x20 or byte > 0x7E for byte in raw):
                return None
            parts.append("%s=%s" % (name, raw.decode("ascii")))
    except (DerError, IndexError, ValueError):
        return None
    return ", ".join(parts) or None


def _uris(field: str, values: Optional[List[str]]) -> List[str]:
    result = []
    for value in values or []:
        text = str(value).strip()
        if not text:
            raise InputError("%s: empty URI" % field)
        if any(ord(char) < 0x20 or ord(char) > 0x7E for char in text):
            # The daemon accepts printable ASCII only ("invalid value for: ...").
            raise InputError("%s: '%s' contains characters other than printable ASCII" % (field, text))
        result.append(text)
    return result


def authority_message(
    cacert: Optional[str] = None,
    file: Optional[str] = None,
    handle: Optional[str] = None,
    slot: Optional[int] = None,
    module: Optional[str] = None,
    crl_uris: Optional[List[str]] = None,
    ocsp_uris: Optional[List[str]] = None,
    cert_uri_base: Optional[str] = None,
) -> Dict[str, Any]:
    """The load-authority body of one authority, in canonical form."""
    sources = [name for name, value in (("cacert", cacert), ("file", file), ("handle", handle)) if value]
    if len(sources) != 1:
        raise InputError("exactly one of cacert, file or handle is needed, got %s" % (", ".join(sources) or "none"))
    if (slot is not None or module) and not handle:
        raise InputError("slot and module go with handle (a certificate on a PKCS#11 token)")
    message: Dict[str, Any] = {}
    if cacert:
        message["cacert"] = read_certificate(cacert)
    elif file:
        message["file"] = file
    else:
        message.update(token_reference(str(handle), slot, module))
    crl = _uris("crl_uris", crl_uris)
    if crl:
        message["crl_uris"] = crl
    ocsp = _uris("ocsp_uris", ocsp_uris)
    if ocsp:
        message["ocsp_uris"] = ocsp
    if cert_uri_base:
        message["cert_uri_base"] = _uris("cert_uri_base", [cert_uri_base])[0]
    return message


class AuthorityKind(Kind):
    """load-authority / unload-authority / get-authorities, cross-checked with list-authorities."""

    label = "authority"
    listing = (("list-authorities", "list-authority"),)
    not_found = "unload: authority '{name}' not found"

    def snapshot(self, session: Session) -> Dict[str, Any]:
        names = session.get_authorities().get("authorities", [])
        if not names:
            return {}
        details: Dict[str, Any] = {}
        for event in session.list_authorities():
            for name, body in event.items():
                if isinstance(body, dict):
                    details[name] = body
        return {name: details.get(name, {}) for name in names}

    def drift(self, name: str, message: Mapping[str, Any], reported: Any) -> Optional[str]:
        if not isinstance(reported, Mapping) or not reported:
            return None
        for key in ("crl_uris", "ocsp_uris"):
            actual = reported.get(key, [])
            if isinstance(actual, list) and actual != list(message.get(key, [])):
                return "its %s are %s" % (key, actual or "empty")
        actual_base = reported.get("cert_uri_base")
        if (actual_base or None) != message.get("cert_uri_base"):
            return "its cert_uri_base is %s" % (actual_base or "unset")
        if "cacert" in message and isinstance(reported.get("cacert"), str):
            subject = comparable_subject(message["cacert"])
            if subject is not None and reported["cacert"] != subject:
                return "its CA certificate is '%s', not '%s'" % (reported["cacert"], subject)
        return None

    def send_load(self, session: Session, name: str, message: Mapping[str, Any]) -> Dict[str, Any]:
        return session.load_authority({name: dict(message)})

    def send_unload(self, session: Session, name: str) -> None:
        session.unload_authority(name)

    def hint(self, session: Session, name: str, message: Optional[Mapping[str, Any]], error: ViciCommandFailed) -> str:
        if message is None or error.errmsg != "CA certificate missing: %s" % name:
            return ""
        hints = {
            "cacert": "the certificate is not a CA certificate (basicConstraints CA:TRUE)",
            "file": "the daemon could not read a CA certificate from '%s'" % message.get("file"),
            "handle": "the daemon could not load a CA certificate from the token",
        }
        return " (%s)" % hints[next((key for key in hints if key in message), "cacert")]

    def redact(self, message: Mapping[str, Any]) -> Dict[str, Any]:
        # Show which certificate, not its bytes, in diffs and the ledger.
        shown = dict(message)
        if isinstance(shown.get("cacert"), bytes):
            der = shown["cacert"]
            info = describe_certificate(der) or {}
            shown["cacert"] = "%s (sha256 %s)" % (info.get("subject", "certificate"), hashlib.sha256(der).hexdigest()[:16])
        return shown

    def describe_reported(self, name: str, reported: Any) -> Dict[str, Any]:
        return dict(reported) if isinstance(reported, Mapping) else {}


def run_module(vici: ViciModule) -> None:
    """The authority module: one certification authority section, present or absent."""
    params = vici.params
    message = None
    result: Dict[str, Any] = {"name": params["name"]}
    if params["state"] == "present":
        message = authority_message(
            cacert=params["cacert"], file=params["file"], handle=params["handle"], slot=params["slot"],
            module=params["module"], crl_uris=params["crl_uris"], ocsp_uris=params["ocsp_uris"],
            cert_uri_base=params["cert_uri_base"],
        )
        if "cacert" in message:
            result["subject"] = (describe_certificate(message["cacert"]) or {}).get("subject", "")
    vici.converge_one(AuthorityKind(), Item(params["name"], message), **result)
