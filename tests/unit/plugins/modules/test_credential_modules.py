# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The credential modules (shared_secret, private_key, certificate, authority) against the fake charon."""

from __future__ import annotations

import json

from cryptography.hazmat.primitives import serialization

from ansible_collections.strongswan.vici.tests.unit.plugins.modules.fake_charon import key_id

SECRET = "correct horse battery staple"


def test_shared_secret_check_mode_diff_masks_the_secret(charon, run_in_process):
    args = {"socket": charon.uri, "id": "ike-site", "secret": SECRET, "owners": ["a.example", "b.example"]}
    planned = run_in_process("shared_secret", args, check=True, diff=True)
    assert planned["changed"] is True and planned["action"] == "load" and planned["id"] == "ike-site"
    assert charon.mutating() == []
    assert SECRET not in json.dumps(planned) and "********" in json.dumps(planned["diff"]["after"])


def test_shared_secret_load_idempotence_and_a_changed_secret(charon, run_in_process):
    args = {"socket": charon.uri, "id": "ike-site", "secret": SECRET, "owners": ["a.example"]}
    assert run_in_process("shared_secret", args)["changed"] is True
    assert charon.mutating() == ["load-shared"] and charon.shared["ike-site"]["data"] == SECRET
    assert run_in_process("shared_secret", args)["changed"] is False
    changed = run_in_process("shared_secret", dict(args, secret="another one"), diff=True)
    assert changed["changed"] is True and "another one" not in json.dumps(changed) and SECRET not in json.dumps(changed)
    gone = run_in_process("shared_secret", {"socket": charon.uri, "id": "ike-site", "state": "absent"})
    assert gone["changed"] is True and gone["action"] == "unload" and charon.shared == {}


def test_shared_secret_errors(charon, run_in_process):
    missing = run_in_process("shared_secret", {"socket": charon.uri, "id": "x"})
    assert missing["failed"] is True and "secret" in missing["msg"]
    bad_type = run_in_process("shared_secret", {"socket": charon.uri, "id": "x", "secret": "s", "type": "bogus"})
    assert bad_type["failed"] is True and "type" in bad_type["msg"]
    charon.refuse("load-shared", "loading shared key failed")
    refused = run_in_process("shared_secret", {"socket": charon.uri, "id": "x", "secret": SECRET, "owners": ["%any"]})
    assert refused["failed"] is True and refused["vici_errmsg"] == "loading shared key failed"
    assert "loading shared key failed" in refused["msg"] and SECRET not in json.dumps(refused)


def test_shared_secret_without_owners_is_refused_as_config_refuses_it(charon, run_in_process):
    for check in (True, False):
        refused = run_in_process("shared_secret", {"socket": charon.uri, "id": "x", "secret": SECRET}, check=check)
        assert refused["failed"] is True and refused["msg"] == (
            "no owners: a secret without owners matches every identity, so the daemon offers it to every peer; if "
            "that is what you want, say so with owners: ['%any']"), refused
        assert SECRET not in json.dumps(refused)
    assert charon.mutating() == []
    assert run_in_process("shared_secret", {"socket": charon.uri, "id": "x", "secret": SECRET,
                                            "owners": ["%any"]})["changed"] is True


def test_private_key_load_reports_the_daemons_key_id(charon, run_in_process, test_pki):
    expected = key_id(serialization.load_pem_private_key(test_pki["host_key"].encode(), None))
    args = {"socket": charon.uri, "content": test_pki["host_key"]}
    planned = run_in_process("private_key", args, check=True, diff=True)
    assert planned["changed"] is True and planned["action"] == "load" and planned["id"] == expected
    assert charon.mutating() == [] and "PRIVATE KEY" not in json.dumps(planned)
    loaded = run_in_process("private_key", args)
    assert loaded["changed"] is True and loaded["id"] == expected and list(charon.keys) == [expected]
    assert run_in_process("private_key", args)["changed"] is False
    gone = run_in_process("private_key", {"socket": charon.uri, "id": expected, "state": "absent"})
    assert gone["changed"] is True and charon.keys == {}


def test_private_key_errors(charon, run_in_process, tmp_path):
    garbage = run_in_process("private_key", {"socket": charon.uri, "content": "not a key"})
    assert garbage["failed"] is True and "not a key" not in garbage["msg"] and charon.mutating() == []
    missing = run_in_process("private_key", {"socket": charon.uri, "path": str(tmp_path / "none.key")})
    assert missing["failed"] is True and "none.key" in missing["msg"]
    both = run_in_process("private_key", {"socket": charon.uri, "content": "x", "path": "/x"})
    assert both["failed"] is True and "content" in both["msg"] and "path" in both["msg"]


