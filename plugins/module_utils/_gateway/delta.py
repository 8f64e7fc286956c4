# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""config's delta path (issue 21): a changed tree planned from its changed entries only. PRIVATE.

When the unchanged-rerun shortcut (:mod:`.shortcut`) finds no record of this run's inputs, a record of a run of
the same *shape* (the same arguments but the tree's content, the same sections given) may still hold, with a
keyed fingerprint of every entry of that run's tree as given (:func:`.shortcut.entry_prints`). If the daemon's
listings are as that run left them (the same digest) and the ledger is the one that run left (the annex holds
for its content), then a full plan would find every entry whose fingerprint is unchanged up to date: its message
is built from the same text, the ledger holds that message's fingerprint, and the daemon reports what it did
when the record was written. So only the other entries are built (:func:`changed_names`, :func:`.tree.desired_tree`'s
``only``) and planned, against a snapshot of those objects alone (:func:`delta_plan`); the unchanged ones get a
"nothing to do" change in their place. The result is the plan the full path makes, in the same order: apply,
the SA step, diff and check mode, the record of the next run work on it unchanged.

Removed entries are unloaded only where the full run would: with ``purge`` (a kind that purge applies to), and
only those the daemon still holds. With ``purge``, the recorded run left no other object of the group's kind on
the daemon (it unloaded them, and the digest says nothing came since), so the entries gone from the tree are
all the full run's purge would find.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Sequence, Set

from .._engine.kind import NOT_OBSERVED, Change, Item
from .._engine.ledger import Ledger
from .._engine.plan import Group, Planned, plan, purge_changes
from .._kinds.connection import ConnectionKind
from ..vici.session import Session
from .tree import NAMED_SECTIONS, SHARED_PREFIXES, secret_type

#: The reason of an entry the delta path did not plan: the full path's for an object found up to date.
UP_TO_DATE = "up to date"


def changed_names(previous: Mapping[str, Any], current: Mapping[str, Any]) -> Optional[Dict[str, Set[str]]]:
    """Per named section, the entries of ``current`` whose fingerprint differs from ``previous``'s (or new ones);
    None if the two trees do not give the same sections (:func:`.shortcut.entry_prints`)."""
    if previous["sections"] != current["sections"]:
        return None
    changed: Dict[str, Set[str]] = {}
    for section in NAMED_SECTIONS:
        recorded = dict((name, value) for name, value in previous["entries"].get(section, []))
        changed[section] = {name for name, value in current["entries"].get(section, []) if recorded.get(name) != value}
    return changed


def _group_names(group: Group, prints: Mapping[str, Any]) -> Optional[List[str]]:
    """The names of every entry of the tree (``prints``, in order) that the full path makes an item of ``group``;
    None for groups whose items the delta path cannot name (certificates, private keys)."""
    names = [name for name, _value in prints["entries"].get(group.section, [])]
    if group.section == "secrets":
        return [name for name in names if secret_type(name) in SHARED_PREFIXES]
    if group.section in ("connections", "pools", "authorities"):
        return names
    return None


def _snapshot(session: Session, group: Group, names: Set[str]) -> Dict[str, Any]:
    """What the daemon holds of ``names`` (connections: only those, one list-conns each); the whole kind else."""
    if isinstance(group.kind, ConnectionKind):
        return ConnectionKind(names).snapshot(session) if names else {}
    return group.kind.snapshot(session)


def plannable(groups: Sequence[Group], current: Mapping[str, Any]) -> bool:
    """Whether :func:`delta_plan` plans ``groups`` (the items of the changed entries): not when they hold a
    certificate or a private key (they read files; the record is never kept for such trees anyway)."""
    for group in groups:
        names = _group_names(group, current)
        if names is None:
            if group.items:
                return False
            continue
        built = [item.name for item in group.items]
        if len(set(built)) != len(built) or set(built) - set(names):
            return False
    return True


def delta_plan(session: Session, groups: Sequence[Group], previous: Mapping[str, Any], current: Mapping[str, Any],
               ledger: Ledger, purge: bool) -> Optional[List[Planned]]:
    """The full path's plan (:func:`.plan.plan_groups`) of the tree whose entries' fingerprints are ``current``,
    from ``groups`` holding the items of the changed entries only; None if the delta path cannot make it.

    ``previous`` are the recorded run's fingerprints (see the module docstring for when they may be used).
    Sends read-only commands only.
    """
    if not plannable(groups, current):
        return None
    planned: List[Planned] = []
    for group in groups:
        built = {item.name: item for item in group.items}
        names = _group_names(group, current) or []
        gone: Set[str] = set()
        if purge and group.kind.purgeable:
            gone = set(_group_names(group, previous) or []) - set(names)
        if group.kind.preflight is not None:
            group.kind.preflight(session, group.items)
        snapshot = _snapshot(session, group, set(built) | gone)
        decided = {change.name: change for change in plan(group.kind, group.items, snapshot, ledger)}
        changes: List[Change] = [decided[name] if name in built else
                                 Change(name, None, UP_TO_DATE, {}, {}, "", reported=NOT_OBSERVED) for name in names]
        if purge and group.kind.purgeable:
            wanted = Group(group.section, group.kind, [Item(name, None) for name in names], group.labels)
            changes.extend(purge_changes(wanted, snapshot))
        planned.append(Planned(group, snapshot, changes))
    return planned
