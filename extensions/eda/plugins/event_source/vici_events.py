# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""strongswan.vici.vici_events: charon's VICI events as Event-Driven Ansible events.

Arguments (all optional; a wrong one stops the source with a message naming it):

``socket``            the VICI socket URI, default ``unix:///var/run/charon.vici``
``events``            the daemon events to subscribe to, default ``[ike-updown, child-updown, ike-rekey,
                      child-rekey]``; ``log`` may be added (charon's log lines: many)
``max_backlog``       K, default 1000: at most this many events wait between the daemon and the rule engine;
                      above it the oldest are dropped, counted, and one ``dropped`` event says how many
``timeout``           seconds for connecting and for each registration, default 10
``poll_interval``     seconds between checks for the source's shutdown while no event arrives, default 1
``reconnect_delay``   first wait before reconnecting, default 0.5 s, doubled after each failed attempt ...
``reconnect_max_delay``  ... up to this, default 30 s
``reconnect_attempts``   give up after this many failed attempts in a row (the source then ends with an
                      error); default 0: never give up

Every event is ``{"vici": {...}}`` with ``type`` saying what it is:

* a daemon event: ``type`` is its name (``child-updown``, ...); ``ike`` the IKE_SA's connection name,
  ``uniqueid``, ``state``, ``children`` (the CHILD_SA names in the message) and ``child`` (the first of them,
  or None), ``up`` (``ike-updown``/``child-updown`` only: true or false), ``sa`` (the daemon's message for that
  IKE_SA, values as text). ``log`` events have ``group``, ``level``, ``ike`` and ``msg``.
* ``connected`` (the first subscription), ``reconnected`` (after a lost connection: ``attempts``,
  ``down_seconds``), ``disconnected`` (``reason``: the connection broke; the source reconnects);
* ``dropped``: ``count`` events were dropped because more than ``max_backlog`` waited.

Every event also has ``socket`` (the URI) and ``time`` (seconds since the epoch).

Why a thread: the collection's VICI client (plugins/module_utils/vici/session.py) is blocking, with a
deadline on every operation and a bounded backlog of its own; reusing it keeps one implementation of the
protocol. It runs in one dedicated thread that owns the session; the thread hands events to the asyncio side
through :class:`Backlog` (a lock-protected deque with a wake-up through ``call_soon_threadsafe``), which is where
the cap is enforced, so that a rule engine slower than the daemon never lets memory grow. The thread listens in
waits for each event with ``select`` for at most ``poll_interval`` seconds and checks a stop flag in between, so the source ends within about that
long when ansible-rulebook cancels it. (``run_in_executor`` per read would need one future per event and hand the
session from thread to thread; one owner thread is simpler.)

The plugin is run by ansible-rulebook with ``runpy.run_path``, outside any package: it imports the client as
``ansible_collections.strongswan.vici.plugins.module_utils.vici`` and, when that is not importable, from the
collection tree it was installed in (``<path>/ansible_collections/strongswan/vici/extensions/eda/...``).
"""

from __future__ import annotations

import asyncio
import collections
import importlib
import math
import os
import select
import sys
import threading
import time
from typing import Any, Deque, Dict, List, Optional

DOCUMENTATION = r"""
---
short_description: Receive charon's VICI events (SA up/down, rekeys, log) as events.
description:
  - Subscribes to the strongSwan daemon's VICI events through the strongswan.vici collection's client and puts
    one structured event per message on the queue.
  - Reconnects with bounded exponential backoff when charon restarts, and emits a reconnected event.
  - Caps its own backlog at O(max_backlog) and emits a dropped event with the number of events dropped.
options:
  socket:
    description: The VICI socket URI.
    type: str
    default: unix:///var/run/charon.vici
  events:
    description: The daemon events to subscribe to.
    type: list
    elements: str
    default: [ike-updown, child-updown, ike-rekey, child-rekey]
  max_backlog:
    description: At most this many events wait for the rule engine; above it the oldest are dropped.
    type: int
    default: 1000
  timeout:
    description: Seconds for connecting and for each registration.
    type: float
    default: 10
  poll_interval:
    description: Seconds between checks for shutdown while no event arrives.
    type: float
    default: 1
  reconnect_delay:
    description: The first wait before reconnecting, doubled after each failed attempt.
    type: float
    default: 0.5
  reconnect_max_delay:
    description: The longest wait between two attempts.
    type: float
    default: 30
  reconnect_attempts:
    description: Failed attempts in a row after which the source ends with an error; 0 never gives up.
    type: int
    default: 0
"""

EXAMPLES = r"""
- name: Tunnels of a gateway
  hosts: localhost
  sources:
    - strongswan.vici.vici_events:
        socket: unix:///var/run/charon.vici
        max_backlog: 1000
  rules:
    - name: Print every CHILD_SA that goes down
      condition: event.vici.type == "child-updown" and event.vici.up == false
      action:
        print_event:
"""

SA_EVENTS = ("ike-updown", "child-updown", "ike-rekey", "child-rekey")
KNOWN_EVENTS = SA_EVENTS + ("log",)
DEFAULTS: Dict[str, Any] = {
    "socket": "unix:///var/run/charon.vici",
    "events": list(SA_EVENTS),
    "max_backlog": 1000,
    "timeout": 10.0,
    "poll_interval": 1.0,
    "reconnect_delay": 0.5,
    "reconnect_max_delay": 30.0,
    "reconnect_attempts": 0,
}
# Bounds of the numeric arguments: (low, high); the low bound is exclusive for the seconds.
NUMBERS = {
    "max_backlog": (1, 10_000_000),
    "timeout": (0.0, 3600.0),
    "poll_interval": (0.0, 60.0),
    "reconnect_delay": (0.0, 3600.0),
    "reconnect_max_delay": (0.0, 86400.0),
    "reconnect_attempts": (0, 10_000_000),
}
# How long the source waits for its reader thread to end after a stop (it checks every poll_interval).
JOIN_GRACE = 5.0


def _client() -> Any:
    """The collection's vici package (module_utils/vici), imported by its collection name."""
    name = "ansible_collections.strongswan.vici.plugins.module_utils.vici"
    try:
        importlib.import_module(name + ".session")
    except ImportError:
        # <root>/ansible_collections/strongswan/vici/extensions/eda/plugins/event_source/this file
        here = os.path.realpath(globals().get("__file__") or "")
        parents = [here]
        for _level in range(8):
            parents.append(os.path.dirname(parents[-1]))
        root = parents[8]
        if os.path.basename(parents[7]) != "ansible_collections" or not os.path.isdir(parents[5]):
            raise ImportError("strongswan.vici.vici_events: the collection's VICI client is not importable and this "
                              "file (%s) is not in <path>/ansible_collections/strongswan/vici/" % here) from None
        sys.path.append(root)
        importlib.import_module(name + ".session")
    return sys.modules[name]


def check_args(args: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    """The arguments with defaults filled in; ValueError naming the argument for a wrong one."""
    args = dict(args or {})
    args.pop("eda_feedback_queue", None)  # ansible-rulebook's own, for plugins that answer back
    unknown = sorted(set(args) - set(DEFAULTS))
    if unknown:
        raise ValueError("strongswan.vici.vici_events: unknown argument(s) %s; known: %s"
                         % (", ".join(unknown), ", ".join(sorted(DEFAULTS))))
    checked = dict(DEFAULTS)
    checked.update({key: value for key, value in args.items() if value is not None})
    if not isinstance(checked["socket"], str) or not checked["socket"]:
        raise ValueError("strongswan.vici.vici_events: socket must be a socket URI such as "
                         "unix:///var/run/charon.vici, got %r" % (checked["socket"],))
    events = checked["events"]
    if isinstance(events, str):
        events = [events]
    if not isinstance(events, list) or not events or not all(isinstance(name, str) for name in events):
        raise ValueError("strongswan.vici.vici_events: events must be a non-empty list of event names, got %r"
                         % (events,))
    wrong = [name for name in events if name not in KNOWN_EVENTS]
    if wrong:
        raise ValueError("strongswan.vici.vici_events: events: %s not one of %s"
                         % (", ".join(wrong), ", ".join(KNOWN_EVENTS)))
    checked["events"] = list(dict.fromkeys(events))
    for key, (low, high) in NUMBERS.items():
        value = checked[key]
        integer = isinstance(low, int)
        if isinstance(value, bool) or not isinstance(value, (int, float) if not integer else int):
            raise ValueError("strongswan.vici.vici_events: %s must be %s, got %r"
                             % (key, "an integer" if integer else "a number of seconds", value))
        if (value < low if integer else value <= low) or value > high or math.isnan(value):
            raise ValueError("strongswan.vici.vici_events: %s must be %s %s and at most %s, got %r"
                             % (key, "at least" if integer else "above", low, high, value))
        checked[key] = value if integer else float(value)
    return checked


def _text(value: Any) -> Any:
    """A decoded VICI value as JSON-friendly data: bytes that are not UTF-8 become hex."""
    if isinstance(value, dict):
        return {str(key): _text(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_text(item) for item in value]
    if isinstance(value, (bytes, bytearray)):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            return bytes(value).hex()
    return value


def _children(sa: Dict[str, Any]) -> List[str]:
    found: List[str] = []
    for section in (sa.get("child-sas") or {}, (sa.get("new") or {}).get("child-sas") or {}):
        if isinstance(section, dict):
            for key, child in section.items():
                found.append(str(child.get("name", key)) if isinstance(child, dict) else str(key))
    return list(dict.fromkeys(found))


def structure(name: str, message: Dict[str, Any], uri: str) -> Dict[str, Any]:
    """One daemon event as the plugin's event: ``{"vici": {...}}`` (see the module docstring)."""
    data = _text(message)
    vici: Dict[str, Any] = {"type": name, "socket": uri, "time": time.time()}
    if name == "log":
        vici.update({"group": data.get("group"), "level": data.get("level"), "ike": data.get("ikesa-name"),
                     "msg": data.get("msg")})
        return {"vici": vici}
    if name in ("ike-updown", "child-updown"):
        vici["up"] = data.get("up") == "yes"
    ike = next((key for key, value in data.items() if key != "up" and isinstance(value, dict)), None)
    sa: Dict[str, Any] = data.get(ike) or {} if ike is not None else {}
    new = sa.get("new")
    state_of: Dict[str, Any] = new if isinstance(new, dict) else sa
    children = _children(sa)
    vici.update({"ike": ike, "uniqueid": state_of.get("uniqueid"), "state": state_of.get("state"),
                 "children": children, "child": children[0] if children else None, "sa": sa})
    return {"vici": vici}


def _note(kind: str, uri: str, **fields: Any) -> Dict[str, Any]:
    vici: Dict[str, Any] = {"type": kind, "socket": uri, "time": time.time()}
    vici.update(fields)
    return {"vici": vici}


class Backlog:
    """The hand-off from the reader thread to the asyncio side, holding at most ``limit`` events.

    ``put`` (reader thread) never blocks: above ``limit`` it drops the oldest event and counts it. ``get``
    (event loop) returns a ``dropped`` event with the count first, when there is one, then the events in order;
    None once the reader has finished and everything was taken. Memory: ``limit`` events at most, whatever the
    daemon sends and however slow the rule engine is.
    """

    def __init__(self, limit: int, loop: asyncio.AbstractEventLoop, uri: str) -> None:
        self.limit = limit
        self.uri = uri
        self.dropped_total = 0
        self._items: Deque[Dict[str, Any]] = collections.deque()
        self._dropped = 0
        self._finished = False
        self._lock = threading.Lock()
        self._loop = loop
        self._wake = asyncio.Event()
        self._waiting = False

    def _signal(self) -> None:
        try:
            self._loop.call_soon_threadsafe(self._wake.set)
        except RuntimeError:  # the loop is closed: nobody is waiting any more
            pass

    def put(self, event: Dict[str, Any]) -> None:
        with self._lock:
            if len(self._items) >= self.limit:
                self._items.popleft()
                self._dropped += 1
                self.dropped_total += 1
            self._items.append(event)
            wake, self._waiting = self._waiting, False
        if wake:
            self._signal()

    def finish(self) -> None:
        with self._lock:
            self._finished = True
            wake, self._waiting = self._waiting, False
        if wake:
            self._signal()

    def __len__(self) -> int:
        return len(self._items)

    def _take(self) -> Optional[Dict[str, Any]]:
        """An event, or None if there is none now; sets _waiting under the lock when there is none."""
        with self._lock:
            if self._dropped:
                count, self._dropped = self._dropped, 0
                return _note("dropped", self.uri, count=count, max_backlog=self.limit)
            if self._items:
                return self._items.popleft()
            if not self._finished:
                self._waiting = True
                self._wake.clear()
            return None

    async def get(self) -> Optional[Dict[str, Any]]:
        while True:
            event = self._take()
            if event is not None:
                return event
            if self._finished and not self._items:
                return None
            await self._wake.wait()


class Reader:
    """The thread that owns the VICI session: subscribe, listen, reconnect with backoff."""

    def __init__(self, args: Dict[str, Any], backlog: Backlog, vici: Any) -> None:
        self.args = args
        self.backlog = backlog
        self.session_mod = importlib.import_module(vici.__name__ + ".session")
        self.errors = importlib.import_module(vici.__name__ + ".errors")
        self.stop = threading.Event()
        self.error: Optional[BaseException] = None
        self.thread = threading.Thread(target=self._run, name="strongswan.vici.vici_events", daemon=True)

    def _connect(self) -> Any:
        args = self.args
        session = self.session_mod.Session(args["socket"], timeout=args["timeout"])
        try:
            for name in args["events"]:
                session.register(name)
        except BaseException:
            session.close()
            raise
        return session

    def _listen(self, session: Any) -> None:
        """Until stopped or the connection breaks (raises the client's error).

        ``select`` waits up to poll_interval for the next packet to begin, so the stop flag is seen in time;
        then ``listen`` reads that one event with the full ``timeout`` for the rest of it. (A deadline running
        out in the middle of a packet would close the session: a flood makes that likely.)
        """
        uri, events, timeout, poll = self.args["socket"], self.args["events"], self.args["timeout"], \
            self.args["poll_interval"]
        put = self.backlog.put
        while not self.stop.is_set():
            try:
                readable, _writable, _failed = select.select([session], [], [], poll)
            except (OSError, ValueError) as exc:
                raise self.errors.ViciTransportError("waiting for events on %s failed: %s" % (uri, exc), uri) from None
            if not readable:
                continue
            for name, message in session.listen(events, timeout=timeout):
                put(structure(name, message, uri))
                break

    def _run(self) -> None:
        try:
            self._loop()
        except BaseException as exc:  # pylint: disable=broad-except
            self.error = exc
        finally:
            self.backlog.finish()

    def _loop(self) -> None:
        args, uri = self.args, self.args["socket"]
        fatal = (self.errors.ViciEventUnknown, self.errors.ViciUriError, self.errors.ViciValueError)
        failures, connected_once, down_since = 0, False, None
        delay = args["reconnect_delay"]
        while not self.stop.is_set():
            try:
                session = self._connect()
            except fatal:
                raise
            except self.errors.ViciError as exc:
                failures += 1
                if args["reconnect_attempts"] and failures >= args["reconnect_attempts"]:
                    raise self.errors.ViciTransportError(
                        "gave up after %d failed attempts to connect to %s: %s" % (failures, uri, exc), uri) from exc
                if down_since is None:
                    down_since = time.monotonic()
                self.stop.wait(delay)
                delay = min(delay * 2, args["reconnect_max_delay"])
                continue
            try:
                if connected_once:
                    self.backlog.put(_note("reconnected", uri, attempts=failures + 1, events=args["events"],
                                           down_seconds=round(time.monotonic() - (down_since or time.monotonic()), 3)))
                else:
                    self.backlog.put(_note("connected", uri, events=args["events"]))
                connected_once, failures, down_since, delay = True, 0, None, args["reconnect_delay"]
                self._listen(session)
            except fatal:
                raise
            except self.errors.ViciError as exc:
                down_since = time.monotonic()
                self.backlog.put(_note("disconnected", uri, reason=str(exc)))
            finally:
                session.close()


async def main(queue: Any, args: Dict[str, Any]) -> None:
    """ansible-rulebook's entry point: put the daemon's events on ``queue`` until cancelled."""
    checked = check_args(args)
    vici = _client()
    vici_transport = importlib.import_module(vici.__name__ + ".transport")
    vici_errors = importlib.import_module(vici.__name__ + ".errors")
    try:
        vici_transport.parse_uri(checked["socket"])
    except vici_errors.ViciError as exc:
        raise ValueError("strongswan.vici.vici_events: socket: %s" % exc) from None
    loop = asyncio.get_running_loop()
    backlog = Backlog(checked["max_backlog"], loop, checked["socket"])
    reader = Reader(checked, backlog, vici)
    reader.thread.start()
    try:
        while True:
            event = await backlog.get()
            if event is None:
                break
            await queue.put(event)
        if reader.error is not None:
            raise RuntimeError("strongswan.vici.vici_events: %s" % reader.error) from reader.error
    finally:
        reader.stop.set()
        # The thread notices the stop within poll_interval (its longest blocking read); bounded either way.
        await loop.run_in_executor(None, reader.thread.join, checked["poll_interval"] + JOIN_GRACE)


if __name__ == "__main__":
    # Standalone: print the events of the daemon at $VICI_SOCKET (default socket) until interrupted.
    class _Printer:  # pylint: disable=too-few-public-methods
        async def put(self, event: Dict[str, Any]) -> None:
            print(event)

    try:
        asyncio.run(main(_Printer(), {"socket": os.environ.get("VICI_SOCKET", DEFAULTS["socket"])}))
    except KeyboardInterrupt:
        pass
