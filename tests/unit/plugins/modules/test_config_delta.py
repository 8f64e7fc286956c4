# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""config's delta path (_gateway/delta.py) against the fake charon: a changed tree whose daemon is as the recorded
run left it plans only its changed entries, with the full path's result; every other case plans in full."""

from __future__ import annotations

import json

import pytest

from ansible_collections.strongswan.vici.plugins.module_utils._gateway import run as gateway_run

SECRET = "a very secret key for c%d"


def connection(number, remote_ts="10.2.%d.0/24"):
    return {"version": 2, "local_addrs": ["127.0.0.1"], "remote_addrs": ["127.0.1.%d" % number],
            "local": {"auth": "psk", "id": "gw.example.com"}, "remote": {"auth": "psk", "id": "peer%d.example.com" % number},
            "children": {"net": {"local_ts": ["10.1.0.0/16"], "remote_ts": [remote_ts % number]}}}


def gateway(count=4):
    return {"connections": {"c%d" % number: connection(number) for number in range(count)},
            "secrets": {"ike-c%d" % number: {"secret": SECRET % number, "id": "peer%d.example.com" % number}
                        for number in range(count)},
            "pools": {"rw": {"addrs": "10.3.0.0/24"}}}


def write(tmp_path, tree):
    path = tmp_path / "gateway.json"
    path.write_text(json.dumps(tree))
    return str(path)


@pytest.fixture
def paths(monkeypatch):
    """Which planning each run took: ``paths`` gets "full" or "delta" per plan."""
    taken = []
    full, delta = gateway_run.plan_groups, gateway_run.delta_plan

    def plan_groups(*args, **kwargs):
        taken.append("full")
        return full(*args, **kwargs)

    def delta_plan(*args, **kwargs):
        taken.append("delta")
        return delta(*args, **kwargs)

    monkeypatch.setattr(gateway_run, "plan_groups", plan_groups)
    monkeypatch.setattr(gateway_run, "delta_plan", delta_plan)
    return taken


def listed(charon, start):
    """The list-conns requests since ``start``: per name (the ike option) or whole (None)."""
    return [message.get("ike") for name, message in charon.requests[start:] if name == "list-conns"]


def without_delta(monkeypatch, run):
    """``run()`` with the delta path off: the full path's result for the same state."""
    with monkeypatch.context() as patched:
        patched.setattr(gateway_run, "delta_record", lambda *_args: None)
        return run()


def comparable(result):
    return {key: result.get(key) for key in ("changed", "sections", "diff", "failed", "msg")}


def test_changed_entries_are_planned_alone_with_the_full_paths_result(charon, run_in_process, tmp_path, paths, monkeypatch):
    tree = gateway()
    args = {"socket": charon.uri, "src": write(tmp_path, tree)}
    assert run_in_process("config", args)["changed"] is True
    tree["connections"]["c1"] = connection(1, "10.99.%d.0/24")  # changed
    tree["connections"]["c9"] = connection(9)  # added
    tree["secrets"]["ike-c2"]["secret"] = "another secret value"  # a secret changed
    write(tmp_path, tree)
    full = without_delta(monkeypatch, lambda: run_in_process("config", args, check=True, diff=True))
    del paths[:]
    before = len(charon.mutating())
    checked = run_in_process("config", args, check=True, diff=True)
    assert paths == ["delta"] and comparable(checked) == comparable(full), (checked, full)
    assert checked["sections"]["connections"] == {"added": ["c9"], "changed": ["c1"], "removed": [],
                                                  "unchanged": ["c0", "c2", "c3"]}
    assert checked["sections"]["secrets"]["changed"] == ["ike-c2"]
    assert checked["diff"]["after"]["secrets"]["ike-c2"]["data"] == "******** (changed)", checked["diff"]
    assert "another secret value" not in json.dumps(checked) and SECRET % 2 not in json.dumps(checked)
    assert len(charon.mutating()) == before  # check mode: read-only commands only
    start = len(charon.requests)
    done = run_in_process("config", args, diff=True)
    assert paths == ["delta", "delta"] and comparable(done) == comparable(dict(checked)), done
    # No decoded listing of the other connections: c1 alone, by name (c9 is not loaded); the whole listing is
    # only hashed before the plan, and for the record after the apply only the connections loaded are listed
    # again, by name.
    assert listed(charon, start) == [None, "c1", "c1", "c9"], listed(charon, start)
    assert sorted(charon.mutating()[before:]) == ["load-conn", "load-conn", "load-shared"]
    assert charon.conns["c1"]["children"]["net"]["remote_ts"] == ["10.99.1.0/24"]
    start = len(charon.requests)
    again = run_in_process("config", args)
    assert again["changed"] is False and paths == ["delta", "delta"], again  # the shortcut: no plan at all
    assert again["sections"]["connections"]["unchanged"] == ["c0", "c1", "c2", "c3", "c9"]
    assert listed(charon, start) == [None]


