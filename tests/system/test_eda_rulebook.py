# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A real ansible-rulebook run (issue 20): the shipped rulebook and playbook against two namespaced charons.

ansible-rulebook runs from its own venv (.venv-eda, made by the eda stage of scripts/run.sh, pinned in
tests/eda-requirements.txt) with Debian's Java (default-jre-headless, JAVA_HOME derived from ``java``); the
playbook it runs uses ansible-playbook of the test venv (on PATH after .venv-eda's bin), so neither moves the
other's pins. The rulebook is extensions/eda/rulebooks/reinitiate_tunnels.yml with two changes for the test:
a grace period of GRACE seconds instead of 30, and ``log`` added to the events (the flood).

One run, in order: the source says ``connected``; the peer kills A's tunnel; the rule fires after the grace
period and the playbook (strongswan.vici.health, reinitiate: true) brings the tunnel back, once; two floods of
events pass and the RSS growth of the ansible-rulebook process (the plugin runs in it) is measured and
printed; A's charon restarts and the source says ``reconnected``.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml

from ansible_collections.strongswan.vici.plugins.module_utils.vici.errors import ViciError
from ansible_collections.strongswan.vici.plugins.module_utils.vici.session import Session

from conftest import COLLECTIONS_PATH
from test_tunnel_changes import _children, _config, _conn, _sas, _up

pytestmark = pytest.mark.timeout(240)

REPO = Path(__file__).resolve().parents[2]
EDA_VENV = Path(os.environ.get("STRONGSWAN_VICI_EDA_VENV") or REPO / ".venv-eda")
RULEBOOK = REPO / "extensions" / "eda" / "rulebooks" / "reinitiate_tunnels.yml"
GRACE = 3
# Upper bounds of the waits (seconds): the JVM and the rule engine starting, the tunnel back (grace + playbook).
START_BOUND = 90
BACK_BOUND = GRACE + 60
RECONNECT_BOUND = 30
FLOOD_INITIATES = 3000
FLOOD_REKEYS = 30
# The rulebook's events in the test: the shipped four and charon's log (the flood is mostly log lines).
EVENTS = ["ike-updown", "child-updown", "ike-rekey", "child-rekey", "log"]


def java_home():
    """JAVA_HOME from the environment, else derived from the java on PATH (Debian's default-jre-headless)."""
    if os.environ.get("JAVA_HOME"):
        return os.environ["JAVA_HOME"]
    java = shutil.which("java")
    assert java, "no java on PATH: the eda stage needs Debian's default-jre-headless (scripts/debian-packages.txt)"
    return str(Path(os.path.realpath(java)).parents[1])


def rss_kib(pid):
    with open("/proc/%d/status" % pid, encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS for %d" % pid)


class Rulebook:
    """ansible-rulebook in its own session, its output in a file; stopped by its recorded PID."""

    def __init__(self, workdir, socket_uri, ledger):
        self.workdir = workdir
        self.output = workdir / "ansible-rulebook.log"
        rulebook = yaml.safe_load(RULEBOOK.read_text(encoding="utf-8"))
        (source,) = rulebook[0]["sources"]
        source["strongswan.vici.vici_events"]["events"] = EVENTS
        rule = rulebook[0]["rules"][0]
        assert rule["throttle"]["once_after"] == "30 seconds", rule
        rule["throttle"]["once_after"] = "%d seconds" % GRACE
        (workdir / "rulebook.yml").write_text(yaml.safe_dump(rulebook, sort_keys=False), encoding="utf-8")
        (workdir / "vars.yml").write_text(yaml.safe_dump({"vici_socket": socket_uri}), encoding="utf-8")
        (workdir / "inventory.yml").write_text(yaml.safe_dump({"all": {"hosts": {"localhost": {
            "ansible_connection": "local", "ansible_python_interpreter": sys.executable}}}}), encoding="utf-8")
        env = dict(os.environ)
        env.update({
            # ansible-rulebook first, then ansible-playbook and ansible-galaxy of the test venv.
            "PATH": os.pathsep.join([str(EDA_VENV / "bin"), os.path.dirname(sys.executable), env.get("PATH", "")]),
            "JAVA_HOME": java_home(),
            "ANSIBLE_COLLECTIONS_PATH": str(COLLECTIONS_PATH),
            "STRONGSWAN_VICI_LEDGER_DIR": str(ledger),
            "ANSIBLE_LOCAL_TEMP": str(workdir / "ansible-local"),
            "ANSIBLE_NOCOLOR": "1",
            "PYTHONUNBUFFERED": "1",
        })
        env.pop("PYTHONPATH", None)
        with open(self.output, "wb") as out:
            self.proc = subprocess.Popen(  # pylint: disable=consider-using-with
                [str(EDA_VENV / "bin" / "ansible-rulebook"), "-r", "rulebook.yml", "-i", "inventory.yml",
                 "--vars", "vars.yml", "-v"],
                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, cwd=str(workdir),
                start_new_session=True)

    def text(self):
        return self.output.read_text(encoding="utf-8", errors="replace")

    def notes(self, kind):
        """The source's own events of this type that the rulebook printed (print_event, one dict a line)."""
        return [line for line in self.text().splitlines() if "'type': '%s'" % kind in line]

    def wait_for(self, what, condition, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return
            assert self.proc.poll() is None, "ansible-rulebook ended (%s) waiting for %s:\n%s" % (
                self.proc.returncode, what, self.text()[-6000:])
            time.sleep(0.2)
        raise AssertionError("%s: not within %s s:\n%s" % (what, timeout, self.text()[-6000:]))

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(15)


@pytest.fixture
def tunnel(netns_pair, charon_factory, ledger, monkeypatch):
    """A and B with tunnel t1 (A: start_action start, declared through config), up."""
    monkeypatch.setenv("STRONGSWAN_VICI_LEDGER_DIR", str(ledger))
    pair = netns_pair
    a = charon_factory(name="a", netns=pair.a.name, tunnel=True)
    b = charon_factory(name="b", netns=pair.b.name, tunnel=True)
    pair.a.ip("addr", "add", "198.51.100.11/32", "dev", "lo")
    pair.b.ip("addr", "add", "203.0.113.11/32", "dev", "lo")
    _config(b, {"t1": _conn(pair, "b", 1, action="none")})
    _config(a, {"t1": _conn(pair, "a", 1, action="start")})
    _up(a, ["t1"])
    return a, b


def _count_events(daemon, events, stop, counted):
    """Count what the daemon sends a subscriber of the rulebook's events until stopped (a second subscriber)."""
    with Session(daemon.socket_uri, timeout=10) as session:
        for name in events:
            session.register(name)
        counted.append(0)
        # select, then listen for one event: a listen deadline running out inside a packet would close the session.
        while not stop.is_set():
            if select.select([session], [], [], 0.5)[0]:
                for _event in session.listen(events, timeout=10):
                    counted[0] += 1
                    break


def _flood(daemon, stop):
    """Events on A as fast as charon makes them: failing initiates (a log line each) and rekeys of t1."""
    with Session(daemon.socket_uri, timeout=10) as session:
        for number in range(FLOOD_INITIATES):
            if stop.is_set():
                return
            try:
                session.initiate(child="no-such-child-%d" % number, timeout=5)
            except ViciError:
                pass
            if number % (FLOOD_INITIATES // FLOOD_REKEYS) == 0:
                session.rekey(child="net", ike="t1", check=False)


def _measure_flood(rulebook, daemon):
    """One flood on DAEMON, counted by a second subscriber: (events, seconds, RSS KiB before, peak, after)."""
    baseline = rss_kib(rulebook.proc.pid)
    stop, counting, counted = threading.Event(), threading.Event(), []
    counter = threading.Thread(target=_count_events, args=(daemon, EVENTS, counting, counted), daemon=True)
    counter.start()
    deadline = time.monotonic() + 10
    while not counted and time.monotonic() < deadline:
        time.sleep(0.05)
    flood = threading.Thread(target=_flood, args=(daemon, stop), daemon=True)
    started = time.monotonic()
    flood.start()
    peak = baseline
    while flood.is_alive() and time.monotonic() - started < 90:
        peak = max(peak, rss_kib(rulebook.proc.pid))
        time.sleep(0.1)
    stop.set()
    flood.join(15)
    seconds = time.monotonic() - started
    time.sleep(2.0)
    counting.set()
    counter.join(10)
    settled = rss_kib(rulebook.proc.pid)
    return (counted[0] if counted else 0), seconds, baseline, max(peak, settled), settled


def test_rulebook_reinitiates_a_killed_tunnel_survives_a_restart_and_stays_bounded_in_a_flood(
        tunnel, tmp_path, ledger):
    assert (EDA_VENV / "bin" / "ansible-rulebook").exists(), (
        "%s has no ansible-rulebook: run bash scripts/run.sh eda (it makes the venv)" % EDA_VENV)
    a, b = tunnel
    (before,) = _children(_sas(a), "t1")
    rulebook = Rulebook(tmp_path, a.socket_uri, ledger)
    try:
        started = time.monotonic()
        rulebook.wait_for("the source's connected event", lambda: rulebook.notes("connected"), START_BOUND)
        print("ansible-rulebook up and subscribed in %.1f s" % (time.monotonic() - started))

        # The peer kills the tunnel: A's CHILD_SA goes down and nobody brings it back but the rule.
        killed = time.monotonic()
        with Session(b.socket_uri) as session:  # timeout in milliseconds: the DELETE exchange with A must finish in it
            session.terminate(child="net", ike="t1", timeout=5000)
        deadline = killed + BACK_BOUND
        while time.monotonic() < deadline and not _children(_sas(a), "t1"):
            assert rulebook.proc.poll() is None, rulebook.text()[-6000:]
            time.sleep(0.3)
        back = time.monotonic() - killed
        children = _children(_sas(a), "t1")
        assert len(children) == 1, ("tunnel not back (exactly once) within %s s" % BACK_BOUND, children,
                                    rulebook.text()[-6000:])
        assert list(children) != [before]
        assert back >= GRACE, "the rule fired before the grace period ended: %.1f s" % back
        print("tunnel killed by the peer, back after %.1f s (grace %d s)" % (back, GRACE))
        rulebook.wait_for("the playbook's end", lambda: "re-initiated: ['t1/net']" in rulebook.text(), 30)

        # Two floods of events: the RSS of ansible-rulebook (the plugin runs in its process) before, at its peak,
        # after; the second shows whether the first's growth was a steady state or grows with the events.
        time.sleep(1.0)
        first_baseline = rss_kib(rulebook.proc.pid)
        for round_ in (1, 2):
            events, seconds, baseline, peak, settled = _measure_flood(rulebook, a)
            print("flood %d: %d events (%d failing initiates, %d rekeys) in %.1f s; ansible-rulebook RSS %.1f MiB "
                  "before, peak %.1f MiB (+%.1f MiB), %.1f MiB after" % (
                      round_, events, FLOOD_INITIATES, FLOOD_REKEYS, seconds, baseline / 1024, peak / 1024,
                      (peak - baseline) / 1024, settled / 1024))
            assert events >= FLOOD_INITIATES, "the flood made fewer events than initiates: %d" % events
        dropped = sum(json_count(line) for line in rulebook.notes("dropped"))
        print("both floods: RSS +%.1f MiB at the end; the source dropped %d events"
              % ((settled - first_baseline) / 1024, dropped))
        assert peak - first_baseline < 200 * 1024, "RSS grew by %d KiB in the floods" % (peak - first_baseline)

        # charon restarts: the source notices, reconnects with backoff and says so.
        a.restart()
        rulebook.wait_for("the source's reconnected event", lambda: rulebook.notes("reconnected"), RECONNECT_BOUND)
        assert rulebook.notes("disconnected")
        assert rulebook.proc.poll() is None
    finally:
        rulebook.stop()
        print(rulebook.text()[-3000:])


def json_count(line):
    """The count of a printed dropped event (its dict printed by Python: single quotes)."""
    text = line[line.index("{"):].replace("'", '"').replace("True", "true").replace("False", "false")
    try:
        return int(json.loads(text)["vici"]["count"])
    except (ValueError, KeyError):
        return 0
