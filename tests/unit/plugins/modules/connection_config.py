# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The site-to-site connection the module tests load (connection gw, child net, PSK)."""

from __future__ import annotations

CONFIG = {
    "version": 2,
    "local_addrs": ["192.0.2.1"],
    "remote_addrs": ["192.0.2.2"],
    "proposals": ["aes128-sha256-x25519"],
    "local": {"auth": "psk", "id": "gw.example.com"},
    "remote": {"auth": "psk", "id": "peer.example.com"},
    "children": {"net": {"local_ts": ["10.1.0.0/16"], "remote_ts": ["10.2.0.0/16"], "esp_proposals": ["aes128gcm16"]}},
}
