# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""strongswan.vici.sa against two real daemons: check mode, waiting, rekey, redirect, child-only down.

The module runs in this process (the same code ansible-playbook runs, without its start-up
cost); test_e2e_tunnel.py drives it through ansible-playbook.
"""

from __future__ import annotations

import tempfile
import time

import pytest

from runtime_support import PSK, children, configure_tasks, ends, run_module_in_process, run_task
from vici_proxy import ViciProxy

from ansible_collections.strongswan.vici.plugins.module_utils.vici.session import READ_ONLY_COMMANDS, Session

pytestmark = pytest.mark.timeout(120)


def sa(socket, check=False, **options):
    args = {"socket": socket, "ike": "gw", "child": "net"}
    args.update(options)
    return run_module_in_process("sa", args, check=check)


def ok(result):
    assert not result.get("failed"), result
    return result


def info(socket):
    return ok(run_module_in_process("info", {"socket": socket, "gather": ["sas"]}))


def configure(tunnel, only_b=False, **kwargs):
    tasks = configure_tasks(tunnel, **kwargs)
    for task in tasks[1::2] if only_b else tasks:
        ok(run_task(task))


@pytest.fixture
def proxy_dir():
    with tempfile.TemporaryDirectory(prefix="svp-", dir="/tmp") as path:
        yield path


def test_check_mode_sends_only_read_only_commands(tunnel_pair, proxy_dir):
    configure(tunnel_pair)
    with ViciProxy(proxy_dir + "/a.vici", tunnel_pair.a.socket_path) as proxy:
        up_check = ok(sa(proxy.uri, check=True, wait_timeout=10))
        down_check = ok(sa(proxy.uri, check=True, state="down"))
        assert info(proxy.uri)["sas"] == []
        sent_in_check = list(proxy.commands)
        proxy.clear()
        up = ok(sa(proxy.uri, wait_timeout=10))
        sent_for_real = list(proxy.commands)
        proxy.clear()
        down_check_with_sa = ok(sa(proxy.uri, check=True, state="down", child=None))
        rekey_check = ok(sa(proxy.uri, check=True, state="rekeyed"))
        redirect_check = ok(sa(proxy.uri, check=True, state="redirected", child=None, gateway="198.18.0.2"))
        after = info(proxy.uri)
        sent_in_second_check = list(proxy.commands)
    assert up_check["changed"] is True and up_check["action"] == "initiate"
    assert down_check["changed"] is False
    assert sent_in_check and set(sent_in_check) <= READ_ONLY_COMMANDS, sent_in_check
    assert up["changed"] is True and "initiate" in sent_for_real
    assert down_check_with_sa["changed"] is True and down_check_with_sa["action"] == "terminate"
    assert rekey_check["changed"] is True and rekey_check["action"] == "rekey"
    # A is the initiator, so redirect (a responder's tool) finds a candidate too: check mode only predicts.
    assert redirect_check["action"] in ("redirect", "none")
    assert len(children(after)) == 1 and after["sas"][0]["uniqueid"] == up["sas"][0]["uniqueid"]
    assert set(sent_in_second_check) <= READ_ONLY_COMMANDS, sent_in_second_check


def test_connecting_sa_counts_as_present_and_is_waited_for(tunnel_pair):
    """A negotiation already under way is not started twice; with wait_timeout the module waits for it."""
    a = tunnel_pair.a.socket_uri
    configure(tunnel_pair)
    tunnel_pair.b.stop()
    first = ok(sa(a, wait_timeout=0))
    assert first["changed"] is True and [s["state"] for s in first["sas"]] == ["CONNECTING"]
    again = ok(sa(a, wait_timeout=0))
    assert again["changed"] is False and [s["state"] for s in again["sas"]] == ["CONNECTING"]
    # The peer comes back, configured at once, so that A's next retransmit (4 s after the first try) gets through.
    tunnel_pair.b.start()
    configure(tunnel_pair, only_b=True)
    began = time.monotonic()
    result = ok(sa(a, wait_timeout=20))
    assert result["changed"] is False and result["action"] == "none"
    assert [c["state"] for c in children(result)] == ["INSTALLED"]
    assert len(children(info(a))) == 1
    assert time.monotonic() - began < 15


def test_a_failed_negotiation_in_progress_is_retried_and_explained(tunnel_pair):
    """The SA being negotiated fails while the module waits: it initiates itself, so the failure comes with the reason."""
    a = tunnel_pair.a.socket_uri
    configure(tunnel_pair)
    tunnel_pair.b.stop()
    ok(sa(a, wait_timeout=0))
    # The peer comes back with another PSK: A's retransmit now meets an authentication failure.
    tunnel_pair.b.start()
    _a_body, b_body = ends(tunnel_pair)
    with Session(tunnel_pair.b.socket_uri, timeout=5) as session:
        session.load_conn({"gw": b_body})
        session.load_shared("IKE", "another secret", id_="ike-site", owners=["a.example", "b.example"])
    failed = sa(a, wait_timeout=20)
    assert failed["failed"] is True
    assert failed["msg"].startswith("initiating CHILD_SA 'net' of connection 'gw' failed"), failed["msg"]
    assert "AUTHENTICATION_FAILED" in failed["msg"]
    assert PSK not in str(failed) and "another secret" not in str(failed)


def test_rekey_child_and_ike_wait_for_the_successor(tunnel_pair):
    a = tunnel_pair.a.socket_uri
    configure(tunnel_pair)
    up = ok(sa(a, wait_timeout=10))
    (child,) = children(up)
    (ike,) = up["sas"]
    rekeyed = ok(sa(a, state="rekeyed", wait_timeout=10))
    assert rekeyed["changed"] is True and rekeyed["matches"] == 1
    (new_child,) = children(rekeyed)
    assert new_child["state"] == "INSTALLED" and new_child["uniqueid"] != child["uniqueid"]
    ike_rekeyed = ok(sa(a, state="rekeyed", child=None, wait_timeout=10))
    (new_ike,) = ike_rekeyed["sas"]
    assert ike_rekeyed["changed"] is True and new_ike["uniqueid"] != ike["uniqueid"] and new_ike["state"] == "ESTABLISHED"
    reauth = ok(sa(a, state="rekeyed", child=None, reauth=True, wait_timeout=10))
    (reauthed,) = reauth["sas"]
    assert reauth["changed"] is True and reauthed["uniqueid"] not in (ike["uniqueid"], new_ike["uniqueid"])
    assert len(children(info(tunnel_pair.b.socket_uri))) == 1
    ok(sa(a, state="down", child=None))
    failed = sa(a, state="rekeyed")
    assert failed["failed"] is True and "no established SA matches" in failed["msg"]


def test_down_of_a_child_keeps_the_ike_sa(tunnel_pair):
    a, b = tunnel_pair.a.socket_uri, tunnel_pair.b.socket_uri
    configure(tunnel_pair)
    ok(sa(a, wait_timeout=10))
    down = ok(sa(a, state="down", wait_timeout=10))
    assert down["changed"] is True and down["terminated"] == 1
    for side in (a, b):
        result = info(side)
        assert [s["state"] for s in result["sas"]] == ["ESTABLISHED"] and children(result) == []
    assert ok(sa(a, state="down", wait_timeout=10))["changed"] is False
    up = ok(sa(a, wait_timeout=10))
    assert up["changed"] is True and len(up["sas"]) == 1 and len(children(up)) == 1


def test_redirect_sends_the_peer_to_another_gateway(tunnel_pair, proxy_dir):
    """B (responder) redirects A; the gateway is B itself, so A comes straight back (traffic stays in the namespaces)."""
    a, b = tunnel_pair.a.socket_uri, tunnel_pair.b.socket_uri
    gateway = tunnel_pair.pair.b_ip
    configure(tunnel_pair)
    before = ok(sa(a, wait_timeout=10))["sas"][0]
    with ViciProxy(proxy_dir + "/b.vici", tunnel_pair.b.socket_path) as proxy:
        checked = ok(run_module_in_process("sa", {"socket": proxy.uri, "ike": "gw", "state": "redirected", "gateway": gateway},
                                           check=True))
        assert set(proxy.commands) <= READ_ONLY_COMMANDS, proxy.commands
    assert checked["changed"] is True
    nobody = ok(run_module_in_process("sa", {"socket": b, "state": "redirected", "peer_id": "nobody.example", "gateway": gateway}))
    assert nobody["changed"] is False
    redirected = ok(run_module_in_process("sa", {"socket": b, "state": "redirected", "peer_ip": "198.18.0.0/24",
                                                 "peer_id": "*.example", "gateway": gateway}))
    assert redirected["changed"] is True and redirected["matches"] == 1
    # A follows the redirect: a new IKE_SA (new uniqueid) to the gateway, bounded wait.
    deadline = time.monotonic() + 15
    while True:
        sas = info(a)["sas"]
        if any(s["uniqueid"] != before["uniqueid"] and s["state"] == "ESTABLISHED" for s in sas):
            break
        assert time.monotonic() < deadline, (sas, tunnel_pair.a.log_tail(30))
        time.sleep(0.3)
    with open(tunnel_pair.a.log_path, encoding="utf-8") as log:
        assert "redirect" in log.read().lower()


def test_arguments_are_checked(charon):
    socket = charon.socket_uri
    assert "one of the following is required: ike, child, remote_ids" in run_module_in_process("sa", {"socket": socket})["msg"]
    assert "gateway" in run_module_in_process("sa", {"socket": socket, "ike": "x", "state": "redirected"})["msg"]
    assert "wait_timeout" in run_module_in_process("sa", {"socket": socket, "ike": "x", "wait_timeout": -1})["msg"]
    nothing = ok(run_module_in_process("sa", {"socket": socket, "ike": "x", "state": "down"}))
    assert nothing["changed"] is False and nothing["sas"] == []


def test_diff_lists_the_sas_before_and_after(tunnel_pair):
    a = tunnel_pair.a.socket_uri
    configure(tunnel_pair)
    args = {"socket": a, "ike": "gw", "child": "net", "wait_timeout": 10}
    planned = ok(run_module_in_process("sa", args, check=True, diff=True))
    assert planned["diff"]["before"] == {"sas": []} and planned["diff"]["after"] == {"sas": [], "would": "initiate"}
    up = ok(run_module_in_process("sa", args, diff=True))
    assert up["diff"]["before"] == {"sas": []}
    (line,) = up["diff"]["after"]["sas"]
    assert line.startswith("gw[1] ESTABLISHED, net{1} INSTALLED"), line
    down = ok(run_module_in_process("sa", dict(args, state="down"), diff=True))
    assert down["diff"]["before"]["sas"] == [line] and down["diff"]["after"]["sas"] == []


def test_ike_only_up_brings_no_child(tunnel_pair):
    """With only ``ike`` the daemon establishes the IKE_SA alone; naming the child then adds the CHILD_SA to it."""
    a = tunnel_pair.a.socket_uri
    configure(tunnel_pair)
    ike_up = ok(sa(a, child=None, wait_timeout=10))
    assert ike_up["changed"] is True and [s["state"] for s in ike_up["sas"]] == ["ESTABLISHED"]
    assert ike_up["sas"][0]["child_sas"] == []
    assert ok(sa(a, child=None, wait_timeout=10))["changed"] is False
    child_up = ok(sa(a, wait_timeout=10))
    assert child_up["changed"] is True
    assert [s["uniqueid"] for s in child_up["sas"]] == [ike_up["sas"][0]["uniqueid"]] and len(children(child_up)) == 1
