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

from typing import Any, Callable, Dict, List, Mapping, NamedTuple, Optional, Sequence, Set

from .kind import Action, Change, Item, Kind, action_name
from .ledger import Ledger
from .plan import ApplyError, apply, plan
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


#: Called with each group and its snapshot before it is planned (the gateway's persist trust uses it).
Observer = Callable[[Group, Dict[str, Any]], None]


def plan_groups(session: Session, groups: Sequence[Group], ledger: Ledger, purge: bool = False,
                observe: Optional[Observer] = None) -> List[Planned]:
    """Read each kind once and plan every group (with purges). Sends read-only commands only."""
    planned = []
    for group in groups:
        group.kind.preflight(session, group.items)
        snapshot = group.kind.snapshot(session)
        if observe is not None:
            observe(group, snapshot)
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
    for change, reply in zip(loaded, replies):
        name = group.kind.after_load(change, reply)
        if name is not None:
            kept.add(name)
    by_name = {change.name: reply for change, reply in zip(loaded, replies)}
    done.extend(_applied(group, changes, by_name))


def _applied(group: Group, changes: Sequence[Change], replies: Optional[Mapping[str, Dict[str, Any]]] = None) -> List[Applied]:
    return [Applied(group.section, group.label(change.name), action_name(change.action),
                    (replies or {}).get(change.name)) for change in changes]
