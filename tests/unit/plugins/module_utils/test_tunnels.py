# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Intent (should_be_up, reinitiate) and what a connection change does to its SAs (sa_update, the SA report)."""

from __future__ import annotations

from ansible_collections.strongswan.vici.plugins.module_utils._operations import tunnels
from ansible_collections.strongswan.vici.plugins.module_utils._operations.intent import (
    reinitiate,
    should_be_up,
    start_action,
)
from ansible_collections.strongswan.vici.plugins.module_utils._operations.tunnels import (
    Subject,
    outcome,
    predict,
    remote_access,
    resolve_mode,
    settle,
)
from ansible_collections.strongswan.vici.plugins.module_utils.vici.session import StreamResult


def _sa(name, uid, state="ESTABLISHED", children=()):
    return {"name": name, "uniqueid": uid, "state": state, "child_sas": [
        {"name": cname, "uniqueid": cuid, "state": cstate} for cname, cuid, cstate in children]}


FIXED = {"remote_addrs": ["198.18.0.2"], "children": {"net": {"start_action": "none"}}}


class FakeSession:
    """list-sas from a list the test (and initiate/terminate) change; records the mutating commands."""

    def __init__(self, sas, initiate_makes=None):
        self.sas = sas
        self.sent = []
        self.initiate_makes = initiate_makes  # the CHILD_SA id an initiate installs, None: the peer refuses
        self.next_ike = 90

    def list_sas(self, ike=None, **_):
        return [{sa["name"]: dict({k: v for k, v in sa.items() if k not in ("name", "child_sas")},
                                  **{"child-sas": {"%s-%s" % (c["name"], c["uniqueid"]): c for c in sa["child_sas"]}})}
                for sa in self.sas if ike is None or sa["name"] == ike]

    def initiate(self, child=None, ike=None, **_):
        self.sent.append(("initiate", ike, child))
        if self.initiate_makes is None:
            return StreamResult([], {"success": "no", "errmsg": "NO_PROPOSAL_CHOSEN"})
        host = next((sa for sa in self.sas if sa["name"] == ike), None)
        if host is None:
            host = _sa(ike, str(self.next_ike))
            self.sas.append(host)
        host["child_sas"].append({"name": child, "uniqueid": self.initiate_makes, "state": "INSTALLED"})
        return StreamResult([], {"success": "yes"})

    def terminate(self, child_id=None, ike_id=None, **_):
        self.sent.append(("terminate", child_id, ike_id))
        for sa in list(self.sas):
            if ike_id is not None and sa["uniqueid"] == str(ike_id):
                self.sas.remove(sa)
            sa["child_sas"] = [c for c in sa["child_sas"] if child_id is None or c["uniqueid"] != str(child_id)]
        return StreamResult([], {"success": "yes"})

    def version(self):
        return {"version": "5.9.8"}


def test_start_action_names_of_every_release_mean_start_trap_or_none():
    assert [start_action({"start_action": value}) for value in ("restart", "start", "route", "hold", "clear", "trap|start")] \
        == ["start", "start", "trap", "trap", "none", "start"]
    assert start_action({}) == "none"


def test_a_tunnel_should_be_up_with_start_or_with_sas_before_the_change():
    assert should_be_up({"start_action": "start"}, "gw", "net", [])
    assert should_be_up({}, "gw", "net", [_sa("gw", "1", children=[("net", "1", "INSTALLED")])])
    # An IKE_SA whose child the peer refused (it had not converged yet): nothing retries it by itself.
    assert should_be_up({}, "gw", "net", [_sa("gw", "1")])
    assert not should_be_up({"start_action": "trap"}, "gw", "net", [_sa("other", "1")])
    assert not should_be_up({}, "gw", "net", [_sa("gw", "1", children=[("voice", "2", "INSTALLED")])])


def test_reinitiate_never_makes_a_duplicate_child_sa():
    session = FakeSession([_sa("gw", "1", children=[("net", "4", "INSTALLED")])], initiate_makes="5")
    done = reinitiate(session, "gw", "net")
    assert not done.initiated and done.ids == ["4"] and session.sent == []
    # The old CHILD_SA is stale (old parameters): the replacement is initiated next to it.
    done = reinitiate(session, "gw", "net", stale=["4"])
    assert done.initiated and done.ids == ["5"] and session.sent == [("initiate", "gw", "net")]


def test_remote_access_is_any_peer_a_range_a_subnet_or_pools():
    assert remote_access({}) and remote_access({"remote_addrs": ["%any"]}) and remote_access({"pools": ["p"]})
    assert remote_access({"remote_addrs": ["10.0.0.0/8"]}) and remote_access({"remote_addrs": ["10.0.0.1-10.0.0.9"]})
    assert not remote_access(FIXED)
    assert resolve_mode("auto", FIXED) == "reestablish" and resolve_mode("auto", {"pools": ["p"]}) == "report"
    assert resolve_mode("never", FIXED) == "never"


def test_outcomes_from_the_child_sa_ids_before_and_after():
    changed = Subject("gw", "changed", FIXED, "reestablish")
    assert outcome(changed, "net", ["1"], ["1"], True) == "kept"
    assert outcome(changed, "net", ["1"], ["2"], True) == "re-established"
    assert outcome(changed, "net", ["1"], [], True) == "down"
    assert outcome(changed, "net", [], ["2"], True) == "up"
    assert outcome(Subject("gw", "removed", FIXED, "reestablish"), "net", ["1"], [], True) == "closed"