def test_entries_gone_from_the_tree_are_unloaded_only_with_purge(charon, run_in_process, tmp_path, paths, monkeypatch):
    tree = gateway()
    args = {"socket": charon.uri, "src": write(tmp_path, tree)}
    run_in_process("config", args)
    del tree["connections"]["c2"], tree["secrets"]["ike-c2"]
    write(tmp_path, tree)
    kept = run_in_process("config", args)
    assert paths[-1] == "delta" and kept["changed"] is False and "c2" in charon.conns, kept
    assert "c2" not in json.dumps(kept["sections"])
    purged = dict(args, purge=True)
    write(tmp_path, gateway())
    run_in_process("config", purged)  # another shape: the full path, and a record for it
    assert paths[-1] == "full"
    write(tmp_path, tree)
    full = without_delta(monkeypatch, lambda: run_in_process("config", purged, check=True, diff=True))
    checked = run_in_process("config", purged, check=True, diff=True)
    assert paths[-1] == "delta" and comparable(checked) == comparable(full), (checked, full)
    done = run_in_process("config", purged, diff=True)
    assert paths[-1] == "delta" and comparable(done) == comparable(checked)
    assert done["sections"]["connections"]["removed"] == ["c2"] and done["sections"]["secrets"]["removed"] == ["ike-c2"]
    assert "c2" not in charon.conns and "ike-c2" not in charon.shared
    assert run_in_process("config", purged)["changed"] is False


def test_a_connection_changed_behind_the_modules_back_and_an_input_change_plan_in_full(charon, run_in_process, tmp_path, paths):
    tree = gateway()
    args = {"socket": charon.uri, "src": write(tmp_path, tree)}
    run_in_process("config", args)
    charon.conns["c0"] = dict(charon.conns["c0"], remote_addrs=["127.9.9.9"])  # a load-conn by someone else
    tree["connections"]["c1"] = connection(1, "10.99.%d.0/24")
    write(tmp_path, tree)
    done = run_in_process("config", args)
    assert paths[-1] == "full" and done["changed"] is True, done
    assert done["sections"]["connections"]["changed"] == ["c0", "c1"]
    assert charon.conns["c0"]["remote_addrs"] == ["127.0.1.0"]


@pytest.mark.parametrize("change", ["arguments", "persist", "ledger"])
def test_the_delta_path_is_not_taken(charon, run_in_process, tmp_path, paths, change):
    tree = gateway()
    args = {"socket": charon.uri, "src": write(tmp_path, tree)}
    if change == "persist":
        args["persist"] = str(tmp_path / "out.conf")
    run_in_process("config", args)
    tree["connections"]["c1"] = connection(1, "10.99.%d.0/24")
    write(tmp_path, tree)
    if change == "arguments":
        args["sa_timeout"] = 5
    if change == "ledger":  # written by hand since the record: the annex is void
        ledger = next((tmp_path / "ledger").glob("ledger-*[0-9a-f].json"))
        ledger.write_text(ledger.read_text().replace('{"instance"', '{"instance" '))
    done = run_in_process("config", args)
    assert paths[-1] == "full" and done["changed"] is True and done["sections"]["connections"]["changed"] == ["c1"]


def test_a_tree_in_arguments_with_reordered_children_is_a_change(charon, run_in_process, paths):
    first = connection(1)
    first["children"] = {"a": dict(first["children"]["net"]), "b": {"local_ts": ["10.5.0.0/16"]}}
    args = {"socket": charon.uri, "connections": {"c1": first}}
    run_in_process("config", args)
    reordered = dict(first, children={"b": first["children"]["b"], "a": first["children"]["a"]})
    done = run_in_process("config", dict(args, connections={"c1": reordered}))
    # The children's order matters to the daemon: never the unchanged-rerun shortcut, and the delta path reloads.
    assert paths[-1] == "delta" and done["changed"] is True and done["sections"]["connections"]["changed"] == ["c1"]
    assert list(charon.conns["c1"]["children"]) == ["b", "a"]
