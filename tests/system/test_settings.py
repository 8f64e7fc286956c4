# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""strongswan.vici.settings against a real daemon: the reload takes effect, check mode sends nothing, errors."""

from __future__ import annotations

import tempfile

import pytest

from runtime_support import play
from vici_proxy import ViciProxy

from ansible_collections.strongswan.vici.plugins.module_utils.vici.session import Session

pytestmark = pytest.mark.timeout(120)


def _settings(name, socket, **extra):
    task = {"name": name, "strongswan.vici.settings": {"socket": socket}}
    task.update(extra)
    return task


def test_reload_rereads_strongswan_conf_and_check_mode_sends_nothing(charon, ansible_playbook):
    # A setting with a visible effect: the harness logs CFG at level 2, which shows every
    # "vici client N requests: <command>"; at level 0 those lines stop once the reload took effect.
    with open(charon.conf_path, "a", encoding="utf-8") as conf:
        conf.write("charon {\n  filelog {\n    harness {\n      cfg = 0\n    }\n  }\n}\n")
    with tempfile.TemporaryDirectory(prefix="svp-", dir="/tmp") as tmp:
        with ViciProxy(tmp + "/p.vici", charon.socket_path) as proxy:
            checked = ansible_playbook(play(_settings("reload (check)", proxy.uri)), check=True)
            sent_in_check = list(proxy.commands)
            real = ansible_playbook(play(_settings("reload", proxy.uri), _settings("reload again", proxy.uri)))
            sent = list(proxy.commands)
    assert checked.rc == 0 and real.rc == 0, (checked, real)
    assert checked.task("reload (check)")["changed"] is True
    assert sent_in_check == []
    assert real.task("reload")["changed"] is True and real.task("reload again")["changed"] is True
    assert sent == ["reload-settings", "reload-settings"]
    with Session(charon.socket_uri, timeout=5) as session:
        session.version()
    with open(charon.log_path, encoding="utf-8") as log:
        requests = [line for line in log if " requests: " in line]
    # The first reload was logged (it ran at level 2); nothing after it was.
    assert requests[-1].endswith("requests: reload-settings\n"), requests[-3:]
    assert sum("requests: reload-settings" in line for line in requests) == 1


def test_a_broken_strongswan_conf_fails_with_the_daemons_message(charon, ansible_playbook):
    with open(charon.conf_path, "a", encoding="utf-8") as conf:
        conf.write("charon {\n  this is { not valid\n")
    run = ansible_playbook(play(_settings("reload a broken file", charon.socket_uri, ignore_errors=True)))
    failed = run.task("reload a broken file")
    assert failed["failed"] is True
    assert "reload-settings" in failed["msg"] and failed["vici_errmsg"], failed
