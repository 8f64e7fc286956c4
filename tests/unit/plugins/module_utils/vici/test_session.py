# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The VICI session against a scripted fake daemon: replies, failures, streams, events, broken peers, timeouts."""

from __future__ import annotations

import importlib.util
import os
import select
import socket
import time

import pytest

from ansible_collections.strongswan.vici.plugins.module_utils.vici import session as session_module
from ansible_collections.strongswan.vici.plugins.module_utils.vici.errors import (
    ViciCommandFailed,
    ViciCommandUnknown,
    ViciEncodeError,
    ViciError,
    ViciEventUnknown,
    ViciProtocolError,
    ViciTimeoutError,
    ViciTransportError,
)
from ansible_collections.strongswan.vici.plugins.module_utils.vici.session import Session, StreamResult, is_success, options
from ansible_collections.strongswan.vici.plugins.module_utils.vici.wire import CMD_REQUEST, MAX_SEGMENT_SIZE, Packet
from ansible_collections.strongswan.vici.tests.unit.fake_vici import (
    SUCCESS,
    Close,
    ReadUntilEof,
    Raw,
    Send,
    Sleep,
    cmd_response,
    cmd_unknown,
    event,
    event_confirm,
    event_unknown,
    expect_register,
    expect_request,
    expect_unregister,
    kv,
    section,
    socket_path,
    vlist,
)

if importlib.util.find_spec("pytest_timeout") is not None:
    pytestmark = pytest.mark.timeout(60)

# Generous: only the tests about timeouts use a short one.
TIMEOUT = 10
SHORT = 0.3
# "Well under": proves a wait ended by the client's own timeout, not by the fake daemon giving up (10 s).
NO_HANG = 5


def connect(server, timeout=TIMEOUT):
    return Session(server.uri, timeout=timeout)


def names(server):
    return [(packet.type_name, packet.name) for packet in server.received]


# -- plain commands ------------------------------------------------------------------------------


def test_normal_call(fake_vici):
    server = fake_vici(
        expect_request("version"),
        Send(cmd_response(kv("daemon", "charon") + kv("version", "6.0.3") + kv("sysname", "Linux"))),
        ReadUntilEof(),
    )
    with connect(server) as vici:
        reply = vici.version()
        assert not vici.closed
    assert vici.closed
    assert reply == {"daemon": "charon", "version": "6.0.3", "sysname": "Linux"}
    assert list(reply) == ["daemon", "version", "sysname"]
    assert server.wait_done()
    assert server.received == [Packet(CMD_REQUEST, "version", {})]
    assert server.raw_received == [b"\x00\x07version"]


def test_call_with_a_message_and_nested_reply(fake_vici):
    server = fake_vici(
        expect_request("get-pools"),
        Send(cmd_response(section("p1", kv("base", "10.3.0.0"), kv("size", "14"), vlist("dns", "10.3.0.1")))),
    )
    with connect(server) as vici:
        reply = vici.call("get-pools", {"name": "p1", "leases": True})
    assert reply == {"p1": {"base": "10.3.0.0", "size": "14", "dns": ["10.3.0.1"]}}
    assert server.received[0].message == {"name": "p1", "leases": "yes"}


def test_endpoint_is_the_parsed_uri(fake_vici):
    server = fake_vici(ReadUntilEof())
    with connect(server) as vici:
        assert vici.endpoint == (socket.AF_UNIX, server.uri[len("unix://"):])
        assert vici.endpoint.family == socket.AF_UNIX


def test_several_calls_in_sequence(fake_vici):
    server = fake_vici(
        expect_request("version"), Send(cmd_response(kv("n", "1"))),
        expect_request("stats"), Send(cmd_response(kv("n", "2"))),
        expect_request("get-conns"), Send(cmd_response(vlist("conns", "a", "b"))),
    )
    with connect(server) as vici:
        assert vici.version() == {"n": "1"}
        assert vici.stats() == {"n": "2"}
        assert vici.get_conns() == {"conns": ["a", "b"]}


