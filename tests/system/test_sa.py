# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""strongswan.vici.sa against two real daemons: check mode, waiting, rekey, redirect, child-only down."""

from __future__ import annotations

import tempfile
import time

import pytest

from runtime_support import PSK, children, configure_tasks, ends, info_task, play, sa_task
from vici_proxy import ViciProxy

from ansible_collections.strongswan.vici.plugins.module_utils.vici.session import READ_ONLY_COMMANDS, Session

pytestmark = pytest.mark.timeout(120)


def _ok(result, task):
    entry = result.task(task)
    assert not entry.get("failed"), (task, entry, result)
    return entry


@pytest.fixture
def proxy_dir():
    with tempfile.TemporaryDirectory(prefix="svp-", dir="/tmp") as path:
        yield path


def test_check_mode_sends_only_read_only_commands(tunnel_pair, ansible_playbook, proxy_dir):
    a = tunnel_pair.a.socket_uri
    assert ansible_playbook(play(*configure_tasks(tunnel_pair))).rc == 0
    with ViciProxy(proxy_dir + "/a.vici", tunnel_pair.a.socket_path) as proxy:
        checked = ansible_playbook(play(
            sa_task("up (check)", proxy.uri, wait_timeout=10),
            sa_task("down (check)", proxy.uri, state="down"),
            info_task("A after the check run", proxy.uri),
        ), check=True)
        sent_in_check = list(proxy.commands)
        proxy.clear()
        real = ansible_playbook(play(sa_task("up", proxy.uri, wait_timeout=10)))
        sent_for_real = list(proxy.commands)
        proxy.clear()
        checked_down = ansible_playbook(play(
            sa_task("down (check) with an SA", proxy.uri, state="down", child=None),
            sa_task("rekey (check)", proxy.uri, state="rekeyed"),
            info_task("A after the second check run", proxy.uri),
        ), check=True)
        sent_in_second_check = list(proxy.commands)
    up = _ok(checked, "up (check)")
    assert up["changed"] is True and up["action"] == "initiate"
    assert _ok(checked, "down (check)")["changed"] is False
    assert _ok(checked, "A after the check run")["sas"] == []
    assert sent_in_check and set(sent_in_check) <= READ_ONLY_COMMANDS, sent_in_check
    assert "initiate" in sent_for_real
    assert _ok(real, "up")["changed"] is True
    down = _ok(checked_down, "down (check) with an SA")
    assert down["changed"] is True and down["action"] == "terminate"
    assert _ok(checked_down, "rekey (check)")["changed"] is True
    assert len(children(_ok(checked_down, "A after the second check run"))) == 1
    assert set(sent_in_second_check) <= READ_ONLY_COMMANDS, sent_in_second_check


def test_connecting_sa_counts_as_present_and_is_waited_for(tunnel_pair, ansible_playbook):
    """A negotiation already under way is not started twice; with wait_timeout the module waits for it."""
    a = tunnel_pair.a.socket_uri
    assert ansible_playbook(play(*configure_tasks(tunnel_pair))).rc == 0
    tunnel_pair.b.stop()
    started = ansible_playbook(play(
        sa_task("fire and forget", a, wait_timeout=0),
        sa_task("fire and forget again", a, wait_timeout=0),
    ))
    first = _ok(started, "fire and forget")
    assert first["changed"] is True and [sa["state"] for sa in first["sas"]] == ["CONNECTING"]
    again = _ok(started, "fire and forget again")
    assert again["changed"] is False and [sa["state"] for sa in again["sas"]] == ["CONNECTING"]
    # The peer comes back, configured at once (with the collection's client: a playbook run
    # could lose the race), so that A's next retransmit, 4 s after the first try, gets through.
    tunnel_pair.b.start()
    _, b_body = ends(tunnel_pair)
    with Session(tunnel_pair.b.socket_uri, timeout=5) as session:
        session.load_conn({"gw": b_body})
        session.load_shared("IKE", PSK, id_="ike-site", owners=["a.example", "b.example"])
    began = time.monotonic()
    waited = ansible_playbook(play(
        sa_task("wait for the negotiation in progress", a, wait_timeout=20),
        info_task("A at the end", a),
    ))
    result = _ok(waited, "wait for the negotiation in progress")
    assert result["changed"] is False and result["action"] == "none"
    assert [c["state"] for c in children(result)] == ["INSTALLED"]
    assert len(children(_ok(waited, "A at the end"))) == 1
    assert time.monotonic() - began < 25


def test_rekey_child_and_ike_wait_for_the_successor(tunnel_pair, ansible_playbook):
    a = tunnel_pair.a.socket_uri
    run = ansible_playbook(play(
        *configure_tasks(tunnel_pair),
        sa_task("up", a, wait_timeout=10),
        sa_task("rekey the CHILD_SA", a, state="rekeyed", wait_timeout=10),
        sa_task("rekey the IKE_SA", a, state="rekeyed", child=None, wait_timeout=10),
        sa_task("reauthenticate the IKE_SA", a, state="rekeyed", child=None, reauth=True, wait_timeout=10),
        sa_task("down", a, state="down", child=None),
        dict(sa_task("rekey without an SA", a, state="rekeyed"), ignore_errors=True),
    ))
    up = _ok(run, "up")
    (child,) = children(up)
    (ike,) = [sa for sa in up["sas"] if sa["name"] == "gw"]
    rekeyed = _ok(run, "rekey the CHILD_SA")
    assert rekeyed["changed"] is True and rekeyed["matches"] == 1
    installed = [c for c in children(rekeyed) if c["state"] == "INSTALLED"]
    assert installed and all(c["uniqueid"] != child["uniqueid"] for c in installed), rekeyed["sas"]
    ike_rekeyed = _ok(run, "rekey the IKE_SA")
    assert ike_rekeyed["changed"] is True
    assert any(sa["uniqueid"] != ike["uniqueid"] and sa["state"] == "ESTABLISHED" for sa in ike_rekeyed["sas"])
    assert _ok(run, "reauthenticate the IKE_SA")["changed"] is True
    failed = run.task("rekey without an SA")
    assert failed["failed"] is True and "no established SA matches" in failed["msg"]


