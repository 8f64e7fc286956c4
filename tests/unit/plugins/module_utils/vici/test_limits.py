# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The client's limits: timeouts out of range, a full listen queue, nesting depth, event floods."""

from __future__ import annotations

import importlib.util
import socket
import threading
import time
import tracemalloc

import pytest

from ansible_collections.strongswan.vici.plugins.module_utils.vici import session as session_module
from ansible_collections.strongswan.vici.plugins.module_utils.vici.errors import (
    ViciError,
    ViciLimitError,
    ViciProtocolError,
    ViciTimeoutError,
    ViciTransportError,
    ViciValueError,
)
from ansible_collections.strongswan.vici.plugins.module_utils.vici.session import Session
from ansible_collections.strongswan.vici.plugins.module_utils.vici.transport import (
    MAX_TIMEOUT,
    Deadline,
    FramedSocket,
    check_timeout,
)
from ansible_collections.strongswan.vici.plugins.module_utils.vici.wire import (
    MAX_DEPTH,
    decode_message,
    decode_packet,
    encode_message,
)
from ansible_collections.strongswan.vici.tests.unit.fake_vici import (
    Flood,
    ReadUntilEof,
    Send,
    cmd_response,
    event,
    event_confirm,
    expect_register,
    expect_request,
    kv,
    socket_path,
)

if importlib.util.find_spec("pytest_timeout") is not None:
    pytestmark = pytest.mark.timeout(120)

BAD_TIMEOUTS = [-1, -0.001, 0, float("nan"), float("inf"), float("-inf"), 1e300, 1e10, MAX_TIMEOUT + 1, 10 ** 400, True, "5"]


# -- timeouts ----------------------------------------------------------------------------------


@pytest.mark.parametrize("value", BAD_TIMEOUTS, ids=repr)
def test_check_timeout_rejects_and_names_the_field(value):
    with pytest.raises(ViciValueError) as failure:
        check_timeout(value, "wait_timeout")
    assert failure.value.field == "wait_timeout"
    assert str(failure.value).startswith("wait_timeout must be")
    assert isinstance(failure.value, ValueError) and isinstance(failure.value, ViciError)


@pytest.mark.parametrize("value", [0.001, 1, 30.0, MAX_TIMEOUT, None])
def test_check_timeout_accepts(value):
    assert check_timeout(value) == (None if value is None else float(value))


def test_zero_only_where_allowed():
    assert check_timeout(0, allow_zero=True) == 0.0
    with pytest.raises(ViciValueError, match="more than 0"):
        check_timeout(0)
    with pytest.raises(ViciValueError, match="not None"):
        check_timeout(None, allow_none=False)


@pytest.mark.parametrize("value", BAD_TIMEOUTS, ids=repr)
def test_session_rejects_bad_timeout_before_connecting(tmp_path, value):
    # No socket exists: the timeout is checked first, so the error is about the timeout.
    with pytest.raises(ViciValueError, match="^timeout must be"):
        Session("unix://%s" % (tmp_path / "absent.vici"), timeout=value)
    with pytest.raises(ViciValueError):
        FramedSocket.connect("unix://%s" % (tmp_path / "absent.vici"), value)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -1, 1e300])
def test_deadline_and_per_call_timeouts_are_checked(fake_vici, value):
    if value == -1:
        assert Deadline(value).remaining() == 0.0  # a deadline already past, as the framing tests use it
    else:
        with pytest.raises(ViciValueError):
            Deadline(value)
    server = fake_vici(expect_request("version"), Send(cmd_response(kv("daemon", "charon"))), ReadUntilEof())
    with Session(server.uri, timeout=10) as vici:
        with pytest.raises(ViciValueError):
            vici.call("version", timeout=value)
        with pytest.raises(ViciValueError):
            list(vici.listen(["log"], timeout=value))
        # Nothing was sent: the session is still in sync and usable.
        assert vici.version() == {"daemon": "charon"}


def test_listen_accepts_zero(fake_vici):
    server = fake_vici(expect_register("log"), Send(event_confirm()), ReadUntilEof())
    with Session(server.uri, timeout=10) as vici:
        vici.register("log")
        assert not list(vici.listen(["log"], timeout=0))


def test_control_timeout_stays_in_range(fake_vici):
    server = fake_vici(ReadUntilEof())
    with Session(server.uri, timeout=10) as vici:
        # The daemon's own timeout (ms) plus grace would exceed a day: the client deadline is capped.
        assert vici._control_timeout(10 ** 12, None) == MAX_TIMEOUT  # pylint: disable=protected-access


# -- a full listen queue -------------------------------------------------------------------------


