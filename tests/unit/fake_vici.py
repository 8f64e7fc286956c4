# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Test helpers for the VICI client: hand-built wire bytes and a scripted fake daemon.

The byte builders spell elements out the way the protocol README describes them, independently of
the encoder under test, so that tests compare the codec against bytes nobody derived from it.

:class:`FakeVici` listens on a UNIX socket, accepts one client and plays a script: expect a request,
send packets or raw bytes, sleep, close. Every request it reads is recorded in ``received``. Every
wait is bounded (socket timeouts, a bounded hold, thread joins with a timeout), so a broken client or
a broken test cannot hang the suite. ``auto=True`` instead answers every request like an agreeable
daemon, for the tests that only check what the client sends. ``handler=`` hands every command to a
daemon model (``handler(name, message) -> (events, reply)``, None for an unknown command) and accepts
one connection after another, as the module tests need.
"""

from __future__ import annotations

import contextlib
import os
import socket
import struct
import tempfile
import threading

from ansible_collections.strongswan.vici.plugins.module_utils.vici.wire import (
    CMD_REQUEST,
    CMD_RESPONSE,
    EVENT,
    EVENT_REGISTER,
    EVENT_UNREGISTER,
    PACKET_TYPE_NAMES,
    decode_packet,
    encode_packet,
)

# Upper bound of every blocking wait of the fake daemon.
IO_TIMEOUT = 10.0


# -- wire bytes, built by hand ------------------------------------------------


def name8(name):
    raw = name.encode("ascii") if isinstance(name, str) else bytes(name)
    return bytes((len(raw),)) + raw


def blob16(value):
    raw = value.encode("utf-8") if isinstance(value, str) else bytes(value)
    return struct.pack("!H", len(raw)) + raw


def kv(name, value):
    """KEY_VALUE element."""
    return b"\x03" + name8(name) + blob16(value)


def section(name, *body):
    """SECTION_START, the body elements, SECTION_END."""
    return b"\x01" + name8(name) + b"".join(body) + b"\x02"


def vlist(name, *items):
    """LIST_START, one LIST_ITEM per item, LIST_END."""
    return b"\x04" + name8(name) + b"".join(b"\x05" + blob16(item) for item in items) + b"\x06"


def frame(payload):
    """The transport framing: 4-byte big-endian length, then the payload."""
    return struct.pack("!I", len(payload)) + payload


def cmd_request(name, body=b""):
    return b"\x00" + name8(name) + body


def cmd_response(body=b""):
    return b"\x01" + body


def cmd_unknown():
    return b"\x02"


def event_register(name):
    return b"\x03" + name8(name)


def event_unregister(name):
    return b"\x04" + name8(name)


def event_confirm():
    return b"\x05"


def event_unknown():
    return b"\x06"


def event(name, body=b""):
    return b"\x07" + name8(name) + body


SUCCESS = cmd_response(kv("success", "yes"))


def items_tree(tree):
    """A message as nested lists of (name, value) pairs, so that == also compares the order."""
    if isinstance(tree, dict):
        return [(name, items_tree(value)) for name, value in tree.items()]
    if isinstance(tree, list):
        return [items_tree(item) for item in tree]
    return (type(tree).__name__, tree)


# -- the fake daemon -------------------------------------------------------------


def socket_path(directory, name="charon.vici"):
    """A socket path in ``directory``, or in a short temporary one if it would be too long for AF_UNIX."""
    path = os.path.join(str(directory), name)
    if len(path.encode()) < 100:
        return path
    return os.path.join(tempfile.mkdtemp(prefix="vici"), name)


class Expect:
    """Read one packet; fail unless it has this type (and name, if given)."""

    def __init__(self, packet_type, name=None):
        self.packet_type = packet_type
        self.name = name

    def __call__(self, server, conn):
        packet = server.read_packet(conn)
        if packet is None:
            raise AssertionError("fake vici: the client closed the connection, expected %s %s"
                                 % (PACKET_TYPE_NAMES[self.packet_type], self.name))
        if packet.type != self.packet_type or (self.name is not None and packet.name != self.name):
            raise AssertionError("fake vici: expected %s %s, got %s %s"
                                 % (PACKET_TYPE_NAMES[self.packet_type], self.name, packet.type_name, packet.name))


def expect_request(name):
    return Expect(CMD_REQUEST, name)


def expect_register(name):
    return Expect(EVENT_REGISTER, name)


def expect_unregister(name):
    return Expect(EVENT_UNREGISTER, name)


class ClientGone(Exception):
    """The client closed the connection while the script was sending: the script ends there, quietly.

    Sending to a client that gave up (after its timeout, say) is part of several scenarios; what the
    client should have sent is still checked by the Expect actions.
    """


def _send(conn, data):
    try:
        conn.sendall(data)
    except (BrokenPipeError, ConnectionResetError):
        raise ClientGone() from None


class Send:
    """Send these packets, each framed."""

    def __init__(self, *packets):
        self.packets = packets

    def __call__(self, server, conn):
        _send(conn, b"".join(frame(packet) for packet in self.packets))


class Raw:
    """Send these bytes exactly as given (no framing added)."""

    def __init__(self, data):
        self.data = data

    def __call__(self, server, conn):
        _send(conn, self.data)


class Flood:
    """Send this packet ``count`` times, framed, one at a time (the fake's memory stays at one packet).

    Ends quietly when the client closes the connection; ``sent`` counts the packets sent in full.
    """

    def __init__(self, packet, count):
        self.data = frame(packet)
        self.count = count
        self.sent = 0

    def __call__(self, server, conn):
        for _number in range(self.count):
            if server.stopping.is_set():
                return
            _send(conn, self.data)
            self.sent += 1


class Sleep:
    def __init__(self, seconds):
        self.seconds = seconds

    def __call__(self, server, conn):
        server.stopping.wait(self.seconds)


class Close:
    """Close the connection (the script ends here)."""

    def __call__(self, server, conn):
        server.close_conn()


class ReadUntilEof:
    """Record whatever the client still sends until it closes the connection."""

    def __call__(self, server, conn):
        while server.read_packet(conn) is not None:
            pass
        server.close_conn()


class FakeVici:
    """A one-connection fake daemon on a UNIX socket, driven by a script of actions."""

    def __init__(self, path, script=(), auto=False, stream_events=None, handler=None):
        self.path = path
        self.handler = handler
        self.uri = "unix://" + path
        self.script = list(script)
        self.auto = auto
        # auto mode: command name -> (event name, number of events sent before the response)
        self.stream_events = dict(stream_events or {})
        self.received = []
        self.raw_received = []
        self.errors = []
        self.stopping = threading.Event()
        self.conn = None
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(path)
        self.listener.listen(4)
        self.listener.settimeout(IO_TIMEOUT)
        self.thread = threading.Thread(target=self._run, name="fake-vici", daemon=True)
        self.thread.start()

    # reading -------------------------------------------------------------

    def _recv_exactly(self, conn, count):
        data = b""
        while len(data) < count:
            chunk = conn.recv(count - len(data))
            if not chunk:
                if data:
                    raise AssertionError("fake vici: the client closed the connection in the middle of a segment")
                return None
            data += chunk
        return data

    def read_packet(self, conn):
        """Read and record one packet; None on a clean EOF."""
        header = self._recv_exactly(conn, 4)
        if header is None:
            return None
        length = struct.unpack("!I", header)[0]
        payload = self._recv_exactly(conn, length) if length else b""
        if payload is None:
            raise AssertionError("fake vici: the client closed the connection after a segment header")
        self.raw_received.append(payload)
        packet = decode_packet(payload)
        self.received.append(packet)
        return packet

    # running -------------------------------------------------------------

    def _run(self):
        if self.handler is not None:
            self._serve_model()
            return
        with self._conversation():
            try:
                conn, _address = self.listener.accept()
            except socket.timeout:
                if self.script or self.auto:
                    raise AssertionError("fake vici: no client connected") from None
                return
            conn.settimeout(IO_TIMEOUT)
            self.conn = conn
            for action in self.script:
                if self.conn is None:
                    raise AssertionError("fake vici: script continues after Close()")
                action(self, conn)
            if self.auto:
                self._answer_everything(conn, self._agreeable)
            elif self.conn is not None:
                # Keep the connection open (a daemon that does not answer) until the test is done.
                self.stopping.wait(IO_TIMEOUT)

    @contextlib.contextmanager
    def _conversation(self):
        """Keep an unmet expectation for stop() to raise; a client that went away just ends the conversation."""
        try:
            yield
        except ClientGone:
            pass
        except Exception as exc:  # pylint: disable=broad-except
            if not self.stopping.is_set():
                self.errors.append(exc)
        finally:
            self.close_conn()

    def _answer_everything(self, conn, answer):
        """Confirm (un)registrations and answer each command with ``answer(packet, registered)``'s packets."""
        registered = set()
        while not self.stopping.is_set():
            packet = self.read_packet(conn)
            if packet is None:
                return
            if packet.type == EVENT_REGISTER:
                registered.add(packet.name)
                Send(event_confirm())(self, conn)
            elif packet.type == EVENT_UNREGISTER:
                registered.discard(packet.name)
                Send(event_confirm())(self, conn)
            elif packet.type == CMD_REQUEST:
                Send(*answer(packet, registered))(self, conn)
            else:
                raise AssertionError("fake vici: the client sent a %s packet" % packet.type_name)

    def _agreeable(self, packet, _registered):
        """auto mode: the configured stream of events, then success."""
        streamed = self.stream_events.get(packet.name)
        packets = []
        if streamed:
            event_name, count = streamed
            packets = [event(event_name, kv("n", str(n))) for n in range(count)]
        return packets + [SUCCESS]

    def _from_model(self, packet, registered):
        """handler mode: the model's events (those the client registered for, as the daemon does) and reply."""
        answer = self.handler(packet.name, packet.message or {})
        if answer is None:
            return [cmd_unknown()]
        events, reply = answer
        return ([encode_packet(EVENT, name, body) for name, body in events if name in registered]
                + [encode_packet(CMD_RESPONSE, None, reply)])

    def _serve_model(self):
        """Answer every connection, one after another, through ``handler`` until stopped."""
        # shutdown() does not wake accept() on a UNIX listener: poll briefly for the stop instead.
        self.listener.settimeout(0.05)
        while not self.stopping.is_set():
            try:
                conn, _address = self.listener.accept()
            except (socket.timeout, OSError):
                continue
            conn.settimeout(IO_TIMEOUT)
            self.conn = conn
            with self._conversation():
                self._answer_everything(conn, self._from_model)

    def close_conn(self):
        conn, self.conn = self.conn, None
        if conn is not None:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            conn.close()

    def stop(self):
        """End the fake daemon; raise the first error its thread hit (an unmet expectation)."""
        self.stopping.set()
        for sock in (self.conn, self.listener):
            if sock is not None:
                try:
                    sock.shutdown(socket.SHUT_RDWR)  # wakes a thread blocked in accept() or recv()
                except OSError:
                    pass
        self.thread.join(IO_TIMEOUT)
        self.listener.close()
        if self.thread.is_alive():
            raise AssertionError("fake vici: the server thread did not end")
        if self.errors:
            raise self.errors[0]

    def wait_done(self, timeout=IO_TIMEOUT):
        """Wait until the script has run to its end and the connection is closed; True if it did."""
        self.thread.join(timeout)
        return not self.thread.is_alive()

    def requests(self):
        """(type name, packet name, message) of every packet received, in order."""
        return [(packet.type_name, packet.name, packet.message) for packet in self.received]
