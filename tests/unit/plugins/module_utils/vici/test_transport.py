# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Socket URIs and the length-prefixed framing of VICI."""

from __future__ import annotations

import importlib.util
import os
import socket
import threading
import time

import pytest

from ansible_collections.strongswan.vici.plugins.module_utils.vici.errors import (
    ViciProtocolError,
    ViciTimeoutError,
    ViciTransportError,
)
from ansible_collections.strongswan.vici.plugins.module_utils.vici.transport import (
    DEFAULT_URI,
    Deadline,
    FramedSocket,
    parse_uri,
)
from ansible_collections.strongswan.vici.plugins.module_utils.vici.wire import MAX_SEGMENT_SIZE
from ansible_collections.strongswan.vici.tests.unit.fake_vici import frame, socket_path

if importlib.util.find_spec("pytest_timeout") is not None:
    pytestmark = pytest.mark.timeout(60)


# -- parse_uri ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "uri, family, address",
    [
        ("unix:///var/run/charon.vici", socket.AF_UNIX, "/var/run/charon.vici"),
        ("unix://charon.vici", socket.AF_UNIX, "charon.vici"),
        ("unix://run/charon.vici", socket.AF_UNIX, "run/charon.vici"),
        ("UNIX:///x", socket.AF_UNIX, "/x"),
        ("/var/run/charon.vici", socket.AF_UNIX, "/var/run/charon.vici"),
        ("tcp://127.0.0.1:4502", socket.AF_INET, ("127.0.0.1", 4502)),
        ("tcp://localhost:1", socket.AF_INET, ("localhost", 1)),
        ("tcp://[::1]:4502", socket.AF_INET6, ("::1", 4502)),
        ("tcp://[2001:db8::7]:65535", socket.AF_INET6, ("2001:db8::7", 65535)),
    ],
)
def test_parse_uri(uri, family, address):
    assert parse_uri(uri) == (family, address)


def test_default_uri():
    assert parse_uri(DEFAULT_URI) == (socket.AF_UNIX, "/var/run/charon.vici")


@pytest.mark.parametrize(
    "uri, wording",
    [
        ("", "the socket URI is empty"),
        (None, "the socket URI is empty"),
        ("charon.vici", "has no scheme"),
        ("unix:/var/run/charon.vici", "has no scheme"),
        ("127.0.0.1:4502", "has no scheme"),
        ("http://127.0.0.1:4502", "unsupported scheme 'http'"),
        ("udp://127.0.0.1:4502", "unsupported scheme 'udp'"),
        ("unix://", "has no path"),
        ("tcp://127.0.0.1", "needs the form tcp://host:port"),
        ("tcp://127.0.0.1:", "invalid port ''"),
        ("tcp://:4502", "has no host"),
        ("tcp://127.0.0.1:0", "invalid port '0'"),
        ("tcp://127.0.0.1:70000", "invalid port '70000'"),
        ("tcp://127.0.0.1:65536", "invalid port '65536'"),
        ("tcp://127.0.0.1:-1", "invalid port '-1'"),
        ("tcp://127.0.0.1:45x", "invalid port '45x'"),
        ("tcp://::1:4502", "needs the form tcp://host:port"),
        ("tcp://[::1]", "needs the form tcp://[address]:port"),
        ("tcp://[::1:4502", "needs the form tcp://[address]:port"),
        ("tcp://[::1]:0", "invalid port '0'"),
        ("tcp://[]:4502", "has no host"),
    ],
)
def test_parse_uri_errors(uri, wording):
    with pytest.raises(ViciTransportError) as info:
        parse_uri(uri)
    assert wording in str(info.value)
    assert info.value.uri == str(uri)
    if uri:
        assert uri in str(info.value)


# -- Deadline ----------------------------------------------------------------------------------


def test_deadline():
    forever = Deadline(None)
    assert forever.remaining() is None
    soon = Deadline(60)
    assert 59 < soon.remaining() <= 60
    past = Deadline(-1)
    assert past.remaining() == 0.0


# -- FramedSocket over a socket pair -----------------------------------------------------------


@pytest.fixture
def pair():
    ours, theirs = socket.socketpair()
    theirs.settimeout(5)
    framed = FramedSocket(ours, "unix:///test.vici")
    yield framed, theirs
    framed.close()
    theirs.close()


