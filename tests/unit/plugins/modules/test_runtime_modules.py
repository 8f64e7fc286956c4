# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The runtime modules (sa, policy, command, settings, info) against the fake charon."""

from __future__ import annotations

import json

import pytest

from ansible_collections.strongswan.vici.tests.unit.plugins.modules.connection_config import CONFIG


@pytest.fixture
def gw(charon):
    """The fake charon with connection gw (child net) loaded."""
    charon.conns["gw"] = CONFIG
    return charon


def test_sa_up_check_mode_then_up_then_no_change(gw, run_in_process):
    args = {"socket": gw.uri, "ike": "gw", "child": "net"}
    planned = run_in_process("sa", args, check=True, diff=True)
    assert planned["changed"] is True and planned["action"] == "initiate" and gw.mutating() == []
    up = run_in_process("sa", args, diff=True)
    assert up["changed"] is True and up["action"] == "initiate" and gw.mutating() == ["initiate"]
    assert [sa["name"] for sa in up["sas"]] == ["gw"]
    assert any("established" in line for line in up["log"])
    again = run_in_process("sa", args)
    assert again["changed"] is False and again["action"] == "none" and gw.mutating() == ["initiate"]


def test_sa_down(gw, run_in_process):
    run_in_process("sa", {"socket": gw.uri, "ike": "gw", "child": "net"})
    planned = run_in_process("sa", {"socket": gw.uri, "ike": "gw", "state": "down"}, check=True)
    assert planned["changed"] is True and planned["action"] == "terminate" and gw.mutating() == ["initiate"]
    down = run_in_process("sa", {"socket": gw.uri, "ike": "gw", "state": "down"})
    assert down["changed"] is True and down["matches"] == 1 and down["terminated"] == 1 and gw.sas == []
    again = run_in_process("sa", {"socket": gw.uri, "ike": "gw", "state": "down"})
    assert again["changed"] is False and again["action"] == "none"


def test_sa_errors(gw, run_in_process):
    neither = run_in_process("sa", {"socket": gw.uri})
    assert neither["failed"] is True and neither["msg"] == "one of the following is required: ike, child, remote_ids"
    redirect = run_in_process("sa", {"socket": gw.uri, "ike": "gw", "state": "redirected"})
    assert redirect["failed"] is True and "gateway" in redirect["msg"]
    wait = run_in_process("sa", {"socket": gw.uri, "ike": "gw", "wait_timeout": -1})
    assert wait["failed"] is True and wait["msg"].startswith("option 'wait_timeout'")
    unknown = run_in_process("sa", {"socket": gw.uri, "ike": "nope", "child": "net"})
    assert unknown["failed"] is True and "nope" in unknown["msg"] and gw.mutating() == []
    gw.refuse("initiate", "establishing CHILD_SA 'net' failed")
    refused = run_in_process("sa", {"socket": gw.uri, "ike": "gw", "child": "net"})
    assert refused["failed"] is True and refused["vici_errmsg"] == "establishing CHILD_SA 'net' failed"
    assert "establishing CHILD_SA 'net' failed" in refused["msg"]


def _peer(gw, uid, remote_id, eap_id=None):
    for body in gw.sas[-1].values():
        body["remote-id"] = remote_id
        if eap_id:
            body["remote-eap-id"] = eap_id
        assert body["uniqueid"] == uid


