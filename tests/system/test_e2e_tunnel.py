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

import subprocess
import time

import pytest

from runtime_support import (
    PSK,
    children,
    configure_tasks,
    ends,
    info_task,
    load_conn_task,
    module_exists,
    play,
    sa_task,
    udp_probe,
)

pytestmark = pytest.mark.timeout(120)


def _ok(result, task):
    entry = result.task(task)
    assert not entry.get("failed"), (task, entry, result)
    return entry


def test_psk_tunnel_up_carries_traffic_and_counters_grow(tunnel_pair, ansible_playbook):
    a, b = tunnel_pair.a.socket_uri, tunnel_pair.b.socket_uri
    run = ansible_playbook(play(
        *configure_tasks(tunnel_pair),
        sa_task("bring the tunnel up from A", a, state="up", wait_timeout=15),
        info_task("SAs on A before traffic", a),
        info_task("SAs on B before traffic", b),
    ))
    assert run.rc == 0, run
    up = _ok(run, "bring the tunnel up from A")
    assert up["changed"] is True and up["action"] == "initiate"
    assert [c["state"] for c in children(up)] == ["INSTALLED"]
    assert any("CHILD_SA net{" in line and "established" in line for line in up["log"]), up["log"]
    before_a = children(_ok(run, "SAs on A before traffic"))
    before_b = children(_ok(run, "SAs on B before traffic"))
    assert len(before_a) == 1 and len(before_b) == 1

    assert tunnel_pair.probe(), "UDP from 198.51.100.1 did not reach 203.0.113.1 through the tunnel"

    after = ansible_playbook(play(info_task("SAs on A after traffic", a), info_task("SAs on B after traffic", b)))
    assert after.rc == 0, after
    (child_a,) = children(_ok(after, "SAs on A after traffic"))
    (child_b,) = children(_ok(after, "SAs on B after traffic"))
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


def _pki(*args, **kwargs):
    return subprocess.run(["pki"] + list(args), check=True, capture_output=True, timeout=30, **kwargs).stdout


def _make_pki(directory):
    """A CA and two host certificates (a.example, b.example), all ECDSA P-256, PEM."""
    files = {}
    ca_key = _pki("--gen", "--type", "ecdsa", "--size", "256", "--outform", "pem")
    (directory / "ca.key").write_bytes(ca_key)
    files["ca"] = _pki("--self", "--ca", "--type", "ecdsa", "--in", str(directory / "ca.key"),
                       "--dn", "C=CH, O=strongswan.vici tests, CN=Test CA", "--outform", "pem").decode()
    (directory / "ca.pem").write_text(files["ca"])
    for host in ("a", "b"):
        key = _pki("--gen", "--type", "ecdsa", "--size", "256", "--outform", "pem")
        (directory / ("%s.key" % host)).write_bytes(key)
        files[host + "_key"] = key.decode()
        pub = _pki("--pub", "--type", "ecdsa", "--in", str(directory / ("%s.key" % host)))
        files[host + "_cert"] = _pki("--issue", "--cacert", str(directory / "ca.pem"), "--cakey", str(directory / "ca.key"),
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
            "socket": socket, "command": "load-cert", "message": {"type": "X509", "flag": "NONE", "data": cert}}})
    if module_exists("private_key"):
        tasks.append({"name": "key of %s" % host, "strongswan.vici.private_key": {"socket": socket, "content": key}})
    else:
        tasks.append({"name": "key of %s" % host, "strongswan.vici.command": {
            "socket": socket, "command": "load-key", "message": {"type": "ecdsa", "data": key}}})
    if module_exists("authority"):
        tasks.append({"name": "CA on %s" % host, "strongswan.vici.authority": {"socket": socket, "name": "test-ca", "cacert": ca}})
    else:
        tasks.append({"name": "CA on %s" % host, "strongswan.vici.command": {
            "socket": socket, "command": "load-cert", "message": {"type": "X509", "flag": "CA", "data": ca}}})
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
    ))
    assert run.rc == 0, run
    up = _ok(run, "up with certificates")
    assert up["changed"] is True
    (sa,) = [sa for sa in up["sas"] if sa["name"] == "gw"]
    assert sa["state"] == "ESTABLISHED"
    assert sa["remote-id"] == "b.example"
    assert len(children(up)) == 1
    assert tunnel_pair.probe(), "UDP did not pass the certificate-authenticated tunnel"
    after = ansible_playbook(play(info_task("B after traffic", b)))
    (child_b,) = children(_ok(after, "B after traffic"))
    assert int(child_b["packets-in"]) > 0


