# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Socket addresses and the length-prefixed framing of VICI.

A segment on the wire is a 4-byte big-endian length followed by that many
bytes. Every send and receive here loops on partial transfers and obeys one
deadline for the whole segment, not just its first byte: a daemon that stops
half-way through a frame cannot hang the caller.

Connecting retries while the daemon's listen queue is full (``EAGAIN`` on a
UNIX socket, which a burst of parallel clients causes), with a short growing
pause, until the connect deadline. A refused connection (nobody listens) or a
missing socket fails at once.
"""

from __future__ import annotations

import errno
import math
import random
import socket
import time
from typing import Any, NamedTuple, Optional, Tuple, Union

from .errors import ViciMessageTooLarge, ViciProtocolError, ViciTimeoutError, ViciTransportError, ViciUriError, ViciValueError
from .wire import MAX_SEGMENT_SIZE

DEFAULT_URI = "unix:///var/run/charon.vici"

# The longest timeout accepted anywhere (one day). Socket timeouts overflow near 9.2e9 s, and
# the daemon's own millisecond timeouts are 32-bit; nothing sensible waits longer than this.
MAX_TIMEOUT = 86400.0

# connect() errors that mean "the listen queue is full right now, try again": a UNIX socket
# answers EAGAIN at once instead of waiting. Python retries EINTR itself (PEP 475).
_TRANSIENT_CONNECT_ERRNOS = frozenset((errno.EAGAIN, errno.EWOULDBLOCK, errno.EINTR))
# Pause before the first retry; it doubles (with jitter) up to the second value.
CONNECT_RETRY_PAUSE = 0.002
CONNECT_RETRY_MAX_PAUSE = 0.05

_HEADER_SIZE = 4


def check_timeout(value: Any, field: str = "timeout", allow_zero: bool = False, allow_none: bool = True) -> Optional[float]:
    """``value`` as float seconds if it is a usable timeout, else :class:`ViciValueError` naming ``field``.

    Finite, more than 0 (or 0 with ``allow_zero``) and at most :data:`MAX_TIMEOUT`;
    ``None`` (wait forever) only with ``allow_none``.
    """
    if value is None:
        if allow_none:
            return None
        raise ViciValueError("%s must be a number of seconds, not None" % field, field)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ViciValueError("%s must be a number of seconds, not %s" % (field, type(value).__name__), field)
    try:
        seconds = float(value)
    except OverflowError:
        seconds = math.inf
    lowest = "0 or more" if allow_zero else "more than 0"
    if not math.isfinite(seconds) or seconds > MAX_TIMEOUT or seconds < 0 or (seconds == 0 and not allow_zero):
        raise ViciValueError(
            "%s must be a finite number of seconds, %s and at most %d, not %r" % (field, lowest, MAX_TIMEOUT, value), field
        )
    return seconds


class Endpoint(NamedTuple):
    """A parsed socket URI: what ``socket.socket(family)`` and ``connect(address)`` take."""

    family: int
    address: Union[str, Tuple[str, int]]  # a UNIX socket's path, or (host, port)


def parse_uri(uri: str) -> Endpoint:
    """Split a socket URI as swanctl --uri takes it into (family, address).

    ``unix:///path`` and ``unix://path`` name a UNIX socket (a bare absolute
    path is accepted too); ``tcp://host:port`` and ``tcp://[v6]:port`` a TCP one.
    Anything else raises :class:`ViciUriError` (a :class:`ViciTransportError`).
    """
    if not isinstance(uri, str) or not uri:
        raise ViciUriError("the socket URI is empty", str(uri))
    if uri.startswith("/"):
        return Endpoint(socket.AF_UNIX, uri)
    scheme, sep, rest = uri.partition("://")
    if not sep:
        raise ViciUriError("socket URI '%s' has no scheme: use unix:///path or tcp://host:port" % uri, uri)
    scheme = scheme.lower()
    if scheme == "unix":
        if not rest:
            raise ViciUriError("socket URI '%s' has no path" % uri, uri)
        return Endpoint(socket.AF_UNIX, rest)
    if scheme == "tcp":
        host, port = _split_host_port(rest, uri)
        return Endpoint(socket.AF_INET6 if ":" in host else socket.AF_INET, (host, port))
    raise ViciUriError("socket URI '%s' has an unsupported scheme '%s': use unix:// or tcp://" % (uri, scheme), uri)


def _split_host_port(rest: str, uri: str) -> Tuple[str, int]:
    if rest.startswith("["):
        host, bracket, tail = rest[1:].partition("]")
        if not bracket or not tail.startswith(":"):
            raise ViciUriError("socket URI '%s' needs the form tcp://[address]:port" % uri, uri)
        port_text = tail[1:]
    else:
        host, colon, port_text = rest.rpartition(":")
        if not colon or ":" in host:
            raise ViciUriError("socket URI '%s' needs the form tcp://host:port" % uri, uri)
    if not host:
        raise ViciUriError("socket URI '%s' has no host" % uri, uri)
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ViciUriError("socket URI '%s' has an invalid port '%s'" % (uri, port_text), uri)
    return host, int(port_text)


class Deadline:
    """A point in time by which an operation must be complete."""

    __slots__ = ("at", "seconds")

    def __init__(self, seconds: Optional[float]) -> None:
        # A negative time is a deadline already past; NaN, infinite or huge ones are errors.
        if seconds is not None and not (isinstance(seconds, (int, float)) and seconds < 0):
            seconds = check_timeout(seconds, allow_zero=True)
        self.seconds = seconds
        self.at = None if seconds is None else time.monotonic() + seconds

    def remaining(self) -> Optional[float]:
        """Seconds left (None for no deadline); never negative."""
        if self.at is None:
            return None
        return max(0.0, self.at - time.monotonic())


class FramedSocket:
    """A connected stream socket that sends and receives whole VICI segments."""

    def __init__(self, sock: socket.socket, uri: str) -> None:
        self.sock = sock
        self.uri = uri

    @classmethod
    def connect(cls, uri: str, timeout: Optional[float], endpoint: Optional[Endpoint] = None) -> "FramedSocket":
        """Connect within ``timeout`` seconds, retrying while the listen queue is full.

        ``endpoint`` is ``uri`` already parsed (by the session, which keeps it).
        """
        timeout = check_timeout(timeout)
        if endpoint is None:
            endpoint = parse_uri(uri)
        family, address = endpoint
        deadline = Deadline(timeout)
        pause = CONNECT_RETRY_PAUSE
        attempts = 0
        while True:
            attempts += 1
            sock = socket.socket(family, socket.SOCK_STREAM)
            try:
                sock.settimeout(deadline.remaining())
                sock.connect(address)
                sock.settimeout(timeout)
                return cls(sock, uri)
            except socket.timeout:
                sock.close()
                raise ViciTimeoutError("connecting to %s timed out after %ss" % (uri, timeout), uri) from None
            except OSError as exc:
                sock.close()
                if exc.errno not in _TRANSIENT_CONNECT_ERRNOS:
                    raise ViciTransportError("cannot connect to %s: %s" % (uri, exc.strerror or exc), uri, endpoint,
                                             exc.errno) from None
                reason = exc.strerror or str(exc)
            # Jitter spreads the retries of many clients that failed together.
            sleep = pause * random.uniform(0.5, 1.0)
            remaining = deadline.remaining()
            if remaining is not None and remaining <= sleep:
                raise ViciTimeoutError(
                    "connecting to %s timed out after %ss: its listen queue stayed full (%s, %d attempts)"
                    % (uri, timeout, reason, attempts),
                    uri,
                )
            time.sleep(sleep)
            pause = min(pause * 2, CONNECT_RETRY_MAX_PAUSE)

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass

    def _settimeout(self, deadline: Deadline, what: str) -> None:
        remaining = deadline.remaining()
        if remaining is not None and remaining <= 0:
            raise ViciTimeoutError("%s on %s timed out after %ss" % (what, self.uri, deadline.seconds), self.uri)
        self.sock.settimeout(remaining)

    def send_segment(self, payload: bytes, deadline: Deadline) -> None:
        """Send one segment; refuses payloads the daemon would not accept."""
        if len(payload) > MAX_SEGMENT_SIZE:
            raise ViciMessageTooLarge(len(payload), MAX_SEGMENT_SIZE)
        data = memoryview(len(payload).to_bytes(_HEADER_SIZE, "big") + payload)
        sent = 0
        try:
            while sent < len(data):
                self._settimeout(deadline, "sending")
                sent += self.sock.send(data[sent:])
        except socket.timeout:
            raise ViciTimeoutError("sending to %s timed out after %ss" % (self.uri, deadline.seconds), self.uri) from None
        except OSError as exc:
            raise ViciTransportError("sending to %s failed: %s" % (self.uri, exc.strerror or exc), self.uri) from None

    def _recv_exactly(self, buffer: memoryview, deadline: Deadline, what: str) -> None:
        received = 0
        while received < len(buffer):
            self._settimeout(deadline, what)
            count = self.sock.recv_into(buffer[received:])
            if count == 0:
                raise ViciTransportError("%s closed the connection in the middle of a segment" % self.uri, self.uri)
            received += count

    def recv_segment(self, deadline: Deadline) -> bytes:
        """Receive one whole segment and return its payload.

        A :class:`ViciTimeoutError` raised with ``partial = False`` consumed
        no byte: the stream is still in sync and the socket can be used again.
        """
        header = bytearray(_HEADER_SIZE)
        view = memoryview(header)
        got = 0
        try:
            while got < _HEADER_SIZE:
                self._settimeout(deadline, "waiting for a reply")
                count = self.sock.recv_into(view[got:])
                if count == 0:
                    raise ViciTransportError(
                        "%s closed the connection%s" % (self.uri, " in the middle of a segment header" if got else ""),
                        self.uri,
                    )
                got += count
            length = int.from_bytes(header, "big")
            if length > MAX_SEGMENT_SIZE:
                raise ViciProtocolError(
                    "segment length %d exceeds the VICI limit of %d bytes" % (length, MAX_SEGMENT_SIZE)
                )
            payload = bytearray(length)
            self._recv_exactly(memoryview(payload), deadline, "receiving a segment")
            return bytes(payload)
        except (socket.timeout, ViciTimeoutError):
            raise ViciTimeoutError(
                "no complete reply from %s within %ss" % (self.uri, deadline.seconds), self.uri, partial=got > 0
            ) from None
        except OSError as exc:
            raise ViciTransportError("receiving from %s failed: %s" % (self.uri, exc.strerror or exc), self.uri) from None