def _full_listener(tmp_path):
    """A UNIX listener that never accepts, with its queue filled: connect() now fails with EAGAIN."""
    path = socket_path(tmp_path, "busy.vici")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(0)
    queued = []
    for _attempt in range(8):
        client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        client.settimeout(1)
        try:
            client.connect(path)
        except BlockingIOError:
            client.close()
            break
        queued.append(client)
    else:
        pytest.fail("the listen queue never filled")
    return path, listener, queued


def test_connect_retries_while_the_listen_queue_is_full(tmp_path):
    path, listener, queued = _full_listener(tmp_path)
    accepted = []

    def drain():
        time.sleep(0.3)
        for _client in queued + [None]:
            accepted.append(listener.accept()[0])

    listener.settimeout(5)
    thread = threading.Thread(target=drain, daemon=True)
    thread.start()
    try:
        started = time.monotonic()
        framed = FramedSocket.connect("unix://" + path, 5)
        elapsed = time.monotonic() - started
        framed.close()
        thread.join(5)
        assert 0.25 < elapsed < 3, elapsed
        assert len(accepted) == len(queued) + 1
    finally:
        for sock in queued + accepted + [listener]:
            sock.close()


def test_connect_gives_up_at_the_deadline_when_the_queue_stays_full(tmp_path):
    path, listener, queued = _full_listener(tmp_path)
    try:
        started = time.monotonic()
        with pytest.raises(ViciTimeoutError, match="listen queue stayed full") as failure:
            FramedSocket.connect("unix://" + path, 0.5)
        elapsed = time.monotonic() - started
        assert 0.4 < elapsed < 1.5, elapsed
        assert path in str(failure.value)
    finally:
        for sock in queued + [listener]:
            sock.close()


def test_refused_is_not_retried(tmp_path):
    path = socket_path(tmp_path, "dead.vici")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.close()
    started = time.monotonic()
    with pytest.raises(ViciTransportError, match="Connection refused") as failure:
        FramedSocket.connect("unix://" + path, 5)
    assert not isinstance(failure.value, ViciTimeoutError)
    assert time.monotonic() - started < 0.5


# -- nesting depth ---------------------------------------------------------------------------------


def nested(depth, leaf=b"\x03\x04leaf\x00\x01x"):
    return b"\x01\x01s" * depth + leaf + b"\x02" * depth


def test_decoder_accepts_max_depth():
    decoded = decode_message(nested(MAX_DEPTH))
    for _level in range(MAX_DEPTH):
        decoded = decoded["s"]
    assert decoded == {"leaf": "x"}


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 100000])
def test_decoder_refuses_deeper_with_the_offset(depth):
    data = nested(depth)
    started = time.monotonic()
    with pytest.raises(ViciLimitError, match="nested more than %d levels deep" % MAX_DEPTH) as failure:
        decode_message(data)
    assert time.monotonic() - started < 1
    # The offset is that of the first section too many.
    assert failure.value.offset == 3 * MAX_DEPTH
    assert isinstance(failure.value, ViciProtocolError)


def test_decoder_depth_is_configurable():
    assert decode_message(nested(3), max_depth=3)
    with pytest.raises(ViciLimitError):
        decode_message(nested(4), max_depth=3)
    with pytest.raises(ViciLimitError):
        decode_packet(b"\x01" + nested(4), max_depth=3)
    assert decode_packet(b"\x01" + nested(4), max_depth=None).message


def test_a_deep_reply_fails_the_call_and_closes_the_session(fake_vici):
    # 100,000 levels of one-letter sections: 300 KB, within the 512 KiB segment limit.
    server = fake_vici(expect_request("version"), Send(b"\x01" + nested(100000)))
    vici = Session(server.uri, timeout=10)
    with pytest.raises(ViciLimitError):
        vici.version()
    assert vici.closed


def test_encoder_is_unaffected():
    message = {"leaf": "x"}
    for _level in range(MAX_DEPTH + 10):
        message = {"s": message}
    assert encode_message(message) == nested(MAX_DEPTH + 10)


# -- event floods ----------------------------------------------------------------------------------

# An event of about 480 KB: 8 values of 60,000 bytes (a value holds at most 65,535).
BIG_EVENT = event("log", b"".join(kv("v%d" % n, "x" * 60000) for n in range(8)))


def _peak_during(action):
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        action()
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


