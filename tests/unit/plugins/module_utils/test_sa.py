# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""SA matching, the list-sas format and the redirect filters of the sa module."""

from __future__ import annotations

import pytest

from ansible_collections.strongswan.vici.plugins.module_utils._operations.sa import (
    Target,
    all_ids,
    check_remote_ids,
    identity_entry,
    identity_matches,
    ike_sa_list,
    match_sas,
    redirect_candidates,
)


def _sa(name, uid, state, children=(), **extra):
    sa = {"name": name, "uniqueid": uid, "state": state, "child_sas": [
        {"name": cname, "uniqueid": cuid, "state": cstate} for cname, cuid, cstate in children]}
    sa.update(extra)
    return sa


class TestMatchSas:
    SAS = [
        _sa("gw", "1", "ESTABLISHED", [("net", "1", "INSTALLED"), ("voice", "2", "INSTALLED")]),
        _sa("gw", "2", "CONNECTING"),
        _sa("other", "3", "ESTABLISHED", [("net", "3", "REKEYED"), ("net", "4", "INSTALLED")]),
        _sa("old", "4", "DELETING", [("net", "5", "DELETING")]),
    ]

    def test_ike_only(self):
        match = match_sas(self.SAS, Target("gw", None))
        assert match.up == ["1"] and match.connecting == ["2"] and [sa["uniqueid"] for sa in match.sas] == ["1", "2"]

    def test_child_of_one_connection(self):
        match = match_sas(self.SAS, Target("gw", "net"))
        # The connecting IKE_SA of gw counts: its CHILD_SA is not listed until IKE_AUTH completes.
        assert match.up == ["1"] and match.connecting == ["ike:2"]

    def test_child_everywhere_skips_rekeyed_and_deleting(self):
        match = match_sas(self.SAS, Target(None, "net"), child_conns=["gw"])
        assert match.up == ["1", "4"] and match.connecting == ["ike:2"]
        assert [sa["name"] for sa in match.sas] == ["gw", "gw", "other"]

    def test_connecting_ike_sa_of_another_connection_does_not_count(self):
        match = match_sas(self.SAS, Target(None, "net"), child_conns=["other"])
        assert match.connecting == []

    def test_absent(self):
        match = match_sas(self.SAS, Target("nope", None))
        assert not match.present and match.sas == []

    def test_all_ids_sees_every_state(self):
        assert all_ids(self.SAS, Target(None, "net")) == {"1", "3", "4", "5"}
        assert all_ids(self.SAS, Target("gw", None)) == {"1", "2"}


class TestRedirectCandidates:
    SAS = [
        _sa("rw", "1", "ESTABLISHED", **{"remote-host": "10.10.1.5", "remote-id": "carol@example.org", "version": "2"}),
        _sa("rw", "2", "ESTABLISHED", **{"remote-host": "10.20.0.9", "remote-id": "dave@example.org", "version": "2"}),
        _sa("rw", "3", "CONNECTING", **{"remote-host": "10.10.1.6", "remote-id": "%any", "version": "2"}),
        _sa("v1", "4", "ESTABLISHED", **{"remote-host": "10.10.1.7", "remote-id": "eve", "version": "1"}),
    ]

    @pytest.mark.parametrize(
        ("ike", "peer_ip", "peer_id", "expected"),
        [
            ("rw", None, None, ["1", "2"]),
            (None, "10.10.0.0/16", None, ["1"]),
            (None, "10.10.1.5", None, ["1"]),
            (None, "10.10.1.0-10.20.0.9", None, ["1", "2"]),
            (None, None, "dave@*", ["2"]),
            ("rw", "10.0.0.0/8", "*@example.org", ["1", "2"]),
            (None, "not an address", None, []),
        ],
    )
    def test_filters(self, ike, peer_ip, peer_id, expected):
        assert [sa["uniqueid"] for sa in redirect_candidates(self.SAS, ike, peer_ip, peer_id)] == expected


