# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Desired versus actual state of daemon objects. PRIVATE to the collection.

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
:func:`plan` with many items), in check mode (plan only) or for real.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, Dict, Iterable, List, NamedTuple, Optional, Sequence, Tuple

from .canonical import canonical_text
from .ledger import Ledger
from .._text.secrets import MASK
from .._text.printable import blobs_summarized
from ..vici.errors import ViciCommandFailed, ViciError
from ..vici.session import Session

# How a diff shows a secret whose value changed (the masked copies are equal).
CHANGED_SECRET = MASK + " (changed)"

# What the daemon holds after a failed change (ApplyError.outcome).
UNCHANGED = "unchanged"  # nothing of this object was changed
RESTORED = "restored"  # it was unloaded for the change, and its previous message loaded back
ABSENT = "absent"  # it was unloaded for the change and could not be loaded back


def _copy_tree(value: Any, memo: Optional[Dict[int, Any]] = None) -> Any:
    """A deep copy of message data, much faster than copy.deepcopy on big trees.

    Like deepcopy it keeps shared containers shared (masking one path masks every alias of it); types other
    than dict and list go through deepcopy.
    """
    kind = type(value)
    if kind in (str, bytes, int, bool, float) or value is None:
        return value
    if memo is None:
        memo = {}
    if id(value) in memo:
        return memo[id(value)]
    if kind is dict:
        copied: Any = {}
        memo[id(value)] = copied
        for key, item in value.items():
            copied[key] = _copy_tree(item, memo)
    elif kind is list:
        copied = []
        memo[id(value)] = copied
        copied.extend(_copy_tree(item, memo) for item in value)
    else:
        copied = copy.deepcopy(value)
        memo[id(value)] = copied
    return copied


def mask_paths(message: Mapping[str, Any], secret_paths: Iterable[Tuple[str, ...]]) -> Dict[str, Any]:
    """A deep copy of ``message`` with the values at ``secret_paths`` masked.

    A path element ``*`` matches every key at that level.
    """
    masked = _copy_tree(dict(message))
    for path, _value in secret_items(masked, secret_paths):
        _set(masked, path, MASK)
    return masked


def secret_items(message: Mapping[str, Any], secret_paths: Iterable[Tuple[str, ...]]) -> List[Tuple[Tuple[str, ...], Any]]:
    """Every (concrete path, value) of ``message`` at ``secret_paths`` (``*`` matches every key), values not None."""
    found: List[Tuple[Tuple[str, ...], Any]] = []

    def walk(node: Any, pattern: Tuple[str, ...], path: Tuple[str, ...]) -> None:
        if not pattern or not isinstance(node, Mapping):
            return
        head, rest = pattern[0], pattern[1:]
        keys = list(node) if head == "*" else [head] if head in node else []
        for key in keys:
            if rest:
                walk(node[key], rest, path + (key,))
            elif node[key] is not None:
                found.append((path + (key,), node[key]))
    for pattern in secret_paths:
        walk(message, tuple(pattern), ())
    return found


def _set(node: Dict[str, Any], path: Tuple[str, ...], value: Any) -> None:
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value


