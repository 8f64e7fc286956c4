# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Plan and apply: desired versus actual state of daemon objects. PRIVATE to the collection.

The daemon reports only part of what it was given (list-conns has no
proposals, get-shared only ids, get-pools no attributes), and re-sending an
unchanged object is not harmless on strongSwan 6. So "changed" is decided from
three sources, in this order:

1. presence, from the daemon (get-conns, get-shared, ...): a missing object is
   always loaded, never a false "ok";
2. a *ledger* on the managed host: for every object we loaded, a keyed
   fingerprint of the exact message we sent and a redacted copy of it, valid
   only for the daemon instance it was written for (a restart voids it);
3. a conservative comparison of what the daemon does report (kind.drift):
   a certain difference means the object changed behind our back.

The same plan serves one object (the modules) or thousands (one call of
:func:`plan` with many items), one kind or a whole gateway (:func:`plan_groups`,
:func:`apply_groups`), in check mode (plan only) or for real.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Any, Dict, Iterable, List, NamedTuple, Optional, Sequence, Set, Tuple

from .canonical import canonical_text
from .kind import (
    ABSENT_ON_DAEMON,
    CHANGED_SECRET,
    NOT_OBSERVED,
    Action,
    Change,
    Item,
    Kind,
    Outcome,
    _copy_tree,
    _get,
    _set,
    secret_items,
    with_hint,
)
from .ledger import Ledger
from .parallel import MIN_ITEMS, first_failure, run_parallel
from .._text.printable import blobs_summarized
from .._text.secrets import MASK
from ..vici.errors import ViciCommandFailed, ViciError, ViciMessageTooLarge, ViciProtocolError, ViciTransportError, ViciUriError
from ..vici.session import Session


def _send_load(kind: Kind, session: Session, name: str, message: Mapping[str, Any]) -> Dict[str, Any]:
    try:
        return kind.send_load(session, name, message)
    except ViciCommandFailed as error:
        raise with_hint(error, kind.hint(session, name, message, error)) from None


def load_object(kind: Kind, session: Session, name: str, message: Mapping[str, Any],
                reported: Any = NOT_OBSERVED) -> Dict[str, Any]:
    """Load ``message`` as ``name``; ``reported`` is what the plan's snapshot held of it (Kind.kept_old_values)."""
    reply = _send_load(kind, session, name, message)
    # The unload below is safe: the daemon has just accepted this very message, the validation a reload
    # needs. Should the second load still fail, apply() asks the daemon (exists) and reports it.
    if kind.kept_old_values is not None and kind.kept_old_values(session, name, message, reported):
        unload_object(kind, session, name)
        reply = _send_load(kind, session, name, message)
    return reply


def unload_object(kind: Kind, session: Session, name: str) -> None:
    """Unload ``name``; the daemon's "not found" is done (the object is gone, which is what an unload wants)."""
    try:
        kind.send_unload(session, name)
    except ViciCommandFailed as error:
        if kind.not_found and error.errmsg == kind.not_found.format(name=name):
            return
        raise with_hint(error, kind.hint(session, name, None, error)) from None


class ApplyError(Exception):
    """Applying failed part-way: ``applied`` lists what was done before ``error``.

    ``outcome`` says what the daemon holds of the failed object: UNCHANGED
    (nothing of it changed), RESTORED (it was unloaded for the change and its
    previous message loaded back), ABSENT (unloaded, and not loaded back) or
    UNKNOWN (the connection was lost: the request may or may not have been
    carried out, and the daemon may have died).
    """

    def __init__(self, change: Change, error: ViciError, applied: List[Change], outcome: Outcome = Outcome.UNCHANGED) -> None:
        self.change = change
        self.error = error
        self.applied = applied
        self.outcome = outcome
        super().__init__(str(error))


def connection_lost(error: ViciError) -> bool:
    """Whether ``error`` leaves the daemon's state unknown: the connection broke, timed out or went out of step.

    A request refused before sending (too large, not encodable) and a daemon's answer (failed, unknown
    command) are not: the daemon's state is known.
    """
    if isinstance(error, (ViciUriError, ViciMessageTooLarge)):
        return False
    return isinstance(error, (ViciTransportError, ViciProtocolError))


