# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The EDA event source extensions/eda/plugins/event_source/vici_events.py against the scripted fake daemon.

The plugin is loaded the way ansible-rulebook loads it, as ``runpy.run_path`` does, and its ``main(queue, args)``
runs in an event loop of its own with an ``asyncio.Queue(1)`` as the rule engine's queue (ansible-rulebook's
source queue holds one event too).
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import subprocess
import sys
import threading
import time
import tracemalloc
from pathlib import Path

import pytest

from ansible_collections.strongswan.vici.plugins.module_utils.vici.wire import EVENT, encode_packet
from ansible_collections.strongswan.vici.tests.unit.fake_vici import (
    Close,
    FakeVici,
    Flood,
    ReadUntilEof,
    Send,
    Sleep,
    event_confirm,
    event_unknown,
    expect_register,
    socket_path,
)

if importlib.util.find_spec("pytest_timeout") is not None:
    pytestmark = pytest.mark.timeout(180)

COLLECTION = Path(__file__).resolve().parents[4]
PLUGIN = COLLECTION / "extensions" / "eda" / "plugins" / "event_source" / "vici_events.py"
SA_EVENTS = ["ike-updown", "child-updown", "ike-rekey", "child-rekey"]
# The peak of what tracemalloc sees the plugin allocate while 100 000 events pass, with max_backlog 1000.
PEAK_BOUND = 8 * 1024 * 1024


@pytest.fixture(scope="module")
def plugin():
    """The plugin's globals, as ``runpy.run_path`` makes them for a file (ansible-rulebook's way of loading it).

    The file's code runs here directly: under ansible-test, the collection loader's path hook claims every path,
    and run_path would then take the file for a directory. The bare ``run_path`` is tested in a clean interpreter
    by the last test.
    """
    namespace = {"__name__": "<run_path>", "__file__": str(PLUGIN), "__builtins__": __builtins__}
    exec(compile(PLUGIN.read_text(encoding="utf-8"), str(PLUGIN), "exec"), namespace)  # pylint: disable=exec-used
    return namespace


def subscribe(events=None):
    script = []
    for name in events or SA_EVENTS:
        script += [expect_register(name), Send(event_confirm())]
    return script


def child_updown(up, ike="gw", child="net", uniqueid="7"):
    message = {}
    if up:
        message["up"] = "yes"
    message[ike] = {"uniqueid": uniqueid, "state": "ESTABLISHED", "child-sas": {
        "%s-%s" % (child, uniqueid): {"name": child, "uniqueid": uniqueid, "state": "INSTALLED" if up else "DELETING",
                                      "local-ts": ["198.51.100.0/24"], "remote-ts": ["203.0.113.0/24"]}}}
    return encode_packet(EVENT, "child-updown", message)


def small_child_down():
    """A child-updown as small as charon's could be: the flood of the memory test (its cost is the plugin's)."""
    return encode_packet(EVENT, "child-updown", {"gw": {"uniqueid": "7", "child-sas": {"net-7": {"name": "net"}}}})


def ike_rekey():
    return encode_packet(EVENT, "ike-rekey", {"gw": {"old": {"uniqueid": "1", "state": "REKEYED"},
                                                     "new": {"uniqueid": "2", "state": "ESTABLISHED"}}})


def log_line():
    return encode_packet(EVENT, "log", {"group": "IKE", "level": "1", "ikesa-name": "gw", "ikesa-uniqueid": "2",
                                        "msg": "IKE_SA gw[2] established"})


