# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The connection module against the fake charon: arguments, check mode, diff, errors, results."""

from __future__ import annotations

from ansible_collections.strongswan.vici.tests.unit.plugins.modules.connection_config import CONFIG


def test_connection_check_mode_sends_no_load_and_reports_the_load(charon, run_in_process):
    result = run_in_process("connection", {"socket": charon.uri, "name": "gw", "config": CONFIG}, check=True, diff=True)
    assert result["changed"] is True and result["action"] == "load" and result["reason"] == "not loaded"
    assert result["diff"]["before"] == {} and result["diff"]["after"]["remote_addrs"] == ["192.0.2.2"]
    assert charon.mutating() == [] and charon.conns == {}


def test_connection_load_then_up_to_date(charon, run_in_process):
    args = {"socket": charon.uri, "name": "gw", "config": CONFIG}
    loaded = run_in_process("connection", args, diff=True)
    assert loaded["changed"] is True and loaded["action"] == "load" and loaded["name"] == "gw"
    assert charon.mutating() == ["load-conn"] and charon.conns["gw"]["remote_addrs"] == ["192.0.2.2"]
    again = run_in_process("connection", args, diff=True)
    assert again["changed"] is False and again["action"] == "none" and again["reason"] == "up to date"
    assert again["diff"]["before"]["remote_addrs"] == again["diff"]["after"]["remote_addrs"]
    assert charon.mutating() == ["load-conn"]


def test_connection_changed_behind_our_back_is_reloaded(charon, run_in_process):
    args = {"socket": charon.uri, "name": "gw", "config": CONFIG}
    run_in_process("connection", args)
    charon.conns["gw"] = dict(charon.conns["gw"], remote_addrs=["198.51.100.9"])
    again = run_in_process("connection", args)
    assert again["changed"] is True and "remote_addrs" in again["reason"]
    assert charon.conns["gw"]["remote_addrs"] == ["192.0.2.2"]


def test_connection_absent_unloads_and_absent_again_is_no_change(charon, run_in_process):
    run_in_process("connection", {"socket": charon.uri, "name": "gw", "config": CONFIG})
    gone = run_in_process("connection", {"socket": charon.uri, "name": "gw", "state": "absent"}, diff=True)
    assert gone["changed"] is True and gone["action"] == "unload" and charon.conns == {}
    assert gone["diff"]["after"] == {}
    again = run_in_process("connection", {"socket": charon.uri, "name": "gw", "state": "absent"})
    assert again["changed"] is False and again["action"] == "none"


def test_connection_daemon_refusal_is_quoted(charon, run_in_process):
    charon.refuse("load-conn", "invalid proposal string: nonsense")
    result = run_in_process("connection", {"socket": charon.uri, "name": "gw", "config": CONFIG})
    assert result["failed"] is True
    assert "connection 'gw'" in result["msg"] and "invalid proposal string: nonsense" in result["msg"]
    assert result["vici_command"] == "load-conn" and result["vici_errmsg"] == "invalid proposal string: nonsense"
    assert charon.conns == {}


def test_connection_bad_arguments_name_the_field(charon, run_in_process):
    missing = run_in_process("connection", {"socket": charon.uri, "name": "gw"})
    assert missing["failed"] is True and "config" in missing["msg"]
    empty = run_in_process("connection", {"socket": charon.uri, "name": "gw", "config": {}})
    assert empty["failed"] is True and empty["msg"].startswith("config: must not be empty")
    unknown = run_in_process("connection", {"socket": charon.uri, "name": "gw", "config": dict(CONFIG, bogus="1")})
    assert unknown["failed"] is True and "bogus" in unknown["msg"]
    bad_state = run_in_process("connection", {"socket": charon.uri, "name": "gw", "state": "gone"})
    assert bad_state["failed"] is True and "state" in bad_state["msg"]
    assert charon.mutating() == []
