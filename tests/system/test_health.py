# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The health module on two namespaced gateways (issue 20): all up, a tunnel killed from the peer and brought back
without a duplicate, a duplicate CHILD_SA made on purpose, a trap connection, check mode read-only, and the
metrics file parsed by prometheus_client with its byte counters growing with the traffic sent.

A's tunnels (``config``, declared): t1 start, t2 trap, t3 start, t4 none (initiated once); B answers (none). Tunnel N protects
198.51.100.(10+N)/32 (in A) === 203.0.113.(10+N)/32 (in B), as in test_tunnel_changes.py.
"""

from __future__ import annotations

import time

import pytest
from prometheus_client.parser import text_string_to_metric_families

from ansible_collections.strongswan.vici.plugins.module_utils._gateway.persist import file_text
from ansible_collections.strongswan.vici.plugins.module_utils.vici.session import READ_ONLY_COMMANDS, Session

from runtime_support import run_module_in_process
from test_tunnel_changes import Traffic, _children, _config, _conn, _sas, _secrets, _up
from vici_proxy import ViciProxy

pytestmark = pytest.mark.timeout(120)

ACTIONS = {1: "start", 2: "trap", 3: "start", 4: "none"}
TUNNELS = (1, 2, 3, 4)


def _health(daemon, check=False, **options):
    result = run_module_in_process("health", dict({"socket": daemon.socket_uri}, **options), check=check)
    assert not result.get("failed"), result
    return result


def _by_name(result):
    return {entry["connection"]: entry for entry in result["tunnels"]}


def _metrics(path):
    """{(family, sample name): {(connection, child) or labels: value}} of a metrics file, as Prometheus parses it."""
    found = {}
    for family in text_string_to_metric_families(path.read_text()):
        for sample in family.samples:
            key = (sample.labels.get("connection"), sample.labels.get("child"), sample.labels.get("state"))
            found.setdefault(sample.name, {})[key] = sample.value
    return found


def _wait(daemon, done, what, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sas = _sas(daemon)
        if done(sas):
            return sas
        time.sleep(0.2)
    raise AssertionError("%s: not within %.0f s: %s" % (what, timeout, _sas(daemon)))


class _Pair:  # pylint: disable=too-few-public-methods
    def __init__(self, pair, a, b):
        self.pair, self.a, self.b = pair, a, b


@pytest.fixture
def three_tunnels(netns_pair, charon_factory, ledger, monkeypatch):
    """A and B (as tunnel_pair) with t1..t3 configured; B initiates every CHILD_SA in a new IKE_SA (reuse_ikesa
    no), the one way to make a duplicate on purpose: the daemon refuses a second CHILD_SA of an established child
    in the same IKE_SA (5.9.8 and 6.0.1: "not establishing CHILD_SA ... due to existing duplicate")."""
    monkeypatch.setenv("STRONGSWAN_VICI_LEDGER_DIR", str(ledger))
    pair = netns_pair
    tunnel_pair = _Pair(pair, charon_factory(name="a", netns=pair.a.name, tunnel=True),
                        charon_factory(name="b", netns=pair.b.name, tunnel=True,
                                       extra_conf="charon {\n reuse_ikesa = no\n}\n"))
    for n in TUNNELS:
        pair.a.ip("addr", "add", "198.51.100.%d/32" % (10 + n), "dev", "lo")
        pair.b.ip("addr", "add", "203.0.113.%d/32" % (10 + n), "dev", "lo")
    _config(tunnel_pair.b, _declared(pair, "b"))
    _config(tunnel_pair.a, _declared(pair, "a"))
    with Session(tunnel_pair.a.socket_uri) as session:
        session.initiate(child="net", ike="t4", timeout=10000)
    _up(tunnel_pair.a, ["t1", "t3", "t4"])
    return tunnel_pair


def _declared(pair, side, **esp):
    """The connections of ``side`` (A: ACTIONS, B: none), with ``t4="aes256gcm16"`` style ESP proposals."""
    return {"t%d" % n: _conn(pair, side, n, esp=esp.get("t%d" % n, "aes128gcm16"),
                             action=ACTIONS[n] if side == "a" else "none") for n in TUNNELS}


def test_health_reports_intent_restores_a_killed_tunnel_once_and_flags_a_duplicate(three_tunnels, tmp_path):
    a, b = three_tunnels.a, three_tunnels.b
    prom = tmp_path / "strongswan.prom"

    # All up: the start tunnels each with one CHILD_SA, the trap one trapped.
    first = _health(a, metrics_path=str(prom))
    tunnels = _by_name(first)
    assert {name: (entry["intent"], entry["status"]) for name, entry in tunnels.items()} == {
        "t1": ("start", "up"), "t2": ("trap", "trapped"), "t3": ("start", "up"), "t4": ("none", "up")}, first
    assert first["summary"]["healthy"] and first["summary"]["intended"] == first["summary"]["up"] == 3, first
    assert first["changed"] is False and first["metrics"]["written"] is True
    before = _metrics(prom)
    assert before["strongswan_vici_tunnel_up"][("t2", "net", None)] == 1
    assert before["strongswan_vici_tunnel_state"][("t1", "net", "up")] == 1
    assert before["strongswan_vici_health_healthy"][(None, None, None)] == 1

    # Traffic over t1: A's byte and packet counters grow.
    traffic = Traffic(three_tunnels.pair, (1,), limit=10.0)
    try:
        time.sleep(2.0)
    finally:
        lost = traffic.stop()
        traffic.kill()
    _health(a, metrics_path=str(prom))
    after = _metrics(prom)
    key = ("t1", "net", None)
    sent = before["strongswan_vici_tunnel_packets_out_total"][key], after["strongswan_vici_tunnel_packets_out_total"][key]
    grown = before["strongswan_vici_tunnel_bytes_out_total"][key], after["strongswan_vici_tunnel_bytes_out_total"][key]
    print("t1 packets out %s -> %s, bytes out %s -> %s (lost %s)" % (sent + grown + (lost,)))
    assert sent[1] >= sent[0] + 20 and grown[1] >= grown[0] + 20 * 28, (sent, grown)
    assert after["strongswan_vici_tunnel_bytes_in_total"][key] >= before["strongswan_vici_tunnel_bytes_in_total"][key]

    # t3 killed from the peer: B terminates its CHILD_SA; A keeps an IKE_SA without CHILD_SA.
    t1_before = _children(_sas(a), "t1")
    with Session(b.socket_uri) as session:
        session.terminate(child="net", ike="t3", timeout=5000)
    _wait(a, lambda sas: not _children(sas, "t3"), "t3's CHILD_SA gone on A")
    down = _health(a)
    t3 = _by_name(down)["t3"]
    assert t3["status"] == "down" and [p.split(":")[0] for p in t3["problems"]] == ["down", "no_child"], down
    assert down["summary"]["down"] == 1 and down["summary"]["no_child"] == 1 and not down["summary"]["healthy"]

    # Check mode says what it would initiate and sends only read-only commands (the proxy records them).
    predicted = _health(a, check=True, reinitiate=True)
    assert predicted["changed"] is True
    assert [(item["tunnel"], item["outcome"]) for item in predicted["reinitiated"]] == [("t3/net", "would initiate")]
    with ViciProxy(str(tmp_path / "p.vici"), a.socket_path) as proxy:
        proxied = run_module_in_process("health", {"socket": proxy.uri, "reinitiate": True}, check=True)
        assert "list-sas" in proxy.commands and set(proxy.commands) <= READ_ONLY_COMMANDS, proxy.commands
    assert [item["tunnel"] for item in proxied["reinitiated"]] == ["t3/net"], proxied
    assert not _children(_sas(a), "t3")

    # reinitiate brings t3 back with one CHILD_SA (list-sas), and leaves t1 alone.
    restored = _health(a, reinitiate=True)
    assert restored["changed"] is True and [(i["tunnel"], i["outcome"]) for i in restored["reinitiated"]] == [
        ("t3/net", "up")], restored
    assert restored["summary"]["healthy"], restored
    sas = _sas(a)
    assert len(_children(sas, "t3")) == 1 and _children(sas, "t1") == t1_before, sas
    assert _health(a, reinitiate=True)["changed"] is False  # nothing missing: nothing sent

    # A duplicate made on purpose: B initiates t1 in a second IKE_SA; A, the responder, holds two CHILD_SAs.
    with Session(b.socket_uri) as session:
        session.initiate(child="net", ike="t1", timeout=10000)
    _wait(a, lambda sas: len(_children(sas, "t1")) == 2, "the duplicate CHILD_SA of t1")
    duplicate = _health(a, reinitiate=True, metrics_path=str(prom))
    t1 = _by_name(duplicate)["t1"]
    assert t1["status"] == "up" and [p.split(":")[0] for p in t1["problems"]] == ["duplicate"], duplicate
    assert duplicate["summary"]["duplicates"] == 1 and not duplicate["summary"]["healthy"]
    assert duplicate["changed"] is False and duplicate["reinitiated"] == []
    assert len(_children(_sas(a), "t1")) == 2
    assert _metrics(prom)["strongswan_vici_tunnel_child_sas"][key] == 2

    # Old parameters: t4's proposal changes on both ends with sa_update never; its CHILD_SA keeps AES_GCM_16/128.
    pair = three_tunnels.pair
    _config(b, _declared(pair, "b", t4="aes256gcm16,aes128gcm16"), sa_update="never")
    _config(a, _declared(pair, "a", t4="aes256gcm16"), sa_update="never")
    stale = _health(a, connections=["t4"])
    t4 = _by_name(stale)["t4"]
    assert [p.split(":")[0] for p in t4["problems"]] == ["stale"] and t4["status"] == "up", stale
    assert t4["child_sas"][0]["old_parameters"] is True and t4["child_sas"][0]["proposal"] == "AES_GCM_16/128"
    assert stale["summary"]["stale"] == 1 and stale["summary"]["tunnels"] == 1


def test_a_play_gates_on_the_summary(three_tunnels, ansible_playbook):
    """Through ansible-playbook, as a playbook (or the EDA rulebook's) uses it: assert on the summary."""
    a = three_tunnels.a
    with Session(three_tunnels.b.socket_uri) as session:
        session.terminate(child="net", ike="t3", timeout=5000)
    _wait(a, lambda sas: not _children(sas, "t3"), "t3's CHILD_SA gone on A")
    tasks = [
        {"name": "check", "strongswan.vici.health": {"socket": a.socket_uri}, "register": "health",
         "ignore_errors": True, "failed_when": "not health.summary.healthy"},
        {"name": "restore", "strongswan.vici.health": {"socket": a.socket_uri, "reinitiate": True},
         "register": "restored"},
        {"name": "all intended up", "ansible.builtin.assert": {
            "that": ["restored.summary.healthy", "restored.summary.up == restored.summary.intended",
                     "restored.reinitiated | map(attribute='tunnel') | list == ['t3/net']"]}},
    ]
    result = ansible_playbook([{"hosts": "localhost", "gather_facts": False, "tasks": tasks}])
    assert result.rc == 0, result
    assert result.task("check")["failed"] is True and result.task("check")["summary"]["down"] == 1
    assert result.task("restore")["changed"] is True
    assert len(_children(_sas(a), "t3")) == 1


def test_after_a_restart_the_intent_of_a_tunnel_comes_from_swanctl_conf(three_tunnels, tmp_path):
    """charon restarted and its connections loaded by ``swanctl --load-all`` from a file (what the service does with
    the file ``config`` persists): the ledger has no entry, so without ``swanctl_conf`` a start tunnel that is down
    counts as undeclared and healthy; with it, it is a declared start tunnel that is down, and ``reinitiate`` brings
    it back with one CHILD_SA."""
    a = three_tunnels.a
    folder = tmp_path / "swanctl-a"
    folder.mkdir()
    conf = folder / "swanctl.conf"
    conf.write_text(file_text({"connections": _declared(three_tunnels.pair, "a"), "secrets": _secrets()}))
    a.restart()
    done = a.swanctl("--load-all", "--noprompt", "--file", conf, check=False)
    assert done.returncode == 0 and "loaded connection 't3'" in done.stdout, done.stdout + done.stderr
    _up(a, ["t1", "t3"])  # start_action start: the load initiated them
    with Session(a.socket_uri) as session:  # t3 goes down completely: no IKE_SA left either
        session.terminate(ike="t3", timeout=5000)
    _wait(a, lambda sas: not [sa for sa in sas if sa["name"] == "t3"], "t3's IKE_SA gone on A")
    t1_before = _children(_sas(a), "t1")

    undeclared = _by_name(_health(a))
    assert {name: (e["declared"], e["intent"], e["status"]) for name, e in undeclared.items()} == {
        "t1": (False, "none", "up"), "t2": (False, "trap", "trapped"), "t3": (False, "none", "idle"),
        "t4": (False, "none", "idle")}, undeclared  # the gap: t3 is down and nothing says so

    declared = _health(a, swanctl_conf=[str(conf)])
    assert {name: (e["declared_from"], e["intent"], e["status"]) for name, e in _by_name(declared).items()} == {
        "t1": ("file", "start", "up"), "t2": ("file", "trap", "trapped"), "t3": ("file", "start", "down"),
        "t4": ("file", "none", "idle")}, declared
    assert declared["summary"]["down"] == 1 and not declared["summary"]["healthy"]
    assert _secrets()["ike-all"]["secret"] not in repr(declared)

    restored = _health(a, swanctl_conf=[str(conf)], reinitiate=True)
    assert restored["changed"] is True and [(i["tunnel"], i["outcome"]) for i in restored["reinitiated"]] == [
        ("t3/net", "up")], restored
    assert restored["summary"]["healthy"], restored
    sas = _sas(a)
    assert len(_children(sas, "t3")) == 1 and _children(sas, "t1") == t1_before, sas
    assert _health(a, swanctl_conf=[str(conf)], reinitiate=True)["changed"] is False
    assert len(_children(_sas(a), "t3")) == 1
