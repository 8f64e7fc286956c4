# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""config's unchanged-rerun shortcut (_gateway/shortcut.py) against the fake charon: taken when nothing
changed, never when the daemon or the inputs did."""

from __future__ import annotations

import json

from ansible_collections.strongswan.vici.plugins.module_utils._engine.ledger import Ledger
from ansible_collections.strongswan.vici.tests.unit.plugins.modules.connection_config import CONFIG

SECRET = "a very secret key"
SECRETS = {"ike-gw": {"secret": SECRET, "id-a": "gw.example.com", "id-b": "peer.example.com"}}
POOLS = {"rw-pool": {"addrs": "10.3.0.0/24"}}
#: What a full run asks the daemon and the shortcut never does (preflight's version of the daemon).
FULL_RUN_ONLY = {"version"}
#: The shortcut's commands for the tree below: the session's look for stale reload probes (get-conns), the
#: ledger's stats and the listings, nothing else.
SHORTCUT_COMMANDS = {"get-conns", "stats", "get-keys", "get-shared", "get-pools", "list-conns"}


def tree_file(tmp_path, connections=None):
    path = tmp_path / "gateway.json"
    path.write_text(json.dumps({"connections": connections or {"gw": CONFIG}, "secrets": SECRETS, "pools": POOLS}))
    return str(path)


def commands_of(charon, run):
    """The commands ``run()`` sent, and its result."""
    start = len(charon.commands)
    result = run()
    return set(charon.commands[start:]), result


def test_unchanged_rerun_reads_only_the_listings_and_reports_the_full_runs_result(charon, run_in_process, tmp_path):
    args = {"socket": charon.uri, "src": tree_file(tmp_path)}
    first = run_in_process("config", args)
    assert first["changed"] is True
    sent, again = commands_of(charon, lambda: run_in_process("config", args, diff=True))
    assert sent == SHORTCUT_COMMANDS, sent
    assert again["changed"] is False and "failed" not in again
    assert again["sections"] == {
        "private_keys": {"added": [], "changed": [], "removed": [], "unchanged": []},
        "secrets": {"added": [], "changed": [], "removed": [], "unchanged": ["ike-gw"]},
        "pools": {"added": [], "changed": [], "removed": [], "unchanged": ["rw-pool"]},
        "connections": {"added": [], "changed": [], "removed": [], "unchanged": ["gw"]}}
    assert list(again["sections"]) == list(first["sections"])
    assert again["diff"] == {"before_header": "daemon", "after_header": "tree", "before": {}, "after": {}}
    assert SECRET not in json.dumps(again)


def test_the_shortcut_never_parses_the_ledger(charon, run_in_process, tmp_path, monkeypatch):
    args = {"socket": charon.uri, "src": tree_file(tmp_path)}
    run_in_process("config", args)

    def no_ledger(_self):
        raise AssertionError("the shortcut read the ledger's entries")

    monkeypatch.setattr(Ledger, "_load_file", no_ledger)
    sent, again = commands_of(charon, lambda: run_in_process("config", args))
    assert sent == SHORTCUT_COMMANDS and again["changed"] is False and "failed" not in again, again


def test_connection_changed_behind_the_modules_back_is_reported_and_repaired(charon, run_in_process, tmp_path):
    args = {"socket": charon.uri, "src": tree_file(tmp_path)}
    run_in_process("config", args)
    run_in_process("config", args)  # the shortcut
    charon.conns["gw"] = dict(charon.conns["gw"], remote_addrs=["127.9.9.9"])  # a load-conn by someone else
    sent, repaired = commands_of(charon, lambda: run_in_process("config", args))
    assert FULL_RUN_ONLY <= sent and "load-conn" in sent
    assert repaired["changed"] is True and repaired["sections"]["connections"]["changed"] == ["gw"]
    assert charon.conns["gw"]["remote_addrs"] != ["127.9.9.9"]
    sent, again = commands_of(charon, lambda: run_in_process("config", args))
    assert sent == SHORTCUT_COMMANDS and again["changed"] is False


def test_secret_unloaded_behind_the_modules_back_is_reloaded(charon, run_in_process, tmp_path):
    args = {"socket": charon.uri, "src": tree_file(tmp_path)}
    run_in_process("config", args)
    del charon.shared["ike-gw"]
    reloaded = run_in_process("config", args)
    assert reloaded["changed"] is True and reloaded["sections"]["secrets"]["added"] == ["ike-gw"]


def test_changed_src_or_arguments_plan_in_full(charon, run_in_process, tmp_path):
    args = {"socket": charon.uri, "src": tree_file(tmp_path)}
    run_in_process("config", args)
    sent, other = commands_of(charon, lambda: run_in_process("config", dict(args, sa_timeout=5)))
    assert FULL_RUN_ONLY <= sent and other["changed"] is False
    changed = dict(CONFIG, remote_addrs=["127.0.0.9"])
    tree_file(tmp_path, {"gw": changed})
    sent, edited = commands_of(charon, lambda: run_in_process("config", args))
    assert FULL_RUN_ONLY <= sent and edited["changed"] is True


def test_check_mode_takes_the_shortcut_and_sends_nothing_mutating(charon, run_in_process, tmp_path):
    args = {"socket": charon.uri, "src": tree_file(tmp_path)}
    run_in_process("config", args)
    sent, checked = commands_of(charon, lambda: run_in_process("config", args, check=True))
    assert sent == SHORTCUT_COMMANDS and checked["changed"] is False


def test_no_shortcut_for_a_tree_in_arguments_after_a_failed_run(charon, run_in_process, tmp_path):
    args = {"socket": charon.uri, "connections": {"gw": CONFIG}, "secrets": SECRETS, "pools": POOLS}
    charon.refuse("load-conn", "invalid proposal string: nonsense")
    assert run_in_process("config", args)["failed"] is True
    sent, fixed = commands_of(charon, lambda: run_in_process("config", args))
    assert FULL_RUN_ONLY <= sent and fixed["changed"] is True
    # Arguments (not src) take the shortcut too, once a run left the daemon holding the tree.
    sent, again = commands_of(charon, lambda: run_in_process("config", args))
    assert sent == SHORTCUT_COMMANDS and again["changed"] is False


def test_no_shortcut_with_persist_or_a_connection_that_starts_by_itself(charon, run_in_process, tmp_path):
    persisted = {"socket": charon.uri, "src": tree_file(tmp_path), "persist": str(tmp_path / "out.conf")}
    run_in_process("config", persisted)
    sent, _again = commands_of(charon, lambda: run_in_process("config", persisted))
    assert FULL_RUN_ONLY <= sent
    starting = dict(CONFIG, children={"net": dict(CONFIG["children"]["net"], start_action="trap")})
    trapped = {"socket": charon.uri, "src": tree_file(tmp_path, {"gw": starting})}
    run_in_process("config", trapped)
    sent, _again = commands_of(charon, lambda: run_in_process("config", trapped))
    assert sent == SHORTCUT_COMMANDS  # trap does not start by itself
    starting = dict(CONFIG, children={"net": dict(CONFIG["children"]["net"], start_action="start")})
    started = {"socket": charon.uri, "src": tree_file(tmp_path, {"gw": starting})}
    run_in_process("config", started)
    sent, _again = commands_of(charon, lambda: run_in_process("config", started))
    assert FULL_RUN_ONLY <= sent
