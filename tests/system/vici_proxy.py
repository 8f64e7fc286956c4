# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A recording VICI proxy: proof of what a module sent to the daemon.

``ViciProxy(listen_path, daemon_path)`` listens on a UNIX socket, forwards
every connection byte for byte to the daemon's socket, and records the name of
every command request and event (un)registration the clients sent. Tests point
a module's ``socket`` at the proxy and then assert, for example, that check
mode sent only read-only commands::

    with ViciProxy(tmp_path / "proxy.vici", charon.socket_path) as proxy:
        run_module_in_process(socket="unix://" + proxy.path, ...)
    assert set(proxy.commands) <= READ_ONLY_COMMANDS

``proxy.exchanges`` also holds every command in full, decoded, with the
daemon's reply: ``Exchange(name, request, response)``, where ``request`` and
``response`` are dicts of bytes values, lists of bytes and nested dicts (the
conformance test compares what swanctl and the modules sent).

Nothing is changed: bytes are forwarded as they arrive, and decoded on the
side (with a decoder of this file's own, independent of the collection's), so
the daemon's behaviour is exactly what the module would see without the proxy.
Standard library only.
"""

from __future__ import annotations

import os
import select
import socket
import struct
import threading
from typing import Any, Dict, List, NamedTuple, Optional, Tuple

CMD_REQUEST, CMD_RESPONSE, CMD_UNKNOWN, EVENT_REGISTER, EVENT_UNREGISTER = 0, 1, 2, 3, 4
_KINDS = {CMD_REQUEST: "command", EVENT_REGISTER: "register", EVENT_UNREGISTER: "unregister"}
_SECTION_START, _SECTION_END, _KEY_VALUE, _LIST_START, _LIST_ITEM, _LIST_END = 1, 2, 3, 4, 5, 6


class Exchange(NamedTuple):
    """One command: its name, the decoded request, and the decoded reply (None: none seen; "unknown")."""

    name: str
    request: Any
    response: Any


def decode_message(data: bytes) -> Dict[str, Any]:
    """A VICI message body as nested dicts (values and list items as bytes). Raises ValueError if malformed."""
    root: Dict[str, Any] = {}
    stack: List[Dict[str, Any]] = [root]
    current_list: Optional[List[bytes]] = None
    pos = 0

    def name_at(offset: int) -> Tuple[str, int]:
        length = data[offset]
        return data[offset + 1:offset + 1 + length].decode("utf-8", "replace"), offset + 1 + length

    def value_at(offset: int) -> Tuple[bytes, int]:
        (length,) = struct.unpack("!H", data[offset:offset + 2])
        if offset + 2 + length > len(data):
            raise ValueError("value beyond the end of the message")
        return data[offset + 2:offset + 2 + length], offset + 2 + length

    while pos < len(data):
        kind = data[pos]
        pos += 1
        if kind == _SECTION_START:
            name, pos = name_at(pos)
            section: Dict[str, Any] = {}
            stack[-1][name] = section
            stack.append(section)
        elif kind == _SECTION_END:
            if len(stack) == 1:
                raise ValueError("unbalanced section end")
            stack.pop()
        elif kind == _KEY_VALUE:
            name, pos = name_at(pos)
            stack[-1][name], pos = value_at(pos)
        elif kind == _LIST_START:
            name, pos = name_at(pos)
            current_list = []
            stack[-1][name] = current_list
        elif kind == _LIST_ITEM:
            if current_list is None:
                raise ValueError("list item outside a list")
            item, pos = value_at(pos)
            current_list.append(item)
        elif kind == _LIST_END:
            current_list = None
        else:
            raise ValueError("unknown element type %d" % kind)
    if len(stack) != 1:
        raise ValueError("unterminated section")
    return root


def _body(segment: bytes, named: bool) -> Any:
    offset = 2 + segment[1] if named else 1
    try:
        return decode_message(segment[offset:])
    except (ValueError, IndexError, struct.error) as error:
        return {"<undecodable>": str(error)}


class _FrameRecorder:
    """Splits one direction of a connection's byte stream into VICI segments and records them."""

    def __init__(self, sink: "ViciProxy", pending: List[int], from_client: bool) -> None:
        self.buffer = b""
        self.sink = sink
        self.pending = pending  # indexes into sink.exchanges still owed a reply, shared by both directions
        self.from_client = from_client

    def feed(self, data: bytes) -> None:
        self.buffer += data
        while len(self.buffer) >= 4:
            (length,) = struct.unpack("!I", self.buffer[:4])
            if len(self.buffer) < 4 + length:
                return
            segment, self.buffer = self.buffer[4:4 + length], self.buffer[4 + length:]
            if not segment:
                continue
            if self.from_client and len(segment) >= 2 and segment[0] in _KINDS:
                name = segment[2:2 + segment[1]].decode("ascii", "replace")
                self.sink.record(_KINDS[segment[0]], name)
                if segment[0] == CMD_REQUEST:
                    self.pending.append(self.sink.record_exchange(name, _body(segment, True)))
            elif not self.from_client and segment[0] in (CMD_RESPONSE, CMD_UNKNOWN) and self.pending:
                reply = _body(segment, False) if segment[0] == CMD_RESPONSE else "unknown"
                self.sink.record_reply(self.pending.pop(0), reply)


