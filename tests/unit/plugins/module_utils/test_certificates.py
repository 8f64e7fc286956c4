# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Certificates: reading PEM/DER of every type, the load-cert message, descriptions, and the _pki helpers they use.

Test PKI material is generated at test time with strongSwan's ``pki`` (skipped cleanly without it).
"""

from __future__ import annotations

import base64
import hashlib
import re
import shutil
import subprocess

import pytest

from ansible_collections.strongswan.vici.plugins.module_utils._kinds.authority import read_certificate
from ansible_collections.strongswan.vici.plugins.module_utils._kinds.certificate import (
    CertificateKind,
    certificate_message,
    describe,
    read_certificate_data,
)
from ansible_collections.strongswan.vici.plugins.module_utils._text.input import InputError
from ansible_collections.strongswan.vici.plugins.module_utils._pki.der import encode_tlv, read_tlv
from ansible_collections.strongswan.vici.plugins.module_utils._pki.keys import load_private_key
from ansible_collections.strongswan.vici.plugins.module_utils._pki.pem import der_to_pem, pem_blocks
from ansible_collections.strongswan.vici.plugins.module_utils._pki.x509 import (
    certificate_public_key,
    describe_crl,
    spki_public_key,
)
from ansible_collections.strongswan.vici.plugins.module_utils._swanctl.schema import canonical_connection

PKI = shutil.which("pki")
OPENSSL = shutil.which("openssl")


def run(cmd, data=None):
    return subprocess.run(cmd, input=data, capture_output=True, check=True, timeout=60).stdout


@pytest.fixture(scope="session")
def pki(tmp_path_factory):
    """A CA, a host certificate with its key, a CRL, an attribute certificate and a public key, all PEM."""
    if PKI is None:
        pytest.skip("strongSwan's pki is not installed")
    work = tmp_path_factory.mktemp("pki")
    files = {}

    def gen(name, *args):
        files[name] = run([PKI] + list(args) + ["--outform", "pem"])
        (work / name).write_bytes(files[name])
        return str(work / name)

    ca_key = gen("ca.key", "--gen", "--type", "ecdsa", "--size", "256")
    ca = gen("ca.pem", "--self", "--ca", "--in", ca_key, "--dn", "C=CH, O=Test, CN=Test CA", "--lifetime", "30")
    host_key = gen("host.key", "--gen", "--type", "rsa", "--size", "2048")
    req = gen("host.req", "--req", "--type", "priv", "--in", host_key, "--dn", "C=CH, O=Test, CN=host.example")
    host = gen("host.pem", "--issue", "--cacert", ca, "--cakey", ca_key, "--type", "pkcs10", "--in", req,
               "--serial", "0102", "--san", "host.example")
    gen("ca.crl", "--signcrl", "--cacert", ca, "--cakey", ca_key, "--reason", "key-compromise", "--cert", host)
    aa_key = gen("aa.key", "--gen", "--type", "ed25519")
    aa_req = gen("aa.req", "--req", "--type", "priv", "--in", aa_key, "--dn", "CN=AA")
    aa = gen("aa.pem", "--issue", "--cacert", ca, "--cakey", ca_key, "--type", "pkcs10", "--in", aa_req)
    gen("ac.pem", "--acert", "--in", host, "--issuercert", aa, "--issuerkey", aa_key, "--group", "sales")
    gen("host.pub", "--pub", "--in", host_key)
    files["dir"] = work
    return files


def pem_der(pem):
    """DER of the first block of a PEM file (every fixture here is PEM)."""
    return pem_blocks(pem.decode("ascii"))[0].der


def test_encode_tlv_round_trip():
    for size in (0, 1, 127, 128, 255, 256, 70000):
        element = encode_tlv(0x04, b"x" * size)
        assert read_tlv(element, 0) == (0x04, len(element) - size, len(element))


def test_x509_reading(pki):
    der = read_certificate_data("x509", pki["host.pem"].decode(), None)
    assert der == pem_der(pki["host.pem"])
    info = describe("x509", der)
    assert info["subject"] == "C=CH, O=Test, CN=host.example"
    assert info["issuer"] == "C=CH, O=Test, CN=Test CA"
    assert info["serial"] == "0102"
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", info["not_after"])
    assert info["sha256"] == hashlib.sha256(der).hexdigest()
    # The certificate's key id is the daemon's id of the matching private key.
    assert info["key_id"] == load_private_key(pki["host.key"]).key_id


def test_base64_der_and_path(pki, tmp_path):
    der = pem_der(pki["ca.pem"])
    assert read_certificate_data("x509", base64.b64encode(der).decode(), None) == der
    (tmp_path / "ca.der").write_bytes(der)
    assert read_certificate_data("x509", None, str(tmp_path / "ca.der")) == der
    assert read_certificate_data("x509", None, str(pki["dir"] / "ca.pem")) == der


def test_a_bundle_picks_the_block_of_the_type(pki):
    bundle = (pki["host.key"] + pki["host.pem"]).decode()
    assert read_certificate_data("x509", bundle, None) == pem_der(pki["host.pem"])
    with pytest.raises(InputError, match="^content: 2 PEM blocks of an X.509 certificate; give one per task"):
        read_certificate_data("x509", (pki["host.pem"] + pki["ca.pem"]).decode(), None)
    with pytest.raises(InputError, match=r"^content: no PEM block for type x509_crl \(X509 CRL\); found CERTIFICATE"):
        read_certificate_data("x509_crl", pki["host.pem"].decode(), None)


def _trusted_forms(pki):
    """The CA certificate in OpenSSL's -trustout form: built here, and written by openssl where it is installed."""
    der = pem_der(pki["ca.pem"])
    # X509_CERT_AUX after the certificate: trusted for serverAuth (1.3.6.1.5.5.7.3.1).
    aux = encode_tlv(0x30, encode_tlv(0x30, encode_tlv(0x06, bytes.fromhex("2b06010505070301"))))
    forms = [der_to_pem(der + aux, "TRUSTED CERTIFICATE")]
    if OPENSSL is not None:
        written = run([OPENSSL, "x509", "-trustout", "-addtrust", "serverAuth"], pki["ca.pem"]).decode("ascii")
        assert "-----BEGIN TRUSTED CERTIFICATE-----" in written
        forms.append(written)
    return der, forms