def state_after_failure(what: str, failure: ApplyError) -> str:
    """What the daemon holds of the object after a failed change, when that is not obvious."""
    if failure.outcome is Outcome.UNKNOWN:
        return ("; the connection to the daemon was lost during this change: what the daemon holds now, of %s and "
                "of the rest of the run, is unknown (daemon_state: unknown). Check that the daemon runs, then run "
                "again" % what)
    if failure.outcome is Outcome.RESTORED:
        return ("; %s was unloaded for this change and its previous configuration was loaded back: the daemon runs "
                "the previous configuration" % what)
    if failure.outcome is Outcome.ABSENT:
        return "; %s was unloaded for this change and could not be loaded back: it is not loaded now" % what
    if failure.outcome is Outcome.UNCHANGED and failure.change.action == Action.RELOAD:
        return "; the new configuration was rejected before anything was unloaded: %s is unchanged" % what
    return ""


def _changed_secrets(kind: Kind, message: Mapping[str, Any], entry: Mapping[str, Any], ledger: Ledger) -> Optional[List[Tuple[str, ...]]]:
    """The secret paths whose value differs from the ledger's record, or None if the record does not say."""
    recorded = entry.get("secrets")
    if not isinstance(recorded, dict):
        return None
    changed = []
    for path, value in secret_items(message, kind.secret_paths):
        if recorded.get("/".join(path)) != ledger.fingerprint(value):
            changed.append(path)
    return changed


def _mark_changed(after: Dict[str, Any], paths: Iterable[Tuple[str, ...]]) -> Dict[str, Any]:
    marked: Dict[str, Any] = _copy_tree(after)
    for path in paths:
        if _get(marked, path) == MASK:
            _set(marked, path, CHANGED_SECRET)
    return marked


def plan(kind: Kind, items: Iterable[Item], snapshot: Mapping[str, Any], ledger: Ledger) -> List[Change]:
    """Decide, without touching the daemon, what each item needs."""
    changes = []
    for item in items:
        present = item.name in snapshot
        # The fingerprint first: it may adopt the key (and entries) another run just wrote.
        canonical = fingerprint = ""
        if not kind.presence_is_identity and item.message is not None:
            canonical = canonical_text(item.message)
            fingerprint = ledger.fingerprint_text(canonical)
        entry = None if kind.presence_is_identity else ledger.get(kind.label, item.name)
        before = _before(kind, item.name, snapshot, entry)
        if item.message is None:
            action: Optional[Action] = Action.UNLOAD if present else None
            changes.append(Change(item.name, action, "present" if present else "already absent", before, {}, "",
                                  reported=snapshot[item.name] if present else ABSENT_ON_DAEMON))
            continue
        redacted = kind.redact(item.message)
        after = unmarked = blobs_summarized(redacted)
        action = Action.LOAD
        if not present:
            reason = "not loaded"
        elif kind.presence_is_identity:
            action, reason = None, "loaded"
        elif entry is None:
            reason = "loaded, but not by this collection into this daemon instance"
        elif entry["fingerprint"] != fingerprint:
            action, reason, after = _differing(kind, item.message, entry, ledger, before, redacted, unmarked)
        else:
            why = kind.drift(item.name, item.message, snapshot[item.name])
            if why:
                reason = "changed on the daemon: %s" % why
                before = blobs_summarized(kind.describe_reported(item.name, snapshot[item.name]))
            else:
                action, reason = None, "up to date"
        changes.append(Change(item.name, action, reason, before, after, fingerprint, item.message, unmarked, canonical,
                              snapshot[item.name] if present else ABSENT_ON_DAEMON))
    return changes


def _before(kind: Kind, name: str, snapshot: Mapping[str, Any], entry: Optional[Mapping[str, Any]]) -> Dict[str, Any]:
    """What the daemon has: nothing if the object is missing (whatever the ledger says), else our last load
    if we know it (the ledger's ``entry``), else the daemon's report."""
    if name not in snapshot:
        return {}
    before: Dict[str, Any] = entry["message"] if entry is not None else blobs_summarized(
        kind.describe_reported(name, snapshot[name]))
    return before


def _differing(kind: Kind, message: Mapping[str, Any], entry: Mapping[str, Any], ledger: Ledger, before: Dict[str, Any],
               redacted: Mapping[str, Any], unmarked: Dict[str, Any]) -> Tuple[Action, str, Dict[str, Any]]:
    """(action, reason, after) for a loaded object whose ledger fingerprint differs from ``message``'s: a
    reload where the kind needs one, and the secrets that changed marked in ``after``."""
    action, reason, after = Action.LOAD, "configuration differs", unmarked
    changed = _changed_secrets(kind, message, entry, ledger)
    if changed is None and before == unmarked:
        # An older record without per-secret fingerprints: only a secret can differ.
        changed = [path for path, _value in secret_items(message, kind.secret_paths)]
    if changed:
        after = _mark_changed(unmarked, changed)
        if before == unmarked:
            reason = "secret value differs (%s)" % ", ".join(".".join(path) for path in changed)
    if kind.needs_unload(before, redacted):
        action = Action.RELOAD
    return action, reason, after


