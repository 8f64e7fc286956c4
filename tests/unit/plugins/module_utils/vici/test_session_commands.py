# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every per-command method of Session sends the daemon's command name and keys (recorded by a fake daemon)."""

from __future__ import annotations

import importlib.util
import inspect

import pytest

from ansible_collections.strongswan.vici.plugins.module_utils.vici.session import (
    READ_ONLY_COMMANDS,
    STREAMED_COMMANDS,
    Session,
    StreamResult,
)
from ansible_collections.strongswan.vici.tests.unit.fake_vici import cmd_request, items_tree, kv, section, vlist

if importlib.util.find_spec("pytest_timeout") is not None:
    pytestmark = pytest.mark.timeout(60)

CONN = {
    "gw": {
        "version": 2,
        "local_addrs": ["192.0.2.1"],
        "local": {"auth": "psk", "id": "gw-a"},
        "children": {"net": {"local_ts": ["10.1.0.0/16"], "esp_proposals": ["aes128gcm16", "default"]}},
        "mobike": False,
    }
}
CONN_SENT = {
    "gw": {
        "version": "2",
        "local_addrs": ["192.0.2.1"],
        "local": {"auth": "psk", "id": "gw-a"},
        "children": {"net": {"local_ts": ["10.1.0.0/16"], "esp_proposals": ["aes128gcm16", "default"]}},
        "mobike": "no",
    }
}

# (test id, call, command, message the daemon must receive, in order)
CASES = [
    ("version", lambda s: s.version(), "version", {}),
    ("stats", lambda s: s.stats(), "stats", {}),
    ("reload_settings", lambda s: s.reload_settings(), "reload-settings", {}),
    ("initiate", lambda s: s.initiate(child="net", ike="gw", timeout=2000, init_limits=True, loglevel=1), "initiate",
     {"child": "net", "ike": "gw", "timeout": "2000", "init-limits": "yes", "loglevel": "1"}),
    ("initiate-ike", lambda s: s.initiate(ike="gw", timeout=-1), "initiate", {"ike": "gw", "timeout": "-1"}),
    ("terminate-ike_id", lambda s: s.terminate(ike_id=3), "terminate", {"ike-id": "3"}),
    ("terminate", lambda s: s.terminate(child="net", ike="gw", child_id=5, ike_id=3, force=True, timeout=-1, loglevel=0),
     "terminate",
     {"child": "net", "ike": "gw", "child-id": "5", "ike-id": "3", "force": "yes", "timeout": "-1", "loglevel": "0"}),
    ("rekey", lambda s: s.rekey(child="net", ike="gw", child_id=2, ike_id=1, reauth=True), "rekey",
     {"child": "net", "ike": "gw", "child-id": "2", "ike-id": "1", "reauth": "yes"}),
    ("rekey-ike_id", lambda s: s.rekey(ike_id=7), "rekey", {"ike-id": "7"}),
    ("redirect", lambda s: s.redirect("192.0.2.9", ike="gw", ike_id=3, peer_ip="198.51.100.0/24", peer_id="%any"),
     "redirect",
     {"ike": "gw", "ike-id": "3", "peer-ip": "198.51.100.0/24", "peer-id": "%any", "gateway": "192.0.2.9"}),
    ("install", lambda s: s.install("net", ike="gw"), "install", {"child": "net", "ike": "gw"}),
    ("uninstall", lambda s: s.uninstall("net"), "uninstall", {"child": "net"}),
    ("list_sas", lambda s: s.list_sas(ike="gw", ike_id=1, child="net", child_id=2, noblock=True), "list-sas",
     {"ike": "gw", "ike-id": "1", "child": "net", "child-id": "2", "noblock": "yes"}),
    ("list_sas-none", lambda s: s.list_sas(), "list-sas", {}),
    ("list_policies", lambda s: s.list_policies(trap=True, pass_=True), "list-policies", {"trap": "yes", "pass": "yes"}),
    ("list_policies-drop", lambda s: s.list_policies(child="net", ike="gw", drop=True), "list-policies",
     {"child": "net", "ike": "gw", "drop": "yes"}),
    ("list_conns", lambda s: s.list_conns(ike="gw"), "list-conns", {"ike": "gw"}),
    ("get_conns", lambda s: s.get_conns(), "get-conns", {}),
    ("list_certs", lambda s: s.list_certs(type_="X509", flag="CA", subject="CN=ca"), "list-certs",
     {"type": "X509", "flag": "CA", "subject": "CN=ca"}),
    ("list_authorities", lambda s: s.list_authorities(name="ca"), "list-authorities", {"name": "ca"}),
    ("get_authorities", lambda s: s.get_authorities(), "get-authorities", {}),
    ("load_conn", lambda s: s.load_conn(CONN), "load-conn", CONN_SENT),
    ("unload_conn", lambda s: s.unload_conn("gw"), "unload-conn", {"name": "gw"}),
    ("load_cert", lambda s: s.load_cert("X509", b"\x30\x82\x01\x0a", flag="CA"), "load-cert",
     {"type": "X509", "flag": "CA", "data": b"\x30\x82\x01\x0a"}),
    ("load_key", lambda s: s.load_key("ecdsa", b"\x30\x81\xff\x02"), "load-key", {"type": "ecdsa", "data": b"\x30\x81\xff\x02"}),
    ("unload_key", lambda s: s.unload_key("0a1b2c"), "unload-key", {"id": "0a1b2c"}),
    ("get_keys", lambda s: s.get_keys(), "get-keys", {}),
    ("load_token", lambda s: s.load_token("cafe01", slot=1, module="softhsm", pin="1234"), "load-token",
     {"handle": "cafe01", "slot": "1", "module": "softhsm", "pin": "1234"}),
    ("load_shared", lambda s: s.load_shared("IKE", "s3cret", id_="psk-1", owners=("a@example.org", "gw-b")), "load-shared",
     {"id": "psk-1", "type": "IKE", "data": "s3cret", "owners": ["a@example.org", "gw-b"]}),
    ("load_shared-one-owner", lambda s: s.load_shared("EAP", "pw", owners=iter(["carol"])), "load-shared",
     {"type": "EAP", "data": "pw", "owners": ["carol"]}),
    ("load_shared-owner-as-string", lambda s: s.load_shared("IKE", "pw", owners="gw-b"), "load-shared",
     {"type": "IKE", "data": "pw", "owners": ["gw-b"]}),
    ("unload_shared", lambda s: s.unload_shared("psk-1"), "unload-shared", {"id": "psk-1"}),
    ("get_shared", lambda s: s.get_shared(), "get-shared", {}),
    ("flush_certs", lambda s: s.flush_certs(type_="X509_CRL"), "flush-certs", {"type": "X509_CRL"}),
    ("flush_certs-all", lambda s: s.flush_certs(), "flush-certs", {}),
    ("clear_creds", lambda s: s.clear_creds(), "clear-creds", {}),
    ("load_authority", lambda s: s.load_authority({"ca": {"cacert": "ca.pem", "crl_uris": ["http://crl.example"]}}),
     "load-authority", {"ca": {"cacert": "ca.pem", "crl_uris": ["http://crl.example"]}}),
    ("unload_authority", lambda s: s.unload_authority("ca"), "unload-authority", {"name": "ca"}),
    ("load_pool", lambda s: s.load_pool({"p1": {"addrs": "10.3.0.0/28", "dns": ["10.3.0.1"]}}), "load-pool",
     {"p1": {"addrs": "10.3.0.0/28", "dns": ["10.3.0.1"]}}),
    ("unload_pool", lambda s: s.unload_pool("p1"), "unload-pool", {"name": "p1"}),
    ("get_pools", lambda s: s.get_pools(leases=True, name="p"), "get-pools", {"name": "p", "leases": "yes"}),
    ("get_pools-none", lambda s: s.get_pools(), "get-pools", {}),
    ("get_algorithms", lambda s: s.get_algorithms(), "get-algorithms", {}),
    ("get_counters", lambda s: s.get_counters(name="gw", all_=True), "get-counters", {"name": "gw", "all": "yes"}),
    ("get_counters-none", lambda s: s.get_counters(), "get-counters", {}),
    ("reset_counters", lambda s: s.reset_counters(all_=True), "reset-counters", {"all": "yes"}),
    ("reset_counters-name", lambda s: s.reset_counters(name="gw"), "reset-counters", {"name": "gw"}),
]