class ViciProxy:
    """Forward a UNIX socket to the daemon's VICI socket and record what clients ask."""

    def __init__(self, path: str, daemon_path: str) -> None:
        self.path = str(path)
        self.daemon_path = str(daemon_path)
        self.log: List[Tuple[str, str]] = []
        self.exchanges: List[Exchange] = []
        self._lock = threading.Lock()
        self._server: Optional[socket.socket] = None
        self._stop = threading.Event()
        self._threads: List[threading.Thread] = []

    @property
    def uri(self) -> str:
        return "unix://" + self.path

    @property
    def commands(self) -> List[str]:
        """Names of the commands sent, in order."""
        with self._lock:
            return [name for kind, name in self.log if kind == "command"]

    def record(self, kind: str, name: str) -> None:
        with self._lock:
            self.log.append((kind, name))

    def record_exchange(self, name: str, request: Any) -> int:
        with self._lock:
            self.exchanges.append(Exchange(name, request, None))
            return len(self.exchanges) - 1

    def record_reply(self, index: int, response: Any) -> None:
        with self._lock:
            if index < len(self.exchanges):
                self.exchanges[index] = self.exchanges[index]._replace(response=response)

    def take(self) -> List[Exchange]:
        """The exchanges recorded so far, which are then forgotten (the name log is kept)."""
        with self._lock:
            taken, self.exchanges = self.exchanges, []
            return taken

    def clear(self) -> None:
        with self._lock:
            self.log.clear()
            self.exchanges = []

    def start(self) -> "ViciProxy":
        if os.path.exists(self.path):
            os.unlink(self.path)
        self._server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._server.bind(self.path)
        self._server.listen(8)
        self._server.settimeout(0.2)
        thread = threading.Thread(target=self._accept, name="vici-proxy", daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def _accept(self) -> None:
        assert self._server is not None
        while not self._stop.is_set():
            try:
                client, _address = self._server.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                upstream.connect(self.daemon_path)
            except OSError:
                client.close()
                upstream.close()
                continue
            thread = threading.Thread(target=self._pump, args=(client, upstream), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _pump(self, client: socket.socket, upstream: socket.socket) -> None:
        pending: List[int] = []
        recorders = {client: _FrameRecorder(self, pending, True), upstream: _FrameRecorder(self, pending, False)}
        peers = {client: upstream, upstream: client}
        try:
            while not self._stop.is_set():
                readable, _writable, _failed = select.select(list(peers), [], [], 0.2)
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        return
                    recorders[sock].feed(data)  # before forwarding: the client sees nothing we did not record
                    peers[sock].sendall(data)
        except OSError:
            return
        finally:
            client.close()
            upstream.close()

    def stop(self) -> None:
        self._stop.set()
        if self._server is not None:
            self._server.close()
            self._server = None
        for thread in self._threads:
            thread.join(timeout=2)
        if os.path.exists(self.path):
            os.unlink(self.path)

    def __enter__(self) -> "ViciProxy":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()
