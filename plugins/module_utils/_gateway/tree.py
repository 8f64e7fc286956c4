# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A gateway's whole configuration as one tree: its sections, checked, as groups of plan items. PRIVATE.

The tree has swanctl.conf's sections (``connections``, ``secrets``, ``pools``,
``authorities``) plus ``certificates`` and ``private_keys`` given as content
or paths. Every object becomes an :class:`Item` of its :class:`Kind`
(:mod:`.sections`), grouped per kind in load order: credentials, authorities
and pools before the connections that use them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Dict, List, Set

from .._engine.converge import Group
from .._engine.ledger import Ledger
from .._text.input import InputError
from .persist import PersistError
from .sections import read_groups
from .src import read_source, source_format

#: The sections of the tree, in the order they are loaded.
SECTIONS = ("certificates", "private_keys", "secrets", "authorities", "pools", "connections")
#: swanctl.conf's own top-level sections (what ``tree`` may hold besides certificates/private_keys).
SWANCTL_SECTIONS = ("connections", "secrets", "pools", "authorities")
#: Result groups: the daemon kinds a tree section feeds.
GROUPS = ("certificates", "private_keys", "secrets", "authorities", "pools", "connections")
DEFAULT_SWANCTL_DIR = "/etc/swanctl"


class Desired:
    """The whole tree as plan items, grouped by daemon kind in load order."""

    def __init__(self) -> None:
        self.groups: List[Group] = []
        self.named: Set[str] = set()
        self.warnings: List[str] = []

    def group(self, section: str) -> List[Group]:
        return [group for group in self.groups if group.section == section]


# -- the tree ---------------------------------------------------------------------------------------


def split_tree(tree: Mapping[str, Any], prefix: str = "tree.") -> Dict[str, Any]:
    """The sections of a whole swanctl.conf tree (from_swanctl_conf's output), checked; PREFIX names it in errors."""
    sections: Dict[str, Any] = {}
    for key, value in tree.items():
        if key not in SWANCTL_SECTIONS:
            raise InputError("%s%s: unknown top-level section; swanctl.conf has %s" % (prefix, key, ", ".join(SWANCTL_SECTIONS)))
        sections[key] = value if value is not None else {}
    return sections


def desired_tree(params: Mapping[str, Any], ledger: Ledger) -> Desired:
    """Every object of the tree, validated, as plan items grouped by kind.

    A section that is given (even as ``{}`` or ``[]``) is *named*: purge applies
    to its kinds. A section left out (None) is not managed at all.
    """
    swanctl_dir = params.get("swanctl_dir") or DEFAULT_SWANCTL_DIR
    desired = Desired()
    sections = {name: params.get(name) for name in SECTIONS}
    for name in SWANCTL_SECTIONS + ("certificates", "private_keys"):
        value = sections[name]
        if value is None:
            continue
        if name in ("certificates", "private_keys"):
            if not isinstance(value, (list, tuple)):
                raise InputError("%s: expected a list, got %s" % (name, type(value).__name__))
        elif not isinstance(value, Mapping):
            raise InputError("%s: expected a dictionary of sections, got %s" % (name, type(value).__name__))
        desired.named.add(name)
    desired.groups, desired.warnings = read_groups(sections, swanctl_dir, ledger)
    return desired


def tree_params(params: Mapping[str, Any]) -> Dict[str, Any]:
    """The module's arguments with ``tree`` or the file ``src`` (a whole swanctl.conf tree) split into its sections."""
    merged = dict(params)
    if params.get("src"):
        src = params["src"]
        fmt = source_format(src, params.get("src_format") or "auto")
        tree = read_source(src, fmt)
        if merged.get("swanctl_dir") is None and fmt == "swanctl_conf":
            # As swanctl --file: relative file names are in the folders beside the swanctl.conf read.
            merged["swanctl_dir"] = os.path.dirname(os.path.abspath(src))
        merged.update(split_tree(tree, "src %s: " % src))
    elif params.get("tree") is not None:
        if not isinstance(params["tree"], Mapping):
            raise InputError("tree: expected a dictionary (from_swanctl_conf's output), got %s" % type(params["tree"]).__name__)
        merged.update(split_tree(params["tree"]))
    return merged


def persisted_tree(params: Mapping[str, Any]) -> Dict[str, Any]:
    """The swanctl.conf sections to write (certificates and private_keys options have no place there).

    swanctl.conf names certificate files; PEM text given inline cannot be written there.
    """
    tree = {name: params.get(name) for name in SWANCTL_SECTIONS if params.get(name)}
    for name, body in (tree.get("authorities") or {}).items():
        if isinstance(body, Mapping) and "-----BEGIN" in str(body.get("cacert", "")):
            raise PersistError("persist: authorities.%s.cacert is PEM text; swanctl.conf takes a file name (in x509ca/ "
                               "or absolute)" % name)
    for name, body in (tree.get("connections") or {}).items():
        for round_name, section in (body.items() if isinstance(body, Mapping) else []):
            if not isinstance(section, Mapping):
                continue
            for key in ("certs", "cacerts", "pubkeys"):
                if "-----BEGIN" in str(section.get(key, "")):
                    raise PersistError("persist: connections.%s.%s.%s holds PEM text; swanctl.conf takes file names "
                                       "(in swanctl's folders or absolute)" % (name, round_name, key))
    return tree