STREAM_EVENTS = {command: (event_name, 2) for command, event_name in STREAMED_COMMANDS.items()}


@pytest.mark.parametrize("call, command, message", [pytest.param(*case[1:], id=case[0]) for case in CASES])
def test_command_sends_name_and_keys(fake_vici, call, command, message):
    server = fake_vici(auto=True, stream_events=STREAM_EVENTS)
    with Session(server.uri, timeout=10) as vici:
        result = call(vici)
        assert vici.registered == frozenset()
    server.wait_done()
    sent = server.received
    if command in STREAMED_COMMANDS:
        event_name = STREAMED_COMMANDS[command]
        assert [(packet.type_name, packet.name) for packet in sent] == [
            ("EVENT_REGISTER", event_name), ("CMD_REQUEST", command), ("EVENT_UNREGISTER", event_name),
        ]
        request = sent[1]
        events = [{"n": "0"}, {"n": "1"}]
        if isinstance(result, StreamResult):
            assert result == StreamResult(events, {"success": "yes"})
        else:
            assert result == events
    else:
        assert [(packet.type_name, packet.name) for packet in sent] == [("CMD_REQUEST", command)]
        request = sent[0]
        assert result == {"success": "yes"}
    assert items_tree(request.message) == items_tree(message)


def test_load_pool_sends_the_digest_example_bytes(fake_vici):
    server = fake_vici(auto=True)
    with Session(server.uri, timeout=10) as vici:
        vici.load_pool({"p1": {"addrs": "10.3.0.0/28", "dns": ["10.3.0.1"]}})
    server.wait_done()
    assert server.raw_received == [
        cmd_request("load-pool", section("p1", kv("addrs", "10.3.0.0/28"), vlist("dns", "10.3.0.1")))
    ]


def test_presence_flags_left_false_are_not_sent(fake_vici):
    server = fake_vici(auto=True, stream_events=STREAM_EVENTS)
    with Session(server.uri, timeout=10) as vici:
        vici.list_policies(trap=False, drop=False, pass_=False)
        vici.list_sas(noblock=False)
        vici.get_pools(leases=False)
    server.wait_done()
    assert [packet.message for packet in server.received if packet.type_name == "CMD_REQUEST"] == [{}, {}, {}]


def test_every_command_method_is_covered():
    # listing_digest and listing_prints take any listing command, as call and stream do (tested in test_shortcut.py).
    generic = {"call", "stream", "listing_digest", "listing_prints", "register", "unregister", "listen", "pending_events", "close", "fileno"}
    methods = {
        name for name, member in inspect.getmembers(Session, inspect.isfunction)
        if not name.startswith("_") and name not in generic
    }
    tested = {case[0].split("-")[0] for case in CASES}
    assert methods == tested
    commands = {case[2] for case in CASES}
    assert set(STREAMED_COMMANDS) <= commands
    assert READ_ONLY_COMMANDS <= commands
