# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The ``from_swanctl_conf`` and ``to_swanctl_conf`` filters: swanctl.conf text <-> data.

Thin wrappers around ``plugins/module_utils/_swanctl/syntax.py`` (strongSwan's settings syntax, shared with
the modules that read and write swanctl.conf on managed hosts).
"""

from __future__ import annotations

from typing import Any, Dict, Mapping, Optional

from ansible.errors import AnsibleFilterError

from ansible_collections.strongswan.vici.plugins.module_utils._swanctl.syntax import (  # noqa: F401 (re-exported)
    ConfError,
    parse_file,
    parse_text,
    render,
)

__all__ = ["ConfError", "parse_file", "parse_text", "render", "from_swanctl_conf", "to_swanctl_conf"]


def from_swanctl_conf(text: Any, include_dir: Optional[str] = None) -> Dict[str, Any]:
    """Filter: swanctl.conf text -> {connections: {...}, secrets: {...}, pools: {...}, authorities: {...}}."""
    if not isinstance(text, str):
        raise AnsibleFilterError("from_swanctl_conf expects swanctl.conf text, got %s" % type(text).__name__)
    try:
        return parse_text(text, include_dir=include_dir)
    except ConfError as error:
        raise AnsibleFilterError("from_swanctl_conf: %s" % error) from None


def to_swanctl_conf(data: Any) -> str:
    """Filter: {connections: {...}, ...} -> swanctl.conf text."""
    if not isinstance(data, Mapping):
        raise AnsibleFilterError("to_swanctl_conf expects a dictionary, got %s" % type(data).__name__)
    try:
        return render(data)
    except ConfError as error:
        raise AnsibleFilterError("to_swanctl_conf: %s" % error) from None


class FilterModule:
    def filters(self):
        return {"from_swanctl_conf": from_swanctl_conf, "to_swanctl_conf": to_swanctl_conf}
