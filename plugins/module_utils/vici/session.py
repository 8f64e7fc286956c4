# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A VICI session: commands, streamed commands and events over one socket.

The daemon handles one request per connection at a time and may send events
at any moment, also between a request and its reply. Every read therefore goes
through one loop that hands stream events to the running command, keeps other
events for :meth:`Session.listen`, and returns the first packet that answers
the request. A reply is never mistaken for an event, nor an event for a reply.

Each command method is named after the daemon's command with ``-`` turned
into ``_``. Keyword options are the daemon's keys with ``-`` turned into ``_``
(``ike_id`` is sent as ``ike-id``); a trailing ``_`` escapes Python names
(``type_``, ``pass_``, ``all_``). Options left at ``None`` are not sent.
"""

from __future__ import annotations

import collections
import hashlib
from typing import Any, Callable, Deque, Dict, FrozenSet, Iterable, Iterator, List, Mapping, NamedTuple, Optional, Set, Tuple

from .errors import (
    ViciCommandFailed,
    ViciCommandUnknown,
    ViciError,
    ViciEventUnknown,
    ViciLimitError,
    ViciProtocolError,
    ViciTimeoutError,
    ViciTransportError,
)
from .transport import DEFAULT_URI, MAX_TIMEOUT, Deadline, Endpoint, FramedSocket, check_timeout, parse_uri
from .wire import (
    CMD_REQUEST,
    CMD_RESPONSE,
    CMD_UNKNOWN,
    EVENT,
    EVENT_CONFIRM,
    EVENT_REGISTER,
    EVENT_UNKNOWN,
    EVENT_UNREGISTER,
    SECTION_START,
    Packet,
    decode_packet,
    encode_message,
    encode_packet,
)


def event_object_name(segment: bytes) -> Optional[str]:
    """The name of the section an event's message opens with (list-conn: the connection), from its encoded
    segment (event packet type, event name, message); None if the message does not open with a section."""
    start = 2 + segment[1] if len(segment) > 1 else len(segment)
    if len(segment) < start + 2 or segment[start] != SECTION_START:
        return None
    end = start + 2 + segment[start + 1]
    if len(segment) < end:
        return None
    return segment[start + 2:end].decode("utf-8", "surrogateescape")


class ListingPrints(NamedTuple):
    """A listing's SHA-256 digests (:meth:`Session.listing_prints`): each streamed event's by the name of the
    object it shows, those of events without one (or naming one already seen), and the reply's."""

    events: Dict[str, str]
    response: str
    unnamed: Tuple[str, ...] = ()

    def digest(self) -> str:
        """One digest of the whole listing. The events count in any order: the same objects reported the same
        way give the same digest, whatever order the daemon lists them in."""
        digest = hashlib.sha256()
        for print_ in sorted(list(self.events.values()) + list(self.unnamed)):
            digest.update(bytes.fromhex(print_))
        digest.update(b"|" + self.response.encode("ascii"))
        return digest.hexdigest()

    def with_objects(self, names: Iterable[str], fresh: "ListingPrints") -> Optional["ListingPrints"]:
        """This listing with the objects ``names`` as ``fresh`` (the same listing narrowed to them) shows them:
        changed, added, or gone when ``fresh`` has no event of theirs. None if either has events that name no
        object, or ``fresh`` shows another object."""
        wanted = set(names)
        if self.unnamed or fresh.unnamed or set(fresh.events) - wanted:
            return None
        events = {name: print_ for name, print_ in self.events.items() if name not in wanted}
        events.update(fresh.events)
        return ListingPrints(events, self.response)


