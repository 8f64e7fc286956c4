# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""strongswan.vici.certificate against the real charon: DER equality with list-certs, check mode through the
recording proxy, every type, flags the daemon will not change, restart and clear-creds, CRL replacement."""

from __future__ import annotations

import functools
import hashlib
import shutil

import pytest

from ansible_collections.strongswan.vici.plugins.module_utils._pki.pem import pem_blocks
from ansible_collections.strongswan.vici.plugins.module_utils.vici.session import READ_ONLY_COMMANDS, Session

from conftest import ca_and_host, pem_writer, step_results
from vici_proxy import ViciProxy

PKI = shutil.which("pki")
pytestmark = pytest.mark.skipif(PKI is None, reason="needs strongSwan's pki")


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """A road-warrior gateway's PKI in files: CA, host certificate and key, two CRLs, an AC and a public key."""
    work = tmp_path_factory.mktemp("pki")
    gen = pem_writer(work)
    ca_key, ca, host_key, host = ca_and_host(gen, "Test CA", "gw.test", ("rsa", "--size", "2048"), "--san", "gw.test")
    old_crl = gen("old.crl", "--signcrl", "--cacert", ca, "--cakey", ca_key)
    gen("new.crl", "--signcrl", "--cacert", ca, "--cakey", ca_key, "--lastcrl", old_crl)
    aa_key = gen("aa.key", "--gen", "--type", "ed25519")
    aa_req = gen("aa.req", "--req", "--type", "priv", "--in", aa_key, "--dn", "CN=AA")
    aa = gen("aa.pem", "--issue", "--cacert", ca, "--cakey", ca_key, "--type", "pkcs10", "--in", aa_req)
    gen("ac.pem", "--acert", "--in", host, "--issuercert", aa, "--issuerkey", aa_key, "--group", "g")
    gen("host.pub", "--pub", "--in", host_key)
    return work


plays = functools.partial(step_results, vici_module="certificate")


def listed(charon, type_="ANY"):
    with Session(charon.socket_uri, timeout=10) as vici:
        return [(cert["type"], cert.get("flag"), hashlib.sha256(cert["data"]).hexdigest())
                for cert in vici.list_certs(type_=type_)]


def sha(path):
    # Every fixture is PEM: the digest is of the first block's DER, as list-certs reports it.
    return hashlib.sha256(pem_blocks(path.read_text())[0].der).hexdigest()


def test_lifecycle_check_real_check_real(charon, pki, ledger, tmp_path):
    ca = {"path": str(pki / "ca.pem"), "flag": "ca"}
    with ViciProxy(tmp_path / "p.vici", charon.socket_path) as proxy:
        uri = proxy.uri
        (check,) = plays(uri, ledger, ca, check=True, diff=True)
        assert check["changed"] is True and check["action"] == "load" and check["sha256"] == sha(pki / "ca.pem")
        assert check["subject"] == check["issuer"] == "C=CH, O=Test, CN=Test CA"
        assert check["diff"]["before"] == {} and check["diff"]["after"]["flag"] == "CA"
        assert set(proxy.commands) <= READ_ONLY_COMMANDS, proxy.commands
        assert listed(charon) == []

        real, again = plays(uri, ledger, ca, ca, diff=True)
        assert real["changed"] is True and real["diff"] == check["diff"]
        assert again["changed"] is False and again["action"] == "none"
        assert again["diff"]["before"] == again["diff"]["after"]  # no diff shown for an unchanged certificate
        assert listed(charon) == [("X509", "CA", sha(pki / "ca.pem"))]

        proxy.clear()
        predicted, unchanged = plays(uri, ledger, dict(ca, _check=True), ca)
        assert predicted["changed"] is False and unchanged["changed"] is False
        assert set(proxy.commands) <= READ_ONLY_COMMANDS, proxy.commands


