# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The desired-state engine: ledger, fingerprints, masking and the plan, without a daemon."""

from __future__ import annotations

import json
import multiprocessing
import os
import stat

import pytest

from ansible_collections.strongswan.vici.plugins.module_utils._text.printable import blobs_summarized
from ansible_collections.strongswan.vici.plugins.module_utils._engine.canonical import (
    canonical_text,
    from_canonical_data,
    to_canonical_data,
)
from ansible_collections.strongswan.vici.plugins.module_utils._engine.identity import instance_identity, same_instance
from ansible_collections.strongswan.vici.plugins.module_utils._engine.ledger import (
    LEDGER_DIR_ENV,
    Ledger,
    LedgerError,
    dump_document,
    load_document,
)
from ansible_collections.strongswan.vici.plugins.module_utils._text.secrets import MASK
from ansible_collections.strongswan.vici.plugins.module_utils._engine.kind import (
    CHANGED_SECRET,
    Item,
    Kind,
    Outcome,
    mask_paths,
    with_hint,
)
from ansible_collections.strongswan.vici.plugins.module_utils._engine.plan import ApplyError, apply, load_object, plan, unload_object
from ansible_collections.strongswan.vici.plugins.module_utils.vici.errors import ViciCommandFailed
from ansible_collections.strongswan.vici.plugins.module_utils.vici.transport import parse_uri

ABSENT, RESTORED, UNCHANGED = Outcome.ABSENT, Outcome.RESTORED, Outcome.UNCHANGED


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


def test_canonical_text_keeps_order_and_tells_bytes_from_text():
    assert canonical_text({"a": 1, "b": 2}) != canonical_text({"b": 2, "a": 1})
    assert canonical_text({"a": b"x"}) != canonical_text({"a": "x"})
    assert canonical_text({"a": ["1", "2"]}) == canonical_text({"a": ("1", "2")})


def test_mask_paths_masks_only_secrets_and_copies():
    message = {"id": "s", "data": "hunter2", "nested": {"pin": "1234", "keep": "x"}}
    masked = mask_paths(message, [("data",), ("nested", "pin"), ("absent",)])
    assert masked == {"id": "s", "data": MASK, "nested": {"pin": MASK, "keep": "x"}}
    assert message["data"] == "hunter2", "the original must not be modified"


def test_mask_paths_masks_every_alias_of_a_shared_section():
    shared = {"pin": "1234"}
    message = {"nested": shared, "alias": shared, "list": [shared]}
    masked = mask_paths(message, [("nested", "pin")])
    assert masked == {"nested": {"pin": MASK}, "alias": {"pin": MASK}, "list": [{"pin": MASK}]}
    assert shared == {"pin": "1234"}, "the original must not be modified"


def test_mask_paths_wildcard():
    masked = mask_paths({"a": {"secret": "1"}, "b": {"secret": "2", "other": "3"}}, [("*", "secret")])
    assert masked == {"a": {"secret": MASK}, "b": {"secret": MASK, "other": "3"}}


def test_printable_describes_blobs_without_their_content():
    shown = blobs_summarized({"data": b"\x00" * 40})
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


def test_ledger_save_keeps_what_the_file_holds_and_the_runs_updates(tmp_path):
    path = str(tmp_path / "ledger.json")
    first = Ledger(path, "Nov 23 20:44:47 2026")
    for name in ("a", "b"):
        first.record("thing", name, first.fingerprint({"v": name}), {"v": name})
    assert first.save()
    run = Ledger(path, "Nov 23 20:44:47 2026")
    run.entries.pop("thing/a")  # forgotten in memory only (plan.distrust): the file keeps it
    run.record("thing", "c", run.fingerprint({"v": "c"}), {"v": "c"})
    assert run.save()
    run.forget("thing", "b")  # a second save in the same run
    assert run.save()
    final = Ledger(path, "Nov 23 20:44:47 2026")
    assert [final.get("thing", name) is not None for name in "abc"] == [True, False, True]
    assert final.generation == run.generation


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
    assert len({Ledger.path_for(parse_uri(uri), str(tmp_path)) for uri in spellings}) == 1
    assert (Ledger.path_for(parse_uri("tcp://127.0.0.1:4502"), str(tmp_path))
            != Ledger.path_for(parse_uri(str(target)), str(tmp_path)))


