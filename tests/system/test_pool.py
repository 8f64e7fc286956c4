# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""strongswan.vici.pool against the real charon: honest changed, check mode, diff, drift, leases, bad input."""

from __future__ import annotations

import functools
import ipaddress
import os
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.strongswan.vici.plugins.module_utils._engine.ledger import load_document
from ansible_collections.strongswan.vici.plugins.module_utils._text.input import InputError
from ansible_collections.strongswan.vici.plugins.module_utils._kinds.pool import pool_range, reported_base
from ansible_collections.strongswan.vici.plugins.module_utils.vici.errors import ViciCommandFailed
from ansible_collections.strongswan.vici.plugins.module_utils.vici.session import READ_ONLY_COMMANDS, Session

from conftest import DEFAULT_PLUGINS, step_result, step_results
from vici_proxy import ViciProxy

runs = functools.partial(step_results, vici_module="pool", defaults={"name": "rw"})
run = functools.partial(step_result, vici_module="pool", defaults={"name": "rw"})


def network_base(daemon, network_id):
    """The base get-pools reports for a subnet given as its network id: that id on strongSwan 5,
    the first address handed out on strongSwan 6 (a documented difference, predicted by pool_range)."""
    address = ipaddress.ip_address(network_id)
    return str(address + 1) if daemon.strongswan_version[0] >= 6 else str(address)


def pools(charon):
    with Session(charon.socket_uri, timeout=10) as vici:
        return vici.get_pools()


def test_lifecycle_check_real_check_real(charon, ledger, tmp_path):
    # Every run goes through the recording proxy: the ledger is kept per socket URI.
    rw = {"addrs": "10.3.0.0/24", "dns": ["10.9.8.7"]}
    rw2 = {"addrs": "10.3.0.0/24", "dns": ["10.9.8.6"]}
    with ViciProxy(tmp_path / "p.vici", charon.socket_path) as proxy:
        uri = proxy.uri
        first = run(uri, ledger, check=True, **rw)
        assert first["changed"] is True and first["action"] == "load"
        assert pools(charon) == {}
        assert set(proxy.commands) <= READ_ONLY_COMMANDS, proxy.commands
        real = run(uri, ledger, **rw)
        assert real["changed"] is True and (real["base"], real["size"]) == (network_base(charon, "10.3.0.0"), 254)
        assert "load-pool" in proxy.commands
        assert pools(charon)["rw"]["size"] == "254"

        # Same again (check, real), then a change to a field the daemon never reports (check mode + diff):
        # nothing mutating is sent.
        proxy.clear()
        check, again, predicted = runs(uri, ledger, dict(rw, _check=True), rw, dict(rw2, _check=True, _diff=True))
        assert set(proxy.commands) <= READ_ONLY_COMMANDS, proxy.commands
        assert check["changed"] is False
        assert again["changed"] is False and again["action"] == "none"
        assert predicted["changed"] is True
        assert predicted["diff"]["before"]["dns"] == ["10.9.8.7"]
        assert predicted["diff"]["after"]["dns"] == ["10.9.8.6"]

        # Applied for real, exactly as predicted, recorded in the ledger; then stable.
        changed, stable = runs(uri, ledger, dict(rw2, _diff=True), rw2)
        assert changed["changed"] is True and changed["diff"] == predicted["diff"]
        assert stable["changed"] is False
        entries = load_document(next(ledger.glob("ledger-*.json")).read_bytes())["entries"]
        assert entries["pool/rw"]["message"]["dns"] == ["10.9.8.6"]
        assert "updated vici pool rw" in charon.log_tail(200)  # same range: kept, attributes replaced

        # Removing an attribute is a change too; then a new range.
        removed, removed_again, moved = runs(uri, ledger, {"addrs": "10.3.0.0/24"}, {"addrs": "10.3.0.0/24"},
                                             {"addrs": "10.4.0.10-10.4.0.19"})
        assert removed["changed"] is True and removed_again["changed"] is False
        assert moved["changed"] is True and pools(charon)["rw"]["base"] == "10.4.0.10"
        assert pools(charon)["rw"]["size"] == "10"

        # absent, twice; the second is a no-op.
        proxy.clear()
        assert run(uri, ledger, check=True, state="absent")["changed"] is True
        assert set(proxy.commands) <= READ_ONLY_COMMANDS
        assert "rw" in pools(charon)
        assert run(uri, ledger, state="absent")["changed"] is True
        assert pools(charon) == {}
        proxy.clear()
        gone = run(uri, ledger, state="absent")
        assert gone["changed"] is False and gone["action"] == "none"
        assert set(proxy.commands) <= READ_ONLY_COMMANDS


