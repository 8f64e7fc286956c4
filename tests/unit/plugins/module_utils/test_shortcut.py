# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The pieces of config's unchanged-rerun shortcut and delta path: the ledger's annex, the inputs text, the
listings, the entries' fingerprints; and the JSON bounds the src file is read with."""

from __future__ import annotations

import contextlib
import json
import os

import pytest

from ansible_collections.strongswan.vici.plugins.module_utils._engine.kind import Action, Change, Item
from ansible_collections.strongswan.vici.plugins.module_utils._engine.ledger import (
    Ledger,
    annex_fingerprint,
    annex_path,
    dump_document,
    load_document,
    read_annex,
)
from ansible_collections.strongswan.vici.plugins.module_utils._engine.plan import Group, Planned
from ansible_collections.strongswan.vici.plugins.module_utils._gateway import shortcut
from ansible_collections.strongswan.vici.plugins.module_utils._gateway.delta import changed_names, plannable
from ansible_collections.strongswan.vici.plugins.module_utils._gateway.tree import entry_texts, valid_prints
from ansible_collections.strongswan.vici.plugins.module_utils._kinds.certificate import CertificateKind
from ansible_collections.strongswan.vici.plugins.module_utils._kinds.connection import ConnectionKind
from ansible_collections.strongswan.vici.plugins.module_utils._kinds.private_key import PrivateKeyKind, TokenKeys
from ansible_collections.strongswan.vici.plugins.module_utils._kinds.shared_secret import SharedSecretKind
from ansible_collections.strongswan.vici.plugins.module_utils._text.bounded import json_depth, json_values_bound, measure
from ansible_collections.strongswan.vici.plugins.module_utils.vici.session import Session
from ansible_collections.strongswan.vici.tests.unit.fake_vici import FakeVici, socket_path
from ansible_collections.strongswan.vici.tests.unit.plugins.modules.fake_charon import FakeCharon


def saved_ledger(tmp_path):
    ledger = Ledger(str(tmp_path / "ledger.json"), "instance-1")
    ledger.record("connection", "gw", ledger.fingerprint({"a": "b"}), {"a": "b"})
    assert ledger.save()
    return ledger


def test_annex_holds_for_the_ledger_content_it_was_written_for(tmp_path):
    ledger = saved_ledger(tmp_path)
    assert ledger.annex() is None
    assert ledger.keep_annex({"k": {"daemon": "d"}})
    assert os.stat(annex_path(ledger.path)).st_mode & 0o777 == 0o600
    annex = read_annex(ledger.path, "instance-1")
    assert annex is not None and annex.records == {"k": {"daemon": "d"}} and annex.key == ledger.annex_key()
    assert annex.fingerprint("text") == annex_fingerprint(Ledger(ledger.path, "instance-1").annex_key(), "text")
    with open(annex_path(ledger.path), encoding="utf-8") as handle:
        assert ledger.key.hex() not in handle.read()
    # Another daemon instance: nothing.
    assert read_annex(ledger.path, "instance-2") is None
    # Readable by others: not believed (the full run reads the ledger, and warns about it).
    os.chmod(ledger.path, 0o644)
    assert read_annex(ledger.path, "instance-1") is None
    os.chmod(ledger.path, 0o600)
    # Any write of the ledger voids it, by this run or another.
    other = Ledger(ledger.path, "instance-1")
    other.forget("connection", "gw")
    assert other.save()
    assert read_annex(ledger.path, "instance-1") is None
    # A run that read the ledger before that write cannot write an annex for what it read.
    assert ledger.keep_annex({"k": {"daemon": "d"}}) is False


def test_annex_is_void_once_the_ledger_is_edited_by_hand(tmp_path):
    ledger = saved_ledger(tmp_path)
    assert ledger.keep_annex({"k": {"daemon": "d"}})
    with open(ledger.path, "rb") as handle:
        data = load_document(handle.read())
    data["entries"]["connection/gw"]["fingerprint"] = "0" * 64
    with open(ledger.path, "wb") as handle:
        handle.write(dump_document(data))
    assert read_annex(ledger.path, "instance-1") is None


def test_annex_is_not_written_with_unsaved_entries_or_in_check_mode(tmp_path):
    ledger = saved_ledger(tmp_path)
    ledger.forget("connection", "gw")
    assert ledger.keep_annex({"k": {}}) is False
    assert Ledger(ledger.path, "instance-1", read_only=True).keep_annex({"k": {}}) is False