def test_a_new_socket_file_is_a_new_daemon_instance(tmp_path):
    """charon creates its socket anew at each start: that tells restarts apart exactly."""
    path = tmp_path / "charon.vici"
    path.write_text("")
    since = "Nov 23 20:44:47 2026"
    first = instance_identity(parse_uri("unix://%s" % path), since)
    assert same_instance(first, instance_identity(parse_uri(str(path)), "Nov 23 20:44:48 2026"))
    path.unlink()
    path.write_text("")
    os.utime(str(path), ns=(1, 1))
    assert not same_instance(first, instance_identity(parse_uri("unix://%s" % path), since))
    # Over TCP (no socket file) the start time decides, with the daemon's jitter.
    assert instance_identity(parse_uri("tcp://127.0.0.1:4502"), since) == since


# -- damaged ledgers mean "unknown" (issue 9, item 4) -----------------------------


INSTANCE = "Nov 23 20:44:47 2026"


def _saved_ledger(path, entries):
    ledger = Ledger(str(path), INSTANCE)
    ledger.fingerprint({})
    ledger.save()
    data = load_document(path.read_bytes())
    data["entries"] = entries
    path.write_bytes(dump_document(data))


def test_ill_formed_entries_are_unknown_not_a_crash(tmp_path):
    path = tmp_path / "ledger.json"
    _saved_ledger(path, {"thing/a": {"fingerprint": "x", "message": "str"}, "thing/b": "nonsense",
                         "thing/c": {"fingerprint": 1, "message": {}}})
    ledger = Ledger(str(path), INSTANCE)
    for name in "abc":
        assert ledger.get("thing", name) is None
    assert [note for note in ledger.notes if "ill-formed entry" in note] == [
        "the ledger %s has an ill-formed entry for thing/%s, ignored: it is reloaded" % (path, name) for name in "abc"]
    kind = RecordingKind(unload_on=("dpd",))
    change, = plan(kind, [Item("a", {"data": "s"})], {"a": {"seen": "yes"}}, ledger)
    assert change.action == "load" and change.reason.startswith("loaded, but not by this collection")


@pytest.mark.parametrize("content", ['{"version": 1, "entries": []}', '{"version": 1, "key": "zz"}', "[1]", "\xff",
                                     "[" * 100000])
def test_ill_formed_files_are_unknown(tmp_path, content):
    path = tmp_path / "ledger.json"
    path.write_bytes(content.encode("latin-1"))
    ledger = Ledger(str(path), INSTANCE)
    assert ledger.entries == {} and ledger.note
    change, = plan(RecordingKind(), [Item("a", {"x": "1"})], {"a": {}}, ledger)
    assert change.action == "load"


def test_a_ledger_or_lock_that_is_a_directory_is_a_note_not_an_exception(tmp_path):
    path = tmp_path / "ledger.json"
    path.mkdir()
    ledger = Ledger(str(path), INSTANCE)
    assert "not a regular file" in ledger.note
    ledger.record("thing", "a", ledger.fingerprint({}), {})
    assert ledger.save() is False
    assert "nothing is recorded" in ledger.note or "could not be saved" in ledger.note
    other = tmp_path / "other.json"
    (tmp_path / "other.json.lock").mkdir()
    ledger = Ledger(str(other), INSTANCE)
    ledger.record("thing", "a", ledger.fingerprint({}), {})
    assert ledger.save() is False and ledger.note


def test_save_failure_after_apply_is_a_note(tmp_path):
    path = tmp_path / "ledger.json"
    ledger = Ledger(str(path), INSTANCE)
    kind = DictKind()
    items = {"a": Item("a", {"x": "1"})}
    changes = plan(kind, items.values(), {}, ledger)
    (tmp_path / "ledger.json.lock").unlink()
    (tmp_path / "ledger.json.lock").mkdir()
    apply(kind, None, changes, ledger)
    assert kind.objects == {"a": {"x": "1"}}
    assert "could not be saved" in ledger.note


