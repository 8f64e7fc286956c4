# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Certificates, CRLs, attribute certificates and raw public keys as daemon objects. PRIVATE to the collection.

list-certs reports every certificate the daemon holds as DER, so a
certificate is "present" exactly when its DER is listed: the object's name is
the SHA-256 of the DER and no ledger is needed. There is no per-certificate
unload in VICI (only clear-creds, which removes every credential), so a
certificate can only be made present.

Flags: the daemon lists an X.509 certificate as CA when it has the CA basic
constraint, whatever flag it was loaded with, and otherwise with the flag it
was *first* loaded with: loading an already loaded certificate again with
another flag changes nothing (the daemon keeps the existing copy). A wanted
flag the daemon cannot be brought to is reported as a conflict, never as "ok".
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional, Sequence

from .._text.input import InputError, UserError
from .._pki import pem
from .._pki.der import DerError, children, encode_tlv, read_tlv
from .._pki.keys import public_key_id
from .._pki.pkcs12 import container_bytes, unpack_pkcs12
from .._pki.source import blocks_of, naming_field, read_source
from .._pki.x509 import certificate_public_key, describe_certificate, describe_crl, spki_public_key
from .._engine.kind import Item, Kind
from ..vici.session import Session

if TYPE_CHECKING:
    from .._base import ViciModule

#: Module ``type`` -> VICI certificate type.
CERT_TYPES = {"x509": "X509", "x509_ac": "X509_AC", "x509_crl": "X509_CRL", "pubkey": "PUBKEY"}
CERT_FLAGS = ("none", "ca", "aa", "ocsp")

#: The argument spec of one certificate, typed once: the certificate module's options (plus ``passphrase``
#: and ``state``) and the suboptions of the config module's ``certificates`` items.
CERTIFICATE_OPTIONS: Dict[str, Dict[str, Any]] = {
    "type": {"type": "str", "choices": list(CERT_TYPES), "default": "x509"},
    "flag": {"type": "str", "choices": list(CERT_FLAGS), "default": "none"},
    "content": {"type": "str"},
    "path": {"type": "path"},
}

_PEM_LABELS = {"x509": pem.CERTIFICATE, "x509_ac": pem.ATTRIBUTE_CERTIFICATE, "x509_crl": pem.CRL, "pubkey": pem.PUBLIC_KEY}
_WHAT = {"x509": "an X.509 certificate", "x509_ac": "an attribute certificate", "x509_crl": "a CRL",
         "pubkey": "a public key"}
_RSA_ALGORITHM = bytes.fromhex("300d06092a864886f70d0101010500")


def _rsa_spki(pkcs1: bytes) -> bytes:
    """SubjectPublicKeyInfo of a PKCS#1 RSAPublicKey: the form the daemon lists public keys in."""
    bits = b"\x00" + pkcs1
    return encode_tlv(0x30, _RSA_ALGORITHM + encode_tlv(0x03, bits))


def _is_rsa_public_key(der: bytes) -> bool:
    try:
        tag, start, end = read_tlv(der, 0)
        fields = children(der, start, end)
    except DerError:
        return False
    return tag == 0x30 and end == len(der) and len(fields) == 2 and all(field[0] == 0x02 for field in fields)


