# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A PSK rotated as one inventory change, live (issue 19): the window in which B already has the new PSK and A
still the old one, with a reauthentication inside it, then both on the new PSK and a reauthentication that
succeeds. Two namespaced gateways, two tunnels carrying UDP at 20 datagrams/s (t1 start, t3 none, both
initiated by A), ``config`` on both ends, ``sa`` to reauthenticate.

What the daemon does in the window depends on the release's ``charon.make_before_break`` default: measured and
asserted per release below, and documented in docs/operating-tunnels.md ("Rotating a PSK").
"""

from __future__ import annotations

import time

import pytest

from ansible_collections.strongswan.vici.plugins.module_utils.vici.session import Session

from conftest import TunnelPair
from runtime_support import run_module_in_process
from test_tunnel_changes import Traffic, _children, _config, _conn, _sas, _up

pytestmark = pytest.mark.timeout(240)

NEW_PSK = "a new secret for the rotation, 0123456789"
TUNNELS = (1, 3)


def _conns(pair, side):
    """The two tunnels of one side; t3 with a scheduled reauthentication (in about an hour: not during the test)."""
    return {"t1": _conn(pair, side, 1), "t3": dict(_conn(pair, side, 3), reauth_time="1h")}


def _proof(result):
    """``psk_proof`` of a config run that changed the one PSK: {IKE_SA name: (uniqueid, when)}, all unproven."""
    (entry,) = result["psk_proof"]
    assert entry["secret"] == "ike-all" and entry["proven"] is False, entry
    assert all(sa["proven"] is False and "ike=%s state=rekeyed reauth=true" % sa["name"] in sa["prove_now"]
               for sa in entry["ike_sas"]), entry
    assert NEW_PSK not in str(result)
    return {sa["name"]: (sa["uniqueid"], sa["when"]) for sa in entry["ike_sas"]}


def _established(sas):
    return {sa["name"]: sa["uniqueid"] for sa in sas if sa.get("state") == "ESTABLISHED"}


def _ike(sas, name):
    """{IKE uniqueid: state} of connection ``name``."""
    return {sa["uniqueid"]: sa.get("state") for sa in sas if sa["name"] == name}


def _major(daemon):
    with Session(daemon.socket_uri) as session:
        return int(str(session.version().get("version", "5")).split(".", 1)[0])


def _reauth(daemon, name):
    return run_module_in_process("sa", {"socket": daemon.socket_uri, "ike": name, "state": "rekeyed", "reauth": True,
                                        "wait_timeout": 10})


@pytest.fixture(params=["default", "make_before_break"])
def two_tunnels(request, netns_pair, charon_factory, ledger, monkeypatch):
    """Two tunnels up between A and B; B with the release's default reauthentication or with
    ``charon.make_before_break = yes`` on both (the daemon role's ``strongswan_vici_charon_settings``)."""
    monkeypatch.setenv("STRONGSWAN_VICI_LEDGER_DIR", str(ledger))
    extra = "charon {\n  make_before_break = yes\n}\n" if request.param == "make_before_break" else ""
    tunnel_pair = TunnelPair(netns_pair, charon_factory(name="a", netns=netns_pair.a.name, tunnel=True, extra_conf=extra),
                             charon_factory(name="b", netns=netns_pair.b.name, tunnel=True, extra_conf=extra))
    tunnel_pair.make_before_break = request.param == "make_before_break"
    pair = tunnel_pair.pair
    for n in TUNNELS:
        pair.a.ip("addr", "add", "198.51.100.%d/32" % (10 + n), "dev", "lo")
        pair.b.ip("addr", "add", "203.0.113.%d/32" % (10 + n), "dev", "lo")
    _config(tunnel_pair.b, _conns(pair, "b"))
    _config(tunnel_pair.a, _conns(pair, "a"))
    with Session(tunnel_pair.a.socket_uri) as session:
        session.initiate(child="net", ike="t3", timeout=10000)
    _up(tunnel_pair.a, ["t1", "t3"])
    return tunnel_pair


def _wait_for(predicate, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    return predicate()


def test_psk_rotation_window_and_reauthentication(two_tunnels):
    tunnels = two_tunnels
    pair = tunnels.pair
    a_conns, b_conns = _conns(pair, "a"), _conns(pair, "b")
    major = _major(tunnels.a)
    if major >= 6 and tunnels.make_before_break:
        pytest.skip("make-before-break is 6.0's default: the default case covers it")
    mbb = major >= 6 or tunnels.make_before_break
    before = _sas(tunnels.a)
    traffic = Traffic(pair, TUNNELS)
    try:
        time.sleep(1.0)
        # The window opens: B gets the new PSK. No SA is touched (the PSK is proven only at an IKE_SA authentication).
        b_live = _established(_sas(tunnels.b))
        b_run = _config(tunnels.b, b_conns, psk=NEW_PSK)
        assert b_run["changed"], b_run
        # config says which live IKE_SAs still run on the old PSK's authentication, and when each proves the new one.
        b_proof = _proof(b_run)
        print("psk_proof on B: %s (live %s)" % (b_proof, b_live))
        assert {name: proof[0] for name, proof in b_proof.items()} == b_live, (b_proof, b_live)
        assert b_proof["t1"][1].startswith("when a new IKE_SA is made"), b_proof
        assert b_proof["t3"][1].startswith("at its scheduled reauthentication in about "), b_proof
        window = _sas(tunnels.a)
        assert _children(window, "t1") == _children(before, "t1") and _children(window, "t3") == _children(before, "t3")
        # A reauthentication of t1 inside the window: A still signs with the old PSK, B refuses it.
        refused = _reauth(tunnels.a, "t1")
        print("reauth inside the window (%d.x, mbb %s): %s" % (major, mbb, {k: refused.get(k) for k in ("failed", "changed", "msg")}))
        time.sleep(3.0)
        during = _sas(tunnels.a)
        b_log = tunnels.b.log_tail(400)
        assert "MAC mismatched" in b_log or "AUTHENTICATION_FAILED" in b_log, b_log
        print("t1 in the window: IKE %s -> %s, CHILD %s -> %s" % (
            _ike(before, "t1"), _ike(during, "t1"), sorted(_children(before, "t1")), sorted(_children(during, "t1"))))
        if mbb:
            # make_before_break (6.0's default, 5.9's with the setting): the new IKE_SA fails, the old one and its CHILD_SA keep running.
            assert set(_ike(before, "t1")) <= set(_ike(during, "t1")), (before, during)
            assert _children(during, "t1") == _children(before, "t1"), during
        else:
            # break-before-make (5.9's default): the old IKE_SA is deleted first, its replacement fails to
            # authenticate: the tunnel is down until both ends have the same PSK (nothing retries it).
            assert not _children(during, "t1"), during
        # The untouched tunnel (no authentication in the window) keeps its SAs.
        assert _children(during, "t3") == _children(before, "t3"), during
        # The window closes: A gets the new PSK. Then a reauthentication succeeds (new IKE_SA, the new PSK proven).
        a_live = _established(_sas(tunnels.a))
        a_run = _config(tunnels.a, a_conns, psk=NEW_PSK)
        assert a_run["changed"], a_run
        assert {name: proof[0] for name, proof in _proof(a_run).items()} == a_live, (a_run["psk_proof"], a_live)
        print("A's run closing the window: down=%s warnings=%s" % (a_run.get("down"), a_run.get("warnings")))
        if not _children(_sas(tunnels.a), "t1"):  # 5.9: the tunnel the window closed comes back by a new initiation
            brought = run_module_in_process("sa", {"socket": tunnels.a.socket_uri, "ike": "t1", "child": "net",
                                                   "state": "up", "wait_timeout": 10})
            assert not brought.get("failed"), brought
        mid = _up(tunnels.a, ["t1"])
        accepted = _reauth(tunnels.a, "t1")
        assert not accepted.get("failed") and accepted["changed"], accepted

        def reauthenticated():
            sas = _sas(tunnels.a)
            return sas if _children(sas, "t1") and set(_ike(sas, "t1")).isdisjoint(_ike(mid, "t1")) else None

        after = _wait_for(reauthenticated)
        assert after, _sas(tunnels.a)
        reauth3 = _reauth(tunnels.a, "t3")  # the tunnel that lived through the window is proven too
        assert not reauth3.get("failed"), reauth3
        time.sleep(3.0)
    finally:
        lost = traffic.stop()
        traffic.kill()
    final = _sas(tunnels.a)
    print("PSK rotation (%d.x, mbb %s): lost %s; t1 IKE ids %s -> %s; t3 IKE ids %s -> %s" % (
        major, mbb, lost, sorted(_ike(before, "t1")), sorted(_ike(final, "t1")), sorted(_ike(before, "t3")),
        sorted(_ike(final, "t3"))))
    assert _children(final, "t1") and _children(final, "t3"), final
    assert set(_ike(final, "t3")).isdisjoint(_ike(before, "t3")), final  # re-authenticated with the new PSK
    if mbb:
        assert lost["t1"] <= 2 and lost["t3"] <= 2, lost
    # Proven by the reauthentications: a rerun with the same PSK changes no secret, so it reports no psk_proof.
    for daemon, conns in ((tunnels.a, a_conns), (tunnels.b, b_conns)):
        rerun = _config(daemon, conns, psk=NEW_PSK)
        assert not rerun["changed"] and "psk_proof" not in rerun, rerun
