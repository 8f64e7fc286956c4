# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The desired-state engine: ledger, fingerprints, masking and the plan, without a daemon."""

from __future__ import annotations

import json
import os
import stat

import pytest

from ansible_collections.strongswan.vici.plugins.module_utils._state import (
    MASK,
    Item,
    Kind,
    Ledger,
    canonical_bytes,
    instance_identity,
    mask_paths,
    plan,
    printable,
    same_instance,
)


class RecordingKind(Kind):
    """A kind whose daemon side is a dict, to exercise plan() alone."""

    label = "thing"
    secret_paths = (("data",),)

    def __init__(self, drift_reason=None, unload_on=()):
        self.drift_reason = drift_reason
        self.unload_on = unload_on

    def drift(self, name, message, reported):
        return self.drift_reason

    def needs_unload(self, previous, message):
        return any(previous.get(key) != message.get(key) for key in self.unload_on)


def test_canonical_bytes_keeps_order_and_tells_bytes_from_text():
    assert canonical_bytes({"a": 1, "b": 2}) != canonical_bytes({"b": 2, "a": 1})
    assert canonical_bytes({"a": b"x"}) != canonical_bytes({"a": "x"})
    assert canonical_bytes({"a": ["1", "2"]}) == canonical_bytes({"a": ("1", "2")})


def test_mask_paths_masks_only_secrets_and_copies():
    message = {"id": "s", "data": "hunter2", "nested": {"pin": "1234", "keep": "x"}}
    masked = mask_paths(message, [("data",), ("nested", "pin"), ("absent",)])
    assert masked == {"id": "s", "data": MASK, "nested": {"pin": MASK, "keep": "x"}}
    assert message["data"] == "hunter2", "the original must not be modified"


def test_mask_paths_wildcard():
    masked = mask_paths({"a": {"secret": "1"}, "b": {"secret": "2", "other": "3"}}, [("*", "secret")])
    assert masked == {"a": {"secret": MASK}, "b": {"secret": MASK, "other": "3"}}


def test_printable_describes_blobs_without_their_content():
    shown = printable({"data": b"\x00" * 40})
    assert shown["data"].startswith("<40 bytes, sha256 ")
    assert "\x00" not in json.dumps(shown)


@pytest.mark.parametrize(
    "first, second, same",
    [
        ("Nov 23 20:44:47 2026", "Nov 23 20:44:47 2026", True),
        ("Nov 23 20:44:47 2026", "Nov 23 20:44:48 2026", True),
        ("Nov 23 20:44:47 2026", "Nov 23 20:44:55 2026", False),
        ("Dec 31 23:59:59 2025", "Jan  1 00:00:00 2026", True),
        ("", "", False),
        ("garbage", "Nov 23 20:44:47 2026", False),
    ],
)
def test_same_instance_tolerates_the_daemons_jitter(first, second, same):
    assert same_instance(first, second) is same


def test_ledger_round_trip_is_private_and_keyed(tmp_path):
    path = str(tmp_path / "ledger.json")
    ledger = Ledger(path, "Nov 23 20:44:47 2026")
    fingerprint = ledger.fingerprint({"data": "hunter2"})
    ledger.record("thing", "a", fingerprint, {"data": MASK})
    ledger.save()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    content = open(path).read()
    assert "hunter2" not in content
    again = Ledger(path, "Nov 23 20:44:48 2026")
    assert again.get("thing", "a")["fingerprint"] == fingerprint
    assert again.fingerprint({"data": "hunter2"}) == fingerprint
    # Another key (a new ledger) gives another fingerprint for the same secret.
    assert Ledger(str(tmp_path / "other.json"), "x").fingerprint({"data": "hunter2"}) != fingerprint


def test_ledger_of_another_daemon_instance_is_void(tmp_path):
    path = str(tmp_path / "ledger.json")
    ledger = Ledger(path, "Nov 23 20:44:47 2026")
    ledger.record("thing", "a", ledger.fingerprint({}), {})
    ledger.save()
    assert Ledger(path, "Nov 23 21:00:00 2026").get("thing", "a") is None


def test_corrupt_ledger_is_reported_and_ignored(tmp_path):
    path = tmp_path / "ledger.json"
    path.write_text("{not json")
    ledger = Ledger(str(path), "x")
    assert ledger.get("thing", "a") is None
    assert "corrupt" in ledger.note


