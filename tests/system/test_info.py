# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""strongswan.vici.info against the real charon: every gather value, and clear failures."""

from __future__ import annotations

import json

import pytest

from ansible_collections.strongswan.vici.plugins.module_utils.vici.session import Session

from conftest import pki

GATHER_KEYS = {
    "version": ["version"],
    "stats": ["stats"],
    "conns": ["conns", "vici_conns"],
    "sas": ["sas"],
    "policies": ["policies"],
    "certs": ["certs"],
    "authorities": ["authorities"],
    "pools": ["pools"],
    "keys": ["keys"],
    "shared": ["shared"],
    "algorithms": ["algorithms"],
    "counters": ["counters"],
}


def _ca_certificate(tmp_path):
    """A self-signed CA certificate made with strongSwan's pki (DER bytes, PEM path)."""
    key = pki("--gen", "--type", "ecdsa", "--size", "256", "--outform", "pem", out=tmp_path / "ca.key")
    return pki("--self", "--ca", "--in", key, "--type", "ecdsa", "--lifetime", "30",
               "--dn", "C=CH, O=strongswan.vici tests, CN=Test CA", "--outform", "pem", out=tmp_path / "ca.pem")


@pytest.fixture
def populated(charon, tmp_path):
    """A daemon holding one of everything info reports."""
    cert = _ca_certificate(tmp_path)
    with Session(charon.socket_uri, timeout=10) as vici:
        vici.load_conn({"gw": {"local_addrs": ["127.0.0.1"], "remote_addrs": ["127.0.0.2"],
                               "local": {"auth": "psk"}, "remote": {"auth": "psk"},
                               "children": {"net": {"local_ts": ["10.1.0.0/16"], "remote_ts": ["10.2.0.0/16"]},
                                            "trapped": {"local_ts": ["10.1.0.0/16"], "remote_ts": ["10.3.0.0/16"],
                                                        "start_action": "none"}}}})
        vici.install(child="trapped", ike="gw")
        vici.load_shared("ike", "psk-value-not-shown", id_="ike-gw", owners=["127.0.0.1"])
        vici.load_pool({"rw": {"addrs": "10.3.0.0/28", "dns": ["10.3.0.1"]}})
        vici.load_authority({"test-ca": {"cacert": cert.read_bytes(), "crl_uris": ["http://127.0.0.1/ca.crl"]}})
        vici.initiate(child="net", ike="gw", timeout=-1)
    return charon


def test_default_gather_is_cheap_and_complete(populated, ansible_module):
    _run, result = ansible_module("strongswan.vici.info", {"socket": populated.socket_uri})
    assert result.get("changed") is False, result
    assert set(GATHER_KEYS["version"] + GATHER_KEYS["stats"] + GATHER_KEYS["conns"] + GATHER_KEYS["sas"]) <= set(result)
    assert "certs" not in result and "algorithms" not in result
    assert result["version"]["daemon"] == "charon"
    assert result["vici_conns"] == ["gw"]
    assert result["conns"]["gw"]["children"]["net"]["local-ts"] == ["10.1.0.0/16"]
    sa, = result["sas"]
    assert sa["name"] == "gw" and sa["state"] == "CONNECTING"
    assert isinstance(sa["child_sas"], list)


def test_each_gather_value(populated, ansible_playbook):
    """One task per gather value (one playbook run keeps the suite fast)."""
    tasks = [{"name": subject, "strongswan.vici.info": {"socket": populated.socket_uri, "gather": [subject]}}
             for subject in sorted(GATHER_KEYS)]
    run = ansible_playbook([{"hosts": "localhost", "gather_facts": False, "tasks": tasks}])
    assert run.rc == 0, run
    checks = {
        "policies": lambda r: r["policies"]["gw/trapped"]["mode"] == "TUNNEL",
        "certs": lambda r: any(c.get("subject") == "C=CH, O=strongswan.vici tests, CN=Test CA"
                               and c["pem"].startswith("-----BEGIN CERTIFICATE-----") for c in r["certs"]),
        "authorities": lambda r: r["authorities"]["test-ca"]["crl_uris"] == ["http://127.0.0.1/ca.crl"],
        "pools": lambda r: r["pools"]["rw"]["size"] == "14",
        "keys": lambda r: r["keys"] == [],
        "shared": lambda r: r["shared"] == ["ike-gw"],
        "algorithms": lambda r: "AES_GCM_16" in r["algorithms"]["aead"],
        "counters": lambda r: int(r["counters"]["gw"]["ike-init-out-req"]) >= 1,
        "stats": lambda r: "vici" in r["stats"]["plugins"],
        "version": lambda r: r["version"]["daemon"] == "charon",
        "conns": lambda r: r["vici_conns"] == ["gw"] and "trapped" in r["conns"]["gw"]["children"],
        "sas": lambda r: [sa["name"] for sa in r["sas"]] == ["gw"],
    }
    assert set(checks) == set(GATHER_KEYS)
    for subject in GATHER_KEYS:
        result = run.task(subject)
        assert result.get("changed") is False, (subject, result)
        others = {key for name, keys in GATHER_KEYS.items() if name != subject for key in keys}
        assert not others & set(result), "only the requested subject is gathered: %s" % subject
        assert checks[subject](result), (subject, result)


def test_all_with_pool_leases_and_no_secret(populated, ansible_module):
    run, result = ansible_module("strongswan.vici.info", {"socket": populated.socket_uri, "gather": ["all"],
                                                          "pool_leases": True}, extra_args=["-vvv"])
    assert all(key in result for keys in GATHER_KEYS.values() for key in keys)
    assert result["pools"]["rw"]["leases"] == {}
    assert "psk-value-not-shown" not in run.stdout + run.stderr


def test_check_mode_works(populated, ansible_module):
    _run, result = ansible_module("strongswan.vici.info", {"socket": populated.socket_uri, "gather": ["sas"]}, check=True)
    assert result.get("changed") is False and len(result["sas"]) == 1


def test_missing_socket_fails_clearly(tmp_path, ansible_module):
    uri = "unix://%s/nothing.vici" % tmp_path
    _run, result = ansible_module("strongswan.vici.info", {"socket": uri})
    assert result.get("failed") is True
    assert uri in result["msg"] and "No such file" in result["msg"]
    assert "Traceback (most recent call last)" not in json.dumps(result)


def test_connection_refused_fails_clearly(charon, ansible_module):
    charon.stop()  # the socket file stays, nobody listens
    _run, result = ansible_module("strongswan.vici.info", {"socket": charon.socket_uri})
    assert result.get("failed") is True
    assert "Connection refused" in result["msg"] or "No such file" in result["msg"]
    assert "Is charon running" in result["msg"]


def test_socket_from_the_environment(charon, ansible_module):
    _run, result = ansible_module("strongswan.vici.info", {"gather": ["version"]},
                                  env={"STRONGSWAN_VICI_SOCKET": charon.socket_uri})
    assert result["version"]["daemon"] == "charon", result


def test_unknown_gather_value_is_rejected(charon, ansible_module):
    _run, result = ansible_module("strongswan.vici.info", {"socket": charon.socket_uri, "gather": ["everything"]})
    assert result.get("failed") is True and "gather" in result["msg"]