DEFAULT_TIMEOUT = 30.0
# Events that arrive while nobody listens are kept up to this many, and up to
# this many bytes (their encoded size; decoded they take a few times more);
# older ones are dropped (and counted) so a forgotten registration cannot grow
# memory without bound. While a reply is owed, going over the byte bound is an
# error instead: a peer that floods events rather than answer is broken or
# hostile (the daemon's own log events are a few hundred bytes each).
EVENT_BACKLOG_LIMIT = 10000
EVENT_BACKLOG_BYTES = 4 * 1024 * 1024
# The events of one streamed command (list-sas, list-conns, ...) may total this
# many encoded bytes: far above what thousands of connections or SAs take
# (about 1 to 2 KB each), far below what exhausts memory.
STREAM_BYTES_LIMIT = 64 * 1024 * 1024
# Extra seconds granted beyond a daemon-side timeout (initiate/terminate),
# so the daemon's own "not established after N ms" answer arrives first.
DAEMON_TIMEOUT_GRACE = 5.0

Message = Dict[str, Any]


class StreamResult(NamedTuple):
    """What a streamed command returns: its events, in order, and the final reply."""

    events: List[Message]
    response: Message


def options(**kwargs: Any) -> Message:
    """Turn Python keyword options into a VICI message.

    ``None`` and ``False`` presence flags are dropped by the caller's choice:
    here only ``None`` is dropped. ``ike_id`` becomes ``ike-id`` and a trailing
    underscore (``type_``) is removed.
    """
    message: Message = {}
    for key, value in kwargs.items():
        if value is None:
            continue
        message[key.rstrip("_").replace("_", "-")] = value
    return message


def _flags(**kwargs: bool) -> Message:
    """Presence-only flags: the daemon checks whether the key exists, not its value."""
    return {key.rstrip("_"): True for key, value in kwargs.items() if value}


def is_success(response: Mapping[str, Any]) -> bool:
    """True unless the reply says ``success = no`` (query replies have no ``success``)."""
    success = response.get("success")
    if success is None:
        return True
    if isinstance(success, bytes):
        success = success.decode("ascii", "replace")
    return success == "yes"


