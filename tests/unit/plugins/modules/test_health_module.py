# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The health module against the fake charon: intent from the ledger, reinitiate, check mode, metrics_path."""

from __future__ import annotations

import copy
import os
import stat

from ansible_collections.strongswan.vici.tests.unit.plugins.modules.connection_config import CONFIG


def _declared(charon, run_in_process, action):
    config = copy.deepcopy(CONFIG)
    config["children"]["net"]["start_action"] = action
    loaded = run_in_process("connection", {"socket": charon.uri, "name": "gw", "config": config})
    assert loaded["changed"] is True, loaded
    charon.sas.clear()  # the connection module brought a start tunnel up: the peer closed it since
    return charon


def test_health_reports_a_declared_start_tunnel_down_and_changes_nothing(charon, run_in_process):
    _declared(charon, run_in_process, "start")
    before = list(charon.mutating())
    result = run_in_process("health", {"socket": charon.uri})
    assert result["changed"] is False and "failed" not in result, result
    (entry,) = result["tunnels"]
    assert (entry["connection"], entry["child"], entry["intent"], entry["declared"], entry["status"]) == (
        "gw", "net", "start", True, "down")
    assert result["summary"]["healthy"] is False and result["summary"]["down"] == 1
    assert result["reinitiated"] == [] and charon.mutating() == before


def test_reinitiate_in_check_mode_says_what_it_would_initiate_and_sends_nothing_mutating(charon, run_in_process):
    _declared(charon, run_in_process, "start")
    before = list(charon.mutating())
    result = run_in_process("health", {"socket": charon.uri, "reinitiate": True}, check=True)
    assert result["changed"] is True, result
    assert result["reinitiated"] == [{"tunnel": "gw/net", "outcome": "would initiate", "initiated": False,
                                      "child_sas": []}]
    assert charon.mutating() == before


def test_reinitiate_brings_the_tunnel_up_once_and_a_second_run_changes_nothing(charon, run_in_process):
    _declared(charon, run_in_process, "start")
    sent = charon.mutating().count("initiate")
    result = run_in_process("health", {"socket": charon.uri, "reinitiate": True})
    assert result["changed"] is True and result["reinitiated"][0]["outcome"] == "up", result
    assert result["tunnels"][0]["status"] == "up" and result["summary"]["healthy"] is True
    again = run_in_process("health", {"socket": charon.uri, "reinitiate": True})
    assert again["changed"] is False and again["reinitiated"] == [] and charon.mutating().count("initiate") == sent + 1


def test_reinitiate_leaves_a_none_tunnel_that_runs_nothing_alone(charon, run_in_process):
    _declared(charon, run_in_process, "none")
    result = run_in_process("health", {"socket": charon.uri, "reinitiate": True})
    assert result["changed"] is False and result["tunnels"][0]["status"] == "idle" and result["summary"]["healthy"]
    assert "initiate" not in charon.mutating()


def test_metrics_path_is_written_0644_and_is_no_change(charon, run_in_process, tmp_path):
    _declared(charon, run_in_process, "start")
    path = tmp_path / "strongswan.prom"
    result = run_in_process("health", {"socket": charon.uri, "metrics_path": str(path)})
    assert result["changed"] is False and result["metrics"]["written"] is True, result
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o644
    assert 'strongswan_vici_tunnel_state{connection="gw",child="net",state="down"} 1' in path.read_text()
    os.unlink(path)
    checked = run_in_process("health", {"socket": charon.uri, "metrics_path": str(path)}, check=True)
    assert checked["metrics"] == {"path": str(path), "written": False} and not path.exists()


def test_a_metrics_path_that_cannot_be_written_fails_naming_the_option(charon, run_in_process, tmp_path):
    result = run_in_process("health", {"socket": charon.uri, "metrics_path": str(tmp_path / "no" / "x.prom")})
    assert result["failed"] is True and result["msg"].startswith("metrics_path: "), result
    assert "Traceback" not in result["msg"]


def test_a_named_connection_the_daemon_lacks_is_reported_not_loaded(charon, run_in_process):
    result = run_in_process("health", {"socket": charon.uri, "connections": ["nope"]})
    assert result["tunnels"][0]["status"] == "missing" and result["summary"]["not_loaded"] == 1
    assert result["summary"]["healthy"] is False


