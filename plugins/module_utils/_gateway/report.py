# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What a ``config`` run reports: per-section lists, one diff for the gateway, and its arguments masked. PRIVATE.

The lists and the diff come from the plan alone: check mode reports exactly what a real run would do.
``config`` turns off Ansible's scrubbing of no_log values (minutes on thousands of objects) and masks its
``invocation`` here. Which keys of the tree are secret is not decided here: it is
:data:`.._text.secrets.TREE_SECRET_KEYS`, the tree side of the Kinds' secret paths (one table, per tree
section: ``secrets`` entries, ``private_keys`` entries), which the Kinds' ``secret_paths`` are declared from
as well.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Dict, List, Sequence

from .._engine.kind import Action, Change
from .._engine.plan import Planned
from .._text.secrets import MASK, is_secret_tree_key


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


#: Sections with more entries than this are summarised in ``invocation`` (the result stays small).
INVOCATION_LIMIT = 20


_SUMMARISED = ("connections", "secrets", "pools", "authorities", "certificates", "private_keys")


def _summarised(params: Mapping[str, Any]) -> Dict[str, Any]:
    """A shallow copy of ``params`` (and of its ``tree``) with sections over INVOCATION_LIMIT entries summarised."""
    shown = dict(params)
    if isinstance(shown.get("tree"), Mapping):
        shown["tree"] = dict(shown["tree"])
    for holder in (shown, shown["tree"] if isinstance(shown.get("tree"), dict) else {}):
        for section in _SUMMARISED:
            value = holder.get(section)
            if isinstance(value, (Mapping, list, tuple)) and len(value) > INVOCATION_LIMIT:
                holder[section] = "%d entries (see the task's arguments)" % len(value)
    return shown


def masked_params(params: Mapping[str, Any]) -> Dict[str, Any]:
    """The module's arguments for ``invocation``: every secret value masked, large sections summarised."""
    # Summarise the large sections first: the JSON copy below then stays small whatever the tree's size.
    params = _summarised(params)
    shown: Dict[str, Any] = json.loads(json.dumps(params, default=str))
    tree = shown.get("tree")
    if isinstance(tree, dict) and isinstance(tree.get("secrets"), dict):
        tree["secrets"] = masked_params({"secrets": tree["secrets"]})["secrets"]
    secrets = shown.get("secrets")
    for name, body in (secrets.items() if isinstance(secrets, dict) else ()):
        if isinstance(body, dict):
            _mask_entry("secrets", body)
        elif body is not None:
            shown["secrets"][name] = MASK
    keys = shown.get("private_keys")
    for entry in (keys if isinstance(keys, list) else ()):
        if isinstance(entry, dict):
            _mask_entry("private_keys", entry)
    return shown


def _secret_keys(section: str, entry: Mapping[str, Any]) -> List[str]:
    """The keys of ``entry`` (of tree section ``section``) that hold a secret value (not None, not empty)."""
    return [key for key, value in entry.items()
            if isinstance(key, str) and is_secret_tree_key(section, key) and value not in (None, "")]


def _mask_entry(section: str, entry: Dict[str, Any]) -> None:
    for key in _secret_keys(section, entry):
        entry[key] = MASK


def secret_values(params: Mapping[str, Any]) -> List[str]:
    """Every secret value in the arguments (to scrub from error messages, belt and braces)."""
    values: List[str] = []
    secrets = dict(params.get("secrets") or {})
    tree = params.get("tree") or {}
    if isinstance(tree, Mapping) and isinstance(tree.get("secrets"), Mapping):
        secrets.update(tree["secrets"])
    for body in secrets.values():
        if isinstance(body, Mapping):
            values.extend(str(body[key]) for key in _secret_keys("secrets", body))
    for entry in params.get("private_keys") or []:
        if isinstance(entry, Mapping):
            values.extend(str(entry[key]) for key in _secret_keys("private_keys", entry))
    return [value for value in values if len(value) >= 3]