class Session:
    """One connection to the daemon's VICI socket.

    ``timeout`` (seconds) bounds every operation: sending the request and
    receiving the whole reply, streamed events included. ``None`` waits
    forever, which only interactive tools should choose. A timeout that is
    not a finite number of seconds above 0 and at most a day raises
    :class:`ViciValueError`.
    """

    def __init__(self, uri: str = DEFAULT_URI, timeout: Optional[float] = DEFAULT_TIMEOUT) -> None:
        self.uri = uri
        self.timeout = check_timeout(timeout)
        self._registered: Set[str] = set()
        # (event name, message, encoded size) of events nobody listened to yet.
        self._backlog: Deque[Tuple[str, Message, int]] = collections.deque()
        self._backlog_bytes = 0
        self.dropped_events = 0
        self._endpoint = parse_uri(uri)
        self._socket: Optional[FramedSocket] = FramedSocket.connect(uri, self.timeout, self._endpoint)

    # -- life cycle -------------------------------------------------------

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None
        self._registered.clear()

    @property
    def endpoint(self) -> Endpoint:
        """The socket URI, parsed: (family, address)."""
        return self._endpoint

    @property
    def closed(self) -> bool:
        return self._socket is None

    def __enter__(self) -> "Session":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def fileno(self) -> int:
        """The socket's file descriptor, for ``select``: readable once a packet has begun to arrive.

        An event loop that must also check other things waits with ``select`` and then reads with
        :meth:`listen`, whose deadline then only bounds the rest of a packet that has begun: a deadline that
        ran out in the middle of a packet would close the session.
        """
        return self._sock().sock.fileno()

    @property
    def registered(self) -> FrozenSet[str]:
        """Names of the events this session is registered for."""
        return frozenset(self._registered)

    # -- packet loop ------------------------------------------------------

    def _sock(self) -> FramedSocket:
        if self._socket is None:
            raise ViciTransportError("the session to %s is closed" % self.uri, self.uri)
        return self._socket

    def _deadline(self, timeout: Optional[float]) -> Deadline:
        return Deadline(self.timeout if timeout is None else check_timeout(timeout))

    def _send(self, packet: bytes, deadline: Deadline) -> None:
        try:
            self._sock().send_segment(packet, deadline)
        except ViciTransportError:
            self.close()
            raise

    def _read(self, deadline: Deadline) -> Tuple[Packet, int]:
        """Read one packet and its encoded size. Errors that leave the stream out of sync close the session."""
        segment = self._segment(deadline)
        return self._decode(segment), len(segment)

    def _segment(self, deadline: Deadline) -> bytes:
        """Read one segment, undecoded (errors as :meth:`_read`)."""
        try:
            return self._sock().recv_segment(deadline)
        except ViciTimeoutError as exc:
            if exc.partial:
                self.close()
            raise
        except ViciError:
            self.close()
            raise

    def _decode(self, segment: bytes) -> Packet:
        try:
            return decode_packet(segment)
        except ViciError:
            self.close()
            raise

    def _keep_event(self, packet: Packet, size: int) -> None:
        """Keep an event for listen(), dropping the oldest beyond the count and byte bounds."""
        while self._backlog and (len(self._backlog) >= EVENT_BACKLOG_LIMIT or self._backlog_bytes + size > EVENT_BACKLOG_BYTES):
            self._backlog_bytes -= self._backlog.popleft()[2]
            self.dropped_events += 1
        self._backlog.append((packet.name or "", packet.message or {}, size))
        self._backlog_bytes += size

    def _await_reply(
        self,
        deadline: Deadline,
        replies: Iterable[int],
        awaiting: str,
        stream_event: Optional[str] = None,
        on_stream_event: Optional[Callable[[Message], None]] = None,
        on_raw_event: Optional[Callable[[bytes], None]] = None,
    ) -> Packet:
        """Read until a packet of one of the ``replies`` types arrives.

        A timeout here leaves a reply owed, so the session is closed: a late
        reply would otherwise be taken as the answer to the next request.
        ``awaiting`` says what the reply answers, for error messages.
        ``on_raw_event`` (instead of ``on_stream_event``) gets each ``stream_event`` segment undecoded.
        """
        wanted = frozenset(replies)
        stream_bytes = 0
        # Bytes of other events that arrived during this wait: events kept from before do not count.
        kept_bytes = 0
        raw_prefix = b""
        if on_raw_event is not None and stream_event:
            raw_name = stream_event.encode("ascii")
            raw_prefix = bytes((EVENT, len(raw_name))) + raw_name
        while True:
            try:
                segment = self._segment(deadline)
            except ViciTimeoutError:
                self.close()
                raise
            if raw_prefix and segment.startswith(raw_prefix) and on_raw_event is not None:
                stream_bytes += len(segment)
                if stream_bytes > STREAM_BYTES_LIMIT:
                    self.close()
                    raise ViciLimitError(
                        "the peer sent more than %d bytes of '%s' events for %s; the session is closed"
                        % (STREAM_BYTES_LIMIT, stream_event, awaiting)
                    )
                on_raw_event(segment)
                continue
            packet, size = self._decode(segment), len(segment)
            if packet.type in wanted:
                return packet
            if packet.type != EVENT:
                self.close()
                raise ViciProtocolError("unexpected %s packet while waiting for a reply" % packet.type_name)
            if packet.name == stream_event and on_stream_event is not None:
                stream_bytes += size
                if stream_bytes > STREAM_BYTES_LIMIT:
                    self.close()
                    raise ViciLimitError(
                        "the peer sent more than %d bytes of '%s' events for %s; the session is closed"
                        % (STREAM_BYTES_LIMIT, stream_event, awaiting)
                    )
                on_stream_event(packet.message or {})
                continue
            kept_bytes += size
            if kept_bytes > EVENT_BACKLOG_BYTES:
                self.close()
                raise ViciLimitError(
                    "the peer sent more than %d bytes of events (the last one '%s') while the reply to %s was owed; "
                    "the session is closed" % (EVENT_BACKLOG_BYTES, packet.name, awaiting)
                )
            self._keep_event(packet, size)

    # -- generic requests -------------------------------------------------

    def call(
        self,
        command: str,
        message: Optional[Mapping[str, Any]] = None,
        check: bool = True,
        timeout: Optional[float] = None,
    ) -> Message:
        """Send a command and return its reply.

        With ``check`` (the default) a reply of ``success = no`` raises
        :class:`ViciCommandFailed`; otherwise it is returned as it is.
        """
        return self._request(command, message, check, timeout, None, None).response

    def stream(
        self,
        command: str,
        event: str,
        message: Optional[Mapping[str, Any]] = None,
        check: bool = True,
        timeout: Optional[float] = None,
        on_event: Optional[Callable[[Message], None]] = None,
        on_raw_event: Optional[Callable[[bytes], None]] = None,
    ) -> StreamResult:
        """Run a streamed command: register ``event``, send, collect, unregister.

        Returns every ``event`` message the command raised, in order, and the
        final reply with all its fields (``matches``, ``terminated``, ...).
        ``on_event`` is called for each event as it arrives. With ``on_raw_event``, each event's segment goes
        to it undecoded instead (and the result lists no events).
        """
        deadline = self._deadline(timeout)
        registered_here = event not in self._registered
        if registered_here:
            self._register(EVENT_REGISTER, event, deadline)
        try:
            result = self._request(command, message, check, None, event, on_event, deadline, on_raw_event)
        except BaseException:
            # The command's own error matters more than a failed clean-up.
            if registered_here and not self.closed:
                try:
                    self._register(EVENT_UNREGISTER, event, deadline)
                except ViciError:
                    pass
            raise
        if registered_here and not self.closed:
            self._register(EVENT_UNREGISTER, event, deadline)
        return result

    def _request(
        self,
        command: str,
        message: Optional[Mapping[str, Any]],
        check: bool,
        timeout: Optional[float],
        stream_event: Optional[str],
        on_event: Optional[Callable[[Message], None]],
        deadline: Optional[Deadline] = None,
        on_raw_event: Optional[Callable[[bytes], None]] = None,
    ) -> StreamResult:
        if deadline is None:
            deadline = self._deadline(timeout)
        packet = encode_packet(CMD_REQUEST, command, message or {})
        events: List[Message] = []

        def collect(event_message: Message) -> None:
            events.append(event_message)
            if on_event is not None:
                on_event(event_message)

        self._send(packet, deadline)
        reply = self._await_reply(deadline, (CMD_RESPONSE, CMD_UNKNOWN), "command '%s'" % command, stream_event, collect,
                                  on_raw_event)
        if reply.type == CMD_UNKNOWN:
            raise ViciCommandUnknown(command)
        response = reply.message or {}
        if check and not is_success(response):
            raise ViciCommandFailed(command, response, events)
        return StreamResult(events, response)

    # -- events -----------------------------------------------------------

    def _register(self, packet_type: int, event: str, deadline: Deadline) -> None:
        self._send(encode_packet(packet_type, event), deadline)
        what = "registration" if packet_type == EVENT_REGISTER else "unregistration"
        reply = self._await_reply(deadline, (EVENT_CONFIRM, EVENT_UNKNOWN), "the %s of event '%s'" % (what, event))
        if reply.type == EVENT_UNKNOWN:
            raise ViciEventUnknown(event)
        if packet_type == EVENT_REGISTER:
            self._registered.add(event)
        else:
            self._registered.discard(event)

    def register(self, event: str, timeout: Optional[float] = None) -> None:
        """Register for an event; registering twice is a no-op (the daemon would deliver twice)."""
        if event not in self._registered:
            self._register(EVENT_REGISTER, event, self._deadline(timeout))

    def unregister(self, event: str, timeout: Optional[float] = None) -> None:
        """Unregister from an event; unregistering an unregistered event is a no-op."""
        if event in self._registered:
            self._register(EVENT_UNREGISTER, event, self._deadline(timeout))

    def listen(self, events: Iterable[str], timeout: Optional[float] = None) -> Iterator[Tuple[str, Message]]:
        """Yield ``(event name, message)`` for the given events as they arrive.

        Events already received while a command ran come first. The generator
        ends when ``timeout`` seconds have passed in total (``None``: never),
        and unregisters what it registered when it ends or is closed.
        ``timeout`` may be 0 (take what arrived, do not wait).
        """
        timeout = check_timeout(timeout, allow_zero=True)
        wanted = set(events)
        # Register in the caller's order, each name once.
        added = [name for name in dict.fromkeys(events) if name not in self._registered]
        deadline = Deadline(timeout)
        for name in added:
            self._register(EVENT_REGISTER, name, self._deadline(None))
        try:
            while True:
                kept = self._take_backlog(wanted)
                if kept is not None:
                    yield kept
                    continue
                try:
                    packet, size = self._read(deadline)
                except ViciTimeoutError as exc:
                    if exc.partial:
                        raise
                    return
                if packet.type != EVENT:
                    self.close()
                    raise ViciProtocolError("unexpected %s packet while listening for events" % packet.type_name)
                if packet.name in wanted:
                    yield packet.name, packet.message or {}
                else:
                    self._keep_event(packet, size)
        finally:
            if not self.closed:
                for name in added:
                    self._register(EVENT_UNREGISTER, name, self._deadline(None))

    def _take_backlog(self, wanted: Set[str]) -> Optional[Tuple[str, Message]]:
        for index, (name, message, size) in enumerate(self._backlog):
            if name in wanted:
                del self._backlog[index]
                self._backlog_bytes -= size
                return name, message
        return None

    def pending_events(self) -> List[Tuple[str, Message]]:
        """Take every event received but not yet listened to."""
        taken = [(name, message) for name, message, _size in self._backlog]
        self._backlog.clear()
        self._backlog_bytes = 0
        return taken

    # -- one method per VICI command ---------------------------------------

    def version(self) -> Message:
        return self.call("version")

    def stats(self) -> Message:
        return self.call("stats")

    def listing_digest(self, command: str, event: Optional[str] = None) -> str:
        """SHA-256 of what a read-only listing command returns (``event``: its streamed events), hex.

        The events are hashed as the daemon encoded them, never decoded: a fingerprint of thousands of
        objects at the cost of reading them. The same daemon state gives the same digest (the events in any
        order: :meth:`ListingPrints.digest`).
        """
        return self.listing_prints(command, event).digest()

    def listing_prints(self, command: str, event: Optional[str] = None,
                       message: Optional[Mapping[str, Any]] = None) -> "ListingPrints":
        """What a read-only listing command returns, hashed undecoded: each streamed ``event`` on its own,
        by the name of the object it shows, and the reply (:class:`ListingPrints`). ``message`` narrows the
        listing (list-conns: ``{"ike": name}``)."""
        events: Dict[str, str] = {}
        unnamed: List[str] = []

        def add(segment: bytes) -> None:
            print_ = hashlib.sha256(segment).hexdigest()
            name = event_object_name(segment)
            if name is None or name in events:
                unnamed.append(print_)
            else:
                events[name] = print_

        if event is None:
            response = self.call(command, message)
        else:
            response = self.stream(command, event, message, on_raw_event=add).response
        return ListingPrints(events, hashlib.sha256(encode_message(response)).hexdigest(), tuple(unnamed))

    def reload_settings(self, check: bool = True) -> Message:
        return self.call("reload-settings", check=check)

    def _control_timeout(self, daemon_timeout_ms: Optional[int], op_timeout: Optional[float]) -> Optional[float]:
        """The client deadline of initiate/terminate: longer than the daemon's own."""
        if op_timeout is not None:
            return op_timeout
        if daemon_timeout_ms is not None and int(daemon_timeout_ms) > 0 and self.timeout is not None:
            return min(MAX_TIMEOUT, max(self.timeout, int(daemon_timeout_ms) / 1000.0 + DAEMON_TIMEOUT_GRACE))
        return None

    def initiate(
        self,
        child: Optional[str] = None,
        ike: Optional[str] = None,
        timeout: Optional[int] = None,
        init_limits: Optional[bool] = None,
        loglevel: Optional[int] = None,
        check: bool = True,
        op_timeout: Optional[float] = None,
        on_log: Optional[Callable[[Message], None]] = None,
    ) -> StreamResult:
        """Initiate a CHILD_SA and/or IKE_SA, streaming the ``control-log``.

        ``timeout`` is the daemon's, in milliseconds (0 waits until done, -1
        returns at once without a log); ``op_timeout`` the client's, in
        seconds (by default longer than the daemon's).
        """
        message = options(child=child, ike=ike, timeout=timeout, init_limits=init_limits, loglevel=loglevel)
        return self.stream("initiate", "control-log", message, check, self._control_timeout(timeout, op_timeout), on_log)

    def terminate(
        self,
        child: Optional[str] = None,
        ike: Optional[str] = None,
        child_id: Optional[int] = None,
        ike_id: Optional[int] = None,
        force: Optional[bool] = None,
        timeout: Optional[int] = None,
        loglevel: Optional[int] = None,
        check: bool = True,
        op_timeout: Optional[float] = None,
        on_log: Optional[Callable[[Message], None]] = None,
    ) -> StreamResult:
        """Terminate SAs, streaming the ``control-log``; the reply carries ``matches``/``terminated``."""
        message = options(
            child=child, ike=ike, child_id=child_id, ike_id=ike_id, force=force, timeout=timeout, loglevel=loglevel
        )
        return self.stream("terminate", "control-log", message, check, self._control_timeout(timeout, op_timeout), on_log)

    def rekey(
        self,
        child: Optional[str] = None,
        ike: Optional[str] = None,
        child_id: Optional[int] = None,
        ike_id: Optional[int] = None,
        reauth: Optional[bool] = None,
        check: bool = True,
    ) -> Message:
        return self.call("rekey", options(child=child, ike=ike, child_id=child_id, ike_id=ike_id, reauth=reauth), check)

    def redirect(
        self,
        gateway: str,
        ike: Optional[str] = None,
        ike_id: Optional[int] = None,
        peer_ip: Optional[str] = None,
        peer_id: Optional[str] = None,
        check: bool = True,
    ) -> Message:
        return self.call("redirect", options(ike=ike, ike_id=ike_id, peer_ip=peer_ip, peer_id=peer_id, gateway=gateway), check)

    def install(self, child: str, ike: Optional[str] = None, check: bool = True) -> Message:
        return self.call("install", options(child=child, ike=ike), check)

    def uninstall(self, child: str, ike: Optional[str] = None, check: bool = True) -> Message:
        return self.call("uninstall", options(child=child, ike=ike), check)

    def list_sas(
        self,
        ike: Optional[str] = None,
        ike_id: Optional[int] = None,
        child: Optional[str] = None,
        child_id: Optional[int] = None,
        noblock: bool = False,
    ) -> List[Message]:
        """One ``list-sa`` event per IKE_SA (names can repeat, so a list)."""
        message = options(ike=ike, ike_id=ike_id, child=child, child_id=child_id)
        message.update(_flags(noblock=noblock))
        return self.stream("list-sas", "list-sa", message).events

    def list_policies(
        self,
        child: Optional[str] = None,
        ike: Optional[str] = None,
        trap: bool = False,
        drop: bool = False,
        pass_: bool = False,
    ) -> List[Message]:
        message = options(child=child, ike=ike)
        message.update(_flags(trap=trap, drop=drop, pass_=pass_))
        return self.stream("list-policies", "list-policy", message).events

    def list_conns(self, ike: Optional[str] = None) -> List[Message]:
        """One ``list-conn`` event per connection of every backend (vici and others)."""
        return self.stream("list-conns", "list-conn", options(ike=ike)).events

    def get_conns(self) -> Message:
        """Names of the connections loaded over VICI: ``{"conns": [...]}``."""
        return self.call("get-conns")

    def list_certs(self, type_: Optional[str] = None, flag: Optional[str] = None, subject: Optional[str] = None) -> List[Message]:
        return self.stream("list-certs", "list-cert", options(type_=type_, flag=flag, subject=subject)).events

    def list_authorities(self, name: Optional[str] = None) -> List[Message]:
        return self.stream("list-authorities", "list-authority", options(name=name)).events

    def get_authorities(self) -> Message:
        return self.call("get-authorities")

    def load_conn(self, connections: Mapping[str, Mapping[str, Any]], check: bool = True) -> Message:
        """Load connections, given as ``{name: body}`` in swanctl.conf's schema."""
        return self.call("load-conn", connections, check)

    def unload_conn(self, name: str, check: bool = True) -> Message:
        return self.call("unload-conn", {"name": name}, check)

    def load_cert(self, type_: str, data: Any, flag: Optional[str] = None, check: bool = True) -> Message:
        return self.call("load-cert", options(type_=type_, flag=flag, data=data), check)

    def load_key(self, type_: str, data: Any, check: bool = True) -> Message:
        """Load an unencrypted private key; the reply carries its ``id``."""
        return self.call("load-key", options(type_=type_, data=data), check)

    def unload_key(self, key_id: str, check: bool = True) -> Message:
        return self.call("unload-key", {"id": key_id}, check)

    def get_keys(self) -> Message:
        return self.call("get-keys")

    def load_token(
        self,
        handle: str,
        slot: Optional[int] = None,
        module: Optional[str] = None,
        pin: Optional[str] = None,
        check: bool = True,
    ) -> Message:
        return self.call("load-token", options(handle=handle, slot=slot, module=module, pin=pin), check)

    def load_shared(
        self,
        type_: str,
        data: Any,
        id_: Optional[str] = None,
        owners: Optional[Iterable[str]] = None,
        check: bool = True,
    ) -> Message:
        message = options(id_=id_, type_=type_, data=data)
        if owners is not None:
            # One identity given as a plain string is one owner, not one per character.
            message["owners"] = [owners] if isinstance(owners, str) else list(owners)
        return self.call("load-shared", message, check)

    def unload_shared(self, secret_id: str, check: bool = True) -> Message:
        return self.call("unload-shared", {"id": secret_id}, check)

    def get_shared(self) -> Message:
        return self.call("get-shared")

    def flush_certs(self, type_: Optional[str] = None, check: bool = True) -> Message:
        return self.call("flush-certs", options(type_=type_), check)

    def clear_creds(self, check: bool = True) -> Message:
        return self.call("clear-creds", check=check)

    def load_authority(self, authorities: Mapping[str, Mapping[str, Any]], check: bool = True) -> Message:
        return self.call("load-authority", authorities, check)

    def unload_authority(self, name: str, check: bool = True) -> Message:
        return self.call("unload-authority", {"name": name}, check)

    def load_pool(self, pools: Mapping[str, Mapping[str, Any]], check: bool = True) -> Message:
        return self.call("load-pool", pools, check)

    def unload_pool(self, name: str, check: bool = True) -> Message:
        return self.call("unload-pool", {"name": name}, check)

    def get_pools(self, leases: bool = False, name: Optional[str] = None) -> Message:
        message = options(name=name)
        message.update(_flags(leases=leases))
        return self.call("get-pools", message)

    def get_algorithms(self) -> Message:
        return self.call("get-algorithms")

    def get_counters(self, name: Optional[str] = None, all_: bool = False, check: bool = True) -> Message:
        message = options(name=name)
        message.update(_flags(all_=all_))
        return self.call("get-counters", message, check)

    def reset_counters(self, name: Optional[str] = None, all_: bool = False, check: bool = True) -> Message:
        message = options(name=name)
        message.update(_flags(all_=all_))
        return self.call("reset-counters", message, check)


# Commands that never change the daemon's state: check mode may send these.
READ_ONLY_COMMANDS = frozenset(
    (
        "version",
        "stats",
        "list-sas",
        "list-policies",
        "list-conns",
        "get-conns",
        "list-certs",
        "list-authorities",
        "get-authorities",
        "get-keys",
        "get-shared",
        "get-pools",
        "get-algorithms",
        "get-counters",
    )
)

# Streamed commands and the event each one raises.
STREAMED_COMMANDS = {
    "list-sas": "list-sa",
    "list-policies": "list-policy",
    "list-conns": "list-conn",
    "list-certs": "list-cert",
    "list-authorities": "list-authority",
    "initiate": "control-log",
    "terminate": "control-log",
}