def test_cmd_unknown(fake_vici):
    server = fake_vici(
        expect_request("get-algorithms"), Send(cmd_unknown()),
        expect_request("version"), Send(cmd_response(kv("version", "5.1.0"))),
    )
    with connect(server) as vici:
        with pytest.raises(ViciCommandUnknown) as info:
            vici.get_algorithms()
        assert info.value.command == "get-algorithms"
        assert "does not know the VICI command 'get-algorithms'" in str(info.value)
        # the stream is still in sync: the session goes on
        assert not vici.closed
        assert vici.version() == {"version": "5.1.0"}


def test_cmd_unknown_raises_even_without_check(fake_vici):
    server = fake_vici(expect_request("frobnicate"), Send(cmd_unknown()))
    with connect(server) as vici:
        with pytest.raises(ViciCommandUnknown):
            vici.call("frobnicate", check=False)


FAILED = cmd_response(kv("success", "no") + kv("errmsg", "no config named 'gw'") + kv("matches", "0"))


def test_command_failed(fake_vici):
    server = fake_vici(expect_request("unload-conn"), Send(FAILED))
    with connect(server) as vici:
        with pytest.raises(ViciCommandFailed) as info:
            vici.unload_conn("gw")
        assert not vici.closed
    error = info.value
    assert error.command == "unload-conn"
    assert error.errmsg == "no config named 'gw'"
    assert error.response == {"success": "no", "errmsg": "no config named 'gw'", "matches": "0"}
    assert error.events == []
    assert str(error) == "VICI command 'unload-conn' failed: no config named 'gw'"


def test_command_failed_without_errmsg(fake_vici):
    server = fake_vici(expect_request("clear-creds"), Send(cmd_response(kv("success", "no"))))
    with connect(server) as vici:
        with pytest.raises(ViciCommandFailed, match=r"failed: \(the daemon gave no errmsg\)") as info:
            vici.clear_creds()
    assert info.value.errmsg == ""


def test_command_failed_with_check_false_returns_the_reply(fake_vici):
    server = fake_vici(
        expect_request("unload-conn"), Send(FAILED),
        expect_request("load-conn"), Send(FAILED),
    )
    with connect(server) as vici:
        assert vici.unload_conn("gw", check=False) == {"success": "no", "errmsg": "no config named 'gw'", "matches": "0"}
        assert vici.call("load-conn", {"gw": {}}, check=False)["success"] == "no"


@pytest.mark.parametrize("success, expected", [("yes", True), ("no", False), ("maybe", False), (None, True)])
def test_is_success(success, expected):
    reply = {} if success is None else {"success": success}
    assert is_success(reply) is expected
    if success is not None:
        assert is_success({"success": success.encode()}) is expected


def test_options_helper():
    assert options(ike_id=3, type_="X509", init_limits=False, child=None, pass_=True) == {
        "ike-id": 3, "type": "X509", "init-limits": False, "pass": True,
    }


# -- streamed commands -----------------------------------------------------------------------------


def test_streamed_command_collects_events_in_order_and_keeps_the_whole_response(fake_vici):
    log = [event("control-log", kv("group", "IKE") + kv("level", "1") + kv("msg", "line %d" % n)) for n in range(3)]
    server = fake_vici(
        expect_register("control-log"), Send(event_confirm()),
        expect_request("terminate"),
        Send(*(log + [cmd_response(kv("success", "yes") + kv("matches", "2") + kv("terminated", "2"))])),
        expect_unregister("control-log"), Send(event_confirm()),
    )
    seen = []
    with connect(server) as vici:
        result = vici.terminate(ike="gw", on_log=seen.append)
        assert vici.registered == frozenset()
    assert isinstance(result, StreamResult)
    assert [entry["msg"] for entry in result.events] == ["line 0", "line 1", "line 2"]
    assert seen == result.events
    assert result.response == {"success": "yes", "matches": "2", "terminated": "2"}
    assert names(server) == [("EVENT_REGISTER", "control-log"), ("CMD_REQUEST", "terminate"),
                             ("EVENT_UNREGISTER", "control-log")]
    assert server.received[1].message == {"ike": "gw"}


def test_streamed_list_returns_one_event_per_entry_even_with_repeated_names(fake_vici):
    server = fake_vici(
        expect_register("list-sa"), Send(event_confirm()),
        expect_request("list-sas"),
        Send(event("list-sa", section("gw", kv("uniqueid", "1"))),
             event("list-sa", section("gw", kv("uniqueid", "2"))),
             cmd_response()),
        expect_unregister("list-sa"), Send(event_confirm()),
    )
    with connect(server) as vici:
        sas = vici.list_sas()
    assert sas == [{"gw": {"uniqueid": "1"}}, {"gw": {"uniqueid": "2"}}]