class _Failed(Exception):
    """A replacement failed; ``outcome`` says what the daemon holds of the object."""

    def __init__(self, error: ViciError, outcome: Outcome) -> None:
        super().__init__(str(error))
        self.error = error
        self.outcome = outcome


def remember(kind: Kind, ledger: Ledger, name: str, fingerprint: str, message: Mapping[str, Any],
             recorded: Optional[Mapping[str, Any]] = None, canonical: str = "") -> None:
    """Record a load in the ledger.

    ``recorded`` and ``canonical`` are the message as plan() redacted and summarized it, and its
    canonical text; each is computed here if not given.
    """
    if kind.presence_is_identity:
        return
    secret_fingerprints = {"/".join(path): ledger.fingerprint(value)
                           for path, value in (secret_items(message, kind.secret_paths) if kind.secret_paths else ())}
    restore_text = (canonical or canonical_text(message)) if kind.restorable and not kind.secret_paths else None
    ledger.record(kind.label, name, fingerprint, blobs_summarized(kind.redact(message)) if recorded is None else recorded,
                  secret_fingerprints or None, restore_text)


def _replace(kind: Kind, session: Session, change: Change, message: Mapping[str, Any], ledger: Ledger) -> Dict[str, Any]:
    """Unload and load ``change.name`` for a change the daemon applies only to new objects.

    Never unloads what cannot be replaced: the new message is validated first
    (kind.validate), and if the daemon still rejects it after the unload, the
    previous message (kept by the ledger) is loaded back.
    """
    previous_entry = ledger.get(kind.label, change.name)
    previous = ledger.restorable(kind.label, change.name)
    try:
        kind.validate(session, change.name, message)
        unload_object(kind, session, change.name)
    except ViciError as error:
        raise _Failed(error, Outcome.UNCHANGED) from None
    ledger.forget(kind.label, change.name)
    try:
        reply = load_object(kind, session, change.name, message, ABSENT_ON_DAEMON)
    except ViciError as error:
        if previous is None or previous_entry is None:
            raise _Failed(error, Outcome.ABSENT) from None
        try:
            load_object(kind, session, change.name, previous, ABSENT_ON_DAEMON)
        except ViciError:
            raise _Failed(error, Outcome.ABSENT) from None
        ledger.put(kind.label, change.name, previous_entry)
        raise _Failed(error, Outcome.RESTORED) from None
    remember(kind, ledger, change.name, change.fingerprint, message, change.recorded, change.canonical)
    return reply


def _outcome_of_failed_load(kind: Kind, session: Session, change: Change) -> Outcome:
    """A rejected load changes nothing, unless the kind's load had to unload (then ask the daemon)."""
    if not change.was_present:
        return Outcome.UNCHANGED
    try:
        exists = kind.exists(session, change.name)
    except ViciError:
        exists = None
    return Outcome.ABSENT if exists is False else Outcome.UNCHANGED


def apply(kind: Kind, session: Session, changes: Iterable[Change], ledger: Ledger, save: bool = True) -> List[Dict[str, Any]]:
    """Carry out planned changes in order, keeping the ledger in step.

    Returns the daemon's replies to the loads. On the first failure the ledger
    keeps what was applied and :class:`ApplyError` says what that was and what
    the daemon holds of the failed object. The ledger is saved in any case (unless
    ``save`` is False: the caller saves once for several kinds); a failure to save
    is a note on the ledger (``ledger.notes``), never an exception.
    """
    applied: List[Change] = []
    replies: List[Dict[str, Any]] = []
    changes = list(changes)
    if len(changes) >= MIN_ITEMS and all(change.action == Action.LOAD and not change.was_present for change in changes):
        try:
            return _load_new(kind, session, changes, ledger)
        finally:
            if save:
                ledger.save()
    try:
        for change in changes:
            if change.action is None:
                continue
            try:
                if change.action == Action.UNLOAD:
                    unload_object(kind, session, change.name)
                    ledger.forget(kind.label, change.name)
                elif change.action == Action.RELOAD:
                    replies.append(_replace(kind, session, change, change.message or {}, ledger))
                else:
                    message = change.message or {}
                    try:
                        replies.append(load_object(kind, session, change.name, message, change.reported))
                    except ViciError as error:
                        if connection_lost(error):  # nothing more to ask the daemon
                            raise _Failed(error, Outcome.UNKNOWN) from None
                        raise _Failed(error, _outcome_of_failed_load(kind, session, change)) from None
                    remember(kind, ledger, change.name, change.fingerprint, message, change.recorded, change.canonical)
            except _Failed as failure:
                outcome = Outcome.UNKNOWN if connection_lost(failure.error) else failure.outcome
                raise ApplyError(change, failure.error, applied, outcome) from None
            except ViciError as error:
                raise ApplyError(change, error, applied, Outcome.UNKNOWN if connection_lost(error) else Outcome.UNCHANGED) from None
            applied.append(change)
    finally:
        if save:
            ledger.save()
    return replies


