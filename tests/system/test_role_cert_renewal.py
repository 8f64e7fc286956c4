# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The site_to_site role renews a gateway certificate live (issue 19): two namespaced gateways (the role run on
the controller for each, with its own etc/, socket and ledger), one certificate tunnel carrying UDP at 20
datagrams/s. The first run issues short-lived certificates (1 day, inside the 30-day renewal window); the next
run of gateway A renews A's: a new key, a new certificate, both loaded live, the old key unloaded. The SAs keep
their unique ids with nothing lost, and a reauthentication afterwards shows the new certificate in B's log
(B parses the certificate A sends: its serial number, logged at ``asn`` level 3).
"""

from __future__ import annotations

import os
import subprocess
import time

import pytest

from ansible_collections.strongswan.vici.plugins.module_utils.vici.session import Session

from conftest import TunnelPair, run_playbook
from role_tunnels import add_site_addresses, cert_and_psk_tunnels, make_swanctl_dirs, role_task
from runtime_support import run_module_in_process
from test_tunnel_changes import Traffic, _children, _sas

pytestmark = pytest.mark.timeout(420)

PSK = "the first PSK of the pskt tunnel"
NEW_PSK = "the second PSK of the pskt tunnel"


def _serial(path):
    out = subprocess.run(["openssl", "x509", "-noout", "-serial", "-in", str(path)], check=True, capture_output=True,
                         text=True, timeout=30).stdout
    return out.strip().split("=", 1)[1].lower()


def _key_ids(daemon):
    with Session(daemon.socket_uri) as session:
        return set(session.get_keys().get("keys", []) or [])


def _role_play(tmp_path, pair, tunnels, gateways, lifetime, psk=PSK):
    # A PSK tunnel beside it (its own identities): a PSK rotated in the same run, proven by a reauthentication.
    both = cert_and_psk_tunnels(pair, psk)
    tasks = [role_task(tmp_path, pair, gateway, both if tunnels else [], strongswan_vici_s2s_psk_reauth=True,
                       strongswan_vici_s2s_cert_lifetime=lifetime) for gateway in gateways]
    result = run_playbook([{"hosts": "localhost", "gather_facts": False, "tasks": tasks}],
                          env={"STRONGSWAN_VICI_LEDGER_DIR": str(tmp_path / "ledger")}, timeout=300)
    assert result.rc == 0, [(name, task) for name, task in result.tasks if task.get("failed")] or result
    return result


@pytest.fixture
def cert_pair(netns_pair, charon_factory):
    pair = TunnelPair(netns_pair, charon_factory(name="a", netns=netns_pair.a.name, tunnel=True),
                      charon_factory(name="b", netns=netns_pair.b.name, tunnel=True))
    add_site_addresses(netns_pair)
    return pair


def _serials_held(daemon):
    """Serial numbers (hex, lower case) of the X.509 certificates the daemon lists, received ones included."""
    serials = set()
    with Session(daemon.socket_uri) as session:
        for event in session.list_certs(type_="X509"):
            data = event.get("data", b"")
            der = data.encode("latin-1") if isinstance(data, str) else data
            out = subprocess.run(["openssl", "x509", "-inform", "der", "-noout", "-serial"], input=der, check=True,
                                 capture_output=True, timeout=30).stdout.decode()
            serials.add(out.strip().split("=", 1)[1].lower())
    return serials


def test_role_renews_a_certificate_live_and_retires_the_old_key(cert_pair, tmp_path):
    pair = cert_pair
    make_swanctl_dirs(tmp_path)
    started = time.monotonic()
    _role_play(tmp_path, pair, True, ["gw-b", "gw-a"], lifetime=1)  # short-lived: 1 day left < 30 days
    print("first run (both gateways): %.1f s" % (time.monotonic() - started))
    issued = tmp_path / "ca" / "issued" / "gw-a.crt"
    old_serial = _serial(issued)
    old_keys = _key_ids(pair.a)
    before = _sas(pair.a)
    assert _children(before, "s2s-net"), before
    psk_ike_before = [sa["uniqueid"] for sa in before if sa["name"] == "s2s-pskt"]
    traffic = Traffic(pair.pair, (1, 2))
    try:
        time.sleep(1.0)
        started = time.monotonic()
        # Both gateways in one play, as an inventory change: both certificates renewed (both are short-lived), the
        # PSK of pskt rotated; A, the initiating end, runs last and proves the new PSK by a reauthentication.
        renewal = _role_play(tmp_path, pair, True, ["gw-b", "gw-a"], lifetime=730, psk=NEW_PSK)
        renewal_seconds = time.monotonic() - started
        time.sleep(2.0)
    finally:
        lost = traffic.stop()
        traffic.kill()
    after = _sas(pair.a)
    new_serial = _serial(issued)
    new_keys = _key_ids(pair.a)
    print("renewal run: %.1f s, lost %s, serial %s -> %s, keys %s -> %s" % (
        renewal_seconds, lost, old_serial, new_serial, sorted(old_keys), sorted(new_keys)))
    assert new_serial != old_serial
    messages = [task.get("msg", "") for name, task in renewal.tasks if name.endswith("Certificate renewed")]
    assert any("Renewed the certificate of gw-a" in msg for msg in messages), messages
    # The established SAs keep running: same IKE and CHILD unique ids and SPIs, nothing lost.
    assert [sa["uniqueid"] for sa in after if sa["name"] == "s2s-net"] == \
        [sa["uniqueid"] for sa in before if sa["name"] == "s2s-net"], (before, after)
    assert _children(after, "s2s-net") == _children(before, "s2s-net"), (before, after)
    assert lost["t1"] == 0, lost
    # The PSK tunnel: the new PSK proven by a reauthentication (a new IKE_SA), reported by the role.
    proofs = [task.get("msg") for name, task in renewal.tasks if name.endswith("When the new PSKs are proven")
              and not task.get("skipped")]
    print("PSK reports: %s; pskt IKE ids %s -> %s" % (
        proofs, psk_ike_before, [sa["uniqueid"] for sa in after if sa["name"] == "s2s-pskt"]))
    assert any("tunnel pskt: new PSK proven by a reauthentication" in str(msg) for msg in proofs), proofs
    assert any("tunnel pskt: new PSK loaded" in str(msg) for msg in proofs), proofs  # B's: at the next authentication
    assert _children(after, "s2s-pskt")
    assert set(sa["uniqueid"] for sa in after if sa["name"] == "s2s-pskt").isdisjoint(psk_ike_before), after
    # The old key is retired (unload-key), the new one loaded; its file left the gateway.
    assert len(new_keys) == len(old_keys) == 1 and new_keys != old_keys, (old_keys, new_keys)
    assert not (tmp_path / "gw-a" / "swanctl" / "s2s-gw-a.key.old").exists()
    # A new IKE_SA (reauthentication) authenticates with the new certificate. B's log: it received A's certificate
    # and verified A's signature with it; A holds only the new key, so the certificate was the new one. B's
    # certificate list (its cache of received certificates) holds the new serial, which only A's IKE_AUTH carried.
    mark = os.path.getsize(pair.b.log_path)
    b_serials_before = _serials_held(pair.b)
    reauth = run_module_in_process("sa", {"socket": pair.a.socket_uri, "ike": "s2s-net", "state": "rekeyed",
                                          "reauth": True, "wait_timeout": 15})
    assert not reauth.get("failed"), reauth
    time.sleep(2.0)
    with open(pair.b.log_path, "rb") as log:
        log.seek(mark)
        b_log = log.read().decode("utf-8", "replace")
    b_serials = _serials_held(pair.b)
    print("B's log at the reauthentication:\n%s\nB's serials before %s, after %s" % (
        "\n".join(line for line in b_log.splitlines() if "cert" in line or "authentication of" in line),
        sorted(b_serials_before), sorted(b_serials)))
    assert 'received end entity cert "CN=%s"' % pair.pair.a_ip in b_log, b_log[-3000:]
    assert "authentication of '%s' with ECDSA_WITH_SHA256_DER successful" % pair.pair.a_ip in b_log, b_log[-3000:]
    assert new_serial in b_serials, (new_serial, b_serials)
    assert _children(_sas(pair.a), "s2s-net")
    # A rerun renews nothing: the role's test (openssl -checkend, 30 days) passes on the new certificate.
    assert subprocess.run(["openssl", "x509", "-noout", "-checkend", str(30 * 86400), "-in", str(issued)],
                          capture_output=True, timeout=30, check=False).returncode == 0