def test_streamed_command_failure_carries_the_events_and_still_unregisters(fake_vici):
    server = fake_vici(
        expect_register("control-log"), Send(event_confirm()),
        expect_request("initiate"),
        Send(event("control-log", kv("msg", "establishing CHILD_SA net failed")),
             cmd_response(kv("success", "no") + kv("errmsg", "establishing CHILD_SA 'net' failed"))),
        expect_unregister("control-log"), Send(event_confirm()),
        expect_request("version"), Send(cmd_response(kv("version", "6.0.3"))),
    )
    with connect(server) as vici:
        with pytest.raises(ViciCommandFailed) as info:
            vici.initiate(child="net", timeout=1000)
        assert info.value.events == [{"msg": "establishing CHILD_SA net failed"}]
        assert info.value.errmsg == "establishing CHILD_SA 'net' failed"
        assert vici.registered == frozenset()
        assert vici.version() == {"version": "6.0.3"}


def test_streamed_command_with_check_false(fake_vici):
    server = fake_vici(
        expect_register("control-log"), Send(event_confirm()),
        expect_request("terminate"), Send(cmd_response(kv("success", "no") + kv("errmsg", "no matching SAs"))),
        expect_unregister("control-log"), Send(event_confirm()),
    )
    with connect(server) as vici:
        result = vici.terminate(ike="nope", check=False)
    assert result == StreamResult([], {"success": "no", "errmsg": "no matching SAs"})


def test_stream_event_already_registered_is_not_registered_again_nor_unregistered(fake_vici):
    server = fake_vici(
        expect_register("control-log"), Send(event_confirm()),
        expect_request("initiate"), Send(event("control-log", kv("msg", "x")), SUCCESS),
        expect_request("version"), Send(cmd_response()),
    )
    with connect(server) as vici:
        vici.register("control-log")
        assert vici.initiate(child="net").events == [{"msg": "x"}]
        assert vici.registered == frozenset({"control-log"})
        vici.version()
    assert names(server) == [("EVENT_REGISTER", "control-log"), ("CMD_REQUEST", "initiate"), ("CMD_REQUEST", "version")]


# -- events and their interleaving with replies -------------------------------------------------------


def updown(number):
    return event("ike-updown", kv("up", "yes") + section("gw", kv("uniqueid", str(number))))


def test_broadcast_events_before_confirms_and_replies_are_kept_for_listen(fake_vici):
    server = fake_vici(
        expect_register("ike-updown"), Send(event_confirm()),
        # list-sas: an ike-updown arrives before the EVENT_CONFIRM of list-sa, more before the CMD_RESPONSE
        expect_register("list-sa"), Send(updown(1), event_confirm()),
        expect_request("list-sas"),
        Send(updown(2), event("list-sa", section("gw", kv("uniqueid", "9"))), updown(3), cmd_response()),
        expect_unregister("list-sa"), Send(updown(4), event_confirm()),
        # a plain command: the event comes first and must not be taken for the reply
        expect_request("version"), Send(updown(5), cmd_response(kv("version", "6.0.3"))),
        Sleep(SHORT * 3),  # listen() reads nothing more and ends at its timeout
        ReadUntilEof(),
    )
    with connect(server) as vici:
        vici.register("ike-updown")
        assert vici.list_sas() == [{"gw": {"uniqueid": "9"}}]
        assert vici.version() == {"version": "6.0.3"}
        heard = list(vici.listen(["ike-updown"], timeout=SHORT))
        assert vici.registered == frozenset({"ike-updown"})
        assert vici.pending_events() == []
    assert [(name, message["gw"]["uniqueid"]) for name, message in heard] == [("ike-updown", str(n)) for n in range(1, 6)]
    assert server.wait_done()
    # listen() did not register again (already registered) nor unregister what it did not register
    assert names(server) == [
        ("EVENT_REGISTER", "ike-updown"),
        ("EVENT_REGISTER", "list-sa"),
        ("CMD_REQUEST", "list-sas"),
        ("EVENT_UNREGISTER", "list-sa"),
        ("CMD_REQUEST", "version"),
    ]


