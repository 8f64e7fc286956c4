# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The pool module against the fake charon: arguments, check mode, leases, errors, results."""

from __future__ import annotations


def test_pool_load_check_mode_and_idempotence(charon, run_in_process):
    args = {"socket": charon.uri, "name": "rw-pool", "addrs": "10.3.0.0/24", "dns": ["10.1.0.53"]}
    planned = run_in_process("pool", args, check=True, diff=True)
    assert planned["changed"] is True and planned["action"] == "load" and charon.mutating() == []
    assert planned["base"] == "10.3.0.0" and planned["size"] == 254
    loaded = run_in_process("pool", args)
    assert loaded["changed"] is True and charon.mutating() == ["load-pool"] and "rw-pool" in charon.pools
    again = run_in_process("pool", args)
    assert again["changed"] is False and again["action"] == "none"


def test_pool_with_online_leases_cannot_be_unloaded(charon, run_in_process):
    run_in_process("pool", {"socket": charon.uri, "name": "rw-pool", "addrs": "10.3.0.0/24"})
    charon.online_leases["rw-pool"] = 2
    result = run_in_process("pool", {"socket": charon.uri, "name": "rw-pool", "state": "absent"}, check=True)
    assert result["failed"] is True and result["msg"].startswith("pool 'rw-pool': ")
    assert charon.mutating() == ["load-pool"]


def test_pool_bad_input_and_daemon_refusal(charon, run_in_process):
    bad = run_in_process("pool", {"socket": charon.uri, "name": "p", "addrs": "garbage"})
    assert bad["failed"] is True and "addrs" in bad["msg"] and charon.mutating() == []
    missing = run_in_process("pool", {"socket": charon.uri, "name": "p"})
    assert missing["failed"] is True and "addrs" in missing["msg"]
    charon.refuse("load-pool", "pool name already in use")
    refused = run_in_process("pool", {"socket": charon.uri, "name": "p", "addrs": "10.3.0.0/24"})
    assert refused["failed"] is True and refused["vici_errmsg"] == "pool name already in use"
    assert "pool name already in use" in refused["msg"]