class Collector:
    """The rule engine's side: an asyncio.Queue(1) drained into ``events`` (after ``hold`` is set, if given).

    ``keep=False`` keeps no event, only the counts (``counts``: type -> events, ``dropped``: their total count)
    and the last event, so that a test of the plugin's memory measures the plugin's, not the collector's.
    """

    def __init__(self, hold=None, keep=True):
        self.queue = asyncio.Queue(1)
        self.events = []
        self.hold = hold
        self.keep = keep
        self.counts = {}
        self.dropped = 0

    async def drain(self, until):
        while not until(self.events):
            if self.hold is not None and not self.hold.is_set():
                await asyncio.sleep(0.01)
                continue
            event = await self.queue.get()
            kind = event["vici"]["type"]
            self.counts[kind] = self.counts.get(kind, 0) + 1
            self.dropped += event["vici"]["count"] if kind == "dropped" else 0
            if self.keep:
                self.events.append(event)
            else:
                self.events[:] = [event]


def run_source(plugin, args, until, hold=None, timeout=30.0, collector=None):
    """Run main() until ``until(events)`` is true; return (events, the source's exception or None)."""
    collector = collector or Collector(hold)

    async def scenario():
        source = asyncio.ensure_future(plugin["main"](collector.queue, args))
        drain = asyncio.ensure_future(collector.drain(until))
        done, _pending = await asyncio.wait({source, drain}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        if drain in done and source not in done:
            source.cancel()
        error = None
        if source in done:
            error = source.exception()
            drain.cancel()
        else:
            try:
                await asyncio.wait_for(source, timeout=10)
            except asyncio.CancelledError:
                pass
        assert done, "nothing happened within %s s: %s" % (timeout, collector.events)
        return collector.events, error

    return asyncio.run(scenario())


def kinds(events):
    return [event["vici"]["type"] for event in events]


def test_one_structured_event_per_daemon_message(plugin, tmp_path):
    server = FakeVici(socket_path(tmp_path), subscribe(SA_EVENTS + ["log"]) + [
        Send(child_updown(False), child_updown(True), ike_rekey(), log_line()), ReadUntilEof()])
    try:
        events, error = run_source(plugin, {"socket": server.uri, "events": SA_EVENTS + ["log"], "poll_interval": 0.2},
                                   lambda seen: len(seen) >= 5)
    finally:
        server.stop()
    assert error is None
    assert kinds(events) == ["connected", "child-updown", "child-updown", "ike-rekey", "log"]
    down, up, rekey, log = (event["vici"] for event in events[1:])
    assert down["up"] is False and up["up"] is True
    assert (down["ike"], down["child"], down["children"], down["uniqueid"]) == ("gw", "net", ["net"], "7")
    assert down["sa"]["child-sas"]["net-7"]["state"] == "DELETING"
    assert down["socket"] == server.uri and isinstance(down["time"], float)
    assert (rekey["ike"], rekey["uniqueid"], rekey["state"]) == ("gw", "2", "ESTABLISHED")
    assert "up" not in rekey
    assert (log["ike"], log["msg"], log["level"]) == ("gw", "IKE_SA gw[2] established", "1")
    assert [(packet.type_name, packet.name) for packet in server.received] == [
        ("EVENT_REGISTER", name) for name in SA_EVENTS + ["log"]]


def test_reconnects_with_backoff_after_the_daemon_restarts_and_says_so(plugin, tmp_path):
    path = socket_path(tmp_path)
    first = FakeVici(path, subscribe() + [Send(child_updown(False)), Sleep(0.2), Close()])
    restarted = []

    def restart():
        # charon restarting: the socket is gone for a while, then a new daemon listens on it.
        first.wait_done()
        first.stop()
        os.unlink(path)
        time.sleep(1.0)
        restarted.append(FakeVici(path, subscribe() + [Send(child_updown(True)), ReadUntilEof()]))

    thread = threading.Thread(target=restart, daemon=True)
    thread.start()
    try:
        started = time.monotonic()
        events, error = run_source(plugin, {"socket": "unix://" + path, "reconnect_delay": 0.1,
                                            "reconnect_max_delay": 0.4, "poll_interval": 0.2},
                                   lambda seen: len(seen) >= 5)
        elapsed = time.monotonic() - started
    finally:
        thread.join(15)
        for server in restarted:
            server.stop()
    assert error is None
    assert kinds(events) == ["connected", "child-updown", "disconnected", "reconnected", "child-updown"]
    reconnected = events[3]["vici"]
    # 1 s without a socket, waits of 0.1, 0.2, 0.4, 0.4, ...: a few attempts, none longer than the cap.
    assert 2 <= reconnected["attempts"] <= 12, reconnected
    assert 0.9 <= reconnected["down_seconds"] < 5, reconnected
    assert reconnected["events"] == SA_EVENTS
    assert events[2]["vici"]["reason"]
    assert elapsed < 10


def test_gives_up_after_the_reconnect_attempts_and_names_the_socket(plugin, tmp_path):
    uri = "unix://" + socket_path(tmp_path, "nothing.vici")
    started = time.monotonic()
    events, error = run_source(plugin, {"socket": uri, "reconnect_delay": 0.05, "reconnect_attempts": 3},
                               lambda seen: False)
    assert time.monotonic() - started < 5
    assert events == []
    assert isinstance(error, RuntimeError)
    assert "gave up after 3 failed attempts to connect to %s" % uri in str(error)


def test_an_event_the_daemon_does_not_know_ends_the_source_with_its_name(plugin, tmp_path):
    server = FakeVici(socket_path(tmp_path), [expect_register("ike-updown"), Send(event_unknown()), ReadUntilEof()])
    try:
        _events, error = run_source(plugin, {"socket": server.uri, "events": ["ike-updown"]}, lambda seen: False)
    finally:
        server.stop()
    assert isinstance(error, RuntimeError) and "ike-updown" in str(error)


@pytest.mark.parametrize("args, words", [
    ({"events": ["child-updown", "nosuch"]}, "events: nosuch not one of"),
    ({"events": []}, "events must be a non-empty list"),
    ({"max_backlog": 0}, "max_backlog must be at least 1"),
    ({"max_backlog": "10"}, "max_backlog must be an integer"),
    ({"timeout": 0}, "timeout must be above 0.0"),
    ({"poll_interval": float("nan")}, "poll_interval must be above"),
    ({"reconnect_delay": True}, "reconnect_delay must be a number of seconds"),
    ({"sokcet": "unix:///x"}, "unknown argument(s) sokcet"),
    ({"socket": "tcp://"}, "socket:"),
])
def test_bad_arguments_fail_with_a_message_naming_the_argument(plugin, args, words):
    with pytest.raises(ValueError) as failure:
        asyncio.run(plugin["main"](asyncio.Queue(1), args))
    assert words in str(failure.value)
    assert str(failure.value).startswith("strongswan.vici.vici_events: ")


def test_backlog_above_k_drops_the_oldest_and_emits_dropped_n(plugin, tmp_path):
    flood = Flood(child_updown(False), 5000)
    server = FakeVici(socket_path(tmp_path), subscribe() + [flood, Send(child_updown(True, uniqueid="last")),
                                                            ReadUntilEof()])
    hold = threading.Event()

    def release():
        # The rule engine takes nothing until the daemon has sent everything and the plugin has read it.
        _wait_for(lambda: flood.sent == 5000)
        time.sleep(1.0)
        hold.set()

    threading.Thread(target=release, daemon=True).start()
    try:
        events, error = run_source(plugin, {"socket": server.uri, "max_backlog": 100, "poll_interval": 0.2},
                                   lambda seen: seen and seen[-1]["vici"].get("uniqueid") == "last", hold=hold)
    finally:
        server.stop()
    assert error is None
    dropped = [event["vici"]["count"] for event in events if event["vici"]["type"] == "dropped"]
    delivered = [event for event in events if event["vici"]["type"] == "child-updown"]
    assert dropped and all(count > 0 for count in dropped)
    assert len(delivered) + sum(dropped) == 5001
    # Held back, the rule engine finds at most K (+ the one in its queue of one) events and the count of the rest.
    assert len(delivered) <= 100 + 2
    assert kinds(events)[1] == "dropped" or kinds(events)[2] == "dropped"


def _wait_for(condition, timeout=30.0):
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)