def test_child_being_created_on_an_established_ike_sa_counts_as_connecting():
    sas = [_sa("gw", "1", "ESTABLISHED", [("other", "1", "INSTALLED")], **{"tasks-active": ["CHILD_CREATE"]})]
    match = match_sas(sas, Target("gw", "net"))
    assert match.up == [] and match.connecting == ["ike:1"]
    idle = [_sa("gw", "1", "ESTABLISHED", [("other", "1", "INSTALLED")])]
    assert not match_sas(idle, Target("gw", "net")).present


def test_ike_sa_list_survives_values_where_sections_belong():
    events = [
        {"gw": {"state": "ESTABLISHED", "child-sas": {"net-1": {"name": "net", "spi": b"\x01"}, "odd": "x"}}},
        {"flat": "not a section"},
        {"bad-children": {"state": "CONNECTING", "child-sas": ["a", "b"]}},
    ]
    assert ike_sa_list(events) == [
        {"name": "gw", "state": "ESTABLISHED", "child_sas": [{"name": "net", "spi": "01"}]},
        {"name": "flat", "child_sas": []},
        {"name": "bad-children", "state": "CONNECTING", "child_sas": []},
    ]


class TestIdentityMatches:
    """state=down with remote_ids: which IKE_SAs a revoked identity ends."""

    SAS = [
        _sa("s2s-net", "1", "ESTABLISHED", [("net", "4", "INSTALLED")], **{"remote-id": "10.1.0.2", "remote-host": "10.1.0.2"}),
        _sa("s2s-pskt", "2", "ESTABLISHED", [("pskt", "5", "INSTALLED")], **{"remote-id": "10.1.0.2", "remote-host": "10.1.0.2"}),
        _sa("rw", "3", "ESTABLISHED", **{"remote-id": "198.18.0.9", "remote-eap-id": "frank", "remote-host": "198.18.0.9"}),
        _sa("rw", "6", "CONNECTING", **{"remote-id": "CN=10.1.0.2", "remote-host": "10.1.0.9"}),
        _sa("xauth", "7", "ESTABLISHED", **{"remote-id": "gw.example", "remote-xauth-id": "grace"}),
        _sa("s2s-net", "8", "DELETING", **{"remote-id": "10.1.0.2"}),
        _sa("s2s-net", "9", "ESTABLISHED", **{"remote-id": "10.1.0.20"}),
    ]

    @pytest.mark.parametrize(("ids", "ike", "expected"), [
        (["10.1.0.2"], None, ["1", "2"]),
        (["10.1.0.2", "CN=10.1.0.2"], "s2s-net", ["1"]),
        (["10.1.0.2", "CN=10.1.0.2"], None, ["1", "2", "6"]),
        (["frank"], None, ["3"]),
        (["grace"], None, ["7"]),
        (["10.1.0.*"], None, []),
        (["FRANK"], None, []),
        (["10.1.0.2"], "nope", []),
    ])
    def test_exact_match_on_remote_eap_and_xauth_id_of_live_sas_only(self, ids, ike, expected):
        assert [sa["uniqueid"] for sa in identity_matches(self.SAS, ids, ike)] == expected

    def test_entry_names_the_sa_its_peer_and_its_children(self):
        assert identity_entry(self.SAS[0], ["10.1.0.2"]) == {
            "name": "s2s-net", "uniqueid": "1", "state": "ESTABLISHED", "remote_id": "10.1.0.2",
            "remote_host": "10.1.0.2", "identity": "10.1.0.2", "child_sas": ["4"]}
        assert identity_entry(self.SAS[2], ["frank"])["identity"] == "frank"


@pytest.mark.parametrize(("params", "problem"), [
    ({"state": "down", "remote_ids": None}, None),
    ({"state": "down", "remote_ids": ["a"]}, None),
    ({"state": "up", "remote_ids": ["a"]}, "option 'remote_ids' selects IKE_SAs to terminate: it needs state=down"),
    ({"state": "rekeyed", "remote_ids": ["a"]}, "it needs state=down (state is 'rekeyed')"),
    ({"state": "down", "remote_ids": []}, "option 'remote_ids' is empty"),
    ({"state": "down", "remote_ids": ["a", " "]}, "option 'remote_ids' holds an empty identity"),
])
def test_remote_ids_only_with_state_down_and_never_empty(params, problem):
    found = check_remote_ids(params)
    assert (found is None) if problem is None else (problem in found), found
