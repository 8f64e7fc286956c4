# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Changes that reach the running tunnels, whichever gateway goes first (issue 19): two namespaced gateways,
five tunnels carrying UDP at 20 packets/s each, the ``config`` module on both ends.

Tunnel N protects 198.51.100.(10+N)/32 (in A) === 203.0.113.(10+N)/32 (in B), with identities a-N/b-N. A's
children start as: t1 start, t2 trap, t3 none, t4 start, t5 none; B answers (none). Each step runs ``config``
on both gateways while traffic flows, then counts the datagrams each tunnel lost and compares the SAs.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from ansible_collections.strongswan.vici.plugins.module_utils._gateway.persist import file_text
from ansible_collections.strongswan.vici.plugins.module_utils._operations.sa import ike_sa_list
from ansible_collections.strongswan.vici.plugins.module_utils.vici.session import READ_ONLY_COMMANDS, Session

from runtime_support import run_module_in_process
from vici_proxy import ViciProxy

pytestmark = pytest.mark.timeout(240)

PSK = "correct horse battery staple"
A_ACTIONS = {1: "start", 2: "trap", 3: "none", 4: "start", 5: "none"}
TUNNELS = (1, 2, 3, 4, 5)
PORT = 41000
RATE = 20  # datagrams per second per tunnel

_SENDER = """
import signal, socket, sys, time, json
flows = json.loads(sys.argv[1]); interval = 1.0 / float(sys.argv[2]); limit = time.monotonic() + float(sys.argv[3])
socks = {}
for name, (src, dst, port) in flows.items():
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); sock.bind((src, 0)); socks[name] = (sock, (dst, port))
sent = {name: 0 for name in flows}
stop = []
signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
while not stop and time.monotonic() < limit:
    for name, (sock, target) in socks.items():
        try:
            sock.sendto(str(sent[name]).encode(), target)
        except OSError:
            pass
        sent[name] += 1
    time.sleep(interval)
print(json.dumps(sent), flush=True)
"""

_RECEIVER = """
import select, signal, socket, sys, time, json
flows = json.loads(sys.argv[1]); limit = time.monotonic() + float(sys.argv[2])
socks = {}
for name, (src, dst, port) in flows.items():
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); sock.bind((dst, port)); socks[sock.fileno()] = (name, sock)
got = {name: 0 for name in flows}
stop = []
signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
print("ready", flush=True)
while not stop and time.monotonic() < limit:
    try:
        ready = select.select(list(socks), [], [], 0.2)[0]
    except InterruptedError:
        continue
    for fd in ready:
        name, sock = socks[fd]
        sock.recv(100)
        got[name] += 1
print(json.dumps(got), flush=True)
"""


class Traffic:
    """UDP from A's to B's side of each tunnel, RATE datagrams per second, bounded by ``limit`` seconds."""

    def __init__(self, pair, tunnels, limit=120.0):
        self.pair = pair
        flows = {"t%d" % n: ("198.51.100.%d" % (10 + n), "203.0.113.%d" % (10 + n), PORT + n) for n in tunnels}
        self.receiver = subprocess.Popen(  # pylint: disable=consider-using-with
            ["ip", "netns", "exec", pair.b.name, sys.executable, "-c", _RECEIVER, json.dumps(flows), str(limit + 5)],
            stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
        assert self.receiver.stdout.readline().strip() == "ready"
        self.sender = subprocess.Popen(  # pylint: disable=consider-using-with
            ["ip", "netns", "exec", pair.a.name, sys.executable, "-c", _SENDER, json.dumps(flows), str(RATE), str(limit)],
            stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)

    def stop(self):
        """{tunnel: datagrams lost}, the sender stopped first and the last datagrams given a second to arrive."""
        self.sender.send_signal(signal.SIGTERM)
        sent = json.loads(self.sender.communicate(timeout=10)[0])
        time.sleep(1.0)
        self.receiver.send_signal(signal.SIGTERM)
        got = json.loads(self.receiver.communicate(timeout=10)[0])
        return {name: sent[name] - got[name] for name in sent}

    def kill(self):
        for proc in (self.sender, self.receiver):
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=5)