def recv_all(sock, size):
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            break
        data += chunk
    return data


def test_send_segment_frames_the_payload(pair):
    framed, peer = pair
    framed.send_segment(b"\x00\x07version", Deadline(5))
    assert recv_all(peer, 13) == bytes.fromhex("00000009 00 07 76657273696f6e")


def test_send_segment_of_the_maximum_size(pair):
    framed, peer = pair
    payload = b"\x01" + b"x" * (MAX_SEGMENT_SIZE - 1)
    received = []
    reader = threading.Thread(target=lambda: received.append(recv_all(peer, 4 + MAX_SEGMENT_SIZE)))
    reader.start()
    framed.send_segment(payload, Deadline(10))
    reader.join(10)
    assert received == [frame(payload)]


def test_send_segment_refuses_oversized_payload_before_sending(pair):
    framed, peer = pair
    with pytest.raises(ViciProtocolError, match="message of 524289 bytes exceeds the VICI segment limit of 524288"):
        framed.send_segment(b"x" * (MAX_SEGMENT_SIZE + 1), Deadline(5))
    peer.settimeout(0.2)
    with pytest.raises(socket.timeout):
        peer.recv(1)


def test_recv_segment_loops_over_partial_reads(pair):
    framed, peer = pair
    data = frame(b"\x01" + b"abc" * 1000)

    def dribble():
        for start in range(0, len(data), 777):
            peer.sendall(data[start:start + 777])
            time.sleep(0.002)
        peer.sendall(b"")

    writer = threading.Thread(target=dribble)
    writer.start()
    try:
        assert framed.recv_segment(Deadline(10)) == b"\x01" + b"abc" * 1000
    finally:
        writer.join(10)


def test_recv_segment_header_in_pieces(pair):
    framed, peer = pair

    def dribble():
        for byte in frame(b"\x05"):
            peer.sendall(bytes((byte,)))
            time.sleep(0.01)

    writer = threading.Thread(target=dribble)
    writer.start()
    try:
        assert framed.recv_segment(Deadline(10)) == b"\x05"
    finally:
        writer.join(10)


def test_recv_two_segments_back_to_back(pair):
    framed, peer = pair
    peer.sendall(frame(b"\x05") + frame(b"\x01"))
    assert framed.recv_segment(Deadline(5)) == b"\x05"
    assert framed.recv_segment(Deadline(5)) == b"\x01"


def test_recv_empty_segment(pair):
    framed, peer = pair
    peer.sendall(b"\x00\x00\x00\x00")
    assert framed.recv_segment(Deadline(5)) == b""


def test_recv_oversized_header_does_not_read_the_body(pair):
    framed, peer = pair
    peer.sendall((MAX_SEGMENT_SIZE + 1).to_bytes(4, "big") + b"\x01rest")
    with pytest.raises(ViciProtocolError, match="segment length 524289 exceeds the VICI limit of 524288 bytes"):
        framed.recv_segment(Deadline(5))
    # the body was left in the socket: nothing past the header was consumed
    framed.sock.settimeout(1)
    assert framed.sock.recv(100) == b"\x01rest"


def test_recv_segment_of_exactly_the_limit_is_accepted(pair):
    framed, peer = pair
    payload = b"\x01" + b"y" * (MAX_SEGMENT_SIZE - 1)
    writer = threading.Thread(target=lambda: peer.sendall(frame(payload)))
    writer.start()
    try:
        assert framed.recv_segment(Deadline(10)) == payload
    finally:
        writer.join(10)


def test_recv_eof_before_anything(pair):
    framed, peer = pair
    peer.close()
    with pytest.raises(ViciTransportError, match="^unix:///test.vici closed the connection$") as info:
        framed.recv_segment(Deadline(5))
    assert not isinstance(info.value, ViciTimeoutError)
    assert info.value.uri == "unix:///test.vici"


def test_recv_eof_in_the_header(pair):
    framed, peer = pair
    peer.sendall(b"\x00\x00")
    peer.close()
    with pytest.raises(ViciTransportError, match="in the middle of a segment header"):
        framed.recv_segment(Deadline(5))


