# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Pure logic of the runtime modules: SA matching, control-log trimming, hints, redirect filters, secret masking.

The log lines are real control-log events recorded from strongSwan 5.9.8 (two daemons in namespaces).
"""

from __future__ import annotations

import pytest

from ansible_collections.strongswan.vici.plugins.module_utils._runtime import (
    Target,
    all_ids,
    default_event,
    failure_message,
    format_log_line,
    hints_for,
    is_read_only,
    masked_request,
    match_sas,
    redirect_candidates,
    secret_values,
    trim_log,
)


def _log(group, level, msg, name="gw", uid="1"):
    return {"group": group, "level": str(level), "ikesa-name": name, "ikesa-uniqueid": uid, "msg": msg}


HANDSHAKE = [
    _log("IKE", 0, "initiating IKE_SA gw[1] to 198.18.0.2"),
    _log("ENC", 1, "generating IKE_SA_INIT request 0 [ SA KE No N(NATD_S_IP) N(NATD_D_IP) N(FRAG_SUP) N(HASH_ALG) N(REDIR_SUP) ]"),
    _log("NET", 1, "sending packet: from 198.18.0.1[500] to 198.18.0.2[500] (240 bytes)"),
]
AUTH_FAILED = HANDSHAKE + [
    _log("NET", 1, "received packet: from 198.18.0.2[500] to 198.18.0.1[500] (248 bytes)"),
    _log("ENC", 1, "parsed IKE_SA_INIT response 0 [ SA KE No N(NATD_S_IP) N(NATD_D_IP) N(FRAG_SUP) N(HASH_ALG) N(CHDLESS_SUP) N(MULT_AUTH) ]"),
    _log("CFG", 1, "selected proposal: IKE:AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/CURVE_25519"),
    _log("IKE", 1, "remote host is behind NAT"),
    _log("IKE", 1, "authentication of 'a' (myself) with pre-shared key"),
    _log("IKE", 0, "establishing CHILD_SA net{1}"),
    _log("ENC", 1, "generating IKE_AUTH request 1 [ IDi N(INIT_CONTACT) IDr AUTH SA TSi TSr N(MOBIKE_SUP) ]"),
    _log("NET", 1, "sending packet: from 198.18.0.1[4500] to 198.18.0.2[4500] (256 bytes)"),
    _log("NET", 1, "received packet: from 198.18.0.2[4500] to 198.18.0.1[4500] (80 bytes)"),
    _log("ENC", 1, "parsed IKE_AUTH response 1 [ N(AUTH_FAILED) ]"),
    _log("IKE", 1, "received AUTHENTICATION_FAILED notify error"),
]
NO_PROPOSAL = HANDSHAKE + [
    _log("NET", 1, "received packet: from 198.18.0.2[500] to 198.18.0.1[500] (36 bytes)"),
    _log("ENC", 1, "parsed IKE_SA_INIT response 0 [ N(NO_PROP) ]"),
    _log("IKE", 1, "received NO_PROPOSAL_CHOSEN notify error"),
]
ESP_MISMATCH = AUTH_FAILED[:-3] + [
    _log("ENC", 1, "parsed IKE_AUTH response 1 [ IDr AUTH N(MOBIKE_SUP) N(NO_ADD_ADDR) N(NO_PROP) ]"),
    _log("IKE", 1, "authentication of 'b' with pre-shared key successful"),
    _log("IKE", 1, "peer supports MOBIKE"),
    _log("IKE", 0, "IKE_SA gw[1] established between 198.18.0.1[a]...198.18.0.2[b]"),
    _log("IKE", 1, "scheduling rekeying in 14389s"),
    _log("IKE", 1, "received NO_PROPOSAL_CHOSEN notify, no CHILD_SA built"),
    _log("IKE", 1, "failed to establish CHILD_SA, keeping IKE_SA"),
]
RETRANSMITS = HANDSHAKE + [
    _log("IKE", 1, "retransmit 1 of request with message ID 0"),
    _log("NET", 1, "sending packet: from 198.18.0.1[500] to 198.18.0.2[500] (240 bytes)"),
    _log("IKE", 1, "retransmit 2 of request with message ID 0"),
    _log("NET", 1, "sending packet: from 198.18.0.1[500] to 198.18.0.2[500] (240 bytes)"),
]


class TestTrimLog:
    def test_authentication_failure_keeps_milestones_and_the_notify(self):
        assert trim_log(AUTH_FAILED) == [
            "[IKE] <gw|1> initiating IKE_SA gw[1] to 198.18.0.2",
            "[IKE] <gw|1> establishing CHILD_SA net{1}",
            "[IKE] <gw|1> received AUTHENTICATION_FAILED notify error",
        ]

    def test_no_proposal_chosen(self):
        assert trim_log(NO_PROPOSAL)[-1] == "[IKE] <gw|1> received NO_PROPOSAL_CHOSEN notify error"
        assert not any("parsed" in line or "packet" in line for line in trim_log(NO_PROPOSAL))

    def test_esp_mismatch_explains_the_missing_child(self):
        lines = trim_log(ESP_MISMATCH)
        assert lines[-2:] == [
            "[IKE] <gw|1> received NO_PROPOSAL_CHOSEN notify, no CHILD_SA built",
            "[IKE] <gw|1> failed to establish CHILD_SA, keeping IKE_SA",
        ]
        assert "[IKE] <gw|1> peer supports MOBIKE" not in lines

    def test_silent_peer_keeps_where_the_packets_went(self):
        lines = trim_log(HANDSHAKE)
        assert lines == [
            "[IKE] <gw|1> initiating IKE_SA gw[1] to 198.18.0.2",
            "[NET] <gw|1> sending packet: from 198.18.0.1[500] to 198.18.0.2[500] (240 bytes)",
        ]

    def test_retransmits_are_kept_without_packet_chatter(self):
        lines = trim_log(RETRANSMITS)
        assert "[IKE] <gw|1> retransmit 2 of request with message ID 0" in lines
        assert not any("sending packet" in line for line in lines)

    def test_long_logs_are_cut_in_the_middle(self):
        events = [_log("IKE", 0, "initiating IKE_SA gw[1] to 198.18.0.2")]
        events += [_log("IKE", 1, "retransmit %d of request with message ID 0" % n) for n in range(1, 20)]
        events.append(_log("IKE", 1, "giving up after 19 retransmits"))
        lines = trim_log(events, limit=6)
        assert len(lines) == 6
        assert lines[0].endswith("initiating IKE_SA gw[1] to 198.18.0.2")
        assert lines[-1].endswith("giving up after 19 retransmits")

    def test_success_log_keeps_the_established_lines(self):
        events = AUTH_FAILED[:-3] + [
            _log("IKE", 0, "IKE_SA gw[1] established between 198.18.0.1[a]...198.18.0.2[b]"),
            _log("IKE", 0, "CHILD_SA net{1} established with SPIs 06cfed8f_i bc2f1ad1_o and TS 198.51.100.0/24 === 203.0.113.0/24"),
        ]
        assert trim_log(events)[-1].startswith("[IKE] <gw|1> CHILD_SA net{1} established")

    def test_empty(self):
        assert trim_log([]) == []


def test_format_log_line_without_sa_name():
    assert format_log_line({"group": "CFG", "level": "1", "msg": "vici client 1 connected"}) == "[CFG] vici client 1 connected"


@pytest.mark.parametrize(
    ("events", "errmsg", "expected"),
    [
        (AUTH_FAILED, "establishing CHILD_SA 'net' failed", "authentication failed"),
        (NO_PROPOSAL, "establishing CHILD_SA 'net' failed", "no proposal chosen"),
        (ESP_MISMATCH, "establishing CHILD_SA 'net' failed", "no proposal chosen"),
        (HANDSHAKE, "CHILD_SA 'net' not established after 3000ms", "not responding"),
        ([], "CHILD_SA config 'nope' not found", "unknown connection"),
    ],
)
def test_hints_name_the_cause(events, errmsg, expected):
    assert hints_for(errmsg, trim_log(events))[0].startswith(expected) or expected in hints_for(errmsg, trim_log(events))[0]


def test_failure_message_names_target_errmsg_cause_and_log():
    msg = failure_message("initiating", Target("gw", "net"), "establishing CHILD_SA 'net' failed", trim_log(AUTH_FAILED))
    assert msg.startswith("initiating CHILD_SA 'net' of connection 'gw' failed: establishing CHILD_SA 'net' failed. ")
    assert "Likely cause: authentication failed" in msg
    assert msg.endswith("received AUTHENTICATION_FAILED notify error")


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


class TestCommandTable:
    @pytest.mark.parametrize("command", ["version", "stats", "list-sas", "list-certs", "get-conns", "get-counters"])
    def test_read_only(self, command):
        assert is_read_only(command)

    @pytest.mark.parametrize("command", ["initiate", "load-conn", "reset-counters", "reload-settings", "no-such"])
    def test_changing(self, command):
        assert not is_read_only(command)

    def test_default_events(self):
        assert default_event("list-sas") == "list-sa"
        assert default_event("initiate") == "control-log"
        assert default_event("version") is None


class TestSecretValues:
    def test_shared_and_key_data(self):
        assert secret_values("load-shared", {"id": "k", "type": "IKE", "data": "psk!", "owners": ["a"]}) == ["psk!"]
        assert secret_values("load-key", {"type": "rsa", "data": "-----BEGIN..."}) == ["-----BEGIN..."]

    def test_certificate_data_is_not_secret(self):
        assert secret_values("load-cert", {"type": "X509", "data": "-----BEGIN CERTIFICATE..."}) == []

    def test_named_secret_keys_anywhere(self):
        message = {"tok": {"pin": 1234}, "x": [{"password": "pw"}], "eap": {"secret": "s"}}
        assert sorted(secret_values("load-token", message)) == ["1234", "pw", "s"]

    def test_empty_values_are_not_masked(self):
        assert secret_values("load-shared", {"data": ""}) == []

    def test_deep_nesting_needs_no_recursion(self):
        message = node = {}
        for _level in range(50000):
            node["s"] = {}
            node = node["s"]
        node["psk"] = "deep"
        assert secret_values("load-conn", message) == ["deep"]
        copy = masked_request("load-conn", message)
        for _level in range(50000):
            copy = copy["s"]
        assert copy == {"psk": "********"}


class TestMaskedRequest:
    def test_secrets_replaced_rest_kept_in_order(self):
        message = {"id": "k", "type": "IKE", "data": "psk!", "owners": ["a", "b"]}
        masked = masked_request("load-shared", message)
        assert masked == {"id": "k", "type": "IKE", "data": "********", "owners": ["a", "b"]}
        assert list(masked) == list(message)
        assert message["data"] == "psk!"  # a copy

    def test_lists_of_secrets_and_sections(self):
        message = {"tok": {"pin": [1, 2]}, "x": [{"password": "pw"}], "all": True, "n": 3}
        assert masked_request("load-token", message) == {
            "tok": {"pin": ["********", "********"]}, "x": [{"password": "********"}], "all": True, "n": 3}

    def test_data_is_secret_only_for_secret_commands(self):
        assert masked_request("load-cert", {"data": "PEM"}) == {"data": "PEM"}
        assert masked_request("load-key", {"data": "PEM"}) == {"data": "********"}


def test_success_log_has_no_packet_lines():
    events = HANDSHAKE + [
        _log("IKE", 0, "IKE_SA gw[1] established between 198.18.0.1[a]...198.18.0.2[b]"),
        _log("IKE", 0, "CHILD_SA net{1} established with SPIs 06cfed8f_i bc2f1ad1_o and TS 198.51.100.0/24 === 203.0.113.0/24"),
    ]
    assert not any("packet" in line for line in trim_log(events))


def test_child_being_created_on_an_established_ike_sa_counts_as_connecting():
    sas = [_sa("gw", "1", "ESTABLISHED", [("other", "1", "INSTALLED")], **{"tasks-active": ["CHILD_CREATE"]})]
    match = match_sas(sas, Target("gw", "net"))
    assert match.up == [] and match.connecting == ["ike:1"]
    idle = [_sa("gw", "1", "ESTABLISHED", [("other", "1", "INSTALLED")])]
    assert not match_sas(idle, Target("gw", "net")).present
