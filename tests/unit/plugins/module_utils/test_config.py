# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Pure logic of the config module: the tree as plan items, purge, summary, masking, persist trust."""

from __future__ import annotations

import os

import pytest

from ansible_collections.strongswan.vici.plugins.module_utils._engine import plan as engine
from ansible_collections.strongswan.vici.plugins.module_utils._gateway import report
from ansible_collections.strongswan.vici.plugins.module_utils._gateway import tree
from ansible_collections.strongswan.vici.plugins.module_utils._gateway import persist
from ansible_collections.strongswan.vici.plugins.module_utils._text.input import InputError
from ansible_collections.strongswan.vici.plugins.module_utils._engine.ledger import Ledger
from ansible_collections.strongswan.vici.plugins.module_utils._text.secrets import MASK
from ansible_collections.strongswan.vici.plugins.module_utils._engine.kind import Change
from ansible_collections.strongswan.vici.plugins.module_utils._kinds.shared_secret import SharedSecretKind

CONN = {"local_addrs": "127.0.0.1", "remote_addrs": "127.0.0.2", "local": {"auth": "psk"}, "remote": {"auth": "psk"},
        "children": {"net": {"local_ts": "10.0.0.0/24"}}}


@pytest.fixture
def ledger(tmp_path):
    return Ledger(str(tmp_path / "ledger.json"), "instance-1")


def desired(ledger, **params):
    return tree.desired_tree(params, ledger)


def test_sections_become_groups_in_load_order(ledger):
    secrets = {"ike-gw": {"secret": "abcdef", "id-a": "a", "id-b": "b"}, "eap-carol": {"secret": "x1y2z3", "id": "carol"}}
    tree = desired(ledger, connections={"gw": CONN}, pools={"rw": {"addrs": "10.3.0.0/24", "dns": "1.1.1.1, 8.8.8.8"}},
                   secrets=secrets)
    assert [group.section for group in tree.groups] == ["private_keys", "secrets", "pools", "connections"]
    shared = tree.group("secrets")[0].items
    assert [item.name for item in shared] == ["ike-gw", "eap-carol"]
    assert shared[0].message == {"id": "ike-gw", "type": "IKE", "data": "abcdef", "owners": ["a", "b"]}
    assert shared[1].message["type"] == "EAP"
    assert tree.group("pools")[0].items[0].message == {"addrs": "10.3.0.0/24", "dns": ["1.1.1.1", "8.8.8.8"]}
    assert tree.group("connections")[0].items[0].message["remote_addrs"] == ["127.0.0.2"]
    assert tree.named == {"connections", "pools", "secrets"}


def test_empty_section_is_named_and_missing_is_not(ledger):
    tree = desired(ledger, connections={})
    assert tree.named == {"connections"}
    assert [group.section for group in tree.groups] == ["connections"]


@pytest.mark.parametrize("params, message", [
    ({"secrets": {"ike-x": {"secret": "abcdef"}}}, "secrets.ike-x: no owners"),
    ({"secrets": {"ike-x": {"id": "a"}}}, "secrets.ike-x.secret: missing"),
    ({"secrets": {"ike-x": {"secret": "abc", "id": "a", "sekret": "x"}}}, "secrets.ike-x.sekret: unknown key"),
    ({"secrets": {"psk-x": {"secret": "abc", "id": "a"}}}, "secrets.psk-x: unknown kind of secret"),
    ({"secrets": {"pkcs12-x": {"file": "a.p12"}}}, "secrets.pkcs12-x: PKCS#12"),
    ({"secrets": {"token-x": {"handle": "zz"}}}, "secrets.token-x: handle: 'zz' is not hex"),
    ({"pools": {"rw": {"dns": "1.1.1.1"}}}, "pools.rw.addrs: missing"),
    ({"pools": {"rw": {"addrs": "10.0.0.0/24", "dnss": "1.1.1.1"}}}, "pools.rw.dnss: unknown pool key"),
    ({"pools": {"rw": "10.0.0.0/24"}}, "pools.rw: expected a section"),
    ({"connections": {"gw": {"local_addrs": "1.2.3.4", "bogus": 1}}}, "connections.gw: bogus: unknown key"),
    ({"authorities": {"ca": {"crl_uris": "http://x"}}}, "authorities.ca: exactly one of cacert, file or handle"),
    ({"connections": []}, "connections: expected a dictionary"),
])
def test_bad_input_names_the_path(ledger, params, message):
    with pytest.raises(InputError) as error:
        desired(ledger, **params)
    assert str(error.value).startswith(message), str(error.value)
    assert "abcdef" not in str(error.value)