def test_pending_events_returns_and_clears_the_backlog(fake_vici):
    server = fake_vici(
        expect_register("log"), Send(event_confirm()),
        expect_request("version"), Send(event("log", kv("msg", "a")), event("log", kv("msg", "b")), cmd_response()),
    )
    with connect(server) as vici:
        vici.register("log")
        vici.version()
        assert vici.pending_events() == [("log", {"msg": "a"}), ("log", {"msg": "b"})]
        assert vici.pending_events() == []


def test_backlog_is_bounded(fake_vici, monkeypatch):
    monkeypatch.setattr(session_module, "EVENT_BACKLOG_LIMIT", 3)
    server = fake_vici(
        expect_register("log"), Send(event_confirm()),
        expect_request("version"), Send(*([event("log", kv("n", str(n))) for n in range(5)] + [cmd_response()])),
    )
    with connect(server) as vici:
        vici.register("log")
        vici.version()
        assert vici.dropped_events == 2
        assert vici.pending_events() == [("log", {"n": "2"}), ("log", {"n": "3"}), ("log", {"n": "4"})]


def test_register_twice_sends_one_registration(fake_vici):
    server = fake_vici(
        expect_register("log"), Send(event_confirm()),
        expect_request("version"), Send(cmd_response()),
        expect_unregister("log"), Send(event_confirm()),
        expect_request("stats"), Send(cmd_response()),
    )
    with connect(server) as vici:
        vici.register("log")
        vici.register("log")
        assert vici.registered == frozenset({"log"})
        vici.version()
        vici.unregister("log")
        vici.unregister("log")
        vici.unregister("never-registered")
        assert vici.registered == frozenset()
        vici.stats()
    assert names(server) == [("EVENT_REGISTER", "log"), ("CMD_REQUEST", "version"),
                             ("EVENT_UNREGISTER", "log"), ("CMD_REQUEST", "stats")]


def test_event_unknown(fake_vici):
    server = fake_vici(
        expect_register("alert"), Send(event_unknown()),
        expect_request("version"), Send(cmd_response(kv("version", "5.9.14"))),
    )
    with connect(server) as vici:
        with pytest.raises(ViciEventUnknown) as info:
            vici.register("alert")
        assert info.value.event == "alert"
        assert "does not know the VICI event 'alert'" in str(info.value)
        assert vici.registered == frozenset()
        assert vici.version() == {"version": "5.9.14"}


def test_event_unknown_for_a_stream_event_sends_no_request(fake_vici):
    server = fake_vici(expect_register("list-authority"), Send(event_unknown()), ReadUntilEof())
    with connect(server) as vici:
        with pytest.raises(ViciEventUnknown):
            vici.list_authorities()
    assert server.wait_done()
    assert names(server) == [("EVENT_REGISTER", "list-authority")]


def test_listen_yields_backlog_then_live_events_ends_at_timeout_and_unregisters(fake_vici):
    server = fake_vici(
        expect_register("child-updown"), Send(event_confirm()),
        expect_request("version"), Send(event("child-updown", kv("n", "backlog")), cmd_response()),
        expect_register("ike-updown"),
        Send(event_confirm(), event("ike-updown", kv("n", "live1"))),
        Sleep(0.05),
        Send(event("child-updown", kv("n", "live2")), event("ike-updown", kv("n", "live3"))),
        expect_unregister("ike-updown"), Send(event_confirm()),
        expect_request("stats"), Send(cmd_response()),
    )
    with connect(server) as vici:
        vici.register("child-updown")
        vici.version()
        started = time.monotonic()
        heard = list(vici.listen(["ike-updown", "child-updown"], timeout=SHORT * 2))
        assert time.monotonic() - started < NO_HANG
        assert not vici.closed
        assert vici.registered == frozenset({"child-updown"})
        vici.stats()
    assert heard == [
        ("child-updown", {"n": "backlog"}),
        ("ike-updown", {"n": "live1"}),
        ("child-updown", {"n": "live2"}),
        ("ike-updown", {"n": "live3"}),
    ]
    assert ("EVENT_UNREGISTER", "ike-updown") in names(server)
    assert ("EVENT_UNREGISTER", "child-updown") not in names(server)