def test_down_of_a_child_keeps_the_ike_sa(tunnel_pair, ansible_playbook):
    a, b = tunnel_pair.a.socket_uri, tunnel_pair.b.socket_uri
    run = ansible_playbook(play(
        *configure_tasks(tunnel_pair),
        sa_task("up", a, wait_timeout=10),
        sa_task("child down", a, state="down", wait_timeout=10),
        info_task("A after", a),
        info_task("B after", b),
        sa_task("child down again", a, state="down", wait_timeout=10),
        sa_task("child up on the existing IKE_SA", a, wait_timeout=10),
    ))
    down = _ok(run, "child down")
    assert down["changed"] is True and down["terminated"] == 1
    for side in ("A after", "B after"):
        result = _ok(run, side)
        assert [sa["state"] for sa in result["sas"]] == ["ESTABLISHED"] and children(result) == []
    assert _ok(run, "child down again")["changed"] is False
    up = _ok(run, "child up on the existing IKE_SA")
    assert up["changed"] is True and len(up["sas"]) == 1 and len(children(up)) == 1


def test_redirect_sends_the_peer_to_another_gateway(tunnel_pair, ansible_playbook, proxy_dir):
    """B (responder) redirects A; the gateway is B itself, so A comes straight back (traffic stays in the namespaces)."""
    a, b = tunnel_pair.a.socket_uri, tunnel_pair.b.socket_uri
    gateway = tunnel_pair.pair.b_ip
    setup = ansible_playbook(play(*configure_tasks(tunnel_pair), sa_task("up", a, wait_timeout=10)))
    assert setup.rc == 0, setup
    with ViciProxy(proxy_dir + "/b.vici", tunnel_pair.b.socket_path) as proxy:
        checked = ansible_playbook(play({"name": "redirect (check)", "strongswan.vici.sa": {
            "socket": proxy.uri, "ike": "gw", "state": "redirected", "gateway": gateway}}), check=True)
        assert set(proxy.commands) <= READ_ONLY_COMMANDS, proxy.commands
    assert _ok(checked, "redirect (check)")["changed"] is True
    run = ansible_playbook(play(
        {"name": "redirect nobody", "strongswan.vici.sa": {
            "socket": b, "state": "redirected", "peer_id": "nobody.example", "gateway": gateway}},
        {"name": "redirect A", "strongswan.vici.sa": {
            "socket": b, "state": "redirected", "peer_ip": "198.18.0.0/24", "peer_id": "*.example", "gateway": gateway}},
    ))
    assert _ok(run, "redirect nobody")["changed"] is False
    redirected = _ok(run, "redirect A")
    assert redirected["changed"] is True and redirected["matches"] == 1
    deadline = time.monotonic() + 10
    while True:
        seen = ansible_playbook(play(info_task("A", a)))
        log = tunnel_pair.a.log_tail(200)
        if "redirected" in log.lower() or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert "redirect" in log.lower(), log
    assert _ok(seen, "A")["sas"], "A has no SA after being redirected to the same gateway"


def test_arguments_are_checked(charon, ansible_playbook):
    socket = charon.socket_uri
    run = ansible_playbook(play(
        {"name": "no names", "strongswan.vici.sa": {"socket": socket}, "ignore_errors": True},
        {"name": "redirect without gateway", "strongswan.vici.sa": {"socket": socket, "ike": "x", "state": "redirected"},
         "ignore_errors": True},
        {"name": "negative wait", "strongswan.vici.sa": {"socket": socket, "ike": "x", "wait_timeout": -1},
         "ignore_errors": True},
        {"name": "down of nothing", "strongswan.vici.sa": {"socket": socket, "ike": "x", "state": "down"}},
    ))
    assert "one of the following is required: ike, child" in run.task("no names")["msg"]
    assert "gateway" in run.task("redirect without gateway")["msg"]
    assert "wait_timeout" in run.task("negative wait")["msg"]
    nothing = _ok(run, "down of nothing")
    assert nothing["changed"] is False and nothing["sas"] == []


def test_a_failed_negotiation_in_progress_is_retried_and_explained(tunnel_pair, ansible_playbook):
    """The SA being negotiated fails while the module waits: it initiates itself, so the failure comes with the reason."""
    a = tunnel_pair.a.socket_uri
    assert ansible_playbook(play(*configure_tasks(tunnel_pair))).rc == 0
    tunnel_pair.b.stop()
    assert ansible_playbook(play(sa_task("fire and forget", a, wait_timeout=0))).rc == 0
    # The peer comes back with another PSK: A's retransmit now meets an authentication failure.
    tunnel_pair.b.start()
    _, b_body = ends(tunnel_pair)
    with Session(tunnel_pair.b.socket_uri, timeout=5) as session:
        session.load_conn({"gw": b_body})
        session.load_shared("IKE", "another secret", id_="ike-site", owners=["a.example", "b.example"])
    run = ansible_playbook(play(dict(sa_task("wait, then try", a, wait_timeout=20), ignore_errors=True)))
    failed = run.task("wait, then try")
    assert failed["failed"] is True
    assert failed["msg"].startswith("initiating CHILD_SA 'net' of connection 'gw' failed"), failed["msg"]
    assert "AUTHENTICATION_FAILED" in failed["msg"]