# -- trust (issue 9, item 6) --------------------------------------------------------


def test_a_ledger_writable_by_others_is_not_trusted_and_fixed(tmp_path):
    path = tmp_path / "ledger.json"
    ledger = Ledger(str(path), INSTANCE)
    ledger.record("thing", "a", ledger.fingerprint({}), {})
    ledger.save()
    os.chmod(str(path), 0o666)
    # Check mode: not believed, not written.
    looked = Ledger(str(path), INSTANCE, read_only=True)
    assert looked.get("thing", "a") is None and "writable by group or others" in looked.note
    looked.fingerprint({})
    assert stat.S_IMODE(os.stat(str(path)).st_mode) == 0o666
    # A real run replaces it with a private file: a chmod alone would make a tampered content trusted.
    again = Ledger(str(path), INSTANCE)
    assert again.get("thing", "a") is None
    assert "writable by group or others" in again.note and "replaced" in again.note
    again.fingerprint({})
    assert stat.S_IMODE(os.stat(str(path)).st_mode) == 0o600
    assert Ledger(str(path), INSTANCE).get("thing", "a") is None
    ledger.record("thing", "a", ledger.fingerprint({}), {})
    ledger.save()
    # Readable by others only: trusted (nobody else could write it), but tightened.
    os.chmod(str(path), 0o644)
    readable = Ledger(str(path), INSTANCE)
    assert readable.get("thing", "a") is not None and "readable by group or others" in readable.note
    assert stat.S_IMODE(os.stat(str(path)).st_mode) == 0o600


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give the file away")
def test_a_ledger_owned_by_another_user_is_not_trusted(tmp_path):
    path = tmp_path / "ledger.json"
    ledger = Ledger(str(path), INSTANCE)
    ledger.record("thing", "a", ledger.fingerprint({}), {})
    ledger.save()
    os.chown(str(path), 65534, 65534)
    again = Ledger(str(path), INSTANCE)
    assert again.get("thing", "a") is None and "owned by uid 65534" in again.note


def test_a_directory_writable_by_others_is_not_trusted(tmp_path):
    directory = tmp_path / "shared"
    directory.mkdir()
    path = directory / "ledger.json"
    ledger = Ledger(str(path), INSTANCE)
    ledger.record("thing", "a", ledger.fingerprint({}), {})
    ledger.save()
    os.chmod(str(directory), 0o777)
    again = Ledger(str(path), INSTANCE)
    assert again.get("thing", "a") is None and "not trusted" in again.note
    again.record("thing", "b", again.fingerprint({}), {})
    assert again.save() is False
    assert "thing/b" not in path.read_text()


def test_symbolic_links_are_never_followed(tmp_path):
    target = tmp_path / "target"
    target.write_text("precious")
    path = tmp_path / "ledger.json"
    os.symlink(str(target), str(path) + ".lock")
    ledger = Ledger(str(path), INSTANCE)
    ledger.record("thing", "a", ledger.fingerprint({}), {})
    assert ledger.save() is False
    assert target.read_text() == "precious"
    # A dangling lock link does not create its target either.
    os.unlink(str(path) + ".lock")
    os.symlink(str(tmp_path / "created"), str(path) + ".lock")
    ledger = Ledger(str(path), INSTANCE)
    ledger.fingerprint({})
    assert not (tmp_path / "created").exists()
    # A ledger that is a link is not read.
    good = tmp_path / "good"
    good.mkdir()
    real = Ledger(str(good / "ledger.json"), INSTANCE)
    real.record("thing", "a", real.fingerprint({}), {})
    real.save()
    os.unlink(str(path) + ".lock")
    os.symlink(str(good / "ledger.json"), str(path))
    linked = Ledger(str(path), INSTANCE)
    assert linked.get("thing", "a") is None and "symbolic link" in linked.note


