# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""PKCS#12 containers: detection, both decryption backends, wrong passphrases, what the modules' readers return.

Containers are made at test time with ``openssl`` (never committed); tests skip cleanly where it is missing.
tests/system/test_pkcs12.py compares the modules with swanctl on the real daemon.
"""

from __future__ import annotations

import base64
import shutil
import subprocess

import pytest

from ansible_collections.strongswan.vici.plugins.module_utils._kinds.certificate import read_pkcs12_certificates
from ansible_collections.strongswan.vici.plugins.module_utils._text.input import InputError
from ansible_collections.strongswan.vici.plugins.module_utils._kinds.private_key import desired_key
from ansible_collections.strongswan.vici.plugins.module_utils._pki import pkcs12 as _pkcs12
from ansible_collections.strongswan.vici.plugins.module_utils._pki.backends import Unavailable
from ansible_collections.strongswan.vici.plugins.module_utils._pki.keys import parse_private_key_der
from ansible_collections.strongswan.vici.plugins.module_utils._pki.pkcs12 import (
    Pkcs12Error,
    container_bytes,
    is_pkcs12,
    unpack_pkcs12,
)

OPENSSL = shutil.which("openssl")
pytestmark = pytest.mark.skipif(OPENSSL is None, reason="needs openssl")
SECRET = "p\u00e4ss w0rd"


def _openssl(*args, data=None):
    return subprocess.run([OPENSSL] + list(args), input=data, capture_output=True, check=True, timeout=60).stdout


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """A key, its self-signed certificate, and containers of them with and without a passphrase."""
    work = tmp_path_factory.mktemp("p12")
    key, cert = work / "k.pem", work / "c.pem"
    _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", str(key),
             "-out", str(cert), "-subj", "/CN=unit.test", "-days", "2")
    containers = {}
    for name, secret in (("secret", SECRET), ("empty", "")):
        out = work / ("%s.p12" % name)
        _openssl("pkcs12", "-export", "-inkey", str(key), "-in", str(cert), "-passout", "stdin", "-out", str(out),
                 data=secret.encode() + b"\n")
        containers[name] = out
    return work, containers


def test_detection(made):
    work, containers = made
    data = containers["secret"].read_bytes()
    assert is_pkcs12(data)
    assert container_bytes(data) == data
    assert container_bytes(base64.b64encode(data)) == data  # as slurp returns it
    assert not is_pkcs12((work / "c.pem").read_bytes())
    assert container_bytes(b"not base64 !") is None
    assert not is_pkcs12(b"\x30\x03\x02\x01\x03")  # version 3 alone is no container


@pytest.mark.parametrize("backend", ["cryptography", "openssl"])
def test_each_backend_unpacks(made, backend):
    if backend == "cryptography":
        pytest.importorskip("cryptography")
    work, containers = made
    cert_der = _openssl("x509", "-in", str(work / "c.pem"), "-outform", "DER")
    contents = unpack_pkcs12(containers["secret"].read_bytes(), SECRET, backends=[backend])
    assert contents.certificates == [cert_der]
    assert len(contents.keys) == 1 and parse_private_key_der(contents.keys[0]).key_type == "ecdsa"
    assert unpack_pkcs12(containers["empty"].read_bytes(), None, backends=[backend]).certificates == [cert_der]
    with pytest.raises(Pkcs12Error, match="the passphrase does not open the PKCS#12 container") as caught:
        unpack_pkcs12(containers["secret"].read_bytes(), "wrong " + SECRET, backends=[backend])
    assert SECRET not in str(caught.value)


def test_no_backend_names_both(made, monkeypatch):
    def missing(what):
        def unpacker(_data, _secret):
            raise Unavailable(what)
        return unpacker

    unpackers = (("cryptography", missing("the Python package 'cryptography'")), ("openssl", missing("the 'openssl' command")))
    monkeypatch.setattr(_pkcs12, "UNPACKERS", unpackers)
    with pytest.raises(Pkcs12Error, match="needs the Python package 'cryptography' or the 'openssl' command"):
        unpack_pkcs12(made[1]["secret"].read_bytes(), SECRET)


def test_module_readers(made):
    _work, containers = made
    path = str(containers["secret"])
    assert len(read_pkcs12_certificates(None, path, SECRET)) == 1
    assert read_pkcs12_certificates("-----BEGIN CERTIFICATE-----", None, None) is None
    item, info = desired_key("present", path=path, passphrase=SECRET)
    assert info["type"] == "ecdsa" and item.name == info["id"]
    with pytest.raises(InputError, match="^path: the passphrase does not open") as caught:
        desired_key("present", path=path, passphrase="nope")
    assert "nope" not in str(caught.value)
    with pytest.raises(InputError, match="^content: the passphrase does not open"):
        read_pkcs12_certificates(base64.b64encode(containers["secret"].read_bytes()).decode(), None, "nope")