def test_unknown_top_level_section():
    with pytest.raises(InputError, match=r"^tree\.conections: unknown top-level section"):
        tree.tree_params({"tree": {"conections": {}}})
    assert tree.tree_params({"tree": {"pools": {}}})["pools"] == {}


def test_tree_null_section_is_not_managed_not_empty(ledger):
    # 'connections:' with nothing under it (null) is left out, as at top level: purge must not take it for {}
    params = tree.tree_params({"tree": {"connections": None, "pools": {}}})
    assert params["connections"] is None and params["pools"] == {}
    assert desired(ledger, **{"connections": None, "pools": {}}).named == {"pools"}


def test_pool_reference_warns(ledger):
    tree = desired(ledger, connections={"gw": dict(CONN, pools="rw, other")}, pools={"rw": {"addrs": "10.3.0.0/24"}})
    assert len(tree.warnings) == 1 and tree.warnings[0].startswith("connections.gw.pools: pool 'other'")
    # Pools not named: nothing to compare with.
    assert not desired(ledger, connections={"gw": dict(CONN, pools="rw")}).warnings


def test_oversized_object_is_rejected():
    with pytest.raises(InputError, match=r"^connections\.big: the load request would be \d+ bytes"):
        tree.check_size("connections.big", {"children": {"c%d" % n: {"local_ts": ["10.0.0.0/24"] * 400}
                                                         for n in range(150)}})
    tree.check_size("connections.small", {"local_addrs": ["127.0.0.1"]})


def test_value_over_65535_bytes_is_rejected_like_single_object_modules():
    """The per-value limit too (issue 17 item 2): one check for the config run and the single-object modules."""
    with pytest.raises(InputError, match=r"^secrets\.ike-x: cannot be sent to the daemon: data: values are limited to 65535 bytes"):
        tree.check_size("secrets.ike-x", {"type": "IKE", "data": "s" * 70000})


def test_purge_plans_exactly_the_extra_objects(ledger):
    tree = desired(ledger, connections={"gw": CONN})
    group = tree.groups[0]
    changes = engine.purge_changes(group, {"gw": {}, "old": {}, "older": {}})
    assert [(change.name, change.action) for change in changes] == [("old", "unload"), ("older", "unload")]


def test_summary_and_diff():
    group = engine.Group("secrets", SharedSecretKind(), [], {})
    changes = [Change("new", "load", "not loaded", {}, {"data": MASK}, "f"),
               Change("same", None, "up to date", {"data": MASK}, {"data": MASK}, "f"),
               Change("edit", "load", "configuration differs", {"data": MASK}, {"data": MASK, "owners": ["a"]}, "f"),
               Change("gone", "unload", "purge", {"id": "gone"}, {}, "")]
    planned = [engine.Planned(group, {"same": {}, "edit": {}, "gone": {}}, changes)]
    assert report.summary(planned) == {"secrets": {"added": ["new"], "changed": ["edit"], "removed": ["gone"],
                                                   "unchanged": ["same"]}}
    diff = report.gateway_diff(planned)
    assert set(diff["before"]["secrets"]) == {"edit", "gone"}
    assert set(diff["after"]["secrets"]) == {"new", "edit"}


def test_masked_params_and_secret_values():
    params = {"secrets": {"ike-a": {"secret": "s3cret", "id": "a"}, "token-1": {"handle": "01", "pin": "1234"}},
              "private_keys": [{"content": "PEM", "passphrase": "pass"}], "tree": None}
    shown = report.masked_params(params)
    assert shown["secrets"]["ike-a"] == {"secret": MASK, "id": "a"}
    assert shown["secrets"]["token-1"]["pin"] == MASK
    assert shown["private_keys"][0] == {"content": MASK, "passphrase": MASK}
    assert params["secrets"]["ike-a"]["secret"] == "s3cret"  # not modified in place
    assert sorted(report.secret_values(params)) == ["1234", "PEM", "pass", "s3cret"]


