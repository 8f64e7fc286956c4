# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures of the VICI client tests."""

from __future__ import annotations

import pytest

from ansible_collections.strongswan.vici.tests.unit.fake_vici import FakeVici, socket_path


@pytest.fixture
def fake_vici(tmp_path):
    """Start a scripted fake daemon: ``server = fake_vici(action, ...)`` or ``fake_vici(auto=True)``.

    Every server started is stopped at the end of the test; an unmet expectation of its script fails the test.
    """
    servers = []

    def start(*script, **kwargs):
        server = FakeVici(socket_path(tmp_path, "charon%d.vici" % len(servers)), script, **kwargs)
        servers.append(server)
        return server

    yield start
    errors = []
    for server in servers:
        try:
            server.stop()
        except AssertionError as exc:
            errors.append(exc)
    if errors:
        raise errors[0]
