# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""strongswan.vici.settings against a real daemon: the reload takes effect, check mode sends nothing, errors."""

from __future__ import annotations

import tempfile

import pytest

from runtime_support import run_module_in_process
from vici_proxy import ViciProxy

from ansible_collections.strongswan.vici.plugins.module_utils.vici.session import Session

pytestmark = pytest.mark.timeout(120)


def settings(socket, check=False):
    return run_module_in_process("settings", {"socket": socket}, check=check)


def test_reload_rereads_strongswan_conf_and_check_mode_sends_nothing(charon):
    # A setting with a visible effect: the harness logs CFG at level 2, which shows every
    # "vici client N requests: <command>"; at level 0 those lines stop once the reload took effect.
    with open(charon.conf_path, "a", encoding="utf-8") as conf:
        conf.write("charon {\n  filelog {\n    harness {\n      cfg = 0\n    }\n  }\n}\n")
    with tempfile.TemporaryDirectory(prefix="svp-", dir="/tmp") as tmp:
        with ViciProxy(tmp + "/p.vici", charon.socket_path) as proxy:
            checked = settings(proxy.uri, check=True)
            sent_in_check = list(proxy.commands)
            first, second = settings(proxy.uri), settings(proxy.uri)
            sent = list(proxy.commands)
    assert checked["changed"] is True and checked["action"] == "reload"
    assert sent_in_check == []
    assert first["changed"] is True and second["changed"] is True
    assert sent == ["reload-settings", "reload-settings"]
    with Session(charon.socket_uri, timeout=5) as session:
        session.version()
    with open(charon.log_path, encoding="utf-8") as log:
        requests = [line for line in log if " requests: " in line]
    # The first reload was logged (it ran at level 2); nothing after it was.
    assert requests[-1].endswith("requests: reload-settings\n"), requests[-3:]
    assert sum("requests: reload-settings" in line for line in requests) == 1


def test_a_broken_strongswan_conf_fails_with_the_daemons_message(charon):
    with open(charon.conf_path, "a", encoding="utf-8") as conf:
        conf.write("charon {\n  this is { not valid\n")
    failed = settings(charon.socket_uri)
    assert failed["failed"] is True
    assert "reload-settings" in failed["msg"] and failed["vici_errmsg"], failed