def test_restart_and_changes_behind_our_back(charon, ledger, tmp_path):
    uri = charon.socket_uri
    assert run(uri, ledger, addrs="10.3.0.0/28", dns=["10.9.8.7"])["changed"] is True
    # The ledger tells daemon instances apart by their start second, with 2 s of tolerance for the
    # daemon's own jitter: a daemon restarted within 2 s of the previous start looks like the same one.
    time.sleep(max(0.0, 3.0 - float(Session(uri).stats()["uptime"]["running"].split()[0])))
    charon.restart()
    back, stable = runs(uri, ledger, {"addrs": "10.3.0.0/28", "dns": ["10.9.8.7"]},
                        {"addrs": "10.3.0.0/28", "dns": ["10.9.8.7"]})
    assert back["changed"] is True and stable["changed"] is False
    assert pools(charon)["rw"]["size"] == "14"

    # swanctl replaces the pool with another range: seen in get-pools' base/size.
    conf = tmp_path / "swanctl" / "swanctl.conf"
    conf.parent.mkdir()
    conf.write_text("pools {\n rw {\n  addrs = 10.3.0.0/24\n  dns = 10.9.8.7\n }\n}\n")
    charon.swanctl("--load-pools", "--file", str(conf))
    drift, fixed = runs(uri, ledger, {"addrs": "10.3.0.0/28", "dns": ["10.9.8.7"], "_check": True},
                        {"addrs": "10.3.0.0/28", "dns": ["10.9.8.7"]})
    assert drift["changed"] is True and fixed["changed"] is True
    assert pools(charon)["rw"]["size"] == "14"

    # Unloaded behind our back: never a false ok.
    with Session(uri) as vici:
        vici.unload_pool("rw")
    assert run(uri, ledger, addrs="10.3.0.0/28", dns=["10.9.8.7"])["changed"] is True
    assert "rw" in pools(charon)

    # A corrupt ledger falls back to "changed" (and says so), never to a false ok.
    next(ledger.glob("ledger-*.json")).write_text("{not json")
    result = run(uri, ledger, addrs="10.3.0.0/28", dns=["10.9.8.7"])
    assert result["changed"] is True and any("corrupt" in w for w in result.get("warnings", []))


def test_bad_input_fails_clearly_and_leaves_the_daemon_alone(charon, ledger):
    uri = charon.socket_uri
    assert run(uri, ledger, name="keep", addrs="10.5.0.0/24")["changed"] is True
    cases = [
        ({"addrs": "10.3.0.0/33"}, "addrs: '10.3.0.0/33' has an invalid prefix length"),
        ({"addrs": "10.3.0.9-10.3.0.1"}, "ends before it starts"),
        ({"addrs": "10.3.0.0/24", "dns": ["dns.example.com"]}, "dns: 'dns.example.com' is not an IP address"),
        ({"addrs": "10.3.0.0/24", "attributes": {"dnss": ["1.2.3.4"]}}, "did you mean the option 'dns'"),
        ({"addrs": "10.3.0.0/24", "nbnss": ["1.2.3.4"]}, "nbnss"),
        ({}, "addrs"),
        # The daemon's own errmsg, quoted and naming the pool.
        ({"addrs": "::ffff:10.0.0.1/120"}, "pool 'rw': VICI command 'load-pool' failed: invalid addrs value"),
    ]
    for (options, expected), result in zip(cases, runs(uri, ledger, *[options for options, _msg in cases])):
        assert result.get("failed") is True, (options, result)
        assert expected in result["msg"], (options, result["msg"])
        assert "Traceback" not in result["msg"]
    version = Session(uri).version()["version"]
    if tuple(int(part) for part in version.split(".")[:3]) < (6, 0, 3):
        result = run(uri, ledger, addrs="10.3.0.0/24", p_cscf=["10.1.0.5"])
        assert result["failed"] and "p_cscf needs strongSwan 6.0.3" in result["msg"]
    assert set(pools(charon)) == {"keep"}


ADDRESSES_V4 = st.integers(min_value=0, max_value=2 ** 32 - 1).map(ipaddress.IPv4Address)
ADDRESSES_V6 = st.integers(min_value=0, max_value=2 ** 128 - 1).map(ipaddress.IPv6Address)


@st.composite
def addrs_values(draw):
    if draw(st.booleans()):
        address = draw(ADDRESSES_V4 | ADDRESSES_V6)
        prefix = draw(st.integers(min_value=max(0, address.max_prefixlen - 34), max_value=address.max_prefixlen)
                      | st.integers(min_value=0, max_value=address.max_prefixlen))
        return "%s/%d" % (address, prefix) if draw(st.booleans()) or prefix < address.max_prefixlen else str(address)
    start = draw(ADDRESSES_V4 | ADDRESSES_V6)
    span = draw(st.integers(min_value=0, max_value=2 ** 20))
    low = int(start) & 0xFFFFFFFF
    end = type(start)(int(start) - low + min(0xFFFFFFFF, low + span))
    return "%s-%s" % (start, end)