def read_certificate_data(cert_type: str, content: Optional[str], path: Optional[str]) -> bytes:
    """DER of the one object of ``cert_type`` given as PEM/base64 ``content`` or a PEM/DER file at ``path``."""
    data, field = read_source(content, path)
    if pem.is_pem(data):
        blocks = blocks_of(data)
        wanted = [block for block in blocks if block.label in _PEM_LABELS[cert_type]]
        if len(wanted) != 1:
            found = sorted({block.label for block in blocks})
            if wanted:
                raise InputError("%s: %d PEM blocks of %s; give one per task (a loop loads several)"
                                 % (field, len(wanted), _WHAT[cert_type]))
            raise InputError("%s: no PEM block for type %s (%s)%s" % (
                field, cert_type, ", ".join(_PEM_LABELS[cert_type]), "; found %s" % ", ".join(found) if found else ""))
        try:
            data = wanted[0].der
        except DerError as error:
            raise InputError("%s: %s" % (field, error)) from None
        if wanted[0].label == pem.RSA_PUBLIC_KEY:
            data = _rsa_spki(data)
    elif cert_type == "pubkey" and _is_rsa_public_key(data):
        data = _rsa_spki(data)
    try:
        _tag, _start, end = read_tlv(data, 0)
        valid = data[:1] == b"\x30" and end == len(data)
    except DerError:
        valid = False
    if valid and cert_type == "x509":
        valid = describe_certificate(data) is not None
    elif valid and cert_type == "pubkey":
        valid = spki_public_key(data) is not None
    if not valid:
        raise InputError("%s: not %s in PEM or DER" % (field, _WHAT[cert_type]))
    return data


def read_pkcs12_certificates(content: Optional[str], path: Optional[str], passphrase: Optional[str]) -> Optional[List[bytes]]:
    """The DER certificates of a PKCS#12 container given as ``path`` or base64 ``content``; None if it is none.

    swanctl loads every certificate of a container of its ``pkcs12/`` folder; so does the module.
    """
    data, field = read_source(content, path)
    container = container_bytes(data)
    if container is None:
        return None
    try:
        certificates = unpack_pkcs12(container, passphrase).certificates
    except InputError as error:
        raise naming_field(error, field, passphrase) from None
    if not certificates:
        raise InputError("%s: the PKCS#12 container holds no certificate" % field)
    unique: List[bytes] = []
    for der in certificates:
        if der not in unique:
            unique.append(der)
    return unique


def certificate_message(cert_type: str, flag: str, der: bytes) -> Dict[str, Any]:
    """The load-cert message, in canonical form."""
    if cert_type not in CERT_TYPES:
        raise InputError("type must be one of %s, not '%s'" % (", ".join(CERT_TYPES), cert_type))
    if flag not in CERT_FLAGS:
        raise InputError("flag must be one of %s, not '%s'" % (", ".join(CERT_FLAGS), flag))
    if cert_type != "x509" and flag != "none":
        raise InputError("flag: only type x509 takes a flag (the daemon ignores it for %s)" % cert_type)
    message: Dict[str, Any] = {"type": CERT_TYPES[cert_type]}
    if cert_type == "x509":
        message["flag"] = flag.upper()
    message["data"] = der
    return message


def certificate_name(der: bytes) -> str:
    """The object's name: the SHA-256 of its DER (also returned as the fingerprint)."""
    return hashlib.sha256(der).hexdigest()


def describe(cert_type: str, der: bytes) -> Dict[str, Any]:
    """What can be read from the object without a crypto library: names, validity, key id."""
    info: Dict[str, Any] = {"sha256": certificate_name(der)}
    if cert_type == "x509":
        info.update(describe_certificate(der) or {})
    elif cert_type == "x509_crl":
        info.update(describe_crl(der) or {})
    public = spki_public_key(der) if cert_type == "pubkey" else certificate_public_key(der) if cert_type == "x509" else None
    if public is not None:
        info["key_id"] = public_key_id(public)
    return info