def test_flood_while_a_reply_is_owed_fails_with_bounded_memory(fake_vici):
    flood = Flood(BIG_EVENT, 2000)  # 960 MB if the client read it all
    server = fake_vici(expect_register("log"), Send(event_confirm()), expect_request("version"), flood)
    vici = Session(server.uri, timeout=30)
    vici.register("log")
    failures = []

    def run():
        with pytest.raises(ViciLimitError) as failure:
            vici.version()
        failures.append(failure.value)

    peak = _peak_during(run)
    message = str(failures[0])
    assert "more than %d bytes of events" % session_module.EVENT_BACKLOG_BYTES in message
    assert "command 'version'" in message
    assert vici.closed
    # About 4 MiB of events were kept (9 of 480 KB), not the flood.
    assert peak < 16 * 1024 * 1024, peak
    server.wait_done()
    assert flood.sent < 100


def test_flood_while_listening_drops_the_oldest_by_bytes(fake_vici):
    flood = Flood(BIG_EVENT, 60)  # 29 MB of events nobody listens to
    server = fake_vici(expect_register("log"), Send(event_confirm()), expect_register("ike-updown"),
                       Send(event_confirm()), flood, ReadUntilEof())
    vici = Session(server.uri, timeout=30)
    vici.register("log")
    vici.register("ike-updown")
    heard = []

    def received():
        return vici.dropped_events + len(vici._backlog)  # pylint: disable=protected-access

    def run():
        deadline = time.monotonic() + 20
        # listen() keeps the log events aside while it waits for ike-updown; bounded by time. Its timeout covers
        # reading one whole 480 kB event, which a loaded 2-core machine did not always do within 0.5 s.
        while received() < 60 and time.monotonic() < deadline:
            heard.extend(vici.listen(["ike-updown"], timeout=3.0))

    peak = _peak_during(run)
    assert flood.sent == 60
    assert not heard
    kept = vici.pending_events()
    assert len(kept) == session_module.EVENT_BACKLOG_BYTES // len(BIG_EVENT)  # as many as fit in 4 MiB
    assert vici.dropped_events == 60 - len(kept)
    assert peak < 16 * 1024 * 1024, peak
    vici.close()


def test_backlog_bytes_are_released_when_taken(fake_vici, monkeypatch):
    monkeypatch.setattr(session_module, "EVENT_BACKLOG_BYTES", 3 * len(BIG_EVENT))
    server = fake_vici(
        expect_register("log"), Send(event_confirm()),
        expect_request("version"), Send(BIG_EVENT, BIG_EVENT, cmd_response()),
        expect_request("version"), Send(BIG_EVENT, BIG_EVENT, cmd_response()),
        ReadUntilEof(),
    )
    with Session(server.uri, timeout=10) as vici:
        vici.register("log")
        vici.version()
        assert len(vici.pending_events()) == 2
        # Taken events no longer count: two more fit again.
        vici.version()
        assert len(vici.pending_events()) == 2


def test_only_events_of_this_wait_count_toward_the_error(fake_vici, monkeypatch):
    """A backlog filled earlier (nobody took it) does not fail the next command: its oldest events go."""
    monkeypatch.setattr(session_module, "EVENT_BACKLOG_BYTES", 3 * len(BIG_EVENT))
    server = fake_vici(
        expect_register("log"), Send(event_confirm()),
        expect_request("version"), Send(BIG_EVENT, BIG_EVENT, BIG_EVENT, cmd_response()),
        expect_request("version"), Send(BIG_EVENT, BIG_EVENT, cmd_response(kv("daemon", "charon"))),
        expect_request("version"), Send(BIG_EVENT, BIG_EVENT, BIG_EVENT, BIG_EVENT, cmd_response()),
    )
    vici = Session(server.uri, timeout=10)
    vici.register("log")
    vici.version()
    assert vici.version() == {"daemon": "charon"}
    assert vici.dropped_events == 2
    # Four events in one wait are more than the bound: that is the flood.
    with pytest.raises(ViciLimitError):
        vici.version()
    assert vici.closed


def test_stream_flood_fails_with_bounded_memory(fake_vici, monkeypatch):
    monkeypatch.setattr(session_module, "STREAM_BYTES_LIMIT", 8 * 1024 * 1024)
    flood = Flood(event("list-sa", b"".join(kv("v%d" % n, "x" * 60000) for n in range(8))), 2000)
    server = fake_vici(expect_register("list-sa"), Send(event_confirm()), expect_request("list-sas"), flood)
    vici = Session(server.uri, timeout=30)
    failures = []

    def run():
        with pytest.raises(ViciLimitError) as failure:
            vici.list_sas()
        failures.append(failure.value)

    peak = _peak_during(run)
    assert "more than 8388608 bytes of 'list-sa' events for command 'list-sas'" in str(failures[0])
    assert vici.closed
    assert peak < 24 * 1024 * 1024, peak