def test_inputs_text_covers_the_arguments_and_the_bytes_of_src(tmp_path):
    src = tmp_path / "tree.json"
    src.write_text('{"connections": {}}')
    params = {"socket": "unix:///x", "src": str(src), "purge": False}
    text = shortcut.inputs_text(params)
    assert text is not None and text == shortcut.inputs_text(dict(params))
    assert shortcut.inputs_text(dict(params, purge=True)) != text
    src.write_text('{"connections": {} }')
    assert shortcut.inputs_text(params) != text
    assert '"connections"' not in text  # src goes in by its digest
    assert shortcut.inputs_text(dict(params, persist="/etc/swanctl/conf.d/x.conf")) is None
    assert shortcut.inputs_text(dict(params, src=str(tmp_path / "swanctl.conf"))) is None
    assert shortcut.inputs_text(dict(params, src=str(tmp_path / "missing.json"))) is None


def test_listings_only_for_kinds_built_from_the_tree_text(tmp_path):
    connections = Group("connections", ConnectionKind(), [Item("gw", {"children": {"net": {}}})], {})
    secrets = Group("secrets", SharedSecretKind(), [Item("ike-gw", {"id": "ike-gw"})], {})
    no_keys = Group("private_keys", PrivateKeyKind(TokenKeys(saved_ledger(tmp_path)), {}), [], {})
    assert shortcut.listings([no_keys, secrets, connections]) == [
        ("get-keys", None), ("get-shared", None), ("list-conns", "list-conn")]
    keys = no_keys._replace(items=[Item("00aa", {"type": "any", "data": b""})])
    assert shortcut.listings([keys, connections]) is None
    assert shortcut.listings([Group("certificates", CertificateKind("x509"), [], {})]) is None
    started = Group("connections", ConnectionKind(), [Item("gw", {"children": {"net": {"start_action": "start"}}})], {})
    assert shortcut.listings([started]) is None


@contextlib.contextmanager
def fake_daemon(tmp_path, conns):
    """A session to a fake daemon holding CONNS (name -> remote address); yields (model, session)."""
    model = FakeCharon()
    server = FakeVici(socket_path(tmp_path), handler=model)
    model.conns = {name: {"remote_addrs": [address]} for name, address in conns.items()}
    try:
        with Session(server.uri, timeout=5) as session:
            yield model, session
    finally:
        server.stop()


def test_listing_digest_changes_with_what_the_daemon_lists_and_only_then(tmp_path):
    with fake_daemon(tmp_path, {"a": "127.0.0.2", "b": "127.0.0.3"}) as (model, session):
        first = session.listing_digest("list-conns", "list-conn")
        assert session.listing_digest("list-conns", "list-conn") == first
        model.conns["b"] = {"remote_addrs": ["127.0.0.4"]}
        assert session.listing_digest("list-conns", "list-conn") != first
        model.shared = {"ike-x": {}}
        shared = session.listing_digest("get-shared")
        model.shared = {}
        assert session.listing_digest("get-shared") != shared
        assert session.list_conns()  # the session is in step after the raw reads


def test_listing_digest_takes_the_events_in_any_order(tmp_path):
    with fake_daemon(tmp_path, {"a": "127.0.0.2", "b": "127.0.0.3"}) as (model, session):
        first = session.listing_digest("list-conns", "list-conn")
        model.conns = {"b": model.conns["b"], "a": model.conns["a"]}
        assert session.listing_digest("list-conns", "list-conn") == first
        prints = session.listing_prints("list-conns", "list-conn")
        assert sorted(prints.events) == ["a", "b"] and not prints.unnamed


def _changed(names, action=Action.LOAD):
    return Planned(Group("connections", ConnectionKind(), [], {}), {},
                   [Change(name, action, "", {}, {}, "") for name in names])


