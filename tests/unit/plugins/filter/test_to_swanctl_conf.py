# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The to_swanctl_conf filter (the renderer itself is tested in module_utils/test_swanctl_conf.py)."""

from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.strongswan.vici.plugins.filter.swanctl import FilterModule, from_swanctl_conf, to_swanctl_conf


def test_filter_roundtrip():
    tree = {"pools": {"rw": {"addrs": "10.3.0.0/24", "dns": "10.1.0.53, 10.1.0.54"}},
            "secrets": {"eap-carol": {"secret": "a \"b\" # c", "id": "carol"}}}
    text = to_swanctl_conf(tree)
    assert text.startswith("pools {\n   rw {\n      addrs = 10.3.0.0/24\n")
    assert from_swanctl_conf(text) == tree


def test_filter_errors():
    with pytest.raises(AnsibleFilterError, match="to_swanctl_conf expects a dictionary, got str"):
        to_swanctl_conf("text")
    with pytest.raises(AnsibleFilterError, match=r"to_swanctl_conf: connections: name 'a\.b'"):
        to_swanctl_conf({"connections": {"a.b": {}}})


def test_registered():
    assert set(FilterModule().filters()) == {"from_swanctl_conf", "to_swanctl_conf"}