def test_check_mode_predicts_from_list_sas_and_the_release():
    sas = {"gw": [_sa("gw", "1", children=[("net", "1", "INSTALLED")])]}
    start = {"remote_addrs": ["198.18.0.2"], "children": {"net": {"start_action": "start"}}}
    report = predict([Subject("gw", "changed", start, "report")], sas, 5)
    assert report["gw"]["children"]["net"]["outcome"] == "re-established"
    assert "whole IKE_SA" in report["gw"]["note"]
    assert "restarts the CHILD_SA" in predict([Subject("gw", "changed", start, "report")], sas, 6)["gw"]["note"]
    report = predict([Subject("gw", "changed", FIXED, "never")], sas, 5)["gw"]
    assert report["children"]["net"] == {"outcome": "kept", "should_be_up": True, "old_parameters": True}
    assert report["note"] == "still runs the old parameters" and report["old_parameters"] == 1
    assert predict([Subject("gw", "changed", FIXED, "reestablish")], sas, 5)["gw"]["children"]["net"]["outcome"] \
        == "re-established"
    # An unloaded connection's SAs stay up unless its start_action was start (measured on 5.9.8 and 6.0.1).
    assert predict([Subject("gw", "removed", FIXED, "report")], sas, 5)["gw"]["children"]["net"]["outcome"] == "kept"


def test_reestablish_is_make_before_break():
    session = FakeSession([_sa("gw", "1", children=[("net", "4", "INSTALLED")])], initiate_makes="5")
    before = {"gw": [_sa("gw", "1", children=[("net", "4", "INSTALLED")])]}
    settled = settle(session, [Subject("gw", "changed", FIXED, "reestablish")], before, 5.0)
    assert session.sent == [("initiate", "gw", "net"), ("terminate", 4, None)]
    assert settled.report["gw"]["children"]["net"]["outcome"] == "re-established" and settled.down == []
    assert settled.acted


def test_report_and_never_touch_no_sa_and_say_old_parameters():
    for mode in ("report", "never"):
        session = FakeSession([_sa("gw", "1", children=[("net", "4", "INSTALLED")])], initiate_makes="5")
        before = {"gw": [_sa("gw", "1", children=[("net", "4", "INSTALLED")])]}
        settled = settle(session, [Subject("gw", "changed", FIXED, mode)], before, 5.0)
        assert session.sent == []
        assert settled.report["gw"]["old_parameters"] == 1 and settled.report["gw"]["note"] == "still runs the old parameters"


def test_a_tunnel_the_peer_refuses_is_retried_within_the_window_then_listed_down(monkeypatch):
    monkeypatch.setattr(tunnels, "RETRY_PAUSE", 0.05)
    session = FakeSession([_sa("gw", "1")], initiate_makes=None)
    settled = settle(session, [Subject("gw", "changed", FIXED, "reestablish")], {"gw": [_sa("gw", "1")]}, 1.5)
    assert settled.down == ["gw/net"]
    assert settled.report["gw"]["children"]["net"]["outcome"] == "down"
    assert 1 <= len([sent for sent in session.sent if sent[0] == "initiate"]) <= 30
    assert tunnels.warning(settled.down, False).startswith("tunnel left down: gw/net")


def test_an_unchanged_run_only_reports_a_tunnel_down():
    start = {"remote_addrs": ["198.18.0.2"], "children": {"net": {"start_action": "start"}}}
    session = FakeSession([], initiate_makes="5")
    settled = settle(session, [Subject("gw", "unchanged", start, "reestablish")], {"gw": []}, 2.0)
    assert session.sent == [] and settled.down == ["gw/net"] and not settled.acted


def test_a_removed_connection_s_sas_are_closed_with_reestablish():
    session = FakeSession([_sa("gw", "1", children=[("net", "4", "INSTALLED")])])
    before = {"gw": [_sa("gw", "1", children=[("net", "4", "INSTALLED")])]}
    settled = settle(session, [Subject("gw", "removed", FIXED, "reestablish")], before, 2.0)
    assert session.sent == [("terminate", 4, None), ("terminate", None, 1)]
    assert settled.report["gw"]["children"]["net"]["outcome"] == "closed" and session.sas == []


def test_an_ike_sa_whose_child_the_peer_refused_is_kept_for_the_peer_s_run(monkeypatch):
    # strongSwan 6 restarts only the CHILD_SA of a changed child (start_action start); a peer still on the old
    # proposals refuses the new one. The IKE_SA without CHILD_SA is what makes the peer's run bring it up.
    monkeypatch.setattr(tunnels, "RETRY_PAUSE", 0.05)
    session = FakeSession([_sa("gw", "1")], initiate_makes=None)
    start = {"remote_addrs": ["198.18.0.2"], "children": {"net": {"start_action": "start"}}}
    before = {"gw": [_sa("gw", "1", children=[("net", "4", "INSTALLED")])]}
    settled = settle(session, [Subject("gw", "changed", start, "reestablish")], before, 1.0)
    assert settled.down == ["gw/net"] and [sa["uniqueid"] for sa in session.sas] == ["1"]
    assert not [sent for sent in session.sent if sent[0] == "terminate"]


def test_the_retry_window_is_bounded_below_the_gateway_lock_s_wait():
    import pytest  # pylint: disable=import-outside-toplevel

    from ansible_collections.strongswan.vici.plugins.module_utils._engine.lock import DEFAULT_WAIT
    from ansible_collections.strongswan.vici.plugins.module_utils._text.input import InputError

    assert tunnels.retry_window(20) == 20.0 and tunnels.MAX_WINDOW < DEFAULT_WAIT
    for wrong in (-1, 301, "x", True):
        with pytest.raises(InputError, match="sa_timeout: must be a number of seconds from 0 to 300"):
            tunnels.retry_window(wrong)
