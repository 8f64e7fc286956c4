# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""PEM blocks and the one table of what their labels mean. PRIVATE to the collection.

Every reader of the collection picks blocks by these tables, so a label
accepted for a certificate in one module is accepted in all of them.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import List, NamedTuple

from .der import DerError, read_tlv

#: OpenSSL's ``-trustout`` form: the certificate followed by its trust settings (X509_CERT_AUX).
TRUSTED_CERTIFICATE = "TRUSTED CERTIFICATE"
RSA_PUBLIC_KEY = "RSA PUBLIC KEY"  # PKCS#1 RSAPublicKey, not a SubjectPublicKeyInfo

CERTIFICATE = ("CERTIFICATE", "X509 CERTIFICATE", TRUSTED_CERTIFICATE)
ATTRIBUTE_CERTIFICATE = ("ATTRIBUTE CERTIFICATE",)
CRL = ("X509 CRL",)
PUBLIC_KEY = ("PUBLIC KEY", RSA_PUBLIC_KEY)
ENCRYPTED_PRIVATE_KEY = "ENCRYPTED PRIVATE KEY"
PRIVATE_KEY = ("RSA PRIVATE KEY", "EC PRIVATE KEY", "PRIVATE KEY", ENCRYPTED_PRIVATE_KEY)

_PEM_BLOCK = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----\s*(.*?)\s*-----END \1-----", re.DOTALL)


class PemBlock(NamedTuple):
    """One ``-----BEGIN <label>-----`` block."""

    label: str
    body: str  # the base64 text, legacy headers removed
    encrypted: bool  # legacy OpenSSL encryption ("Proc-Type: 4,ENCRYPTED" header)
    text: str  # the whole block, as found

    @property
    def der(self) -> bytes:
        """The DER of the object the block holds (of a TRUSTED CERTIFICATE: the certificate alone)."""
        try:
            der = base64.b64decode("".join(self.body.split()), validate=True)
        except (binascii.Error, ValueError):
            raise DerError("PEM block '%s' is not valid base64" % self.label) from None
        if self.label == TRUSTED_CERTIFICATE and der:
            der = der[:read_tlv(der, 0)[2]]
        return der


def is_pem(data: bytes) -> bool:
    """Whether ``data`` holds PEM text rather than DER."""
    return b"-----BEGIN" in data


def pem_blocks(text: str) -> List[PemBlock]:
    """Every complete PEM block in ``text``, in order."""
    blocks = []
    for match in _PEM_BLOCK.finditer(text):
        body = match.group(2)
        encrypted = False
        headers, separator, rest = body.partition("\n\n")
        if separator and ":" in headers.split("\n", 1)[0]:
            # RFC 1421 headers before the base64: "Proc-Type: 4,ENCRYPTED", "DEK-Info: <cipher>,<iv>".
            encrypted = "ENCRYPTED" in headers
            body = rest
        blocks.append(PemBlock(match.group(1), body, encrypted, match.group(0)))
    return blocks


def der_to_pem(der: bytes, label: str = "CERTIFICATE") -> str:
    body = base64.b64encode(der).decode("ascii")
    lines = [body[index:index + 64] for index in range(0, len(body), 64)]
    return "-----BEGIN %s-----\n%s\n-----END %s-----\n" % (label, "\n".join(lines), label)
