# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""config's ``psk_proof`` (issue 19, _gateway/psk_proof.py) against the fake charon: which IKE_SAs still run on the
old PSK's authentication after a PSK change, when each proves the new one, and never the secret's value."""

from __future__ import annotations

import json

import pytest

from ansible_collections.strongswan.vici.plugins.module_utils._kinds.psk_proof import matches_owner, sa_proof
from ansible_collections.strongswan.vici.tests.unit.plugins.modules.connection_config import CONFIG

OLD = "the old secret of the tunnel"
NEW = "the new secret of the tunnel"
OWNERS = {"id-a": "gw.example.com", "id-b": "peer.example.com"}
CERT_CONN = dict(CONFIG, local={"auth": "pubkey", "id": "gw.example.com"}, remote={"auth": "pubkey", "id": "peer.example.com"})


def args(charon, secret=OLD, owners=None, **extra):
    secrets = {"ike-gw": dict({"secret": secret}, **(OWNERS if owners is None else owners))}
    return dict({"socket": charon.uri, "connections": {"gw": CONFIG, "certs": CERT_CONN}, "secrets": secrets}, **extra)


def ike_sa(conn, unique, local="gw.example.com", remote="peer.example.com", state="ESTABLISHED", **extra):
    return {conn: dict({"uniqueid": str(unique), "version": "2", "state": state, "local-id": local, "remote-id": remote,
                        "established": "100", "child-sas": {}}, **extra)}


def loaded_with_sas(charon, run_in_process, *sas):
    first = run_in_process("config", args(charon))
    assert first["changed"] is True and "psk_proof" in first, first  # added: proven at the next IKE_SA
    charon.sas.extend(sas)


def test_psk_change_lists_the_ike_sas_of_its_owners_with_the_scheduled_reauthentication(charon, run_in_process):
    loaded_with_sas(charon, run_in_process, ike_sa("gw", 1, **{"reauth-time": "3000"}),
                    ike_sa("gw", 2, local="other.example.com", remote="third.example.com"),  # not an owner
                    ike_sa("gw", 3, state="CONNECTING"),  # not established
                    ike_sa("certs", 4))  # no PSK round
    changed = run_in_process("config", args(charon, NEW))
    assert changed["changed"] is True and changed["sections"]["secrets"]["changed"] == ["ike-gw"]
    assert changed["psk_proof"] == [{
        "secret": "ike-gw", "owners": ["gw.example.com", "peer.example.com"], "proven": False,
        "when": "at each listed IKE_SA's next authentication (see ike_sas)",
        "ike_sas": [{"name": "gw", "uniqueid": "1", "proven": False, "reauth_in": 3000,
                     "when": "at its scheduled reauthentication in about 3000 s",
                     "prove_now": "strongswan.vici.sa: ike=gw state=rekeyed reauth=true (once the peer has the new PSK too)"}]}]
    assert OLD not in json.dumps(changed) and NEW not in json.dumps(changed)


def test_psk_change_without_a_scheduled_reauthentication_says_a_new_ike_sa_proves_it(charon, run_in_process):
    loaded_with_sas(charon, run_in_process, ike_sa("gw", 7, local="peer.example.com", remote="gw.example.com"))
    changed = run_in_process("config", args(charon, NEW))
    (entry,) = changed["psk_proof"]
    (sa,) = entry["ike_sas"]
    assert sa["uniqueid"] == "7" and sa["proven"] is False and sa["reauth_in"] is None
    assert sa["when"] == "when a new IKE_SA is made (no reauthentication scheduled; rekeying does not authenticate)"


def test_psk_owned_by_any_identity_lists_every_psk_ike_sa_and_one_made_after_the_load_is_proven(charon, run_in_process):
    charon.sas.extend([ike_sa("gw", 1), ike_sa("gw", 2, local="x.example.com", remote="y.example.com"), ike_sa("certs", 3)])
    added = run_in_process("config", args(charon, owners={"id": "%any"}))
    (entry,) = added["psk_proof"]
    # gw is added in the same run: the SA step initiates it (IKE_SA 4), after the secret was loaded.
    assert entry["owners"] == ["%any"] and entry["proven"] is False
    assert [(sa["uniqueid"], sa["proven"]) for sa in entry["ike_sas"]] == [("1", False), ("2", False), ("4", True)]
    assert entry["ike_sas"][2] == {"name": "gw", "uniqueid": "4", "proven": True,
                                   "when": "proven: the IKE_SA was made after the new PSK was loaded"}


def test_psk_change_with_no_established_ike_sa_is_proven_at_the_next_one(charon, run_in_process):
    loaded_with_sas(charon, run_in_process)
    changed = run_in_process("config", args(charon, NEW))
    assert changed["psk_proof"] == [{"secret": "ike-gw", "owners": ["gw.example.com", "peer.example.com"],
                                     "ike_sas": [], "proven": False,
                                     "when": "at the next IKE_SA made with it (no established IKE_SA uses it)"}]


def test_psk_change_in_check_mode_is_reported_and_sends_nothing(charon, run_in_process):
    loaded_with_sas(charon, run_in_process, ike_sa("gw", 1, **{"reauth-time": "60"}))
    before = list(charon.mutating())
    planned = run_in_process("config", args(charon, NEW), check=True)
    assert planned["changed"] is True and charon.mutating() == before
    assert [sa["uniqueid"] for sa in planned["psk_proof"][0]["ike_sas"]] == ["1"]
    assert NEW not in json.dumps(planned)


def test_unchanged_secret_gets_no_psk_proof(charon, run_in_process):
    loaded_with_sas(charon, run_in_process, ike_sa("gw", 1))
    again = run_in_process("config", args(charon, connections={"gw": dict(CONFIG, dpd_delay="30s"),
                                                               "certs": CERT_CONN}))
    assert again["changed"] is True and again["sections"]["secrets"]["unchanged"] == ["ike-gw"]
    assert "psk_proof" not in again


def test_the_shortcut_does_not_replay_a_psk_proof(charon, run_in_process, tmp_path):
    loaded_with_sas(charon, run_in_process, ike_sa("gw", 1))
    src = tmp_path / "tree.json"
    src.write_text(json.dumps({"connections": {"gw": CONFIG, "certs": CERT_CONN},
                               "secrets": {"ike-gw": dict({"secret": NEW}, **OWNERS)}}))
    changed = run_in_process("config", {"socket": charon.uri, "src": str(src)})
    assert changed["changed"] is True and changed["psk_proof"][0]["ike_sas"][0]["uniqueid"] == "1"
    start = len(charon.commands)
    again = run_in_process("config", {"socket": charon.uri, "src": str(src)})
    assert "version" not in charon.commands[start:], charon.commands[start:]  # the shortcut was taken
    assert again["changed"] is False and "psk_proof" not in again, again


@pytest.mark.parametrize("identity, owners, expected", [
    ("gw.example.com", ["gw.example.com"], True),
    ("GW.example.com", ["@gw.example.com"], True),
    ("gw.example.com", ["%any"], True),
    ("gw.example.com", ["*.example.com"], True),
    ("gw.example.org", ["*.example.com", "peer.example.org"], False),
    ("@#0123", ["0123"], False),
])
def test_owner_matching(identity, owners, expected):
    assert matches_owner(identity, owners) is expected


def test_an_ike_sa_made_after_the_load_is_proven_and_ikev1_rekeying_reauthenticates():
    body = {"uniqueid": "5", "version": "2"}
    assert sa_proof("gw", body, mark=4)["proven"] is True
    assert sa_proof("gw", body, mark=5)["proven"] is False  # it existed when the secret was loaded
    assert sa_proof("gw", body, mark=None)["proven"] is False  # check mode: nothing loaded
    ikev1 = sa_proof("gw", {"uniqueid": "6", "version": "1", "rekey-time": "900"}, mark=7)
    assert ikev1["reauth_in"] == 900 and ikev1["when"] == "at its scheduled reauthentication in about 900 s"


def test_shared_secret_module_reports_psk_proof_for_a_changed_psk_only(charon, run_in_process):
    loaded_with_sas(charon, run_in_process, ike_sa("gw", 1, **{"reauth-time": "600"}))
    module_args = {"socket": charon.uri, "id": "ike-gw", "secret": NEW, "owners": ["gw.example.com"]}
    changed = run_in_process("shared_secret", module_args)
    assert changed["changed"] is True and changed["action"] == "load"
    (entry,) = changed["psk_proof"]
    assert entry["secret"] == "ike-gw" and entry["owners"] == ["gw.example.com"]
    assert [(sa["uniqueid"], sa["reauth_in"]) for sa in entry["ike_sas"]] == [("1", 600)]
    assert NEW not in json.dumps(changed)
    again = run_in_process("shared_secret", module_args)
    assert again["changed"] is False and "psk_proof" not in again
    eap = run_in_process("shared_secret", dict(module_args, id="eap-carol", type="eap"))
    assert eap["changed"] is True and "psk_proof" not in eap
