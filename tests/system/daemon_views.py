# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What a daemon holds, read straight over VICI: the tests' view, independent of the modules under test."""

from __future__ import annotations

from ansible_collections.strongswan.vici.plugins.module_utils.vici.session import Session


def listed_connection(socket, name="gw"):
    """What list-conns reports of connection NAME, or None."""
    with Session(socket, timeout=10) as vici:
        for event in vici.list_conns(ike=name):
            if name in event:
                return event[name]
    return None


def loaded_connections(socket):
    """The names of the loaded connections (get-conns), sorted."""
    with Session(socket, timeout=10) as vici:
        return sorted(str(name) for name in vici.get_conns().get("conns", []))