def test_an_empty_connection_name_is_refused_naming_the_option(charon, run_in_process):
    result = run_in_process("health", {"socket": charon.uri, "connections": [""]})
    assert result["failed"] is True and result["msg"].startswith("connections: "), result


def _failing_list_sas(charon, which):
    answer, calls = charon.cmd_list_sas, []

    def list_sas(message):
        calls.append(message)
        return ([], {"success": "no", "errmsg": "gone"}) if len(calls) in which else answer(message)

    charon.cmd_list_sas = list_sas


def test_a_list_sas_failure_right_after_an_initiation_counts_it_as_a_change(charon, run_in_process):
    _declared(charon, run_in_process, "start")
    _failing_list_sas(charon, (3,))  # 1: the health read, 2: reinitiate's check, 3: after its initiate
    result = run_in_process("health", {"socket": charon.uri, "reinitiate": True})
    assert result["changed"] is True and "failed" not in result, result
    (item,) = result["reinitiated"]
    assert item["outcome"] == "failed" and item["initiated"] is True and "list-sas failed after it" in item["error"]
    assert result["tunnels"][0]["status"] == "up"  # the read after it tells what runs


def test_a_failed_read_after_initiations_fails_the_run_with_changed(charon, run_in_process):
    _declared(charon, run_in_process, "start")
    _failing_list_sas(charon, (4,))  # 4: the read of the state after re-initiating
    result = run_in_process("health", {"socket": charon.uri, "reinitiate": True})
    assert result["failed"] is True and result["changed"] is True, result
    assert result["msg"].startswith("reading the tunnels after re-initiating: ")
    assert [item["tunnel"] for item in result["reinitiated"]] == ["gw/net"]


def _loaded_by_swanctl(charon, tmp_path, action="start"):
    """gw loaded as the service's swanctl --load-all loads it after a restart (no ledger entry), from this file."""
    charon.conns["gw"] = {"children": {"net": {"start_action": action}}}
    conf = tmp_path / "site.conf"
    conf.write_text("connections {\n   gw {\n      children {\n         net {\n            start_action = %s\n"
                    "         }\n      }\n   }\n}\nsecrets {\n   ike-gw {\n      secret = s3cr3t-psk\n   }\n}\n" % action)
    return str(conf)


def test_a_start_tunnel_declared_in_swanctl_conf_is_reported_down_and_reinitiated(charon, run_in_process, tmp_path):
    conf = _loaded_by_swanctl(charon, tmp_path)
    plain = run_in_process("health", {"socket": charon.uri})
    assert plain["tunnels"][0]["declared"] is False and plain["summary"]["healthy"] is True, plain
    result = run_in_process("health", {"socket": charon.uri, "swanctl_conf": [conf]})
    (entry,) = result["tunnels"]
    assert (entry["intent"], entry["declared"], entry["declared_from"], entry["status"]) == (
        "start", True, "file", "down"), result
    assert result["summary"]["down"] == 1 and "s3cr3t-psk" not in repr(result)
    fixed = run_in_process("health", {"socket": charon.uri, "swanctl_conf": [conf], "reinitiate": True})
    assert fixed["changed"] is True and fixed["reinitiated"][0]["outcome"] == "up", fixed
    assert fixed["summary"]["healthy"] is True and charon.mutating().count("initiate") == 1


def test_the_ledger_wins_over_swanctl_conf(charon, run_in_process, tmp_path):
    _declared(charon, run_in_process, "none")
    conf = _loaded_by_swanctl(charon, tmp_path, "start")
    charon.conns["gw"] = copy.deepcopy(CONFIG)  # what the connection module loaded, as the ledger says
    result = run_in_process("health", {"socket": charon.uri, "swanctl_conf": [conf]})
    (entry,) = result["tunnels"]
    assert (entry["intent"], entry["declared_from"], entry["status"]) == ("none", "ledger", "idle"), result


def test_a_missing_swanctl_conf_file_fails_naming_the_option_and_the_file(charon, run_in_process, tmp_path):
    missing = str(tmp_path / "nope.conf")
    result = run_in_process("health", {"socket": charon.uri, "swanctl_conf": [missing]})
    assert result["failed"] is True and result["msg"] == "swanctl_conf: %s: no such file" % missing, result
    assert "Traceback" not in result["msg"]