class CertificateKind(Kind):
    """load-cert / list-certs. The name is the SHA-256 of the DER; there is no unload."""

    label = "certificate"
    presence_is_identity = True

    #: VICI has no command to unload one certificate.
    purgeable = False

    def __init__(self, cert_type: str) -> None:
        self.cert_type = cert_type
        self._snapshot: Optional[Dict[str, Any]] = None

    def snapshot(self, session: Session) -> Dict[str, Any]:
        # Kept for the run: the module checks flags before planning, and list-certs can be large.
        if self._snapshot is None:
            found: Dict[str, Dict[str, Any]] = {}
            for cert in session.list_certs(type_=CERT_TYPES[self.cert_type]):
                data = cert.get("data")
                if not isinstance(data, bytes) or cert.get("type") != CERT_TYPES[self.cert_type]:
                    continue
                entry = found.setdefault(certificate_name(data), {"type": cert.get("type"), "flags": []})
                if cert.get("flag") and cert["flag"] not in entry["flags"]:
                    entry["flags"].append(cert["flag"])
            self._snapshot = found
        return self._snapshot

    def conflict(self, session: Session, name: str, message: Mapping[str, Any]) -> Optional[str]:
        """Why a loaded certificate cannot get the wanted flag, or None."""
        reported = self.snapshot(session).get(name)
        flag = message.get("flag", "NONE")
        if reported is None or flag == "NONE" or flag in reported["flags"]:
            return None
        return ("it is already loaded, listed with flag %s, and the daemon keeps the flag a certificate was first "
                "loaded with; VICI cannot unload one certificate: clear all credentials with "
                "strongswan.vici.command (command: clear-creds) and load them again" % "/".join(reported["flags"]))

    def preflight(self, session: Session, items: Sequence[Item]) -> None:
        for item in items:
            message = item.message or {}
            conflict = self.conflict(session, item.name, message)
            if conflict:
                subject = describe(self.cert_type, message["data"]).get("subject", item.name)
                raise UserError("certificate %s: flag %s: %s" % (subject, str(message.get("flag", "")).lower(), conflict))

    def send_load(self, session: Session, name: str, message: Mapping[str, Any]) -> Dict[str, Any]:
        self._snapshot = None
        return session.load_cert(message["type"], message["data"], message.get("flag"))

    def send_unload(self, session: Session, name: str) -> None:
        raise NotImplementedError("VICI has no command to unload one certificate")

    def describe_reported(self, name: str, reported: Any) -> Dict[str, Any]:
        info: Dict[str, Any] = {"type": reported.get("type"), "sha256": name}
        if reported.get("flags"):
            info["flag"] = "/".join(reported["flags"])
        return info


def loaded(session: Session, cert_type: str, der: bytes) -> bool:
    """Whether the daemon lists ``der`` (after a load: it keeps only the newest CRL of an issuer)."""
    return any(cert.get("data") == der for cert in session.list_certs(type_=CERT_TYPES[cert_type]))


def run_module(vici: ViciModule) -> None:
    """The certificate module: one certificate, CRL or public key, or every certificate of a PKCS#12 container."""
    params = vici.params
    container = read_pkcs12_certificates(params["content"], params["path"], params["passphrase"])
    if container is not None and params["type"] != "x509":
        raise InputError("type: a PKCS#12 container holds X.509 certificates; use type x509")
    ders = container or [read_certificate_data(params["type"], params["content"], params["path"])]
    items = [Item(certificate_name(der), certificate_message(params["type"], params["flag"], der)) for der in ders]
    kind = CertificateKind(params["type"])
    changes, replies = vici.converge(kind, items)
    if replies and not all(loaded(vici.session, params["type"], der) for der in ders):
        vici.warn("the daemon accepted the %s but does not list it (for a CRL: it keeps a newer one of "
                  "the same issuer)" % params["type"])
    # Listed means identical: the name is the DER's digest.
    changes = [change if change.action else change._replace(before=change.after) for change in changes]
    extra = {"certificates": [describe(params["type"], der) for der in ders]} if container is not None else {}
    if len(changes) == 1:
        vici.exit_change(kind, changes[0], **dict(describe(params["type"], ders[0]), **extra))
    vici.exit(changed=any(change.action for change in changes),
              diff={"before_header": "%s %s" % (kind.label, params["path"] or "content"),
                    "after_header": "%s %s" % (kind.label, params["path"] or "content"),
                    "before": {change.name: change.before for change in changes},
                    "after": {change.name: change.after for change in changes}},
              action="load" if any(change.action for change in changes) else "none",
              **dict(describe(params["type"], ders[0]), **extra))
