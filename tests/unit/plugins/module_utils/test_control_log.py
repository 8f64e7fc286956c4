# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Control-log trimming, hints and failure messages.

The log lines are real control-log events recorded from strongSwan 5.9.8 (two daemons in namespaces).
"""

from __future__ import annotations

import pytest

from ansible_collections.strongswan.vici.plugins.module_utils._text.control_log import (
    failure_message,
    format_log_line,
    hints_for,
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
    msg = failure_message("initiating", "CHILD_SA 'net' of connection 'gw'", "establishing CHILD_SA 'net' failed", trim_log(AUTH_FAILED))
    assert msg.startswith("initiating CHILD_SA 'net' of connection 'gw' failed: establishing CHILD_SA 'net' failed. ")
    assert "Likely cause: authentication failed" in msg
    assert msg.endswith("received AUTHENTICATION_FAILED notify error")


def test_success_log_has_no_packet_lines():
    events = HANDSHAKE + [
        _log("IKE", 0, "IKE_SA gw[1] established between 198.18.0.1[a]...198.18.0.2[b]"),
        _log("IKE", 0, "CHILD_SA net{1} established with SPIs 06cfed8f_i bc2f1ad1_o and TS 198.51.100.0/24 === 203.0.113.0/24"),
    ]
    assert not any("packet" in line for line in trim_log(events))