def test_masked_params_summarises_large_sections():
    many = {"ike-%d" % number: {"secret": "s3cret-%d" % number} for number in range(report.INVOCATION_LIMIT + 1)}
    conns = {"c%d" % number: {"version": 2} for number in range(report.INVOCATION_LIMIT + 1)}
    params = {"secrets": many, "tree": {"connections": conns, "secrets": {"ike-x": {"secret": "t0ps3cret"}}}}
    shown = report.masked_params(params)
    assert shown["secrets"] == "%d entries (see the task's arguments)" % (report.INVOCATION_LIMIT + 1)
    assert shown["tree"]["connections"] == "%d entries (see the task's arguments)" % (report.INVOCATION_LIMIT + 1)
    assert shown["tree"]["secrets"] == {"ike-x": {"secret": MASK}}
    assert "s3cret" not in repr(shown) and "t0ps3cret" not in repr(shown)
    assert isinstance(params["secrets"], dict) and isinstance(params["tree"]["connections"], dict)  # not modified


def test_adopt_and_distrust(ledger):
    tree = desired(ledger, pools={"rw": {"addrs": "10.3.0.0/24"}, "rw2": {"addrs": "10.4.0.0/24"}})
    group = tree.groups[0]
    assert engine.adopt(ledger, group, {"rw": {}}) == 1  # only what the daemon holds
    assert ledger.get("pool", "rw")["fingerprint"] == ledger.fingerprint(group.items[0].message)
    assert ledger.get("pool", "rw2") is None
    engine.distrust(ledger, group)
    assert ledger.get("pool", "rw") is None


def test_persist_trust_rules():
    record = {"digest": "d1", "instance": "socket:1|Nov 1 00:00:00 2026"}
    later = "socket:2|Nov 1 00:00:05 2026"
    assert persist.trust(record, "d1", "d1", later) == "loaded"
    assert persist.trust(record, "d1", "d1", record["instance"]) == "unknown"  # same daemon: the ledger decides
    assert persist.trust(record, "d2", "d1", later) == "edited"
    assert persist.trust(record, "d1", "d2", later) == "unknown"  # stale: the tree changed
    assert persist.trust(None, "d1", "d1", later) == "unknown"
    assert persist.trust(record, None, "d1", later) == "unknown"
    assert persist.trust(dict(record, instance=""), "d1", "d1", later) == "unknown"


def test_persist_render_and_write(tmp_path):
    text = persist.file_text({"connections": {"gw": {"remote_addrs": ["a", "b"], "local": {"auth": "psk"},
                                                     "mobike": False}},
                              "secrets": {"ike-gw": {"secret": 'with "quote" # and hash', "id": "a b"}},
                              "pools": {}})
    assert "pools" not in text
    assert 'secret = "with \\"quote\\" # and hash"' in text
    assert "remote_addrs = a, b" in text and "mobike = no" in text
    target = tmp_path / "gw.conf"
    persist.write(str(target), text)
    assert target.read_text() == text and os.stat(target).st_mode & 0o777 == 0o600
    with pytest.raises(persist.PersistError, match="does not exist"):
        persist.write(str(tmp_path / "missing" / "gw.conf"), text)


def test_persisted_tree_refuses_inline_pem():
    pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"
    with pytest.raises(persist.PersistError, match=r"^persist: connections\.gw\.local\.certs holds PEM text"):
        persist.persisted_tree({"connections": {"gw": dict(CONN, local={"auth": "pubkey", "certs": [pem]})}})
    with pytest.raises(persist.PersistError, match=r"^persist: authorities\.ca\.cacert is PEM text"):
        persist.persisted_tree({"authorities": {"ca": {"cacert": pem}}})
    assert persist.persisted_tree({"connections": {"gw": CONN}, "pools": {}}) == {"connections": {"gw": CONN}}


def test_list_values_of_pools_and_authorities_are_split_as_swanctl_does():
    crl = "ldap://ldap.example.org/cn=Root CA, o=Example, c=CH?certificateRevocationList"
    item, = tree.authority_items({"root": {"file": "/etc/swanctl/x509ca/root.pem", "crl_uris": "'%s', http://crl.example.org/a.crl" % crl}},
                                 "/etc/swanctl")
    assert item.message["crl_uris"] == [crl, "http://crl.example.org/a.crl"]
    pool, = tree.pool_items({"p": {"addrs": "10.3.0.0/24", "dns": "10.1.0.1, '10.1.0.2'"}})
    assert pool.message["dns"] == ["10.1.0.1", "10.1.0.2"]
