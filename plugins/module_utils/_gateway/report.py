# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What a ``config`` run reports of its plan: per-section lists and one diff for the gateway. PRIVATE.

Both come from the plan alone: check mode reports exactly what a real run would do.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Sequence

from .._engine.converge import Planned
from .._engine.kind import Action, Change


def _category(change: Change, snapshot: Mapping[str, Any]) -> str:
    if change.action is None:
        return "unchanged"
    if change.action == Action.UNLOAD:
        return "removed"
    return "changed" if change.name in snapshot else "added"


def summary(planned: Sequence[Planned]) -> Dict[str, Dict[str, List[str]]]:
    """Per tree section: the names added, changed, removed and unchanged."""
    result: Dict[str, Dict[str, List[str]]] = {}
    for entry in planned:
        lists = result.setdefault(entry.group.section, {"added": [], "changed": [], "removed": [], "unchanged": []})
        for change in entry.changes:
            lists[_category(change, entry.snapshot)].append(entry.group.labels.get(change.name, change.name))
    return result


def gateway_diff(planned: Sequence[Planned]) -> Dict[str, Any]:
    """One diff for the gateway: before and after of every object that changes, secrets masked."""
    before: Dict[str, Any] = {}
    after: Dict[str, Any] = {}
    for entry in planned:
        for change in entry.changes:
            if change.action is None:
                continue
            label = entry.group.labels.get(change.name, change.name)
            if change.before or change.action != Action.LOAD or change.name in entry.snapshot:
                before.setdefault(entry.group.section, {})[label] = change.before
            if change.action != Action.UNLOAD:
                after.setdefault(entry.group.section, {})[label] = change.after
    return {"before_header": "daemon", "after_header": "tree", "before": before, "after": after}
