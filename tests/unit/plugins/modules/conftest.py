# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures of the module unit tests: a fake charon on a socket, modules run in this process, test PKI."""

from __future__ import annotations

import datetime
import importlib

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ansible_collections.strongswan.vici.tests.unit.fake_vici import FakeVici, socket_path
from ansible_collections.strongswan.vici.tests.unit.module_runner import run_main
from ansible_collections.strongswan.vici.tests.unit.plugins.modules.fake_charon import FakeCharon


@pytest.fixture
def charon(tmp_path, monkeypatch):
    """A fake charon (see fake_charon) listening on a socket; ``charon.uri`` is its unix:// URI.

    The ledger goes to a directory of this test, so no run depends on another's.
    """
    monkeypatch.setenv("STRONGSWAN_VICI_LEDGER_DIR", str(tmp_path / "ledger"))
    model = FakeCharon()
    server = FakeVici(socket_path(tmp_path), handler=model)
    model.uri = server.uri
    yield model
    server.stop()


@pytest.fixture
def run_in_process(capsys):
    """``run_in_process(module, args, check=False, diff=False)``: run plugins/modules/<module>.py's main() here.

    Arguments go in the way ansible-core's own unit tests pass them (patch_module_args); the result is
    the JSON the module printed, whether it exited or failed.
    """

    def run(module, args, check=False, diff=False):
        code = importlib.import_module("ansible_collections.strongswan.vici.plugins.modules." + module)
        return run_main(code.main, dict(args, _ansible_check_mode=check, _ansible_diff=diff), capsys)

    return run


def _name(common_name):
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "CH"), x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _pem_key(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


@pytest.fixture(scope="session")
def test_pki():
    """A CA and a host certificate it signed (EC P-256), as PEM text: ca, ca_key, host, host_key."""
    now = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(_name("Test CA")).issuer_name(_name("Test CA"))
          .public_key(ca_key.public_key()).serial_number(1).not_valid_before(now)
          .not_valid_after(now + datetime.timedelta(days=3650))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    host_key = ec.generate_private_key(ec.SECP256R1())
    host = (x509.CertificateBuilder().subject_name(_name("gw.example.com")).issuer_name(ca.subject)
            .public_key(host_key.public_key()).serial_number(2).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=3650))
            .sign(ca_key, hashes.SHA256()))
    return {
        "ca": ca.public_bytes(serialization.Encoding.PEM).decode(),
        "ca_key": _pem_key(ca_key),
        "host": host.public_bytes(serialization.Encoding.PEM).decode(),
        "host_key": _pem_key(host_key),
    }