def test_the_record_after_a_change_lists_again_only_the_changed_connections_and_misses_no_drift(tmp_path):
    reads = [("get-shared", None), ("list-conns", "list-conn")]
    conns = {name: "127.0.0.%d" % number for number, name in enumerate("abcd", 2)}
    with fake_daemon(tmp_path, conns) as (model, session):
        model.shared = {"ike-a": {}}
        digest = shortcut.DaemonDigest(session)
        digest(reads)  # before the first mutating command
        model.conns["b"] = {"remote_addrs": ["127.0.9.9"]}  # what the run loads, unloads, adds
        del model.conns["c"]
        model.conns["e"] = {"remote_addrs": ["127.0.0.9"]}
        start = len(model.requests)
        after = digest.after(reads, [_changed(["b", "e"]), _changed(["c"], Action.UNLOAD), _changed(["d"], None)])
        assert model.requests[start:] == [
            ("list-conns", {"ike": "b"}), ("list-conns", {"ike": "e"}), ("list-conns", {"ike": "c"})]
        assert after == shortcut.DaemonDigest(session)(reads)  # what a whole new read gives
        # Something changed behind the module's back while it ran: not in the record, so the next run's
        # whole read differs from it and plans in full.
        digest = shortcut.DaemonDigest(session)
        digest(reads)
        model.conns["b"] = {"remote_addrs": ["127.0.8.8"]}
        model.conns["d"] = {"remote_addrs": ["127.0.7.7"]}
        model.shared = {}
        after = digest.after(reads, [_changed(["b"])])
        assert after != shortcut.DaemonDigest(session)(reads)


def test_inputs_and_shape_keep_the_order_of_what_the_arguments_hold():
    first = {"socket": "unix:///x", "connections": {"a": {"children": {"x": {}, "y": {}}}}}
    second = {"connections": {"a": {"children": {"y": {}, "x": {}}}}, "socket": "unix:///x"}
    assert shortcut.inputs_text(first) != shortcut.inputs_text(second)
    assert shortcut.inputs_text(first) == shortcut.inputs_text(dict(reversed(list(first.items()))))
    # The shape leaves the tree out: the delta path compares it entry by entry.
    assert shortcut.shape_text(first) is not None and shortcut.shape_text(first) == shortcut.shape_text(second)
    assert shortcut.shape_text(dict(first, purge=True)) != shortcut.shape_text(first)
    assert shortcut.shape_text(dict(first, persist="/etc/swanctl/conf.d/x.conf")) is None


def test_entry_prints_name_each_entry_and_the_sections_given():
    merged = {"connections": {"a": {"children": {"x": {}, "y": {}}}, "b": {}}, "secrets": {"ike-a": {"secret": "s"}},
              "pools": None, "certificates": None, "private_keys": None}
    texts = entry_texts(merged)
    prints = shortcut.entry_prints(b"k" * 32, texts)
    assert prints["sections"] == ["secrets", "connections"] and valid_prints(prints)
    assert [name for name, _value in prints["entries"]["connections"]] == ["a", "b"]
    assert '"s"' not in json.dumps(prints)  # only keyed fingerprints
    reordered = dict(merged, connections={"a": {"children": {"y": {}, "x": {}}}, "b": {}})
    changed = changed_names(prints, shortcut.entry_prints(b"k" * 32, entry_texts(reordered)))
    assert changed == {"connections": {"a"}, "secrets": set(), "pools": set(), "authorities": set()}
    assert changed_names(prints, shortcut.entry_prints(b"k" * 32, entry_texts(dict(merged, pools={})))) is None
    assert entry_texts(dict(merged, certificates=[{"path": "/x"}])) is None
    assert entry_texts(dict(merged, connections=["a"])) is None


def test_plannable_only_without_private_keys_or_certificates(tmp_path):
    prints = {"sections": ["connections"], "entries": {"connections": [["gw", "0"]], "secrets": [["ike-gw", "0"]]}}
    connections = Group("connections", ConnectionKind(), [Item("gw", {"children": {}})], {})
    no_keys = Group("private_keys", PrivateKeyKind(TokenKeys(saved_ledger(tmp_path)), {}), [], {})
    assert plannable([no_keys, connections], prints)
    assert not plannable([no_keys._replace(items=[Item("00aa", {"type": "any", "data": b""})]), connections], prints)
    assert not plannable([connections._replace(items=[Item("other", {})])], prints)


@pytest.mark.parametrize("text", ['{"a": "[[[", "b": [[1]]}', '["\\\\"]', '["\\"[[["]', '"[', '[["unterminated', ']]]{', ''])
def test_json_depth_skips_strings(text):
    expected = {'{"a": "[[[", "b": [[1]]}': 3, '["\\\\"]': 1, '["\\"[[["]': 1, '"[': 1, '[["unterminated': 2,
                ']]]{': 0, '': 0}[text]
    assert json_depth(text) == expected


def test_json_values_bound_is_above_the_walks_count():
    for value in ([], {}, [1, [2, {"a": [3, "x,y[{"]}]], {"a": {"b": {"c": []}}}):
        text = json.dumps(value)
        assert json_values_bound(text) >= measure(value)[1]
