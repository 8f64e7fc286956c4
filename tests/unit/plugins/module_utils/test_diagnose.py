# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""transport_problem: the sentence for a socket that cannot be reached, from the URI or a session's endpoint."""

from __future__ import annotations

import socket

from ansible_collections.strongswan.vici.plugins.module_utils._text.diagnose import transport_problem
from ansible_collections.strongswan.vici.plugins.module_utils.vici.transport import Endpoint


def test_missing_socket_from_the_uri(tmp_path):
    path = str(tmp_path / "absent.vici")
    msg = transport_problem("cannot connect", "unix://" + path)
    assert "No socket at '%s'" % path in msg


def test_an_endpoint_given_is_used_as_it_is(tmp_path):
    path = str(tmp_path / "absent.vici")
    # The URI is only quoted: the session's parsed endpoint decides where to look.
    msg = transport_problem("cannot connect", "unix://elsewhere", Endpoint(socket.AF_UNIX, path))
    assert "No socket at '%s'" % path in msg and "(unix://elsewhere)" in msg


def test_unparsable_uri_is_a_problem_of_the_option():
    assert transport_problem("socket URI 'x' has no scheme", "x") == "socket: socket URI 'x' has no scheme"


def test_tcp_endpoint_gets_the_generic_sentence():
    msg = transport_problem("cannot connect", "tcp://127.0.0.1:1", Endpoint(socket.AF_INET, ("127.0.0.1", 1)))
    assert msg.endswith("is 'socket' (tcp://127.0.0.1:1) right?")