def _load_new(kind: Kind, session: Session, changes: List[Change], ledger: Ledger) -> List[Dict[str, Any]]:
    """Loads of objects the daemon does not hold, over several sessions at once (:mod:`.parallel`).

    On a failure, :class:`ApplyError` names the first failed object in plan order and lists every object the
    daemon accepted (recorded in the ledger), which may include objects after the failed one.
    """
    outcomes = run_parallel(session, changes, lambda own, change: load_object(
        kind, own, change.name, change.message or {}, change.reported))
    applied: List[Change] = []
    replies: List[Dict[str, Any]] = []
    for change, (state, value) in zip(changes, outcomes):
        if state == "done":
            remember(kind, ledger, change.name, change.fingerprint, change.message or {}, change.recorded, change.canonical)
            applied.append(change)
            replies.append(value)
    failed = first_failure(outcomes)
    if failed is None:
        return replies
    error = outcomes[failed][1]
    if not isinstance(error, ViciError):
        raise error
    outcome = Outcome.UNKNOWN if connection_lost(error) else Outcome.UNCHANGED  # a new object: nothing to restore
    raise ApplyError(changes[failed], error, applied, outcome)


# -- several kinds as one ---------------------------------------------------------------------------
# A single-object module is the one-group case of a gateway: ViciModule.converge and the config run both
# call plan_groups and apply_groups. Groups are applied in the order given (loads), then in reverse order
# (unloads), so that credentials and pools load before the connections that use them and connections
# unload before the pools they used.


class Group(NamedTuple):
    """The desired objects of one daemon kind, from one tree section (or one module's arguments)."""

    section: str
    kind: Kind
    items: List[Item]
    #: Display name for each item name (a private key's section, for example), when it differs.
    labels: Dict[str, str]

    def label(self, name: str) -> str:
        return self.labels.get(name, name)


class Planned(NamedTuple):
    """A group with what the daemon held (``snapshot``) and what the plan decided for it."""

    group: Group
    snapshot: Dict[str, Any]
    changes: List[Change]


class Applied(NamedTuple):
    """One object changed on the daemon, as results list it (``applied``)."""

    section: str
    name: str
    action: str
    #: The daemon's reply to a load (None for an unload).
    reply: Optional[Dict[str, Any]] = None

    def as_result(self, with_section: bool = True) -> Dict[str, str]:
        shown = {"name": self.name, "action": self.action}
        if with_section:
            shown["section"] = self.section
        return shown


class GroupApplyError(Exception):
    """Applying failed part-way: ``failure`` is the kind's error, ``done`` what every group applied before."""

    def __init__(self, group: Group, failure: ApplyError, done: List[Applied]) -> None:
        self.where = "%s '%s'" % (group.section, group.label(failure.change.name))
        super().__init__("%s: %s" % (self.where, failure.error))
        self.group = group
        self.failure = failure
        self.done = done


def failure_changed(failure: GroupApplyError) -> bool:
    """Whether a failed apply changed the daemon (``changed`` of the failed run).

    True when anything was applied before the failure, when the failed object was unloaded and not loaded
    back, or when the connection was lost (the request was sent; the daemon may have carried it out).
    """
    return bool(failure.done) or failure.failure.outcome in (Outcome.ABSENT, Outcome.UNKNOWN)


class Adoption(Enum):
    """What the plan may conclude about objects the ledger does not know, before it decides (see persist)."""

    NONE = "none"  # the ledger decides alone
    ADOPT_PRESENT = "adopt"  # present objects of the groups were loaded from our own file: record them as ours
    FORGET_RECORDED = "forget"  # our file was edited: forget our records of the groups' objects (they reload)