def test_no_predictable_fallback_and_a_warning_for_an_unusable_directory(tmp_path, monkeypatch):
    from ansible_collections.strongswan.vici.plugins.module_utils._engine import ledger as _ledger
    blocked = tmp_path / "file"
    blocked.write_text("")
    monkeypatch.setattr(_ledger, "DEFAULT_LEDGER_DIRS", (str(blocked / "a"), str(blocked / "b")))
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    monkeypatch.setenv(LEDGER_DIR_ENV, str(blocked / "env"))
    with pytest.raises(LedgerError) as failure:
        _ledger.locate(parse_uri("unix:///run/x.vici"))
    assert LEDGER_DIR_ENV in str(failure.value) and str(blocked / "env") in str(failure.value)
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    path, notes = _ledger.locate(parse_uri("unix:///run/x.vici"))
    assert path.startswith(str(runtime / "strongswan-vici") + "/")
    assert stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode) == 0o700
    assert len(notes) == 1 and LEDGER_DIR_ENV in notes[0] and str(blocked / "env") in notes[0]
    # A shared directory the user named is never chmod-ed, only refused.
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(str(shared), 0o1777)
    monkeypatch.setenv(LEDGER_DIR_ENV, str(shared))
    path, notes = _ledger.locate(parse_uri("unix:///run/x.vici"))
    assert not path.startswith(str(shared)) and "writable by group or others" in notes[0]
    assert stat.S_IMODE(os.stat(str(shared)).st_mode) == 0o1777


def test_check_mode_ledger_writes_nothing(tmp_path):
    path = tmp_path / "ledger.json"
    ledger = Ledger(str(path), INSTANCE, read_only=True)
    ledger.fingerprint({"x": "1"})
    ledger.record("thing", "a", "f", {})
    ledger.save()
    assert list(tmp_path.iterdir()) == []


# -- concurrent first runs share one key (issue 9, item 2) --------------------------


def _first_run(path, name, barrier):
    barrier.wait(10)
    ledger = Ledger(path, INSTANCE)
    ledger.record("thing", name, ledger.fingerprint({"name": name}), {"name": name})
    ledger.save()