def test_fileno_waits_with_select_for_the_next_event_then_listen_reads_it(fake_vici):
    """select() on the session returns when an event begins; listen() then reads it with its own deadline."""
    server = fake_vici(expect_register("child-updown"), Send(event_confirm()), Sleep(0.3),
                       Send(event("child-updown", kv("n", "1"))), ReadUntilEof())
    with connect(server) as vici:
        vici.register("child-updown")
        assert select.select([vici], [], [], 0.05)[0] == []
        assert select.select([vici], [], [], NO_HANG)[0] == [vici]
        assert next(iter(vici.listen(["child-updown"], timeout=TIMEOUT))) == ("child-updown", {"n": "1"})
        assert vici.fileno() >= 0
    with pytest.raises(ViciTransportError):
        vici.fileno()


def test_listen_keeps_events_it_does_not_want(fake_vici):
    server = fake_vici(
        expect_register("log"), Send(event_confirm()),
        expect_register("ike-updown"),
        Send(event_confirm(), event("log", kv("msg", "kept")), event("ike-updown", kv("n", "1"))),
        expect_unregister("ike-updown"), Send(event_confirm()),
    )
    with connect(server) as vici:
        vici.register("log")
        assert list(vici.listen(["ike-updown"], timeout=SHORT)) == [("ike-updown", {"n": "1"})]
        assert vici.pending_events() == [("log", {"msg": "kept"})]


def test_listen_closed_early_unregisters(fake_vici):
    server = fake_vici(
        expect_register("ike-updown"), Send(event_confirm(), event("ike-updown", kv("n", "1"))),
        expect_unregister("ike-updown"), Send(event_confirm()),
    )
    with connect(server) as vici:
        events = vici.listen(["ike-updown"], timeout=TIMEOUT)
        assert next(events) == ("ike-updown", {"n": "1"})
        events.close()
        assert vici.registered == frozenset()
    assert names(server)[-1] == ("EVENT_UNREGISTER", "ike-updown")


def test_listen_to_an_unknown_event(fake_vici):
    server = fake_vici(expect_register("nope"), Send(event_unknown()))
    with connect(server) as vici:
        with pytest.raises(ViciEventUnknown):
            list(vici.listen(["nope"], timeout=SHORT))


def test_listen_rejects_a_reply_packet(fake_vici):
    server = fake_vici(expect_register("log"), Send(event_confirm(), cmd_response()))
    with connect(server) as vici:
        with pytest.raises(ViciProtocolError, match="unexpected CMD_RESPONSE packet while listening for events"):
            list(vici.listen(["log"], timeout=TIMEOUT))
        assert vici.closed


# -- broken peers --------------------------------------------------------------------------------------


def test_eof_in_the_middle_of_a_frame(fake_vici):
    server = fake_vici(expect_request("version"), Raw((100).to_bytes(4, "big") + b"\x01" * 10), Close())
    vici = connect(server)
    with pytest.raises(ViciTransportError) as info:
        vici.version()
    assert not isinstance(info.value, ViciTimeoutError)
    assert "closed the connection in the middle of a segment" in str(info.value)
    assert vici.closed
    with pytest.raises(ViciTransportError, match="the session to %s is closed" % server.uri):
        vici.version()


def test_eof_before_any_reply(fake_vici):
    server = fake_vici(expect_request("version"), Close())
    vici = connect(server)
    with pytest.raises(ViciTransportError) as info:
        vici.version()
    assert not isinstance(info.value, ViciTimeoutError)
    assert server.uri in str(info.value)
    assert str(info.value) == "%s closed the connection" % server.uri
    assert info.value.uri == server.uri
    assert vici.closed


def test_eof_while_waiting_for_an_event_confirm(fake_vici):
    server = fake_vici(expect_register("log"), Close())
    vici = connect(server)
    with pytest.raises(ViciTransportError, match="closed the connection"):
        vici.register("log")
    assert vici.closed
    assert vici.registered == frozenset()


