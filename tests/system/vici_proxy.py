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
        run_module(socket="unix://" + proxy.path, ...)
    assert set(proxy.commands) <= READ_ONLY_COMMANDS

Nothing is changed or parsed beyond the packet header, so the daemon's
behaviour is exactly what the module would see without the proxy.
Standard library only.
"""

from __future__ import annotations

import os
import select
import socket
import struct
import threading
from typing import List, Optional, Tuple

CMD_REQUEST, EVENT_REGISTER, EVENT_UNREGISTER = 0, 3, 4
_KINDS = {CMD_REQUEST: "command", EVENT_REGISTER: "register", EVENT_UNREGISTER: "unregister"}


class _FrameRecorder:
    """Splits the client->daemon byte stream into VICI segments and notes their names."""

    def __init__(self, sink: "ViciProxy") -> None:
        self.buffer = b""
        self.sink = sink

    def feed(self, data: bytes) -> None:
        self.buffer += data
        while len(self.buffer) >= 4:
            (length,) = struct.unpack("!I", self.buffer[:4])
            if len(self.buffer) < 4 + length:
                return
            segment, self.buffer = self.buffer[4:4 + length], self.buffer[4 + length:]
            if len(segment) >= 2 and segment[0] in _KINDS:
                name = segment[2:2 + segment[1]].decode("ascii", "replace")
                self.sink.record(_KINDS[segment[0]], name)


class ViciProxy:
    """Forward a UNIX socket to the daemon's VICI socket and record what clients ask."""

    def __init__(self, path: str, daemon_path: str) -> None:
        self.path = str(path)
        self.daemon_path = str(daemon_path)
        self.log: List[Tuple[str, str]] = []
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

    def clear(self) -> None:
        with self._lock:
            self.log.clear()

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
        recorder = _FrameRecorder(self)
        peers = {client: upstream, upstream: client}
        try:
            while not self._stop.is_set():
                readable, _writable, _failed = select.select(list(peers), [], [], 0.2)
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        return
                    if sock is client:
                        recorder.feed(data)
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