def test_road_warrior_credentials_and_every_type(charon, pki, ledger):
    """CA (flag ca), host certificate and key (their key ids match), a CRL, an AC and a raw public key."""
    steps = [
        {"path": str(pki / "ca.pem"), "flag": "ca"},
        {"content": (pki / "host.pem").read_text()},
        {"_module": "private_key", "path": str(pki / "host.key")},
        {"path": str(pki / "new.crl"), "type": "x509_crl"},
        {"path": str(pki / "ac.pem"), "type": "x509_ac"},
        {"content": (pki / "host.pub").read_text(), "type": "pubkey"},
        {"content": (pki / "host.pem").read_text()},
        {"path": str(pki / "host.pub"), "type": "pubkey"},
    ]
    ca, host, key, crl, ac, pub, host_again, pub_again = plays(charon.socket_uri, ledger, *steps)
    for result in (ca, host, key, crl, ac, pub):
        assert result["changed"] is True, result
    assert host_again["changed"] is False and pub_again["changed"] is False
    assert host["subject"] == "C=CH, O=Test, CN=gw.test" and host["issuer"] == ca["subject"]
    assert host["key_id"] == key["id"] == pub["key_id"]
    assert crl["issuer"] == ca["subject"] and crl["revoked"] == "0" and "next_update" in crl
    assert set(ac) >= {"sha256", "changed"} and "subject" not in ac
    assert sorted(listed(charon)) == sorted([
        ("PUBKEY", None, sha(pki / "host.pub")), ("X509", "CA", sha(pki / "ca.pem")),
        ("X509", "NONE", sha(pki / "host.pem")), ("X509_CRL", None, sha(pki / "new.crl")),
        ("X509_AC", None, sha(pki / "ac.pem"))])


def test_restart_and_clear_creds_make_it_changed_again(charon, pki, ledger):
    uri = charon.socket_uri
    host = {"path": str(pki / "host.pem")}
    assert plays(uri, ledger, host)[0]["changed"] is True
    charon.restart()
    back, again, cleared, reloaded = plays(uri, ledger, host, host, {"_module": "command", "command": "clear-creds"}, host)
    assert back["changed"] is True and again["changed"] is False and cleared["changed"] is True
    assert reloaded["changed"] is True and listed(charon) == [("X509", "NONE", sha(pki / "host.pem"))]


def test_flags_the_daemon_will_not_change_bad_input_and_old_crls(charon, pki, ledger):
    uri = charon.socket_uri
    host = str(pki / "host.pem")
    steps = [
        {"path": host},
        {"path": host, "flag": "ocsp", "_check": True},
        {"path": host, "flag": "ocsp"},
        {"path": str(pki / "ca.pem")},  # a CA is listed as CA whatever the flag it was loaded with ...
        {"path": str(pki / "ca.pem"), "flag": "ca"},  # ... so this is no conflict
        {"path": str(pki / "aa.pem"), "flag": "ca"},  # the daemon refuses: its errmsg, quoted
        {"path": str(pki / "host.pub"), "type": "pubkey", "flag": "ca"},
        {"path": str(pki / "host.key")},
        {"content": "garbage"},
        {"path": str(pki / "missing.pem")},
        {"path": str(pki / "new.crl"), "type": "x509_crl"},
        {"path": str(pki / "old.crl"), "type": "x509_crl"},  # older than the loaded one
    ]
    results = plays(uri, ledger, *steps)
    (loaded, conflict_check, conflict, ca, ca_flag, not_ca, pub_flag, key, garbage, missing, new_crl, old_crl) = results
    assert loaded["changed"] is True
    for result in (conflict_check, conflict):
        assert result["failed"] is True
        assert result["msg"].startswith("certificate C=CH, O=Test, CN=gw.test: flag ocsp: it is already loaded, "
                                        "listed with flag NONE"), result["msg"]
        assert "clear-creds" in result["msg"]
    assert ca["changed"] is True and ca_flag["changed"] is False
    assert not_ca["failed"] is True
    assert "ca certificate lacks CA basic constraint, rejected" in not_ca["msg"] and "certificate '" in not_ca["msg"]
    assert pub_flag["failed"] is True and pub_flag["msg"].startswith("flag: only type x509 takes a flag")
    assert key["failed"] is True and key["msg"].startswith("path: no PEM block for type x509")
    assert garbage["failed"] is True and garbage["msg"] == "content: neither PEM text nor base64-encoded DER"
    assert missing["failed"] is True and missing["msg"].startswith("path: cannot read")
    for result in results:
        assert "Traceback" not in result.get("msg", "")
    assert new_crl["changed"] is True
    # The daemon keeps the newest CRL of an issuer: an older one is accepted but not kept, and we say so.
    assert old_crl["changed"] is True and any("does not list it" in warning for warning in old_crl["warnings"])
    assert ("X509", "NONE", sha(pki / "host.pem")) in listed(charon)
    assert [entry[2] for entry in listed(charon, "X509_CRL")] == [sha(pki / "new.crl")]