def test_private_key_daemon_refusal_is_quoted(charon, run_in_process, test_pki):
    charon.refuse("load-key", "loading private key failed")
    refused = run_in_process("private_key", {"socket": charon.uri, "content": test_pki["host_key"]})
    assert refused["failed"] is True and refused["vici_errmsg"] == "loading private key failed"
    assert "BEGIN PRIVATE KEY" not in json.dumps(refused)


def test_certificate_load_check_mode_and_idempotence(charon, run_in_process, test_pki):
    args = {"socket": charon.uri, "content": test_pki["host"]}
    planned = run_in_process("certificate", args, check=True, diff=True)
    assert planned["changed"] is True and planned["action"] == "load" and charon.mutating() == []
    assert "gw.example.com" in planned["subject"] and len(planned["sha256"]) == 64
    loaded = run_in_process("certificate", args)
    assert loaded["changed"] is True and charon.mutating() == ["load-cert"]
    assert [cert["flag"] for cert in charon.certs] == ["NONE"]
    again = run_in_process("certificate", args, diff=True)
    assert again["changed"] is False and again["diff"]["before"] == again["diff"]["after"]


def test_certificate_flag_conflict_and_bad_input(charon, run_in_process, test_pki):
    run_in_process("certificate", {"socket": charon.uri, "content": test_pki["host"]})
    conflict = run_in_process("certificate", {"socket": charon.uri, "content": test_pki["host"], "flag": "aa"})
    assert conflict["failed"] is True and "flag aa" in conflict["msg"] and "clear-creds" in conflict["msg"]
    garbage = run_in_process("certificate", {"socket": charon.uri, "content": "not a certificate"})
    assert garbage["failed"] is True and charon.mutating() == ["load-cert"]
    bad_flag = run_in_process("certificate", {"socket": charon.uri, "content": test_pki["host"], "flag": "bogus"})
    assert bad_flag["failed"] is True and "flag" in bad_flag["msg"]


def test_certificate_daemon_refusal_is_quoted(charon, run_in_process, test_pki):
    charon.refuse("load-cert", "parsing X509 certificate failed")
    refused = run_in_process("certificate", {"socket": charon.uri, "content": test_pki["ca"], "flag": "ca"})
    assert refused["failed"] is True and refused["vici_errmsg"] == "parsing X509 certificate failed"
    assert "parsing X509 certificate failed" in refused["msg"]


def test_authority_load_check_mode_idempotence_and_unload(charon, run_in_process, test_pki):
    args = {"socket": charon.uri, "name": "corp", "cacert": test_pki["ca"], "crl_uris": ["http://crl.example/ca.crl"]}
    planned = run_in_process("authority", args, check=True, diff=True)
    assert planned["changed"] is True and planned["action"] == "load" and charon.mutating() == []
    assert planned["name"] == "corp" and "Test CA" in planned["subject"]
    assert run_in_process("authority", args)["changed"] is True and list(charon.authorities) == ["corp"]
    assert run_in_process("authority", args)["changed"] is False
    changed = run_in_process("authority", dict(args, crl_uris=[]))
    assert changed["changed"] is True and charon.authorities["corp"]["crl_uris"] == []
    gone = run_in_process("authority", {"socket": charon.uri, "name": "corp", "state": "absent"})
    assert gone["changed"] is True and gone["action"] == "unload" and charon.authorities == {}


def test_authority_errors(charon, run_in_process, test_pki):
    missing = run_in_process("authority", {"socket": charon.uri, "name": "corp"})
    assert missing["failed"] is True and "cacert" in missing["msg"]
    garbage = run_in_process("authority", {"socket": charon.uri, "name": "corp", "cacert": "nonsense"})
    assert garbage["failed"] is True and "cacert" in garbage["msg"] and charon.mutating() == []
    refused = run_in_process("authority", {"socket": charon.uri, "name": "corp", "cacert": test_pki["host"]})
    # The daemon refuses a certificate that is not a CA: its errmsg, with the reason added.
    assert refused["failed"] is True and refused["vici_command"] == "load-authority"
    assert refused["vici_errmsg"] == "CA certificate missing: corp (the certificate is not a CA certificate " \
        "(basicConstraints CA:TRUE))" and charon.authorities == {}
