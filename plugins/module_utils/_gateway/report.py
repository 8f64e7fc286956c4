# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What a ``config`` run reports: per-section lists, one diff for the gateway, and its arguments masked. PRIVATE.

The lists and the diff come from the plan alone: check mode reports exactly what a real run would do.
``config`` turns off Ansible's scrubbing of no_log values (minutes on thousands of objects) and masks its
``invocation`` here (:func:`mask_arguments`), the other way round from a list of secret keys: whatever it
cannot classify as not secret (by swanctl.conf's schema, and :data:`.._text.secrets.SECRETS_PLAIN_KEYS` in
``secrets``) is masked, so that a misspelt or misplaced secret is masked too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Callable, Collection, Dict, List, Optional, Sequence, Tuple

from .._engine.kind import Action, Change
from .._engine.plan import Planned
from .._kinds.pool import POOL_ATTRIBUTES
from .._swanctl.schema import AUTH_KEYS, CERT_KEYS, CHILD_KEYS, PEER_KEYS, is_auth_section, is_cert_section
from .._swanctl.syntax import SWANCTL_SECTIONS
from .._text.secrets import MASK, is_plain_secrets_key
from .tree import AUTHORITY_KEYS


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


class _Masker:
    """One walk over ``config``'s arguments: a copy in which whatever it cannot classify as not secret is masked.

    The rule (issue 17): ``config`` turns Ansible's scrubbing off and masks by itself, so it must not depend on
    spelling. A value is shown only when its key is known to hold no secret:

    * ``secrets`` entries: only :data:`SECRETS_PLAIN_KEYS` (``id*``, ``file``, ``handle``, ``slot``, ``module``);
      ``secret``, ``pin``, a misspelt ``secert`` and anything else are masked, as is an entry that is no mapping;
    * ``connections``, ``pools``, ``authorities``: the keys of swanctl.conf's schema at each level (a connection,
      its ``local*``/``remote*`` rounds and their ``cert*`` sections, its children); an unknown key's value is
      masked, whatever its name (``local.secret``, ``psk``, a typo of a known key);
    * ``private_keys`` items show ``path`` only, ``certificates`` items their four options;
    * in ``tree``, an unknown top-level section is masked whole; so is a top-level argument that is no option;
    * a known key whose value is not plain (a scalar or a list of scalars) is masked too.

    ``values`` collects every masked scalar, as text: the values to keep out of messages.
    """

    def __init__(self, options: Optional[Collection[str]]) -> None:
        self.options = options
        self.values: List[str] = []

    def hide(self, value: Any) -> Any:
        """The mask for ``value`` (None stays None: nothing to hide); its scalars go to ``values``."""
        if value is None:
            return None
        stack = [value]
        while stack:
            node = stack.pop()
            if isinstance(node, Mapping):
                stack.extend(node.values())
            elif isinstance(node, (list, tuple)):
                stack.extend(node)
            elif node is not None and str(node) != "":
                self.values.append(str(node))
        return MASK

    def shown(self, known: bool, value: Any) -> Any:
        if known and (type(value) in _SCALARS or _plain(value)):  # pylint: disable=unidiomatic-typecheck
            return value
        return self.hide(value)

    def flat(self, body: Any, known: Callable[[str], bool]) -> Any:
        if not isinstance(body, Mapping):
            return self.hide(body)
        return {str(key): self.shown(known(str(key)), value) for key, value in body.items()}

    def entries(self, section: Any, entry: Callable[[Any], Any]) -> Any:
        if section is None:
            return None
        if not isinstance(section, Mapping):
            return self.hide(section)
        return {str(name): entry(body) for name, body in section.items()}

    def items(self, section: Any, known: Collection[str]) -> Any:
        if section is None:
            return None
        if not isinstance(section, (list, tuple)):
            return self.hide(section)
        return [self.flat(item, lambda key: key in known) for item in section]

    def connection(self, body: Any) -> Any:
        if not isinstance(body, Mapping):
            return self.hide(body)
        shown: Dict[str, Any] = {}
        for key, value in body.items():
            key = str(key)
            if key.lower() == "children":
                shown[key] = self.entries(value, lambda child: self.flat(child, lambda name: name in CHILD_KEYS))
            elif is_auth_section(key) and (isinstance(value, Mapping) or key not in PEER_KEYS):
                shown[key] = self.auth(value)
            else:
                shown[key] = self.shown(key in PEER_KEYS, value)
        return shown

    def auth(self, body: Any) -> Any:
        if not isinstance(body, Mapping):
            return self.hide(body)
        shown: Dict[str, Any] = {}
        for key, value in body.items():
            key = str(key)
            if is_cert_section(key) and isinstance(value, Mapping):
                shown[key] = self.flat(value, lambda name: name in CERT_KEYS)
            else:
                shown[key] = self.shown(key in AUTH_KEYS, value)
        return shown

    def section(self, name: str, value: Any) -> Any:
        """A tree section (``connections``, ``secrets``, ...) masked by its rule; an unknown section whole."""
        if name == "connections":
            return self.entries(value, self.connection)
        if name == "secrets":
            return self.entries(value, lambda body: self.flat(body, is_plain_secrets_key))
        if name == "pools":
            return self.entries(value, lambda body: self.flat(body, _is_pool_key))
        if name == "authorities":
            return self.entries(value, lambda body: self.flat(body, lambda key: key in AUTHORITY_KEYS))
        return self.hide(value)

    def params(self, params: Mapping[str, Any]) -> Dict[str, Any]:
        shown: Dict[str, Any] = {}
        for key, value in params.items():
            key = str(key)
            if key in SWANCTL_SECTIONS:
                shown[key] = self.section(key, value)
            elif key == "tree":
                shown[key] = (self.hide(value) if value is not None and not isinstance(value, Mapping) else
                              value if value is None else
                              {str(name): self.section(str(name), section) for name, section in value.items()})
            elif key == "private_keys":
                shown[key] = self.items(value, ("path",))
            elif key == "certificates":
                shown[key] = self.items(value, ("type", "flag", "content", "path"))
            else:
                shown[key] = self.shown(self.options is None or key in self.options, value)
        return shown