def _get(node: Any, path: Tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(node, Mapping) or key not in node:
            return None
        node = node[key]
    return node


def with_hint(error: ViciCommandFailed, hint: str) -> ViciCommandFailed:
    """``error`` with ``hint`` appended to the daemon's errmsg (``error`` itself when there is no hint)."""
    if not hint:
        return error
    return ViciCommandFailed(error.command, dict(error.response, errmsg=error.errmsg + hint), error.events)


class Kind:
    """How one kind of daemon object is observed, compared, loaded and unloaded.

    Subclasses fill in the daemon side (snapshot, send_load, send_unload and
    the optional hooks); :func:`plan` and :func:`apply` do the rest. Every
    load and unload goes through :meth:`load` and :meth:`unload`, which add
    the kind's :meth:`hint` to a refusal and treat :attr:`not_found` as done.
    """

    #: Name used in messages and as the ledger namespace.
    label = "object"
    #: Paths (tuples of keys) in the canonical message that hold secrets.
    secret_paths: Tuple[Tuple[str, ...], ...] = ()
    #: Whether presence on the daemon proves equality (certificates, keys: the name is a digest).
    presence_is_identity = False
    #: Whether the ledger keeps the full message, to load it back when a replacement fails
    #: (only for kinds whose messages hold no secret: secret_paths must be empty).
    restorable = False
    #: The daemon's errmsg for unloading ``{name}`` when it has no such object ("" if it never says so).
    #: The object is gone, which is what an unload wants: not an error.
    not_found = ""

    def snapshot(self, session: Session) -> Dict[str, Any]:
        """Every object of this kind the daemon has, by name, with what it reports of it."""
        raise NotImplementedError

    def preflight(self, session: Session, items: Sequence["Item"]) -> None:
        """Raise a UserError (see _input) if the daemon will certainly refuse ``items``; check mode runs it too.

        Read-only commands only: it lets check mode fail where the real run would.
        """

    def drift(self, name: str, message: Mapping[str, Any], reported: Any) -> Optional[str]:
        """Why the daemon's report certainly differs from ``message``, or None."""
        return None

    def needs_unload(self, previous: Mapping[str, Any], message: Mapping[str, Any]) -> bool:
        """Whether going from ``previous`` (redacted) to ``message`` needs unload before load."""
        return False

    def validate(self, session: Session, name: str, message: Mapping[str, Any]) -> None:
        """Raise the daemon's error if it would reject ``message``, without touching ``name``.

        Called before an unload that a load must follow (action "reload"), so
        that nothing is unloaded which cannot be replaced.
        """

    def exists(self, session: Session, name: str) -> Optional[bool]:
        """Whether the daemon has ``name`` now (None: not cheaply known). Used to report state after a failure."""
        return None

    def send_load(self, session: Session, name: str, message: Mapping[str, Any]) -> Dict[str, Any]:
        """The kind's load command (the typed Session method); raises ViciCommandFailed on a refusal."""
        raise NotImplementedError

    def send_unload(self, session: Session, name: str) -> None:
        """The kind's unload command (the typed Session method); raises ViciCommandFailed on a refusal."""
        raise NotImplementedError

    def hint(self, session: Session, name: str, message: Optional[Mapping[str, Any]], error: ViciCommandFailed) -> str:
        """Text to append to the daemon's errmsg for a refused load (``message``) or unload (None), or ""."""
        return ""

    def load(self, session: Session, name: str, message: Mapping[str, Any]) -> Dict[str, Any]:
        try:
            return self.send_load(session, name, message)
        except ViciCommandFailed as error:
            raise with_hint(error, self.hint(session, name, message, error)) from None

    def unload(self, session: Session, name: str) -> None:
        try:
            self.send_unload(session, name)
        except ViciCommandFailed as error:
            if self.not_found and error.errmsg == self.not_found.format(name=name):
                return
            raise with_hint(error, self.hint(session, name, None, error)) from None

    def redact(self, message: Mapping[str, Any]) -> Dict[str, Any]:
        return mask_paths(message, self.secret_paths)

    def describe_reported(self, name: str, reported: Any) -> Dict[str, Any]:
        """The daemon's view of an object for a diff's "before" when the ledger has none."""
        return reported if isinstance(reported, dict) else {}


class Item(NamedTuple):
    """One object as the user wants it: ``message`` is None for state=absent."""

    name: str
    message: Optional[Dict[str, Any]]


class Change(NamedTuple):
    """What :func:`plan` decided for one object, with what :func:`apply` needs to carry it out.

    ``message`` is the message to load (None for unloads and for nothing to
    do); ``recorded`` its redacted form with blobs summarized, as the ledger keeps it
    (``after`` may mark changed secrets, ``recorded`` never does); ``canonical``
    its :func:`_ledger.canonical_text`, which the fingerprint was computed from.
    """

    name: str
    action: Optional[str]  # None (nothing to do), "load", "reload" (unload, then load) or "unload"
    reason: str
    before: Dict[str, Any]
    after: Dict[str, Any]
    fingerprint: str
    message: Optional[Dict[str, Any]] = None
    recorded: Optional[Dict[str, Any]] = None
    canonical: str = ""


class ApplyError(Exception):
    """Applying failed part-way: ``applied`` lists what was done before ``error``.

    ``outcome`` says what the daemon holds of the failed object: UNCHANGED
    (nothing of it changed), RESTORED (it was unloaded for the change and its
    previous message loaded back) or ABSENT (unloaded, and not loaded back).
    """

    def __init__(self, change: Change, error: ViciError, applied: List[Change], outcome: str = UNCHANGED) -> None:
        self.change = change
        self.error = error
        self.applied = applied
        self.outcome = outcome
        super().__init__(str(error))


def state_after_failure(what: str, failure: ApplyError) -> str:
    """What the daemon holds of the object after a failed change, when that is not obvious."""
    if failure.outcome == RESTORED:
        return ("; %s was unloaded for this change and its previous configuration was loaded back: the daemon runs "
                "the previous configuration" % what)
    if failure.outcome == ABSENT:
        return "; %s was unloaded for this change and could not be loaded back: it is not loaded now" % what
    if failure.outcome == UNCHANGED and failure.change.action == "reload":
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
    marked = _copy_tree(after)
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
        # "before" is what the daemon has: nothing if the object is missing (whatever
        # the ledger says), else our last load if we know it, else the daemon's report.
        if not present:
            before: Dict[str, Any] = {}
        elif entry is not None:
            before = entry["message"]
        else:
            before = blobs_summarized(kind.describe_reported(item.name, snapshot[item.name]))
        if item.message is None:
            action = "unload" if present else None
            changes.append(Change(item.name, action, "present" if present else "already absent", before, {}, ""))
            continue
        redacted = kind.redact(item.message)
        after = unmarked = blobs_summarized(redacted)
        action: Optional[str] = "load"
        if not present:
            reason = "not loaded"
        elif kind.presence_is_identity:
            action, reason = None, "loaded"
        elif entry is None:
            reason = "loaded, but not by this collection into this daemon instance"
        elif entry["fingerprint"] != fingerprint:
            reason = "configuration differs"
            changed = _changed_secrets(kind, item.message, entry, ledger)
            if changed is None and before == after:
                # An older record without per-secret fingerprints: only a secret can differ.
                changed = [path for path, _value in secret_items(item.message, kind.secret_paths)]
            if changed:
                after = _mark_changed(after, changed)
                if before == unmarked:
                    reason = "secret value differs (%s)" % ", ".join(".".join(path) for path in changed)
            if kind.needs_unload(before, redacted):
                action = "reload"
        else:
            why = kind.drift(item.name, item.message, snapshot[item.name])
            if why:
                reason = "changed on the daemon: %s" % why
                before = blobs_summarized(kind.describe_reported(item.name, snapshot[item.name]))
            else:
                action, reason = None, "up to date"
        changes.append(Change(item.name, action, reason, before, after, fingerprint, item.message, unmarked, canonical))
    return changes


class _Failed(Exception):
    """A replacement failed; ``outcome`` says what the daemon holds of the object."""

    def __init__(self, error: ViciError, outcome: str) -> None:
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
    secret_fingerprints = {"/".join(path): ledger.fingerprint(value) for path, value in secret_items(message, kind.secret_paths)}
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
        kind.unload(session, change.name)
    except ViciError as error:
        raise _Failed(error, UNCHANGED) from None
    ledger.forget(kind.label, change.name)
    try:
        reply = kind.load(session, change.name, message)
    except ViciError as error:
        if previous is None or previous_entry is None:
            raise _Failed(error, ABSENT) from None
        try:
            kind.load(session, change.name, previous)
        except ViciError:
            raise _Failed(error, ABSENT) from None
        ledger.put(kind.label, change.name, previous_entry)
        raise _Failed(error, RESTORED) from None
    remember(kind, ledger, change.name, change.fingerprint, message, change.recorded, change.canonical)
    return reply


def _outcome_of_failed_load(kind: Kind, session: Session, change: Change) -> str:
    """A rejected load changes nothing, unless the kind's load had to unload (then ask the daemon)."""
    if change.reason == "not loaded":
        return UNCHANGED
    try:
        exists = kind.exists(session, change.name)
    except ViciError:
        exists = None
    return ABSENT if exists is False else UNCHANGED


def apply(kind: Kind, session: Session, changes: Iterable[Change], ledger: Ledger) -> List[Dict[str, Any]]:
    """Carry out planned changes in order, keeping the ledger in step.

    Returns the daemon's replies to the loads. On the first failure the ledger
    keeps what was applied and :class:`ApplyError` says what that was and what
    the daemon holds of the failed object. The ledger is saved in any case; a
    failure to save is a note on the ledger (``ledger.notes``), never an exception.
    """
    applied: List[Change] = []
    replies: List[Dict[str, Any]] = []
    try:
        for change in changes:
            if change.action is None:
                continue
            try:
                if change.action == "unload":
                    kind.unload(session, change.name)
                    ledger.forget(kind.label, change.name)
                elif change.action == "reload":
                    replies.append(_replace(kind, session, change, change.message or {}, ledger))
                else:
                    message = change.message or {}
                    try:
                        replies.append(kind.load(session, change.name, message))
                    except ViciError as error:
                        raise _Failed(error, _outcome_of_failed_load(kind, session, change)) from None
                    remember(kind, ledger, change.name, change.fingerprint, message, change.recorded, change.canonical)
            except _Failed as failure:
                raise ApplyError(change, failure.error, applied, failure.outcome) from None
            except ViciError as error:
                raise ApplyError(change, error, applied) from None
            applied.append(change)
    finally:
        ledger.save()
    return replies