def test_peak_memory_for_100000_events_stays_within_the_bound(plugin, tmp_path):
    """100 000 child-updown events through the plugin under tracemalloc: the peak growth stays below 8 MiB.

    The fake daemon runs in another process, so that tracemalloc sees the plugin's allocations only (the
    client, the structuring, the backlog, the queue). The rule engine side takes nothing for 3 s, so the backlog
    reaches max_backlog=1000 and the plugin drops above it (the worst case: a rule engine that does not keep up),
    then takes the events as fast as it can.
    """
    path = socket_path(tmp_path)
    count = 100_000
    daemon = subprocess.Popen([sys.executable, "-c", FLOOD_DAEMON, str(COLLECTION.parents[2]), path, str(count)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert daemon.stdout.readline().strip() == "listening"
        # The rule engine takes nothing for the first 3 s: the backlog fills to max_backlog, the rest is dropped.
        hold = threading.Event()
        release = threading.Timer(3.0, hold.set)
        collector = Collector(hold=hold, keep=False)
        tracemalloc.start()
        baseline, _peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        started = time.monotonic()
        release.start()
        _events, error = run_source(
            plugin, {"socket": "unix://" + path, "max_backlog": 1000, "poll_interval": 0.2},
            lambda seen: seen and seen[-1]["vici"].get("uniqueid") == "last", timeout=110, collector=collector)
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        elapsed = time.monotonic() - started
    finally:
        hold.set()
        daemon.wait(30)
    assert error is None
    delivered = collector.counts.get("child-updown", 0)
    assert delivered + collector.dropped == count + 1
    assert collector.dropped > 0, "the backlog never filled: the test did not measure the worst case"
    growth = peak - baseline
    print("tracemalloc: %d events in %.1f s, peak growth %.2f MiB (bound %.0f MiB), %d delivered, %d dropped"
          % (count, elapsed, growth / 1048576, PEAK_BOUND / 1048576, delivered, collector.dropped))
    assert growth < PEAK_BOUND


FLOOD_DAEMON = r"""
import sys
sys.path.insert(0, sys.argv[1])
from ansible_collections.strongswan.vici.plugins.module_utils.vici.wire import EVENT, encode_packet
from ansible_collections.strongswan.vici.tests.unit import fake_vici as f
from ansible_collections.strongswan.vici.tests.unit.plugins.event_source.test_vici_events import child_updown, small_child_down, subscribe
# The events in buffers of 1000, one sendall each (each within the fake's 10 s I/O bound): the fake daemon is not
# what the test measures.
chunk = f.Raw(f.frame(small_child_down()) * 1000)
flood = [chunk] * (int(sys.argv[3]) // 1000)
server = f.FakeVici(sys.argv[2], subscribe() + flood + [f.Send(child_updown(True, uniqueid="last")), f.ReadUntilEof()])
print("listening", flush=True)
server.wait_done(120)
server.stop()
"""


def test_the_plugin_finds_the_client_in_the_collection_tree_it_is_installed_in(tmp_path):
    """Run by path from a bare interpreter, with no ansible_collections on sys.path, as ansible-rulebook does."""
    code = ("import runpy, sys; sys.path = [p for p in sys.path if 'ansible_collections' not in p and p]; "
            "m = runpy.run_path(sys.argv[1]); vici = m['_client'](); print(vici.__name__); "
            "print(sys.modules[vici.__name__ + '.session'].__file__)")
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    result = subprocess.run([sys.executable, "-S", "-c", code, str(PLUGIN)], capture_output=True, text=True,
                            timeout=60, env=env, cwd=str(tmp_path), check=False)
    assert result.returncode == 0, result.stderr
    name, session_file = result.stdout.split()
    assert name == "ansible_collections.strongswan.vici.plugins.module_utils.vici"
    assert Path(session_file).resolve() == (COLLECTION / "plugins" / "module_utils" / "vici" / "session.py").resolve()