def test_daemon_that_never_answers(fake_vici):
    server = fake_vici(expect_request("initiate"))  # then holds the connection open, silent
    vici = connect(server, timeout=SHORT)
    started = time.monotonic()
    with pytest.raises(ViciTimeoutError) as info:
        vici.call("initiate", {"child": "net"})
    assert time.monotonic() - started < NO_HANG
    assert info.value.partial is False
    assert server.uri in str(info.value)
    # a reply is still owed: the session must not be used again
    assert vici.closed


def test_daemon_that_never_confirms_a_registration(fake_vici):
    server = fake_vici(expect_register("log"))
    vici = connect(server, timeout=SHORT)
    started = time.monotonic()
    with pytest.raises(ViciTimeoutError):
        vici.register("log")
    assert time.monotonic() - started < NO_HANG
    assert vici.closed


def test_half_a_frame_then_silence_times_out(fake_vici):
    """The deadline covers the whole segment, not just its first byte."""
    server = fake_vici(expect_request("version"), Raw((100).to_bytes(4, "big") + b"\x01" * 10))
    vici = connect(server, timeout=SHORT)
    started = time.monotonic()
    with pytest.raises(ViciTimeoutError) as info:
        vici.version()
    assert time.monotonic() - started < NO_HANG
    assert info.value.partial is True
    assert vici.closed


def test_slow_trickle_cannot_extend_the_deadline(fake_vici):
    # a byte every 50 ms for 10 s: a timeout per recv() call would never fire before the trickle ends
    trickle = [Raw((250).to_bytes(4, "big"))] + [action for _n in range(200) for action in (Sleep(0.05), Raw(b"\x01"))]
    server = fake_vici(expect_request("version"), *trickle)
    vici = connect(server, timeout=SHORT)
    started = time.monotonic()
    with pytest.raises(ViciTimeoutError):
        vici.version()
    assert time.monotonic() - started < NO_HANG
    assert vici.closed


def test_per_call_timeout_overrides_the_session_timeout(fake_vici):
    server = fake_vici(expect_request("version"))
    vici = connect(server, timeout=TIMEOUT)
    started = time.monotonic()
    with pytest.raises(ViciTimeoutError):
        vici.call("version", timeout=SHORT)
    assert time.monotonic() - started < NO_HANG


def test_oversized_length_header(fake_vici):
    # Only 10 body bytes follow: had the client tried to read the announced body, it would time out instead.
    server = fake_vici(expect_request("list-certs"), Raw((MAX_SEGMENT_SIZE + 1).to_bytes(4, "big") + b"\x01" * 10))
    vici = connect(server, timeout=TIMEOUT)
    started = time.monotonic()
    with pytest.raises(ViciProtocolError, match="segment length 524289 exceeds the VICI limit of 524288 bytes"):
        vici.call("list-certs")
    assert time.monotonic() - started < NO_HANG
    assert vici.closed


@pytest.mark.parametrize("payload", [b"\x09abc", b"\xff", b"\x08"])
def test_garbage_packet_type(fake_vici, payload):
    server = fake_vici(expect_request("version"), Send(payload))
    vici = connect(server)
    with pytest.raises(ViciProtocolError, match="unknown packet type %d" % payload[0]):
        vici.version()
    assert vici.closed


def test_empty_segment_from_the_daemon(fake_vici):
    server = fake_vici(expect_request("version"), Send(b""))
    vici = connect(server)
    with pytest.raises(ViciProtocolError, match="empty segment"):
        vici.version()
    assert vici.closed


@pytest.mark.parametrize(
    "reply, wording",
    [
        (event_confirm(), "unexpected EVENT_CONFIRM packet while waiting for a reply"),
        (event_unknown(), "unexpected EVENT_UNKNOWN packet while waiting for a reply"),
        (b"\x00\x07version", "unexpected CMD_REQUEST packet while waiting for a reply"),
    ],
)
def test_wrong_reply_type(fake_vici, reply, wording):
    server = fake_vici(expect_request("version"), Send(reply))
    vici = connect(server)
    with pytest.raises(ViciProtocolError, match=wording):
        vici.version()
    assert vici.closed


def test_reply_to_a_registration_that_is_a_command_reply(fake_vici):
    server = fake_vici(expect_register("log"), Send(cmd_response()))
    vici = connect(server)
    with pytest.raises(ViciProtocolError, match="unexpected CMD_RESPONSE packet while waiting for a reply"):
        vici.register("log")
    assert vici.closed