def test_sa_down_by_remote_ids_ends_the_sas_of_those_identities_only(gw, run_in_process):
    gw.conns["other"] = CONFIG
    run_in_process("sa", {"socket": gw.uri, "ike": "gw", "child": "net"})
    _peer(gw, "1", "CN=revoked.example")
    run_in_process("sa", {"socket": gw.uri, "ike": "other", "child": "net"})
    _peer(gw, "2", "10.9.0.1", eap_id="revoked.example")
    args = {"socket": gw.uri, "remote_ids": ["revoked.example", "CN=revoked.example"], "state": "down", "force": True,
            "wait_timeout": 5}
    planned = run_in_process("sa", args, check=True, diff=True)
    assert planned["changed"] is True and planned["action"] == "terminate"
    assert gw.mutating() == ["initiate", "initiate"]  # check mode: list-sas only
    assert [(sa["name"], sa["uniqueid"], sa["identity"], sa["child_sas"]) for sa in planned["terminated_sas"]] == [
        ("gw", "1", "CN=revoked.example", ["1"]), ("other", "2", "revoked.example", ["2"])]
    assert planned["diff"]["after"]["would"] == "terminate"
    only_gw = run_in_process("sa", dict(args, ike="gw"))
    assert only_gw["changed"] is True and only_gw["terminated"] == 1 and only_gw["sas"] == []
    assert [sa["uniqueid"] for sa in only_gw["terminated_sas"]] == ["1"]
    terminate = [message for name, message in gw.requests if name == "terminate"][-1]
    assert {key: str(value) for key, value in terminate.items()} == {"ike-id": "1", "force": "yes", "timeout": "5000"}
    assert [list(sa) for sa in gw.sas] == [["other"]]
    rest = run_in_process("sa", args)
    assert rest["changed"] is True and [sa["name"] for sa in rest["terminated_sas"]] == ["other"] and gw.sas == []
    again = run_in_process("sa", args)
    assert again["changed"] is False and again["action"] == "none" and again["terminated_sas"] == []


def test_sa_remote_ids_errors_name_the_field(gw, run_in_process):
    up = run_in_process("sa", {"socket": gw.uri, "remote_ids": ["x"]})
    assert up["failed"] is True and "option 'remote_ids'" in up["msg"] and "state=down" in up["msg"]
    child = run_in_process("sa", {"socket": gw.uri, "remote_ids": ["x"], "child": "net", "state": "down"})
    assert child["failed"] is True and "remote_ids" in child["msg"] and "child" in child["msg"]
    empty = run_in_process("sa", {"socket": gw.uri, "remote_ids": [], "state": "down"})
    assert empty["failed"] is True and "option 'remote_ids' is empty" in empty["msg"]
    assert gw.mutating() == []


def test_sa_down_by_remote_ids_failure_after_one_terminated_is_a_change(gw, run_in_process):
    gw.conns["other"] = CONFIG
    for conn in ("gw", "other"):
        run_in_process("sa", {"socket": gw.uri, "ike": conn, "child": "net"})
        _peer(gw, str(len(gw.sas)), "revoked.example")
    original = gw.cmd_terminate
    calls = []

    def second_fails(message):
        calls.append(message)
        if len(calls) == 2:
            return [], {"success": "no", "errmsg": "terminating IKE_SA failed", "matches": "1", "terminated": "0"}
        return original(message)

    gw.cmd_terminate = second_fails
    failed = run_in_process("sa", {"socket": gw.uri, "remote_ids": ["revoked.example"], "state": "down"})
    assert failed["failed"] is True and failed["changed"] is True, failed
    assert [sa["uniqueid"] for sa in failed["terminated_sas"]] == ["1"]
    assert "IKE_SA other[2]" in failed["msg"] and failed["vici_errmsg"] == "terminating IKE_SA failed"


def test_policy_install_check_mode_idempotence_and_uninstall(gw, run_in_process):
    args = {"socket": gw.uri, "child": "net", "ike": "gw"}
    planned = run_in_process("policy", args, check=True, diff=True)
    assert planned["changed"] is True and planned["action"] == "install" and gw.mutating() == []
    assert planned["diff"]["before"] == {} and planned["diff"]["after"]["child"] == "net"
    installed = run_in_process("policy", args)
    assert installed["changed"] is True and gw.mutating() == ["install"] and list(gw.policies) == ["gw/net"]
    assert run_in_process("policy", args)["changed"] is False
    gone = run_in_process("policy", dict(args, state="absent"))
    assert gone["changed"] is True and gone["action"] == "uninstall" and gw.policies == {}