def _conn(pair, side, n, esp="aes128gcm16", action=None, proposals="aes128-sha256-x25519"):
    local, remote = (pair.a_ip, pair.b_ip) if side == "a" else (pair.b_ip, pair.a_ip)
    mine, theirs = ("198.51.100", "203.0.113") if side == "a" else ("203.0.113", "198.51.100")
    other = "b" if side == "a" else "a"
    child = {"local_ts": ["%s.%d/32" % (mine, 10 + n)], "remote_ts": ["%s.%d/32" % (theirs, 10 + n)],
             "esp_proposals": [esp], "start_action": action or (A_ACTIONS[n] if side == "a" else "none")}
    return {"version": 2, "local_addrs": [local], "remote_addrs": [remote], "proposals": [proposals],
            "local": {"auth": "psk", "id": "%s-%d.example" % (side, n)},
            "remote": {"auth": "psk", "id": "%s-%d.example" % (other, n)}, "children": {"net": child}}


def _secrets(psk=PSK):
    return {"ike-all": dict({"secret": psk}, **{"id-%s%d" % (side, n): "%s-%d.example" % (side, n)
                                                for side in "ab" for n in range(1, 7)})}


def _config(daemon, connections, psk=PSK, check=False, **options):
    args = dict({"socket": daemon.socket_uri, "connections": connections, "secrets": _secrets(psk), "purge": True,
                 "sa_timeout": 8}, **options)
    result = run_module_in_process("config", args, check=check)
    assert not result.get("failed"), result
    return result


_IN_PROCESS = ("import json, os, sys; sys.path.insert(0, os.environ['ANSIBLE_COLLECTIONS_PATH']); "
               "sys.path.insert(0, sys.argv[1]); from runtime_support import run_module_in_process; "
               "print(json.dumps(run_module_in_process('config', json.loads(sys.argv[2]))))")


