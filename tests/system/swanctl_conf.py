# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The conformance test reads swanctl.conf with the collection's own from_swanctl_conf filter code."""

from __future__ import annotations

from ansible_collections.strongswan.vici.plugins.filter.swanctl import ConfError, parse_file  # noqa: F401

__all__ = ["ConfError", "parse_file"]