def test_ledger_save_merges_concurrent_writers(tmp_path):
    path = str(tmp_path / "ledger.json")
    first = Ledger(path, "Nov 23 20:44:47 2026")
    first.record("thing", "a", first.fingerprint({"v": 1}), {"v": 1})
    first.save()
    second = Ledger(path, "Nov 23 20:44:47 2026")
    third = Ledger(path, "Nov 23 20:44:47 2026")
    second.record("thing", "b", second.fingerprint({"v": 2}), {"v": 2})
    third.forget("thing", "a")
    second.save()
    third.save()
    final = Ledger(path, "Nov 23 20:44:47 2026")
    assert final.get("thing", "a") is None
    assert final.get("thing", "b") is not None


def _plan(kind, items, snapshot, tmp_path, recorded=None):
    ledger = Ledger(str(tmp_path / "ledger.json"), "Nov 23 20:44:47 2026")
    for name, message in (recorded or {}).items():
        ledger.record(kind.label, name, ledger.fingerprint(message), kind.redact(message))
    return plan(kind, items, snapshot, ledger)


def test_plan_loads_what_is_missing_even_if_the_ledger_has_it(tmp_path):
    kind = RecordingKind()
    change, = _plan(kind, [Item("a", {"data": "s"})], {}, tmp_path, recorded={"a": {"data": "s"}})
    assert change.action == "load"
    assert change.reason == "not loaded"


def test_plan_trusts_a_matching_fingerprint(tmp_path):
    kind = RecordingKind()
    change, = _plan(kind, [Item("a", {"data": "s"})], {"a": {}}, tmp_path, recorded={"a": {"data": "s"}})
    assert change.action is None
    assert change.before == change.after == {"data": MASK}


def test_plan_reloads_on_another_fingerprint_and_masks_the_diff(tmp_path):
    kind = RecordingKind(unload_on=("dpd",))
    change, = _plan(kind, [Item("a", {"data": "new"})], {"a": {}}, tmp_path, recorded={"a": {"data": "old"}})
    assert change.action == "load"
    assert "old" not in json.dumps(change.before) and "new" not in json.dumps(change.after)
    reload, = _plan(kind, [Item("a", {"dpd": "30"})], {"a": {}}, tmp_path, recorded={"a": {"dpd": "10"}})
    assert reload.action == "reload"


def test_plan_reloads_on_drift_and_on_foreign_objects(tmp_path):
    drifting = RecordingKind(drift_reason="remote_addrs differ")
    change, = _plan(drifting, [Item("a", {"x": "1"})], {"a": {}}, tmp_path, recorded={"a": {"x": "1"}})
    assert change.action == "load" and "remote_addrs differ" in change.reason
    foreign, = _plan(RecordingKind(), [Item("a", {"x": "1"})], {"a": {"seen": "yes"}}, tmp_path)
    assert foreign.action == "load"
    assert foreign.before == {"seen": "yes"}


def test_plan_absent(tmp_path):
    kind = RecordingKind()
    gone, present = _plan(kind, [Item("gone", None), Item("here", None)], {"here": {}}, tmp_path)
    assert gone.action is None
    assert present.action == "unload"


def test_plan_before_is_empty_for_a_missing_object_even_with_a_ledger_entry(tmp_path):
    change, = _plan(RecordingKind(), [Item("a", {"x": "1"})], {}, tmp_path, recorded={"a": {"x": "1"}})
    assert change.before == {}


def test_plan_before_is_the_daemons_view_on_drift(tmp_path):
    drifting = RecordingKind(drift_reason="differs")
    change, = _plan(drifting, [Item("a", {"x": "1"})], {"a": {"x": "2"}}, tmp_path, recorded={"a": {"x": "1"}})
    assert change.before == {"x": "2"}


def test_one_ledger_per_socket_whatever_its_spelling(tmp_path):
    target = tmp_path / "charon.vici"
    target.write_text("")
    link = tmp_path / "link.vici"
    link.symlink_to(target)
    spellings = ["unix://%s" % target, str(target), "unix://%s" % link]
    assert len({Ledger.path_for(uri, str(tmp_path)) for uri in spellings}) == 1
    assert Ledger.path_for("tcp://127.0.0.1:4502", str(tmp_path)) != Ledger.path_for(str(target), str(tmp_path))


def test_a_new_socket_file_is_a_new_daemon_instance(tmp_path):
    """charon creates its socket anew at each start: that tells restarts apart exactly."""
    path = tmp_path / "charon.vici"
    path.write_text("")
    since = "Nov 23 20:44:47 2026"
    first = instance_identity("unix://%s" % path, since)
    assert same_instance(first, instance_identity(str(path), "Nov 23 20:44:48 2026"))
    path.unlink()
    path.write_text("")
    os.utime(str(path), ns=(1, 1))
    assert not same_instance(first, instance_identity("unix://%s" % path, since))
    # Over TCP (no socket file) the start time decides, with the daemon's jitter.
    assert instance_identity("tcp://127.0.0.1:4502", since) == since