def test_trusted_certificate_is_a_certificate_everywhere(pki):
    """A TRUSTED CERTIFICATE block is read as the certificate alone by the certificate, authority and connection readers."""
    der, forms = _trusted_forms(pki)
    for trusted in forms:
        assert read_certificate_data("x509", trusted, None) == der
        assert read_certificate(trusted) == der
        assert canonical_connection("gw", {"local": {"certs": [trusted]}})["local"]["certs"] == [der]


def test_crl(pki):
    der = read_certificate_data("x509_crl", pki["ca.crl"].decode(), None)
    info = describe_crl(der)
    assert info["issuer"] == "C=CH, O=Test, CN=Test CA"
    assert info["revoked"] == "1"
    assert info["this_update"] < info["next_update"]
    assert describe("x509_crl", der)["issuer"] == info["issuer"]


def test_attribute_certificate(pki):
    der = read_certificate_data("x509_ac", pki["ac.pem"].decode(), None)
    assert der == pem_der(pki["ac.pem"])
    assert set(describe("x509_ac", der)) == {"sha256"}


def test_public_keys(pki):
    der = read_certificate_data("pubkey", pki["host.pub"].decode(), None)
    key_id = load_private_key(pki["host.key"]).key_id
    assert describe("pubkey", der)["key_id"] == key_id
    assert spki_public_key(der) == certificate_public_key(pem_der(pki["host.pem"]))


@pytest.mark.skipif(OPENSSL is None, reason="openssl is not installed")
def test_pkcs1_rsa_public_key_becomes_spki(pki):
    """The daemon lists public keys as SubjectPublicKeyInfo; a PKCS#1 RSA PUBLIC KEY is wrapped to match."""
    pkcs1 = run([OPENSSL, "rsa", "-RSAPublicKey_out"], pki["host.key"])
    assert pkcs1.startswith(b"-----BEGIN RSA PUBLIC KEY-----")
    spki = pem_der(pki["host.pub"])
    assert read_certificate_data("pubkey", pkcs1.decode(), None) == spki
    assert read_certificate_data("pubkey", base64.b64encode(pem_der(pkcs1)).decode(), None) == spki


@pytest.mark.parametrize("cert_type,data,message", [
    ("x509", "", "^content: empty"),
    ("x509", "???", "^content: neither PEM text nor base64"),
    ("x509", base64.b64encode(b"\x30\x03\x02\x01\x01").decode(), "^content: not an X.509 certificate"),
    ("pubkey", base64.b64encode(b"\x04\x01\x00").decode(), "^content: not a public key"),
])
def test_bad_input(cert_type, data, message):
    with pytest.raises(InputError, match=message):
        read_certificate_data(cert_type, data, None)


def test_unreadable_path():
    with pytest.raises(InputError, match="^path: cannot read '/nonexistent.pem' on the managed host"):
        read_certificate_data("x509", None, "/nonexistent.pem")


def test_messages():
    assert certificate_message("x509", "ca", b"D") == {"type": "X509", "flag": "CA", "data": b"D"}
    assert certificate_message("x509_crl", "none", b"D") == {"type": "X509_CRL", "data": b"D"}
    with pytest.raises(InputError, match="^flag: only type x509 takes a flag"):
        certificate_message("pubkey", "ca", b"D")
    with pytest.raises(InputError, match="^type must be one of"):
        certificate_message("x509ca", "none", b"D")


class FakeSession:
    """list-certs replies recorded from strongSwan 5.9.8 (shapes only)."""

    def __init__(self, certs):
        self.certs = certs
        self.calls = 0

    def list_certs(self, type_=None):
        self.calls += 1
        return [cert for cert in self.certs if cert["type"] == type_]


def test_flag_conflicts_and_snapshot_reuse():
    host, ca = b"\x30\x01\x01", b"\x30\x01\x02"
    session = FakeSession([{"type": "X509", "flag": "NONE", "data": host}, {"type": "X509", "flag": "CA", "data": ca}])
    kind = CertificateKind("x509")
    host_name, ca_name = hashlib.sha256(host).hexdigest(), hashlib.sha256(ca).hexdigest()
    assert kind.conflict(session, host_name, {"flag": "NONE"}) is None
    assert "listed with flag NONE" in kind.conflict(session, host_name, {"flag": "OCSP"})
    assert "clear-creds" in kind.conflict(session, host_name, {"flag": "OCSP"})
    assert kind.conflict(session, ca_name, {"flag": "CA"}) is None
    assert kind.conflict(session, ca_name, {"flag": "NONE"}) is None  # a CA is listed as CA whatever the flag
    assert kind.conflict(session, "0" * 64, {"flag": "AA"}) is None  # not loaded: no conflict, it gets loaded
    assert set(kind.snapshot(session)) == {host_name, ca_name}
    assert session.calls == 1
    assert kind.describe_reported(ca_name, kind.snapshot(session)[ca_name]) == {"type": "X509", "sha256": ca_name, "flag": "CA"}