def test_trap_policy_traffic_triggers_the_sa(netns_pair, charon_factory, ansible_playbook):
    """A runs kernel-netlink (XFRM): the kernel raises an acquire for trapped traffic.

    kernel-libipsec has no acquires (its outbound path just drops packets without an SA),
    and this kernel has no ESP transform, so on A the CHILD_SA cannot be installed in
    the kernel: the proof that traffic triggered the negotiation is the IKE_SA that A
    initiates for the trapped connection, on both sides, and A's acquire in its log.
    """
    a_daemon = charon_factory(name="a", netns=netns_pair.a.name, tunnel=False)
    b_daemon = charon_factory(name="b", netns=netns_pair.b.name, tunnel=True)

    class Ends:  # what configure_tasks needs
        pair = netns_pair
        a = a_daemon
        b = b_daemon

    a, b = a_daemon.socket_uri, b_daemon.socket_uri
    policy = {"socket": a, "ike": "gw", "child": "net"}
    run = ansible_playbook(play(
        *configure_tasks(Ends),
        {"name": "trap (check mode)", "strongswan.vici.policy": policy, "check_mode": True},
        {"name": "trap", "strongswan.vici.policy": policy},
        {"name": "trap again", "strongswan.vici.policy": policy},
        info_task("A before traffic", a, ["sas", "policies"]),
    ))
    assert run.rc == 0, run
    assert _ok(run, "trap (check mode)")["changed"] is True
    trap = _ok(run, "trap")
    assert trap["changed"] is True and trap["policy"]["mode"] == "TUNNEL"
    assert _ok(run, "trap again")["changed"] is False
    before = _ok(run, "A before traffic")
    assert before["sas"] == [] and "gw/net" in before["policies"]

    # The first packets only trigger the acquire; they are not expected to arrive.
    udp_probe(netns_pair.a, netns_pair.a_subnet_ip, netns_pair.b, netns_pair.b_subnet_ip, timeout=2)
    # The acquire makes A initiate; wait (bounded) until both sides have the IKE_SA.
    deadline = time.monotonic() + 15
    while True:
        seen = ansible_playbook(play(info_task("A after traffic", a), info_task("B after traffic", b)))
        a_sas = _ok(seen, "A after traffic")["sas"]
        b_sas = _ok(seen, "B after traffic")["sas"]
        if any(s["state"] == "ESTABLISHED" for s in a_sas) and b_sas or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert [s["name"] for s in a_sas] == ["gw"] and a_sas[0]["initiator"] == "yes", (a_sas, a_daemon.log_tail())
    assert [s["name"] for s in b_sas] == ["gw"], b_sas
    with open(a_daemon.log_path, encoding="utf-8") as log:
        assert "creating acquire job" in log.read()

    removed = ansible_playbook(play(
        {"name": "untrap", "strongswan.vici.policy": dict(policy, state="absent")},
        {"name": "untrap again", "strongswan.vici.policy": dict(policy, state="absent")},
        info_task("A policies", a, ["policies"]),
    ))
    assert _ok(removed, "untrap")["changed"] is True
    assert _ok(removed, "untrap again")["changed"] is False
    assert _ok(removed, "A policies")["policies"] == {}


def test_start_action_trap_is_an_installed_policy(netns_pair, charon_factory, ansible_playbook):
    """With start_action=trap the daemon installs the trap at load: policy present is no change."""
    a_daemon = charon_factory(name="a", netns=netns_pair.a.name, tunnel=False)
    a = a_daemon.socket_uri
    body, _ = ends(type("E", (), {"pair": netns_pair})(), start_action="trap")
    run = ansible_playbook(play(
        load_conn_task("configure A with start_action trap", a, "gw", body),
        {"name": "trap present", "strongswan.vici.policy": {"socket": a, "ike": "gw", "child": "net"}},
    ))
    assert run.rc == 0, run
    present = _ok(run, "trap present")
    assert present["changed"] is False and present["policy"]["key"] == "gw/net"


# -- failures -------------------------------------------------------------------------


def _failed(result, task):
    entry = result.task(task)
    assert entry.get("failed") is True, (task, entry)
    print("%s: %s" % (task, entry["msg"]))  # shown with -s or on failure: the message users read
    return entry


def test_wrong_psk_fails_with_authentication_failure(tunnel_pair, ansible_playbook):
    a = tunnel_pair.a.socket_uri
    run = ansible_playbook(play(
        *configure_tasks(tunnel_pair, b_secret="not the same secret"),
        dict(sa_task("up with a wrong PSK", a, wait_timeout=15), ignore_errors=True),
    ))
    failed = _failed(run, "up with a wrong PSK")
    assert "AUTHENTICATION_FAILED" in failed["msg"] and "authentication failed" in failed["msg"], failed["msg"]
    assert "'net'" in failed["msg"] and "'gw'" in failed["msg"]
    assert PSK not in run.stdout and "not the same secret" not in run.stdout
    assert any("AUTHENTICATION_FAILED" in line for line in failed["log"])
    assert len(failed["log"]) <= 8


def test_proposal_mismatch_fails_with_no_proposal_chosen(tunnel_pair, ansible_playbook):
    a = tunnel_pair.a.socket_uri
    run = ansible_playbook(play(
        *configure_tasks(tunnel_pair, b_proposals="aes256-sha384-ecp384"),
        dict(sa_task("up with disjoint IKE proposals", a, wait_timeout=15), ignore_errors=True),
    ))
    failed = _failed(run, "up with disjoint IKE proposals")
    assert "NO_PROPOSAL_CHOSEN" in failed["msg"] and "no proposal chosen" in failed["msg"], failed["msg"]


def test_stopped_peer_times_out_and_names_it(tunnel_pair, ansible_playbook):
    a = tunnel_pair.a.socket_uri
    setup = ansible_playbook(play(*configure_tasks(tunnel_pair)))
    assert setup.rc == 0, setup
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


def test_unknown_connection_fails_before_sending_anything(charon, ansible_playbook):
    run = ansible_playbook(play(
        dict(sa_task("up of an unknown connection", charon.socket_uri, ike="nope", child=None), ignore_errors=True),
        dict(sa_task("up of an unknown child", charon.socket_uri, ike=None, child="nope"), ignore_errors=True),
    ))
    assert "no connection named 'nope' is loaded" in _failed(run, "up of an unknown connection")["msg"]
    assert "no loaded connection has a child named 'nope'" in _failed(run, "up of an unknown child")["msg"]
