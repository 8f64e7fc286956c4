# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one reader (_pki.source) and the PEM label table (_pki.pem)."""

from __future__ import annotations

import base64

import pytest

from ansible_collections.strongswan.vici.plugins.module_utils._kinds.shared_secret import decode_secret
from ansible_collections.strongswan.vici.plugins.module_utils._text.input import InputError
from ansible_collections.strongswan.vici.plugins.module_utils._pki import pem
from ansible_collections.strongswan.vici.plugins.module_utils._pki.der import DerError
from ansible_collections.strongswan.vici.plugins.module_utils._pki.source import (
    BlobError,
    decode_prefixed,
    read_source,
    token_reference,
)


def test_read_source(tmp_path):
    (tmp_path / "blob").write_bytes(b"\x30\x00")
    assert read_source(None, str(tmp_path / "blob")) == (b"\x30\x00", "path")
    assert read_source(" MAA=\n", None) == (b"\x30\x00", "content")
    text = pem.der_to_pem(b"\x30\x00")
    assert read_source(text, None) == (text.strip().encode(), "content")
    with pytest.raises(InputError, match="^content: empty$"):
        read_source("  ", None)


@pytest.mark.parametrize("text,expected", [
    ("0xab01", b"\xab\x01"),
    ("0XAB01", b"\xab\x01"),  # swanctl reads both prefixes in either case (strcasepfx)
    ("0s" + base64.b64encode(b"\x01\x02").decode(), b"\x01\x02"),
    ("0S" + base64.b64encode(b"\x01\x02").decode(), b"\x01\x02"),
    ("plain", None),
    ("", None),
])
def test_decode_prefixed(text, expected):
    assert decode_prefixed(text) == expected


def test_decode_prefixed_errors_never_show_the_value():
    with pytest.raises(BlobError, match=r"^'0X\.\.\.' is not valid hex$") as caught:
        decode_prefixed("0Xsecretzz")
    assert (caught.value.prefix, caught.value.encoding) == ("0X", "hex")
    with pytest.raises(InputError, match="^secret starts with '0S' but is not valid base64$"):
        decode_secret("0S!!secret")


def test_shared_secrets_decode_either_case_as_swanctl_does():
    assert decode_secret("0XAB01") == decode_secret("0xab01") == b"\xab\x01"
    assert decode_secret("0SAQI=") == b"\x01\x02"
    assert decode_secret("0y1234") == "0y1234"


def test_token_reference():
    assert token_reference(" 0xAB01 ", 2, "softhsm") == {"handle": "ab01", "slot": 2, "module": "softhsm"}
    assert token_reference("ab", None, None) == {"handle": "ab"}
    for bad in ("xyz", "0x", ""):
        with pytest.raises(InputError, match="^handle: '.*' is not hex"):
            token_reference(bad, None, None)
    with pytest.raises(InputError, match="^slot: must not be negative$"):
        token_reference("01", -1, None)


def test_pem_blocks_and_labels():
    legacy = ("-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nMAA=\n"
              "-----END RSA PRIVATE KEY-----\n")
    text = "comment\n" + pem.der_to_pem(b"\x30\x00") + legacy + "-----BEGIN X509 CRL-----\n!!\n-----END X509 CRL-----\n"
    certificate, key, crl = pem.pem_blocks(text)
    assert (certificate.label, certificate.der, certificate.encrypted) == ("CERTIFICATE", b"\x30\x00", False)
    assert (key.label, key.der, key.encrypted) == ("RSA PRIVATE KEY", b"\x30\x00", True)
    assert key.text == legacy.strip()
    assert certificate.label in pem.CERTIFICATE and key.label in pem.PRIVATE_KEY and crl.label in pem.CRL
    with pytest.raises(DerError, match="PEM block 'X509 CRL' is not valid base64"):
        crl.der  # pylint: disable=pointless-statement  # noqa: B018
    assert pem.TRUSTED_CERTIFICATE in pem.CERTIFICATE


def test_trusted_certificate_drops_the_trust_settings():
    certificate = b"\x30\x03\x02\x01\x01"
    aux = b"\x30\x02\x30\x00"
    block, = pem.pem_blocks(pem.der_to_pem(certificate + aux, pem.TRUSTED_CERTIFICATE))
    assert block.der == certificate
