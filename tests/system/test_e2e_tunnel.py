# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""End to end: two real charons in two network namespaces, a site-to-site tunnel set up,
used and torn down with this collection's modules only (ansible-playbook), never swanctl.

Topology (conftest ``netns_pair``/``tunnel_pair``, see sandbox.md): veth 198.18.0.1 (A) <->
198.18.0.2 (B); protected subnets 198.51.100.0/24 on lo in A and 203.0.113.0/24 on lo in B.
"""

from __future__ import annotations

import sys
import time

import pytest

from conftest import pki
from runtime_support import (
    HARNESS_DIR,
    PSK,
    children,
    configure_tasks,
    ends,
    info_task,
    load_conn_task,
    module_exists,
    play,
    psk_task,
    run_task,
    sa_task,
    site_conn,
)

pytestmark = pytest.mark.timeout(120)


def _ok(result, task):
    entry = result.task(task)
    assert not entry.get("failed"), (task, entry, result)
    return entry


def _probe_task(name, pair, timeout=5):
    """A playbook task sending UDP from 198.51.100.1 (in A) to 203.0.113.1 (in B), with the harness."""
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import charon_harness as h; "
            "sys.exit(0 if h.udp_probe(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], timeout=float(sys.argv[6]),"
            " count=5, interval=0.1) else 1)")
    return {"name": name, "ansible.builtin.command": {"argv": [
        sys.executable, "-c", code, HARNESS_DIR, pair.a.name, pair.a_subnet_ip, pair.b.name, pair.b_subnet_ip,
        str(timeout)]}, "changed_when": False, "ignore_errors": True}


def test_psk_tunnel_up_carries_traffic_and_counters_grow(tunnel_pair, ansible_playbook):
    a, b = tunnel_pair.a.socket_uri, tunnel_pair.b.socket_uri
    run = ansible_playbook(play(
        *configure_tasks(tunnel_pair),
        sa_task("bring the tunnel up from A", a, state="up", wait_timeout=15),
        info_task("SAs on A before traffic", a),
        info_task("SAs on B before traffic", b),
        _probe_task("UDP from 198.51.100.1 to 203.0.113.1", tunnel_pair.pair),
        info_task("SAs on A after traffic", a),
        info_task("SAs on B after traffic", b),
    ))
    assert run.rc == 0, run
    up = _ok(run, "bring the tunnel up from A")
    assert up["changed"] is True and up["action"] == "initiate"
    assert [c["state"] for c in children(up)] == ["INSTALLED"]
    assert any("CHILD_SA net{" in line and "established" in line for line in up["log"]), up["log"]
    before_a = children(_ok(run, "SAs on A before traffic"))
    before_b = children(_ok(run, "SAs on B before traffic"))
    assert len(before_a) == 1 and len(before_b) == 1
    assert run.task("UDP from 198.51.100.1 to 203.0.113.1")["rc"] == 0, "UDP did not pass the tunnel"
    (child_a,) = children(_ok(run, "SAs on A after traffic"))
    (child_b,) = children(_ok(run, "SAs on B after traffic"))
    assert child_a["uniqueid"] == before_a[0]["uniqueid"]
    assert int(child_a["packets-out"]) > int(before_a[0]["packets-out"])
    assert int(child_a["bytes-out"]) > int(before_a[0]["bytes-out"])
    assert int(child_b["packets-in"]) > int(before_b[0]["packets-in"])
    assert int(child_b["bytes-in"]) > int(before_b[0]["bytes-in"])


def test_up_again_is_no_change_and_down_removes_both_sides(tunnel_pair, ansible_playbook):
    a, b = tunnel_pair.a.socket_uri, tunnel_pair.b.socket_uri
    run = ansible_playbook(play(
        *configure_tasks(tunnel_pair),
        sa_task("up", a, wait_timeout=15),
        sa_task("up again", a, wait_timeout=15),
        info_task("A after up again", a),
        info_task("B after up again", b),
        sa_task("down", a, state="down", child=None, wait_timeout=10),
        info_task("A after down", a),
        info_task("B after down", b),
        sa_task("down again", a, state="down", child=None, wait_timeout=10),
    ))
    assert run.rc == 0, run
    assert _ok(run, "up")["changed"] is True
    again = _ok(run, "up again")
    assert again["changed"] is False and again["action"] == "none"
    assert len(children(_ok(run, "A after up again"))) == 1
    assert len(children(_ok(run, "B after up again"))) == 1
    down = _ok(run, "down")
    assert down["changed"] is True and down["action"] == "terminate" and down["terminated"] == 1
    assert _ok(run, "A after down")["sas"] == []
    assert _ok(run, "B after down")["sas"] == []
    down_again = _ok(run, "down again")
    assert down_again["changed"] is False and down_again["action"] == "none"


def _make_pki(directory):
    """A CA and two host certificates (a.example, b.example), all ECDSA P-256, PEM."""
    files = {}
    ca_key = pki("--gen", "--type", "ecdsa", "--size", "256", "--outform", "pem")
    (directory / "ca.key").write_bytes(ca_key)
    files["ca"] = pki("--self", "--ca", "--type", "ecdsa", "--in", str(directory / "ca.key"),
                      "--dn", "C=CH, O=strongswan.vici tests, CN=Test CA", "--outform", "pem").decode()
    (directory / "ca.pem").write_text(files["ca"])
    for host in ("a", "b"):
        key = pki("--gen", "--type", "ecdsa", "--size", "256", "--outform", "pem")
        (directory / ("%s.key" % host)).write_bytes(key)
        files[host + "_key"] = key.decode()
        pub = pki("--pub", "--type", "ecdsa", "--in", str(directory / ("%s.key" % host)))
        files[host + "_cert"] = pki("--issue", "--cacert", str(directory / "ca.pem"), "--cakey", str(directory / "ca.key"),
                                    "--type", "pub", "--dn", "C=CH, O=strongswan.vici tests, CN=%s.example" % host,
                                    "--san", "%s.example" % host, "--outform", "pem", input=pub).decode()
    return files


def _credential_tasks(host, socket, files):
    """Load a host's certificate, key and the CA with the collection's credential modules (command as fallback)."""
    cert, key, ca = files[host + "_cert"], files[host + "_key"], files["ca"]
    tasks = []
    if module_exists("certificate"):
        tasks.append({"name": "certificate of %s" % host, "strongswan.vici.certificate": {"socket": socket, "content": cert}})
    else:
        tasks.append({"name": "certificate of %s" % host, "strongswan.vici.command": {
            "socket": socket, "command": "load-cert", "request": {"type": "X509", "flag": "NONE", "data": cert}}})
    if module_exists("private_key"):
        tasks.append({"name": "key of %s" % host, "strongswan.vici.private_key": {"socket": socket, "content": key}})
    else:
        tasks.append({"name": "key of %s" % host, "strongswan.vici.command": {
            "socket": socket, "command": "load-key", "request": {"type": "ecdsa", "data": key}}})
    if module_exists("authority"):
        tasks.append({"name": "CA on %s" % host, "strongswan.vici.authority": {"socket": socket, "name": "test-ca", "cacert": ca}})
    else:
        tasks.append({"name": "CA on %s" % host, "strongswan.vici.command": {
            "socket": socket, "command": "load-cert", "request": {"type": "X509", "flag": "CA", "data": ca}}})
    return tasks


def test_certificate_tunnel_up_carries_traffic(tunnel_pair, ansible_playbook, tmp_path):
    files = _make_pki(tmp_path)
    a, b = tunnel_pair.a.socket_uri, tunnel_pair.b.socket_uri
    a_body, b_body = ends(tunnel_pair, auth="pubkey")
    run = ansible_playbook(play(
        *_credential_tasks("a", a, files),
        *_credential_tasks("b", b, files),
        load_conn_task("configure A", a, "gw", a_body),
        load_conn_task("configure B", b, "gw", b_body),
        sa_task("up with certificates", a, wait_timeout=15),
        _probe_task("UDP through the tunnel", tunnel_pair.pair),
        info_task("B after traffic", b),
    ))
    assert run.rc == 0, run
    up = _ok(run, "up with certificates")
    assert up["changed"] is True
    (sa,) = [sa for sa in up["sas"] if sa["name"] == "gw"]
    assert sa["state"] == "ESTABLISHED"
    assert sa["remote-id"] == "b.example"
    assert len(children(up)) == 1
    assert run.task("UDP through the tunnel")["rc"] == 0, "UDP did not pass the certificate-authenticated tunnel"
    (child_b,) = children(_ok(run, "B after traffic"))
    assert int(child_b["packets-in"]) > 0


def test_trap_policy_traffic_triggers_the_sa(netns_pair, charon_factory, ansible_playbook):
    """A runs kernel-netlink (XFRM): the kernel raises an acquire for trapped traffic.

    kernel-libipsec has no acquires (its outbound path just drops packets without an SA),
    and this kernel has no ESP transform, so on A the CHILD_SA cannot be installed in
    the kernel: the proof that traffic triggered the negotiation is the IKE_SA that A
    initiates for the trapped connection, on both sides, and A's acquire in its log.
    Then ``start_action: trap`` installs the same trap at load time: ``policy`` sees it.
    """
    a_daemon = charon_factory(name="a", netns=netns_pair.a.name, tunnel=False)
    b_daemon = charon_factory(name="b", netns=netns_pair.b.name, tunnel=True)
    ends_ = type("Ends", (), {"pair": netns_pair, "a": a_daemon, "b": b_daemon})
    a, b = a_daemon.socket_uri, b_daemon.socket_uri
    policy = {"socket": a, "ike": "gw", "child": "net"}
    with_trap, _b_body = ends(ends_, start_action="trap")
    established = "sas | selectattr('state', 'equalto', 'ESTABLISHED') | list | length == 1"
    run = ansible_playbook(play(
        *configure_tasks(ends_),
        {"name": "trap (check mode)", "strongswan.vici.policy": policy, "check_mode": True},
        {"name": "trap", "strongswan.vici.policy": policy},
        {"name": "trap again", "strongswan.vici.policy": policy},
        info_task("A before traffic", a, ["sas", "policies"]),
        # The first packets only trigger the acquire; they are not expected to arrive.
        _probe_task("trapped traffic", netns_pair, timeout=2),
        dict(info_task("A after traffic", a), register="a_sas", until="a_sas." + established, retries=30, delay=0.5),
        dict(info_task("B after traffic", b), register="b_sas", until="b_sas." + established, retries=30, delay=0.5),
        {"name": "untrap", "strongswan.vici.policy": dict(policy, state="absent")},
        {"name": "untrap again", "strongswan.vici.policy": dict(policy, state="absent")},
        info_task("A policies after untrap", a, ["policies"]),
        load_conn_task("configure A with start_action trap", a, "gw", with_trap),
        {"name": "trap installed by start_action", "strongswan.vici.policy": policy},
    ))
    assert run.rc == 0, (run, a_daemon.log_tail(30))
    assert _ok(run, "trap (check mode)")["changed"] is True
    trap = _ok(run, "trap")
    assert trap["changed"] is True and trap["policy"]["mode"] == "TUNNEL"
    assert _ok(run, "trap again")["changed"] is False
    before = _ok(run, "A before traffic")
    assert before["sas"] == [] and "gw/net" in before["policies"]
    (a_sa,) = _ok(run, "A after traffic")["sas"]
    assert a_sa["name"] == "gw" and a_sa["initiator"] == "yes"
    assert [s["name"] for s in _ok(run, "B after traffic")["sas"]] == ["gw"]
    with open(a_daemon.log_path, encoding="utf-8") as log:
        assert "creating acquire job" in log.read()
    assert _ok(run, "untrap")["changed"] is True
    assert _ok(run, "untrap again")["changed"] is False
    assert _ok(run, "A policies after untrap")["policies"] == {}
    installed = _ok(run, "trap installed by start_action")
    assert installed["changed"] is False and installed["policy"]["key"] == "gw/net"


# -- failures -------------------------------------------------------------------------


def _failed(result, task):
    entry = result.task(task)
    assert entry.get("failed") is True, (task, entry)
    print("%s: %s" % (task, entry["msg"]))  # shown with -s or on failure: the message users read
    return entry


def test_wrong_psk_and_proposal_mismatch_fail_with_the_reason(tunnel_pair, ansible_playbook):
    """Connections between the same daemons: a wrong PSK, disjoint ESP proposals, unknown names.

    Both connections share the address pair, so the responder picks its IKE proposals before it
    knows which one is meant: the mismatch is in the ESP proposals, chosen after the identities.
    (A disjoint IKE proposal is covered by the unit tests of the log trimming and hints.)
    """
    a, b = tunnel_pair.a.socket_uri, tunnel_pair.b.socket_uri
    p = tunnel_pair.pair
    subnets = ("198.51.100.0/24", "203.0.113.0/24")
    bad_psk_a = site_conn(p.a_ip, p.b_ip, "c.example", "d.example", *subnets)
    bad_psk_b = site_conn(p.b_ip, p.a_ip, "d.example", "c.example", *reversed(subnets))
    bad_prop_a, bad_prop_b = ends(tunnel_pair, b_esp="aes256-sha256")
    wrong_secret = "not the same secret"
    run = ansible_playbook(play(
        load_conn_task("A: psk", a, "psk", bad_psk_a),
        load_conn_task("B: psk", b, "psk", bad_psk_b),
        {"name": "A: secret", "strongswan.vici.shared_secret": {
            "socket": a, "id": "cd", "secret": PSK, "owners": ["c.example", "d.example"]}},
        {"name": "B: another secret", "strongswan.vici.shared_secret": {
            "socket": b, "id": "cd", "secret": wrong_secret, "owners": ["c.example", "d.example"]}},
        load_conn_task("A: proposals", a, "prop", bad_prop_a),
        load_conn_task("B: proposals", b, "prop", bad_prop_b),
        psk_task("PSK on A", a),
        psk_task("PSK on B", b),
        dict(sa_task("up with a wrong PSK", a, ike="psk", wait_timeout=15), ignore_errors=True),
        dict(sa_task("up with disjoint ESP proposals", a, ike="prop", wait_timeout=15), ignore_errors=True),
        dict(sa_task("up of an unknown connection", a, ike="nope", child=None), ignore_errors=True),
        dict(sa_task("up of an unknown child", a, ike=None, child="nope"), ignore_errors=True),
    ))
    failed = _failed(run, "up with a wrong PSK")
    assert "AUTHENTICATION_FAILED" in failed["msg"] and "authentication failed" in failed["msg"], failed["msg"]
    assert "'net'" in failed["msg"] and "'psk'" in failed["msg"]
    assert any("AUTHENTICATION_FAILED" in line for line in failed["log"])
    assert len(failed["log"]) <= 8
    assert PSK not in run.stdout and wrong_secret not in run.stdout
    failed = _failed(run, "up with disjoint ESP proposals")
    assert "NO_PROPOSAL_CHOSEN" in failed["msg"] and "no proposal chosen" in failed["msg"], failed["msg"]
    assert "failed to establish CHILD_SA, keeping IKE_SA" in failed["msg"]
    assert "no connection named 'nope' is loaded" in _failed(run, "up of an unknown connection")["msg"]
    assert "no loaded connection has a child named 'nope'" in _failed(run, "up of an unknown child")["msg"]


def test_ike_proposal_mismatch_then_stopped_peer(tunnel_pair, ansible_playbook):
    """Disjoint IKE proposals (in-process: the same module code, no playbook start-up), then the
    peer daemon stopped: the initiation times out and the message says the peer does not answer."""
    a = tunnel_pair.a.socket_uri
    for task in configure_tasks(tunnel_pair, b_proposals="aes256-sha384-ecp384"):
        assert not run_task(task).get("failed"), task
    mismatch = run_task(sa_task("up with disjoint IKE proposals", a, wait_timeout=10))
    assert mismatch["failed"] is True
    assert "received NO_PROPOSAL_CHOSEN notify error" in mismatch["msg"] and "no proposal chosen" in mismatch["msg"]
    tunnel_pair.b.stop()
    started = time.monotonic()
    run = ansible_playbook(play(
        dict(sa_task("up with the peer stopped", a, wait_timeout=3), ignore_errors=True),
        sa_task("clean up the half-open SA", a, state="down", child=None, force=True, wait_timeout=5),
        info_task("A at the end", a),
    ))
    assert time.monotonic() - started < 40
    failed = _failed(run, "up with the peer stopped")
    assert "not established after 3000ms" in failed["msg"], failed["msg"]
    assert "not responding" in failed["msg"]
    assert "198.18.0.2" in failed["msg"]
    assert [sa["state"] for sa in failed["sas"]] == ["CONNECTING"]
    assert _ok(run, "clean up the half-open SA")["changed"] is True
    assert _ok(run, "A at the end")["sas"] == []