def test_pool_range_prediction_matches_the_daemon(charon):
    """Random subnets (every prefix length, v4 and v6, network id or not) and ranges: predicted == get-pools."""
    vici = Session(charon.socket_uri, timeout=10)
    seen = []

    @settings(max_examples=int(os.environ.get("POOL_EXAMPLES", "300")), deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(addrs_values())
    def check(addrs):
        try:
            base, size = pool_range(addrs, charon.strongswan_version[0])
        except InputError:
            return
        try:
            vici.load_pool({"h": {"addrs": addrs}})
        except ViciCommandFailed as error:
            # Python accepts a few spellings charon does not (IPv4-mapped IPv6): an error, never a wrong ok.
            assert "invalid addrs value" in error.errmsg
            return
        reported = vici.get_pools(name="h")["h"]
        seen.append(addrs)
        assert (reported_base(reported["base"]), int(reported["size"])) == (base, size), (addrs, reported)
        vici.unload_pool("h")

    try:
        check()
    finally:
        vici.close()
    assert len(seen) > 50


def _rw_configs(pair):
    psk = {"id": "rw-psk", "type": "IKE", "data": "pool-test-psk-123", "owners": ["a.test", "b.test"]}
    responder = {"rw": {
        "local_addrs": [pair.b_ip], "pools": ["rw"], "version": "2",
        "local": {"auth": "psk", "id": "b.test"}, "remote": {"auth": "psk", "id": "a.test"},
        "children": {"net": {"local_ts": ["203.0.113.0/24"], "esp_proposals": ["aes128gcm16"]}}}}
    initiator = {"home": {
        "remote_addrs": [pair.b_ip], "vips": ["0.0.0.0"], "version": "2",
        "local": {"auth": "psk", "id": "a.test"}, "remote": {"auth": "psk", "id": "b.test"},
        "children": {"net": {"remote_ts": ["203.0.113.0/24"], "esp_proposals": ["aes128gcm16"]}}}}
    return psk, responder, initiator


def _wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


def test_clients_get_the_new_dns_and_online_leases_block_changes(netns_pair, charon_factory, tmp_path):
    """Proof through behaviour: a real client (the resolve plugin writes what it got) sees the new dns,
    and a pool with an online lease refuses a new range or unload with the count."""
    resolv = tmp_path / "a-resolv.conf"
    resolv.write_text("")
    # The responder runs without the attr plugin: pools and their attributes come from the vici plugin alone.
    b = charon_factory(name="b", netns=netns_pair.b.name, tunnel=True,
                       plugins=tuple(plugin for plugin in DEFAULT_PLUGINS if plugin != "attr"))
    a = charon_factory(name="a", netns=netns_pair.a.name, tunnel=True, plugins=DEFAULT_PLUGINS + ("resolve",),
                       extra_conf="charon {\n plugins {\n  resolve {\n   file = %s\n  }\n }\n}\n" % resolv)
    ledger = tmp_path / "ledger"
    psk, responder, initiator = _rw_configs(netns_pair)
    for daemon, conn in ((b, responder), (a, initiator)):
        with Session(daemon.socket_uri, timeout=10) as vici:
            vici.load_shared(psk["type"], psk["data"], id_=psk["id"], owners=psk["owners"])
            vici.load_conn(conn)
    assert run(b.socket_uri, ledger, addrs="10.3.0.0/24", dns=["10.9.8.7"])["changed"] is True

    def connect():
        with Session(a.socket_uri, timeout=20) as vici:
            vici.initiate(child="net", ike="home", timeout=15000)
        return _wait_for(lambda: "nameserver" in resolv.read_text())

    def disconnect():
        with Session(a.socket_uri, timeout=20) as vici:
            vici.terminate(ike="home", timeout=10000)
        return _wait_for(lambda: "nameserver" not in resolv.read_text())

    assert connect(), a.log_tail(40)
    assert "nameserver 10.9.8.7" in resolv.read_text()
    assert pools(b)["rw"]["online"] == "1"

    # Same range, new dns: accepted with the lease online (the daemon keeps the leases, swaps attributes).
    assert run(b.socket_uri, ledger, addrs="10.3.0.0/24", dns=["10.9.8.6"])["changed"] is True
    # A new range, or unload, while the lease is online: a clear error with the count; nothing changes.
    # Check mode predicts the same failure.
    moved = {"addrs": "10.3.1.0/24", "dns": ["10.9.8.6"]}
    blocked_check, blocked, unload_check, unload = runs(
        b.socket_uri, ledger, dict(moved, _check=True), moved, {"state": "absent", "_check": True}, {"state": "absent"})
    for result in (blocked_check, blocked):
        assert result["failed"] and "has online leases, unable to replace" in result["msg"]
        assert "pool 'rw' has 1 online lease" in result["msg"]
    for result in (unload_check, unload):
        assert result["failed"] and "has online leases, unable to unload" in result["msg"]
        assert "pool 'rw' has 1 online lease" in result["msg"]
    assert pools(b)["rw"]["base"] == network_base(b, "10.3.0.0")
    # The same pool again with the lease online: nothing to do, in check mode and for real.
    for result in runs(b.socket_uri, ledger, dict(addrs="10.3.0.0/24", dns=["10.9.8.6"], _check=True),
                       dict(addrs="10.3.0.0/24", dns=["10.9.8.6"])):
        assert result.get("failed") is not True and result["changed"] is False, result

    assert disconnect(), a.log_tail(40)
    assert connect(), a.log_tail(40)
    assert "nameserver 10.9.8.6" in resolv.read_text() and "10.9.8.7" not in resolv.read_text()
    assert disconnect()
    assert run(b.socket_uri, ledger, addrs="10.3.1.0/24", dns=["10.9.8.6"])["changed"] is True