_SCALARS = frozenset((str, int, float, bool, type(None)))


def _plain(value: Any) -> bool:
    """A value shown as it is: a scalar, or a list of scalars."""
    if type(value) is list and all(type(item) in _SCALARS for item in value):  # pylint: disable=unidiomatic-typecheck
        return True  # the common case, fast
    scalars = (str, int, float, bool, type(None))
    return isinstance(value, scalars) or (isinstance(value, (list, tuple)) and all(isinstance(item, scalars) for item in value))


def _is_pool_key(key: str) -> bool:
    return key == "addrs" or key in POOL_ATTRIBUTES or key.strip().isdigit()


def mask_arguments(params: Mapping[str, Any], options: Optional[Collection[str]] = None) -> Tuple[Dict[str, Any], List[str]]:
    """``config``'s arguments for ``invocation`` (see :class:`_Masker` for the rule) and the values it masked.

    ``options`` are the module's option names (any other top-level argument is masked); None takes every name.
    Large sections are summarised after masking (the result stays small whatever the tree's size).
    """
    masker = _Masker(options)
    shown = _summarised(masker.params(params))
    return shown, masker.values


def masked_params(params: Mapping[str, Any], options: Optional[Collection[str]] = None) -> Dict[str, Any]:
    """The module's arguments for ``invocation``: everything not known to be plain masked, large sections summarised."""
    return mask_arguments(params, options)[0]


def secret_values(params: Mapping[str, Any]) -> List[str]:
    """Every value that :func:`masked_params` masks (to keep out of messages, belt and braces; see :func:`scrub`)."""
    return mask_arguments(params)[1]