def test_malformed_reply_message(fake_vici):
    server = fake_vici(expect_request("version"), Send(cmd_response(kv("a", "1") + kv("a", "2"))))
    vici = connect(server)
    with pytest.raises(ViciProtocolError, match="duplicate name 'a'"):
        vici.version()
    assert vici.closed


# -- connecting and sending --------------------------------------------------------------------------


def test_missing_socket_path(tmp_path):
    uri = "unix://" + str(tmp_path / "charon.vici")
    with pytest.raises(ViciTransportError) as info:
        Session(uri, timeout=TIMEOUT)
    assert uri in str(info.value)
    assert os.strerror(2) in str(info.value)  # No such file or directory


def test_connection_refused(tmp_path):
    path = socket_path(tmp_path)
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(path)
    try:
        with pytest.raises(ViciTransportError) as info:
            Session("unix://" + path, timeout=TIMEOUT)
    finally:
        dead.close()
    assert "unix://" + path in str(info.value)
    assert "Connection refused" in str(info.value)


def test_message_over_the_segment_limit_is_refused_before_sending(fake_vici):
    server = fake_vici(expect_request("version"), Send(cmd_response()), ReadUntilEof())
    huge = {"gw": {"cert%d" % n: b"\x30" * 60000 for n in range(9)}}
    with connect(server) as vici:
        with pytest.raises(ViciProtocolError, match="exceeds the VICI segment limit of 524288 bytes"):
            vici.load_authority(huge)
        # nothing was sent, so the session is still in sync and usable
        assert not vici.closed
        vici.version()
    assert server.wait_done()
    assert names(server) == [("CMD_REQUEST", "version")]


def test_encode_error_sends_nothing(fake_vici):
    server = fake_vici(ReadUntilEof())
    with connect(server) as vici:
        with pytest.raises(ViciEncodeError) as info:
            vici.load_conn({"gw": {"children": {"net": {"local_ts": ["10.0.0.0/8", None]}}}})
        assert info.value.path == "gw.children.net.local_ts[1]"
        assert isinstance(info.value, ViciError)
        assert not vici.closed
    assert server.wait_done()
    assert server.received == []


def test_closed_session(fake_vici):
    server = fake_vici(ReadUntilEof())
    vici = connect(server)
    vici.close()
    vici.close()  # twice is fine
    assert vici.closed
    with pytest.raises(ViciTransportError, match="is closed"):
        vici.version()
    with pytest.raises(ViciTransportError, match="is closed"):
        vici.register("log")
    assert server.wait_done()
    assert server.received == []


def test_streamed_command_times_out_and_closes(fake_vici):
    server = fake_vici(
        expect_register("control-log"), Send(event_confirm()),
        expect_request("initiate"), Send(event("control-log", kv("msg", "initiating"))),
    )
    vici = connect(server, timeout=SHORT)
    with pytest.raises(ViciTimeoutError):
        vici.initiate(child="net", timeout=0)
    assert vici.closed
    assert vici.registered == frozenset()


def test_control_timeout_is_longer_than_the_daemons(fake_vici):
    """initiate(timeout=N ms) waits on the client side longer than the daemon does, so the daemon's answer wins."""
    server = fake_vici(
        expect_register("control-log"), Send(event_confirm()),
        expect_request("initiate"), Sleep(SHORT * 2),
        Send(cmd_response(kv("success", "no") + kv("errmsg", "establishing CHILD_SA 'net' timed out"))),
        expect_unregister("control-log"), Send(event_confirm()),
    )
    vici = connect(server, timeout=SHORT)
    with pytest.raises(ViciCommandFailed, match="timed out"):
        vici.initiate(child="net", timeout=100)
    assert not vici.closed
    vici.close()


def test_op_timeout_overrides_the_control_timeout(fake_vici):
    server = fake_vici(expect_register("control-log"), Send(event_confirm()), expect_request("initiate"))
    vici = connect(server, timeout=TIMEOUT)
    started = time.monotonic()
    with pytest.raises(ViciTimeoutError):
        vici.initiate(child="net", timeout=60000, op_timeout=SHORT)
    assert time.monotonic() - started < NO_HANG