def adopt(ledger: Ledger, group: Group, snapshot: Mapping[str, Any]) -> int:
    """Record present objects that have no ledger entry as ours (the daemon loaded our persisted file).

    Only used when the persisted file shows that this daemon instance started after the file was written
    and the file is unchanged. The drift check still runs on every adopted object.
    """
    if group.kind.presence_is_identity:
        return 0
    count = 0
    for item in group.items:
        if item.message is not None and item.name in snapshot and ledger.get(group.kind.label, item.name) is None:
            canonical = canonical_text(item.message)
            remember(group.kind, ledger, item.name, ledger.fingerprint_text(canonical), item.message, canonical=canonical)
            count += 1
    return count


def distrust(ledger: Ledger, group: Group) -> None:
    """Forget our entries for a group's objects: they are reloaded (the persisted file was edited by hand)."""
    for item in group.items:
        if ledger.get(group.kind.label, item.name) is not None:
            ledger.entries.pop("%s/%s" % (group.kind.label, item.name), None)


def plan_groups(session: Session, groups: Sequence[Group], ledger: Ledger, purge: bool = False,
                adoption: Adoption = Adoption.NONE) -> List[Planned]:
    """Read each kind once and plan every group (with purges). Sends read-only commands only."""
    planned = []
    for group in groups:
        if group.kind.preflight is not None:
            group.kind.preflight(session, group.items)
        snapshot = group.kind.snapshot(session)
        if adoption is Adoption.ADOPT_PRESENT:
            adopt(ledger, group, snapshot)
        elif adoption is Adoption.FORGET_RECORDED:
            distrust(ledger, group)
        changes = plan(group.kind, group.items, snapshot, ledger)
        if purge and group.kind.purgeable:
            changes.extend(purge_changes(group, snapshot))
        planned.append(Planned(group, snapshot, changes))
    return planned


def purge_changes(group: Group, snapshot: Mapping[str, Any]) -> List[Change]:
    """Unloads for every object of the group's kind that the daemon holds and the group does not name."""
    wanted = {item.name for item in group.items}
    changes = []
    for name in sorted(snapshot):
        if name in wanted:
            continue
        before = blobs_summarized(group.kind.describe_reported(name, snapshot[name]))
        changes.append(Change(name, Action.UNLOAD, "not in the tree (purge)", before, {}, "", reported=snapshot[name]))
    return changes


def apply_groups(session: Session, planned: Sequence[Planned], ledger: Ledger) -> List[Applied]:
    """Carry out the plan: loads in group order, then unloads in reverse group order; save the ledger once.

    Stops at the first daemon error (:class:`GroupApplyError`); the ledger keeps exactly what was applied.
    """
    loads = [(entry, [change for change in entry.changes if change.action in (Action.LOAD, Action.RELOAD)])
             for entry in planned]
    unloads = [(entry, [change for change in entry.changes if change.action == Action.UNLOAD])
               for entry in reversed(planned)]
    done: List[Applied] = []
    kept: Dict[int, Set[str]] = {}
    try:
        for entry, changes in loads + unloads:
            _apply_group(session, entry.group, changes, ledger, kept.setdefault(id(entry), set()), done)
    finally:
        ledger.save()
    return done


def _apply_group(session: Session, group: Group, changes: List[Change], ledger: Ledger, kept: Set[str],
                 done: List[Applied]) -> None:
    # Objects the daemon named anew in this run's loads (Kind.after_load) are never purged right after.
    changes = [change for change in changes if change.action != Action.UNLOAD or change.name not in kept]
    if not changes:
        return
    try:
        replies = apply(group.kind, session, changes, ledger, save=False)
    except ApplyError as failure:
        done.extend(_applied(group, failure.applied))
        raise GroupApplyError(group, failure, done) from None
    loaded = [change for change in changes if change.action in (Action.LOAD, Action.RELOAD)]
    if group.kind.after_load is not None:
        for change, reply in zip(loaded, replies):
            name = group.kind.after_load(change, reply)
            if name is not None:
                kept.add(name)
    by_name = {change.name: reply for change, reply in zip(loaded, replies)}
    done.extend(_applied(group, changes, by_name))


def _applied(group: Group, changes: Sequence[Change], replies: Optional[Mapping[str, Dict[str, Any]]] = None) -> List[Applied]:
    return [Applied(group.section, group.labels.get(change.name, change.name),
                    getattr(change.action, "value", change.action) or "none",
                    (replies or {}).get(change.name)) for change in changes]
