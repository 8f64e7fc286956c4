# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The site_to_site role revokes a tunnel peer's certificate and ends its live SAs (issue 19): two namespaced
gateways (the role run on the controller for each, with its own etc/, socket and ledger; both daemons load the
``revocation`` plugin), a certificate tunnel and a PSK tunnel between them. Loading a CRL ends no SA: the role
run on A with ``strongswan_vici_s2s_revoked_gateways: [gw-b]`` loads the CRL and ends the certificate tunnel's
IKE_SA by B's identity (strongswan.vici.sa ``remote_ids``); the PSK tunnel keeps its IKE_SA and CHILD_SA. B's
next attempt is refused by A (its certificate is revoked). A check-mode run before ends nothing and says what it
would end; a rerun after ends nothing.
"""

from __future__ import annotations

import os
import tempfile
import time

import pytest

from ansible_collections.strongswan.vici.plugins.module_utils.vici.session import READ_ONLY_COMMANDS

from conftest import DEFAULT_PLUGINS, TunnelPair, run_playbook
from role_tunnels import add_site_addresses, cert_and_psk_tunnels, make_swanctl_dirs, role_task
from runtime_support import run_module_in_process
from test_tunnel_changes import _children, _sas
from vici_proxy import ViciProxy

pytestmark = pytest.mark.timeout(420)

PSK = "the PSK of the pskt tunnel, not revoked"


def _role_play(tmp_path, pair, gateways, revoked=(), check=False):
    # A PSK tunnel to the same peer (its own identities): it never authenticated with B's certificate.
    tunnels = cert_and_psk_tunnels(pair, PSK)
    tasks = [role_task(tmp_path, pair, gateway, tunnels, strongswan_vici_s2s_revoked_gateways=list(revoked))
             for gateway in gateways]
    result = run_playbook([{"hosts": "localhost", "gather_facts": False, "tasks": tasks}], check=check,
                          env={"STRONGSWAN_VICI_LEDGER_DIR": str(tmp_path / "ledger")}, timeout=300)
    assert result.rc == 0, [(name, task) for name, task in result.tasks if task.get("failed")] or result.stderr[-6000:]
    return result


def _task(result, suffix):
    return [task for name, task in result.tasks if name.endswith(suffix)]


def _ike_ids(sas, name):
    return [sa["uniqueid"] for sa in sas if sa["name"] == name]


@pytest.fixture
def revocation_pair(netns_pair, charon_factory):
    plugins = tuple(DEFAULT_PLUGINS) + ("revocation",)
    pair = TunnelPair(netns_pair, charon_factory(name="a", netns=netns_pair.a.name, tunnel=True, plugins=plugins),
                      charon_factory(name="b", netns=netns_pair.b.name, tunnel=True, plugins=plugins))
    add_site_addresses(netns_pair)
    return pair


def _wait_gone(daemon, name, ids, timeout=10.0):
    deadline = time.monotonic() + timeout
    while True:
        sas = _sas(daemon)
        if not set(_ike_ids(sas, name)) & set(ids) or time.monotonic() >= deadline:
            return sas
        time.sleep(0.2)


def test_role_revoking_a_peer_ends_its_certificate_sas_and_keeps_the_psk_tunnel(revocation_pair, tmp_path):
    pair = revocation_pair
    make_swanctl_dirs(tmp_path)
    started = time.monotonic()
    _role_play(tmp_path, pair, ["gw-b", "gw-a"])
    print("first run (both gateways): %.1f s" % (time.monotonic() - started))
    before = _sas(pair.a)
    b_before = _sas(pair.b)
    x_ids, y_ids = _ike_ids(before, "s2s-net"), _ike_ids(before, "s2s-pskt")
    assert len(x_ids) == 1 and len(y_ids) == 1, before
    x, y = x_ids[0], y_ids[0]
    net_children, psk_children = _children(before, "s2s-net"), _children(before, "s2s-pskt")
    assert net_children and psk_children, before
    b_net = _ike_ids(b_before, "s2s-net")
    assert len(b_net) == 1, b_before
    b_peer_id = [sa["remote-id"] for sa in before if sa["name"] == "s2s-net"][0]
    print("before: A s2s-net[%s] (remote-id %s) children %s, s2s-pskt[%s] children %s; B s2s-net%s" % (
        x, b_peer_id, net_children, y, psk_children, b_net))

    # The module's check mode: list-sas only, and it names what it would end (proved by the recording proxy).
    with tempfile.TemporaryDirectory(prefix="svp-", dir="/tmp") as tmp:
        with ViciProxy(tmp + "/p.vici", pair.a.socket_path) as proxy:
            planned = run_module_in_process("sa", {"socket": proxy.uri, "ike": "s2s-net", "state": "down", "force": True,
                                                   "remote_ids": [b_peer_id, "CN=%s" % b_peer_id]}, check=True)
            sent = list(proxy.commands)
    assert planned["changed"] is True and [sa["uniqueid"] for sa in planned["terminated_sas"]] == [x], planned
    assert set(sent) <= READ_ONLY_COMMANDS and "list-sas" in sent, sent

    # The role's check mode ends nothing and says what it would end.
    started = time.monotonic()
    checked = _role_play(tmp_path, pair, ["gw-a"], revoked=["gw-b"], check=True)
    print("check-mode run: %.1f s" % (time.monotonic() - started))
    would = [task.get("msg", "") for task in _task(checked, "SAs ended by revocation") if not task.get("skipped")]
    assert any("Would terminate" in msg and "s2s-net[%s]" % x in msg for msg in would), would
    assert not (tmp_path / "ca" / "revoked.crl").exists()
    assert _ike_ids(_sas(pair.a), "s2s-net") == [x] and _children(_sas(pair.a), "s2s-net") == net_children

    # The real run on A: the CRL loaded, B's certificate SA ended at once, the PSK tunnel untouched.
    mark = os.path.getsize(pair.a.log_path)
    started = time.monotonic()
    revoking = _role_play(tmp_path, pair, ["gw-a"], revoked=["gw-b"])
    revoke_seconds = time.monotonic() - started
    after = _sas(pair.a)
    b_after = _wait_gone(pair.b, "s2s-net", b_net)
    ended = [task.get("msg", "") for task in _task(revoking, "SAs ended by revocation") if not task.get("skipped")]
    terminate = _task(revoking, "whose peer's certificate is revoked (loading the CRL ends none)")
    with open(pair.a.log_path, "rb") as log:
        log.seek(mark)
        ending = [line for line in log.read().decode("utf-8", "replace").splitlines()
                  if "<s2s-net|%s>" % x in line and ("DELETE" in line or "DESTROYING" in line or "deleting" in line)]
    print("revocation run: %.1f s; %s; A after: %s; B s2s-net after: %s\nA's log of the end of s2s-net[%s]:\n%s" % (
        revoke_seconds, ended, [(sa["name"], sa["uniqueid"]) for sa in after], _ike_ids(b_after, "s2s-net"), x,
        "\n".join(ending)))
    assert (tmp_path / "ca" / "revoked.crl").exists()
    assert (tmp_path / "gw-a" / "swanctl" / "x509crl" / "s2s-ca.crl").exists()
    assert any(msg.startswith("Terminated") and "s2s-net[%s]" % x in msg and "gw-b" in msg for msg in ended), ended
    entries = [sa for result in terminate[0]["results"] for sa in result["terminated_sas"]]
    assert [(sa["name"], sa["uniqueid"], sa["identity"]) for sa in entries] == [("s2s-net", x, b_peer_id)], entries
    assert sorted(entries[0]["child_sas"]) == sorted(net_children), entries
    assert x not in _ike_ids(after, "s2s-net") and not _children(after, "s2s-net"), after
    assert not _ike_ids(b_after, "s2s-net"), b_after
    # The PSK tunnel to the same peer keeps its IKE_SA and its CHILD_SA (same ids and SPIs).
    assert _ike_ids(after, "s2s-pskt") == [y] and _children(after, "s2s-pskt") == psk_children, after

    # B tries the certificate tunnel again: A refuses B's revoked certificate.
    refused = run_module_in_process("sa", {"socket": pair.b.socket_uri, "ike": "s2s-net", "child": "net",
                                           "state": "up", "wait_timeout": 10})
    time.sleep(1.0)
    with open(pair.a.log_path, "rb") as log:
        log.seek(mark)
        a_log = log.read().decode("utf-8", "replace")
    revoked_lines = [line for line in a_log.splitlines() if "revoked" in line]
    print("B's attempt: failed=%s, %s\nA's log: %s" % (refused.get("failed"), refused.get("msg"), revoked_lines))
    assert refused.get("failed") is True, refused
    assert any("certificate was revoked" in line for line in revoked_lines), a_log[-3000:]
    assert not _children(_sas(pair.a), "s2s-net")
    assert _ike_ids(_sas(pair.a), "s2s-pskt") == [y]

    # A rerun ends nothing: the terminate step is no change, the CRL and the tunnels as they were.
    started = time.monotonic()
    rerun = _role_play(tmp_path, pair, ["gw-a"], revoked=["gw-b"])
    print("rerun: %.1f s" % (time.monotonic() - started))
    again = _task(rerun, "whose peer's certificate is revoked (loading the CRL ends none)")
    assert again and again[0].get("changed") is False, again
    assert not [task for task in _task(rerun, "SAs ended by revocation") if not task.get("skipped")]
    assert not [name for name, task in rerun.tasks if task.get("changed")
                and ("CRL" in name or "Revoke them" in name or "Apply and persist" in name)], rerun.tasks
    assert _ike_ids(_sas(pair.a), "s2s-pskt") == [y]