def _config_in_parallel(runs):
    """``config`` on several gateways at once, one process each: [(daemon, connections)] -> {daemon name: result}."""
    procs = {}
    for daemon, connections in runs:
        args = {"socket": daemon.socket_uri, "connections": connections, "secrets": _secrets(), "purge": True,
                "sa_timeout": 8}
        procs[daemon.name] = subprocess.Popen(  # pylint: disable=consider-using-with
            [sys.executable, "-c", _IN_PROCESS, os.path.dirname(os.path.abspath(__file__)), json.dumps(args)],
            stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
    results = {}
    for name, proc in procs.items():
        out = proc.communicate(timeout=120)[0]
        results[name] = json.loads(out.strip().splitlines()[-1])
        assert not results[name].get("failed"), results[name]
    return results


def _sas(daemon):
    with Session(daemon.socket_uri) as session:
        return ike_sa_list(session.list_sas())


def _children(sas, name):
    """{uniqueid: (spi-in, encr-keysize)} of the installed CHILD_SAs of connection ``name``."""
    return {c["uniqueid"]: (c.get("spi-in"), c.get("encr-keysize")) for sa in sas if sa["name"] == name
            for c in sa["child_sas"] if c.get("state") == "INSTALLED"}


def _up(daemon, names, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sas = _sas(daemon)
        if all(_children(sas, name) for name in names):
            return sas
        time.sleep(0.3)
    raise AssertionError("not all of %s up: %s" % (names, _sas(daemon)))


@pytest.fixture
def five_tunnels(tunnel_pair, ledger, monkeypatch):
    """Five tunnels up between A and B, configured by ``config`` (B first), and the pair."""
    monkeypatch.setenv("STRONGSWAN_VICI_LEDGER_DIR", str(ledger))
    pair = tunnel_pair.pair
    for n in range(1, 7):
        pair.a.ip("addr", "add", "198.51.100.%d/32" % (10 + n), "dev", "lo")
        pair.b.ip("addr", "add", "203.0.113.%d/32" % (10 + n), "dev", "lo")
    _config(tunnel_pair.b, {"t%d" % n: _conn(pair, "b", n) for n in TUNNELS})
    _config(tunnel_pair.a, {"t%d" % n: _conn(pair, "a", n) for n in TUNNELS})
    with Session(tunnel_pair.a.socket_uri) as session:
        for n in TUNNELS:
            if A_ACTIONS[n] != "start":
                session.initiate(child="net", ike="t%d" % n, timeout=10000)
    _up(tunnel_pair.a, ["t%d" % n for n in TUNNELS])
    return tunnel_pair


def _step(tunnels, a_conns, b_conns, psk=PSK, b_first=True, parallel=False, **options):
    """Run config on both gateways (B first unless told) with traffic on the five tunnels; (losses, results, SAs)."""
    before = _sas(tunnels.a)
    traffic = Traffic(tunnels.pair, TUNNELS)
    try:
        time.sleep(1.0)
        order = [(tunnels.b, b_conns), (tunnels.a, a_conns)]
        results = {}
        started = time.monotonic()
        if parallel:
            results.update(_config_in_parallel(order))
        for daemon, conns in (order if b_first else order[::-1]) if not parallel else ():
            results[daemon.name] = _config(daemon, conns, psk, **options)
        results["seconds"] = time.monotonic() - started
        time.sleep(2.0)
    finally:
        lost = traffic.stop()
        traffic.kill()
    print("losses per tunnel: %s; config runs took %.1f s" % (lost, results["seconds"]))
    return lost, results, before, _sas(tunnels.a)


def test_a_change_reaches_the_changed_tunnels_and_leaves_the_others_alone(five_tunnels, tmp_path):
    tunnels = five_tunnels
    pair = tunnels.pair
    a_conns = {"t%d" % n: _conn(pair, "a", n, esp="aes256gcm16" if n <= 3 else "aes128gcm16") for n in TUNNELS}
    b_conns = {"t%d" % n: _conn(pair, "b", n, esp="aes256gcm16" if n <= 3 else "aes128gcm16") for n in TUNNELS}
    check = _config(tunnels.a, a_conns, check=True)
    with ViciProxy(tmp_path / "p.vici", tunnels.a.socket_path) as proxy:  # check mode's prediction reads only
        proxied = run_module_in_process("config", {"socket": proxy.uri, "connections": a_conns, "secrets": _secrets(),
                                                   "purge": True}, check=True)
        assert "list-sas" in proxy.commands and set(proxy.commands) <= READ_ONLY_COMMANDS, proxy.commands
    assert proxied["sa_report"]["t3"]["children"]["net"]["outcome"] == "re-established", proxied
    assert {name: entry["children"]["net"]["outcome"] for name, entry in check["sa_report"].items()
            if name in ("t1", "t2", "t3")} == {"t1": "re-established", "t2": "re-established", "t3": "re-established"}
    lost, results, before, after = _step(tunnels, a_conns, b_conns)
    for name in ("t4", "t5"):  # untouched: the same CHILD_SAs (unique ids and SPIs), nothing lost
        assert _children(after, name) == _children(before, name), name
        assert lost[name] == 0, lost
    report = results["a"]["sa_report"]
    for name in ("t1", "t2", "t3"):  # every start_action: the new proposal runs
        now = _children(after, name)
        assert now and set(now).isdisjoint(_children(before, name)), (name, before, after)
        assert {keysize for _spi, keysize in now.values()} == {"256"}, (name, now)
        assert report[name]["children"]["net"]["outcome"] == "re-established", report[name]
        # The report says what list-sas shows.
        reported = {c["uniqueid"] for sa in report[name]["after"] for c in sa["child_sas"] if c["state"] == "INSTALLED"}
        assert reported == set(now), (report[name], now)
    assert "down" not in results["a"] and "down" not in results["b"]
    print("lost on the changed tunnels: %s" % {name: lost[name] for name in ("t1", "t2", "t3")})


def test_never_leaves_the_old_parameters_and_says_so(five_tunnels):
    tunnels = five_tunnels
    pair = tunnels.pair
    a_conns = {"t%d" % n: _conn(pair, "a", n, esp="aes256gcm16" if n == 3 else "aes128gcm16") for n in TUNNELS}
    b_conns = {"t%d" % n: _conn(pair, "b", n, esp="aes256gcm16,aes128gcm16" if n == 3 else "aes128gcm16")
               for n in TUNNELS}
    lost, results, before, after = _step(tunnels, a_conns, b_conns, sa_update="never")
    assert _children(after, "t3") == _children(before, "t3")
    entry = results["a"]["sa_report"]["t3"]
    assert entry["note"] == "still runs the old parameters" and entry["children"]["net"]["outcome"] == "kept"
    assert sum(lost.values()) == 0, lost


def test_remove_add_and_psk_change_keep_the_untouched_tunnels(five_tunnels):
    tunnels = five_tunnels
    pair = tunnels.pair
    # Remove t5 (start_action none: its SAs would outlive the connection), add t6.
    a_conns = {"t%d" % n: _conn(pair, "a", n) for n in (1, 2, 3, 4)}
    b_conns = {"t%d" % n: _conn(pair, "b", n) for n in (1, 2, 3, 4)}
    a_conns["t6"] = _conn(pair, "a", 6, action="start")
    b_conns["t6"] = _conn(pair, "b", 6, action="none")
    lost, results, before, after = _step(tunnels, a_conns, b_conns)
    for name in ("t1", "t2", "t3", "t4"):
        assert _children(after, name) == _children(before, name), name
        assert lost[name] == 0, lost
    # B goes first: its run closes t5's SAs (sa_update reestablish), so A's finds none left: nothing to report.
    assert not _children(after, "t5") and results["b"]["sa_report"]["t5"]["children"]["net"]["outcome"] == "closed"
    assert "t5" not in results["a"]["sa_report"], results["a"]["sa_report"]
    assert _children(after, "t6") and results["a"]["sa_report"]["t6"]["children"]["net"]["outcome"] == "up"
    # A new PSK on both: every SA kept (the PSK is proven at the next IKE_SA authentication), nothing lost.
    lost, results, before, after = _step(tunnels, a_conns, b_conns, psk="another secret of some length")
    for name in ("t1", "t2", "t3", "t4"):
        assert _children(after, name) == _children(before, name), name
        assert lost[name] == 0, lost


@pytest.mark.parametrize("b_first", [False, True, None], ids=["initiator-first", "responder-first", "parallel"])
def test_either_order_ends_with_every_tunnel_up(five_tunnels, b_first):
    tunnels = five_tunnels
    pair = tunnels.pair
    # A new proposal only the new configuration accepts, on a start tunnel (t1) and a none tunnel (t3).
    a_conns = {"t%d" % n: _conn(pair, "a", n, esp="aes256gcm16" if n in (1, 3) else "aes128gcm16") for n in TUNNELS}
    b_conns = {"t%d" % n: _conn(pair, "b", n, esp="aes256gcm16" if n in (1, 3) else "aes128gcm16") for n in TUNNELS}
    lost, results, before, after = _step(tunnels, a_conns, b_conns, b_first=bool(b_first), parallel=b_first is None)
    for name in ("t2", "t4", "t5"):
        assert _children(after, name) == _children(before, name), name
        assert lost[name] == 0, lost
    if b_first is None:  # in parallel, whichever run ends last brings the tunnels up
        after = _up(tunnels.a, ["t%d" % n for n in TUNNELS], timeout=10)
        print("parallel: lost %s; down lists: %s" % (lost, {name: results[name].get("down") for name in "ab"}))
        for name in ("t1", "t3"):
            assert {keysize for _spi, keysize in _children(after, name).values()} == {"256"}, (name, after)
        return
    print("t1 reports: %s" % json.dumps({name: results[name]["sa_report"].get("t1") for name in "ab"}))
    for name in ("t1", "t3"):
        assert {keysize for _spi, keysize in _children(after, name).values()} == {"256"}, (name, after)
    second = results["a" if b_first else "b"]
    assert "down" not in second, second
    print("order %s: lost %s; first run's down list: %s" % (
        "responder first" if b_first else "initiator first", lost,
        results["b" if b_first else "a"].get("down")))


def test_the_connection_module_reestablishes_and_reports(five_tunnels):
    tunnels = five_tunnels
    pair = tunnels.pair
    before = _sas(tunnels.a)
    results = {}
    for daemon in (tunnels.b, tunnels.a):  # the responder first: its replacement is refused, the old SA kept
        results[daemon.name] = run_module_in_process("connection", {
            "socket": daemon.socket_uri, "name": "t3", "config": _conn(pair, daemon.name, 3, esp="aes256gcm16"),
            "sa_timeout": 3})
        assert not results[daemon.name].get("failed"), results
    assert results["b"]["sa_report"]["t3"]["children"]["net"]["old_parameters"] is True, results["b"]
    assert results["a"]["sa_report"]["t3"]["children"]["net"]["outcome"] == "re-established", results["a"]
    after = _sas(tunnels.a)
    assert {keysize for _spi, keysize in _children(after, "t3").values()} == {"256"}
    for name in ("t1", "t2", "t4", "t5"):
        assert _children(after, name) == _children(before, name), name


def test_an_unchanged_rerun_with_a_tunnel_down_says_so(five_tunnels):
    tunnels = five_tunnels
    pair = tunnels.pair
    with Session(tunnels.a.socket_uri) as session:
        session.terminate(ike="t1", timeout=5000)
    result = _config(tunnels.a, {"t%d" % n: _conn(pair, "a", n) for n in TUNNELS})
    assert result["changed"] is False and result["down"] == ["t1/net"], result
    assert "tunnel left down: t1/net" in json.dumps(result.get("warnings")), result.get("warnings")
    assert result["sa_report"]["t1"]["children"]["net"]["outcome"] == "down"
    failed = run_module_in_process("config", {"socket": tunnels.a.socket_uri, "secrets": _secrets(), "purge": True,
                                              "connections": {"t%d" % n: _conn(pair, "a", n) for n in TUNNELS},
                                              "down_fails": True})
    assert failed["failed"] and failed["down"] == ["t1/net"] and failed["changed"] is False, failed


def _all_up_on(daemon, names, keysizes, timeout=30.0):
    """Wait until every tunnel of ``names`` has an installed CHILD_SA, with ``keysizes[name]`` where given."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sas = _sas(daemon)
        running = {name: {keysize for _spi, keysize in _children(sas, name).values()} for name in names}
        if all(running[name] and keysizes.get(name, next(iter(running[name]))) in running[name] for name in names):
            return sas
        time.sleep(0.3)
    raise AssertionError("not all of %s up as wanted %s: %s" % (names, keysizes, _sas(daemon)))


def test_load_all_and_a_restart_compared_in_the_same_run(five_tunnels, tmp_path):
    """One change (t1's ESP proposal, a start tunnel) made three ways in one run, traffic on all five tunnels:
    ``config`` on both gateways, ``swanctl --load-all`` of both gateways' files, and a restart of both daemons
    followed by a load and the initiations a restarting tool makes. Only the restart costs the untouched tunnels."""
    tunnels = five_tunnels
    pair = tunnels.pair
    untouched = ["t2", "t3", "t4", "t5"]
    names = ["t%d" % n for n in TUNNELS]

    def conns(side, esp):
        return {"t%d" % n: _conn(pair, side, n, esp=esp if n == 1 else "aes128gcm16") for n in TUNNELS}

    losses = {}
    losses["config"] = _step(tunnels, conns("a", "aes256gcm16"), conns("b", "aes256gcm16"))[0]
    _all_up_on(tunnels.a, names, {"t1": "256"})

    files = {}
    for side in "ab":
        folder = tmp_path / ("swanctl-" + side)
        folder.mkdir()
        files[side] = folder / "swanctl.conf"
        files[side].write_text(file_text({"connections": conns(side, "aes192gcm16"), "secrets": _secrets()}))
    traffic = Traffic(pair, TUNNELS)
    try:
        time.sleep(1.0)
        for daemon in (tunnels.b, tunnels.a):  # the responder first, as for config
            done = daemon.swanctl("--load-all", "--noprompt", "--file", files[daemon.name], check=False)
            assert done.returncode == 0 and "loaded connection 't1'" in done.stdout, done.stdout + done.stderr
        _all_up_on(tunnels.a, names, {"t1": "192"})
        time.sleep(2.0)
    finally:
        losses["swanctl --load-all"] = traffic.stop()
        traffic.kill()

    traffic = Traffic(pair, TUNNELS)
    try:
        time.sleep(1.0)
        for daemon in (tunnels.b, tunnels.a):
            daemon.restart()
        _config(tunnels.b, conns("b", "aes256gcm16"))
        _config(tunnels.a, conns("a", "aes256gcm16"))
        with Session(tunnels.a.socket_uri) as session:  # what a restarting tool does for its none and trap tunnels
            for n in TUNNELS:
                if A_ACTIONS[n] != "start":
                    # The traffic that is running may trigger the trap tunnel's acquire at the same moment, and then
                    # one of the two attempts fails as a duplicate: that one's outcome is what _all_up_on checks.
                    session.initiate(child="net", ike="t%d" % n, timeout=10000, check=A_ACTIONS[n] != "trap")
        _all_up_on(tunnels.a, names, {"t1": "256"})
        time.sleep(2.0)
    finally:
        losses["restart"] = traffic.stop()
        traffic.kill()

    print("the same change three ways, datagrams lost per tunnel at %d/s: %s" % (RATE, json.dumps(losses)))
    for way in ("config", "swanctl --load-all"):
        assert all(losses[way][name] == 0 for name in untouched), (way, losses)
    assert all(losses["restart"][name] > 0 for name in untouched), losses