def test_concurrent_first_runs_keep_every_entry(tmp_path):
    path = str(tmp_path / "ledger.json")
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(20)
    workers = [context.Process(target=_first_run, args=(path, "n%d" % number, barrier)) for number in range(20)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert [worker.exitcode for worker in workers] == [0] * 20
    final = Ledger(path, INSTANCE)
    for number in range(20):
        entry = final.get("thing", "n%d" % number)
        assert entry is not None, number
        assert entry["fingerprint"] == final.fingerprint({"name": "n%d" % number})


# -- restorable copies, replacements that fail (issue 9, item 1) --------------------


def test_restorable_messages_round_trip_losslessly():
    message = {"b": "1", "a": [b"\x00\xff", "x"], "children": {"z": {"k": "v"}, "y": {}}}
    decoded = from_canonical_data(json.loads(json.dumps(to_canonical_data(message), sort_keys=True)))
    assert decoded == message and list(decoded) == ["b", "a", "children"]
    assert list(decoded["children"]) == ["z", "y"] and isinstance(decoded["a"][0], bytes)
    with pytest.raises(ValueError):
        from_canonical_data({"plain": "dict"})


class DictKind(Kind):
    """A daemon that is a dict; ``reject`` is a predicate on messages the daemon refuses."""

    label = "thing"
    restorable = True

    def __init__(self, reject=lambda message: False, reject_validation=None, unload_on=("dpd",)):
        self.objects = {}
        self.reject = reject
        self.reject_validation = reject if reject_validation is None else reject_validation
        self.unload_on = unload_on
        self.calls = []

    def snapshot(self, session):
        return {name: {} for name in self.objects}

    def needs_unload(self, previous, message):
        return any(previous.get(key) != message.get(key) for key in self.unload_on)

    def validate(self, session, name, message):
        self.calls.append(("validate", name))
        if self.reject_validation(message):
            raise ViciCommandFailed("load-thing", {"success": "no", "errmsg": "rejected"})

    def send_load(self, session, name, message):
        self.calls.append(("load", name))
        if self.reject(message):
            raise ViciCommandFailed("load-thing", {"success": "no", "errmsg": "rejected"})
        self.objects[name] = dict(message)
        return {"success": "yes"}

    def send_unload(self, session, name):
        self.calls.append(("unload", name))
        self.objects.pop(name, None)


def _converge(kind, ledger, message):
    items = {"a": Item("a", message)}
    return apply(kind, None, plan(kind, items.values(), kind.snapshot(None), ledger), ledger)


def test_a_rejected_replacement_unloads_nothing(tmp_path):
    ledger = Ledger(str(tmp_path / "ledger.json"), INSTANCE)
    kind = DictKind(reject=lambda message: message.get("mode") == "bogus")
    _converge(kind, ledger, {"dpd": "10"})
    kind.calls.clear()
    with pytest.raises(ApplyError) as failure:
        _converge(kind, ledger, {"dpd": "20", "mode": "bogus"})
    assert failure.value.outcome == UNCHANGED and failure.value.change.action == "reload"
    assert kind.calls == [("validate", "a")]
    assert kind.objects == {"a": {"dpd": "10"}}
    change, = plan(kind, [Item("a", {"dpd": "10"})], kind.snapshot(None), Ledger(str(tmp_path / "ledger.json"), INSTANCE))
    assert change.action is None


def test_a_replacement_rejected_after_the_unload_loads_the_previous_message_back(tmp_path):
    path = str(tmp_path / "ledger.json")
    kind = DictKind(reject=lambda message: message.get("mode") == "late", reject_validation=lambda message: False)
    _converge(kind, Ledger(path, INSTANCE), {"dpd": "10", "blob": b"\x01"})
    with pytest.raises(ApplyError) as failure:
        _converge(kind, Ledger(path, INSTANCE), {"dpd": "20", "mode": "late"})
    assert failure.value.outcome == RESTORED
    assert kind.objects == {"a": {"dpd": "10", "blob": b"\x01"}}
    # The ledger still describes what the daemon runs: the next run is "up to date".
    change, = plan(kind, [Item("a", {"dpd": "10", "blob": b"\x01"})], kind.snapshot(None), Ledger(path, INSTANCE))
    assert change.action is None


def test_a_replacement_without_a_restorable_copy_says_the_object_is_gone(tmp_path):
    path = str(tmp_path / "ledger.json")
    kind = DictKind(reject=lambda message: message.get("mode") == "late", reject_validation=lambda message: False)
    kind.restorable = False
    _converge(kind, Ledger(path, INSTANCE), {"dpd": "10"})
    with pytest.raises(ApplyError) as failure:
        _converge(kind, Ledger(path, INSTANCE), {"dpd": "20", "mode": "late"})
    assert failure.value.outcome == ABSENT and kind.objects == {}
    assert Ledger(path, INSTANCE).get("thing", "a") is None


def test_a_tampered_restorable_copy_is_not_loaded(tmp_path):
    path = tmp_path / "ledger.json"
    kind = DictKind()
    _converge(kind, Ledger(str(path), INSTANCE), {"dpd": "10"})
    data = load_document(path.read_bytes())
    assert Ledger(str(path), INSTANCE).restorable("thing", "a") == {"dpd": "10"}
    data["entries"]["thing/a"]["restore"] = json.dumps(to_canonical_data({"dpd": "10", "evil": "yes"}))
    path.write_bytes(dump_document(data))
    assert Ledger(str(path), INSTANCE).restorable("thing", "a") is None
    data["entries"]["thing/a"]["restore"] = "[" * 100000
    path.write_bytes(dump_document(data))
    assert Ledger(str(path), INSTANCE).restorable("thing", "a") is None


def test_the_restore_copy_is_the_text_the_fingerprint_was_computed_from(tmp_path):
    path = tmp_path / "ledger.json"
    message = {"dpd": "10", "blob": b"\x01", "rounds": {"local-1": {"auth": "psk"}}, "list": ["b", "a"]}
    _converge(DictKind(), Ledger(str(path), INSTANCE), message)
    entry = load_document(path.read_bytes())["entries"]["thing/a"]
    ledger = Ledger(str(path), INSTANCE)
    assert entry["restore"] == canonical_text(message)
    assert entry["fingerprint"] == ledger.fingerprint_text(entry["restore"]) == ledger.fingerprint(message)
    assert ledger.restorable("thing", "a") == message


def test_a_ledger_of_version_2_is_still_believed_and_saved_as_lines(tmp_path):
    path = tmp_path / "ledger.json"
    kind = DictKind()
    _converge(kind, Ledger(str(path), INSTANCE), {"dpd": "10"})
    data = load_document(path.read_bytes())
    assert data["version"] == 3
    # What an earlier build wrote: one JSON document, the same entries and fingerprints.
    path.write_text(json.dumps(dict(data, version=2)))
    ledger = Ledger(str(path), INSTANCE)
    change, = plan(kind, [Item("a", {"dpd": "10"})], kind.snapshot(None), ledger)
    assert change.action is None and ledger.note == ""
    ledger.record("thing", "b", "f" * 64, {"x": "1"})
    assert ledger.save()
    assert load_document(path.read_bytes()) == dict(data, entries=dict(data["entries"], **{
        "thing/b": {"fingerprint": "f" * 64, "message": {"x": "1"}}}))


def test_a_save_keeps_the_lines_of_entries_it_did_not_touch_as_they_were(tmp_path):
    path = tmp_path / "ledger.json"
    ledger = Ledger(str(path), INSTANCE)
    ledger.fingerprint({})  # makes the key
    names = ["a", "b\tc", "d\ne", 'f"g', "h\\i", "\u00e9t\u00e9"]
    for number, name in enumerate(names):
        restore = canonical_text({"n": str(number)})
        ledger.record("thing", name, ledger.fingerprint_text(restore), {"n": str(number)}, restore_text=restore)
    assert ledger.save()
    before = path.read_bytes().split(b"\n")
    assert len(before) == len(names) + 2 and before[-1] == b""
    again = Ledger(str(path), INSTANCE)
    assert all(isinstance(entry, str) for entry in again.entries.values())  # nothing parsed yet
    again.record("thing", "a", "e" * 64, {"n": "changed"})
    assert again.save()
    after = path.read_bytes().split(b"\n")
    assert [line for line in after if line not in before] == [after[1]] and after[1].startswith(b'"thing/a"\t')
    assert all(isinstance(again.entries[key], str) for key in again.entries if key != "thing/a")
    third = Ledger(str(path), INSTANCE)
    for number, name in enumerate(names[1:], 1):
        assert third.get("thing", name)["message"] == {"n": str(number)}
        assert third.restorable("thing", name) == {"n": str(number)}
    assert third.get("thing", "a")["message"] == {"n": "changed"} and third.note == ""


@pytest.mark.parametrize("line", [b"no tab here", b'"thing/x"\t{"fingerprint": 1}', b'"thing/x"\tnot json',
                                  b'["thing/x"]\t{}', b"\t", b'"thing/x"\t' + b"[" * 100000])
def test_ill_formed_lines_are_unknown_entries_and_the_rest_holds(tmp_path, line):
    path = tmp_path / "ledger.json"
    kind = DictKind()
    _converge(kind, Ledger(str(path), INSTANCE), {"dpd": "10"})
    path.write_bytes(path.read_bytes() + line + b"\n")
    ledger = Ledger(str(path), INSTANCE)
    assert ledger.get("thing", "x") is None
    change, = plan(kind, [Item("a", {"dpd": "10"})], kind.snapshot(None), ledger)
    assert change.action is None


def test_a_ledger_of_the_previous_format_is_unknown_and_everything_reloads(tmp_path):
    path = tmp_path / "ledger.json"
    kind = DictKind()
    _converge(kind, Ledger(str(path), INSTANCE), {"dpd": "10"})
    data = load_document(path.read_bytes())
    data["version"] = 1  # fingerprints over another encoding: they would never match again
    path.write_text(json.dumps(data))
    ledger = Ledger(str(path), INSTANCE)
    assert ledger.entries == {} and "unknown format" in ledger.note
    change, = plan(kind, [Item("a", {"dpd": "10"})], kind.snapshot(None), ledger)
    assert change.action == "load" and change.reason.startswith("loaded, but not by this collection")


# -- a changed secret shows in the diff (issue 9, item 13) ---------------------------


def test_a_changed_secret_is_marked_in_the_diff(tmp_path):
    path = str(tmp_path / "ledger.json")
    kind = DictKind()
    kind.secret_paths = (("data",), ("*", "pin"))
    kind.restorable = False
    _converge(kind, Ledger(path, INSTANCE), {"id": "x", "data": "old", "tok": {"pin": "1"}})
    change, = plan(kind, [Item("a", {"id": "x", "data": "new", "tok": {"pin": "1"}})], kind.snapshot(None),
                   Ledger(path, INSTANCE))
    assert change.action == "load" and change.reason == "secret value differs (data)"
    assert change.before == {"id": "x", "data": MASK, "tok": {"pin": MASK}}
    assert change.after == {"id": "x", "data": CHANGED_SECRET, "tok": {"pin": MASK}}
    assert "old" not in json.dumps(change) and "new" not in json.dumps(change.after)
    assert "old" not in open(path).read()
    # Another field changed as well: the secret is still marked.
    both, = plan(kind, [Item("a", {"id": "y", "data": "x", "tok": {"pin": "2"}})], kind.snapshot(None),
                 Ledger(path, INSTANCE))
    assert both.reason == "configuration differs"
    assert both.after == {"id": "y", "data": CHANGED_SECRET, "tok": {"pin": CHANGED_SECRET}}


def test_a_changed_secret_without_per_secret_fingerprints_is_marked(tmp_path):
    kind = RecordingKind()
    change, = _plan(kind, [Item("a", {"data": "new"})], {"a": {}}, tmp_path, recorded={"a": {"data": "old"}})
    assert change.after == {"data": CHANGED_SECRET} and change.before == {"data": MASK}


class CommandKind(Kind):
    """A kind whose daemon commands fail with the errmsg given, to exercise the shared load and unload."""

    label = "thing"
    not_found = "thing '{name}' not found"

    def __init__(self, errmsg):
        self.errmsg = errmsg

    def _refuse(self, command):
        raise ViciCommandFailed(command, {"success": "no", "errmsg": self.errmsg})

    def send_load(self, session, name, message):
        self._refuse("load-thing")

    def send_unload(self, session, name):
        self._refuse("unload-thing")

    def hint(self, session, name, message, error):
        return " (while %s %s)" % ("unloading" if message is None else "loading", name)


def test_with_hint_appends_to_the_errmsg_and_keeps_the_rest():
    error = ViciCommandFailed("load-thing", {"success": "no", "errmsg": "no", "extra": "1"}, [{"log": "x"}])
    hinted = with_hint(error, " (why)")
    assert hinted.errmsg == "no (why)" and hinted.command == "load-thing"
    assert hinted.response["extra"] == "1" and hinted.events == [{"log": "x"}]
    assert with_hint(error, "") is error


def test_unload_of_an_object_that_is_gone_is_done():
    unload_object(CommandKind("thing 'a' not found"), None, "a")
    with pytest.raises(ViciCommandFailed) as raised:
        unload_object(CommandKind("thing 'b' not found"), None, "a")
    assert raised.value.errmsg == "thing 'b' not found (while unloading a)"


def test_a_refused_load_carries_the_kinds_hint():
    with pytest.raises(ViciCommandFailed) as raised:
        load_object(CommandKind("bad"), None, "a", {})
    assert raised.value.errmsg == "bad (while loading a)" and raised.value.command == "load-thing"


def test_changes_carry_their_message_and_its_redacted_form(tmp_path):
    ledger = Ledger(str(tmp_path / "ledger.json"), INSTANCE)
    kind = RecordingKind()
    message = {"data": "secret", "x": "1"}
    change = plan(kind, [Item("a", message)], {}, ledger)[0]
    assert change.message is message and change.recorded == {"data": MASK, "x": "1"}