def test_policy_errors(gw, run_in_process):
    missing = run_in_process("policy", {"socket": gw.uri})
    assert missing["failed"] is True and "child" in missing["msg"]
    unknown = run_in_process("policy", {"socket": gw.uri, "child": "nope"})
    assert unknown["failed"] is True and "child 'nope'" in unknown["msg"] and gw.mutating() == []
    gw.refuse("install", "installing policy 'net' failed")
    refused = run_in_process("policy", {"socket": gw.uri, "child": "net", "ike": "gw"})
    assert refused["failed"] is True and refused["vici_errmsg"] == "installing policy 'net' failed"
    assert refused["msg"].startswith("installing the policy of child 'net'")


def test_command_read_only_runs_in_check_mode(charon, run_in_process):
    result = run_in_process("command", {"socket": charon.uri, "command": "version"}, check=True)
    assert result["changed"] is False and result["response"]["version"] == "5.9.8"
    assert result["skipped_in_check_mode"] is False


def test_command_mutating_is_skipped_in_check_mode_and_masks_secrets(charon, run_in_process):
    request = {"id": "s1", "type": "IKE", "data": "topsecret", "owners": ["a.example"]}
    planned = run_in_process("command", {"socket": charon.uri, "command": "load-shared", "request": request}, check=True)
    assert planned["changed"] is True and planned["skipped_in_check_mode"] is True and charon.mutating() == []
    done = run_in_process("command", {"socket": charon.uri, "command": "load-shared", "request": request})
    assert done["changed"] is True and done["response"] == {"success": "yes"} and charon.mutating() == ["load-shared"]
    assert "topsecret" not in json.dumps(done) and done["invocation"]["module_args"]["request"]["owners"] == ["a.example"]


def test_command_streamed_and_errors(charon, run_in_process):
    charon.conns["gw"] = CONFIG
    listed = run_in_process("command", {"socket": charon.uri, "command": "list-conns"})
    assert listed["changed"] is False and list(listed["events"][0]) == ["gw"]
    failed = run_in_process("command", {"socket": charon.uri, "command": "unload-conn", "request": {"name": "x"}})
    assert failed["failed"] is True and failed["vici_errmsg"] == "unload: connection 'x' not found"
    assert failed["response"]["success"] == "no"
    unknown = run_in_process("command", {"socket": charon.uri, "command": "no-such-command"})
    assert unknown["failed"] is True and "no-such-command" in unknown["msg"]


def test_settings_reload_and_check_mode(charon, run_in_process):
    planned = run_in_process("settings", {"socket": charon.uri}, check=True)
    assert planned == dict(planned, changed=True, action="reload") and charon.commands == []
    done = run_in_process("settings", {"socket": charon.uri})
    assert done["changed"] is True and charon.mutating() == ["reload-settings"]
    bad_timeout = run_in_process("settings", {"socket": charon.uri, "timeout": -1})
    assert bad_timeout["failed"] is True and bad_timeout["msg"].startswith("option 'timeout'")
    charon.refuse("reload-settings", "reloading config failed")
    refused = run_in_process("settings", {"socket": charon.uri})
    assert refused["failed"] is True and refused["vici_errmsg"] == "reloading config failed"


def test_info_gathers_what_is_asked(charon, run_in_process):
    charon.conns["gw"] = CONFIG
    result = run_in_process("info", {"socket": charon.uri, "gather": ["version", "conns", "pools", "keys"]})
    assert result["changed"] is False and result["version"]["version"] == "5.9.8"
    assert result["vici_conns"] == ["gw"] and result["pools"] == {} and result["keys"] == []
    assert set(charon.commands) <= {"version", "list-conns", "get-conns", "get-pools", "get-keys"}
    bad = run_in_process("info", {"socket": charon.uri, "gather": ["bogus"]})
    assert bad["failed"] is True and "gather" in bad["msg"]


def test_info_without_a_daemon_says_where_it_looked(tmp_path, run_in_process):
    result = run_in_process("info", {"socket": str(tmp_path / "absent.vici")})
    assert result["failed"] is True and "absent.vici" in result["msg"]