def test_recv_eof_in_the_body(pair):
    framed, peer = pair
    peer.sendall((100).to_bytes(4, "big") + b"x" * 10)
    peer.close()
    with pytest.raises(ViciTransportError, match="closed the connection in the middle of a segment"):
        framed.recv_segment(Deadline(5))


def test_recv_timeout_before_any_byte_is_not_partial(pair):
    framed, _peer = pair
    with pytest.raises(ViciTimeoutError, match="no complete reply from unix:///test.vici within 0.2s") as info:
        framed.recv_segment(Deadline(0.2))
    assert info.value.partial is False


def test_recv_timeout_in_the_middle_of_a_segment_is_partial(pair):
    framed, peer = pair
    peer.sendall((100).to_bytes(4, "big") + b"x" * 10)
    started = time.monotonic()
    with pytest.raises(ViciTimeoutError) as info:
        framed.recv_segment(Deadline(0.3))
    assert time.monotonic() - started < 10
    assert info.value.partial is True


def test_recv_deadline_covers_the_whole_segment(pair):
    """A peer that keeps sending a byte now and then cannot extend the deadline (it is not per recv)."""
    framed, peer = pair
    stop = threading.Event()

    def trickle():
        peer.sendall((1000).to_bytes(4, "big"))
        while not stop.wait(0.05):
            try:
                peer.sendall(b"x")
            except OSError:
                return

    writer = threading.Thread(target=trickle)
    writer.start()
    started = time.monotonic()
    try:
        with pytest.raises(ViciTimeoutError) as info:
            framed.recv_segment(Deadline(0.5))
    finally:
        stop.set()
        writer.join(10)
    assert time.monotonic() - started < 5
    assert info.value.partial is True


def test_expired_deadline_raises_before_reading(pair):
    framed, peer = pair
    peer.sendall(frame(b"\x05"))
    with pytest.raises(ViciTimeoutError) as info:
        framed.recv_segment(Deadline(-1))
    assert info.value.partial is False
    assert framed.recv_segment(Deadline(5)) == b"\x05"


def test_send_on_a_closed_peer(pair):
    framed, peer = pair
    peer.close()
    with pytest.raises(ViciTransportError, match="sending to unix:///test.vici failed: "):
        for _attempt in range(10):
            framed.send_segment(b"\x00\x07version", Deadline(5))


# -- connecting ----------------------------------------------------------------------------------


def test_connect_to_a_missing_socket(tmp_path):
    uri = "unix://" + str(tmp_path / "nothing.vici")
    with pytest.raises(ViciTransportError) as info:
        FramedSocket.connect(uri, 5)
    assert str(info.value) == "cannot connect to %s: %s" % (uri, os.strerror(2))
    assert info.value.uri == uri


def test_connect_refused_on_a_socket_nobody_listens_on(tmp_path):
    path = socket_path(tmp_path)
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(path)  # bound, never listening: connect() is refused
    try:
        uri = "unix://" + path
        with pytest.raises(ViciTransportError) as info:
            FramedSocket.connect(uri, 5)
        assert str(info.value) == "cannot connect to %s: Connection refused" % uri
    finally:
        dead.close()


def test_connect_refused_over_tcp():
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # a port nobody listens on (for a moment, at least)
    uri = "tcp://127.0.0.1:%d" % port
    with pytest.raises(ViciTransportError) as info:
        FramedSocket.connect(uri, 5)
    assert str(info.value).startswith("cannot connect to %s: " % uri)
    assert "refused" in str(info.value)


def test_connect_over_tcp_and_exchange():
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(5)
    uri = "tcp://127.0.0.1:%d" % listener.getsockname()[1]
    framed = FramedSocket.connect(uri, 5)
    try:
        conn, _address = listener.accept()
        conn.settimeout(5)
        framed.send_segment(b"\x03\x03log", Deadline(5))
        assert recv_all(conn, 9) == frame(b"\x03\x03log")
        conn.sendall(frame(b"\x05"))
        assert framed.recv_segment(Deadline(5)) == b"\x05"
        conn.close()
    finally:
        framed.close()
        listener.close()


def test_connect_to_a_bad_uri():
    with pytest.raises(ViciTransportError, match="has no scheme"):
        FramedSocket.connect("nowhere", 5)
