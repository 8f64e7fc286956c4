# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Several kinds planned and applied as one: the path every declarative module takes. PRIVATE.

A single-object module is the one-group case of a gateway: ``ViciModule.converge`` and the ``config`` run
both call :func:`plan_groups` and :func:`apply_groups`. Groups are applied in the order given (loads), then
in reverse order (unloads), so that credentials and pools load before the connections that use them and
connections unload before the pools they used.
"""

from __future__ import annotations

from enum import Enum
from typing import Any, Dict, List, Mapping, NamedTuple, Optional, Sequence, Set

from .kind import Action, Change, Item, Kind
from .canonical import canonical_text
from .ledger import Ledger
from .plan import ApplyError, apply, plan, remember
from .._text.printable import blobs_summarized
from ..vici.session import Session


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
