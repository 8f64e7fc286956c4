# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The roles refuse input that would write outside their place (issue 17 item 10). No daemon: the role fails
before it installs or writes anything (and runs in check mode, so a regression could not write either)."""

from __future__ import annotations

import pytest

from conftest import run_playbook

pytestmark = pytest.mark.timeout(180)


@pytest.mark.parametrize("name", ["../..", "noext"])
def test_daemon_role_refuses_a_dropin_name_that_is_not_a_conf_file_name(tmp_path, name):
    play = {"hosts": "localhost", "gather_facts": False,
            "roles": [{"role": "strongswan.vici.daemon", "vars": {
                "strongswan_vici_dropin_name": name, "strongswan_vici_etc": str(tmp_path / "etc"),
                "strongswan_vici_service_manager": "none"}}]}
    result = run_playbook([play], check=True)
    assert result.rc != 0, result.stdout
    failed = [(task, outcome) for task, outcome in result.tasks if outcome.get("failed")]
    assert [task for task, _outcome in failed] == ["strongswan.vici.daemon : Check the drop-in's name"], result.stdout
    assert failed[0][1]["msg"].startswith("strongswan_vici_dropin_name must be a file name in strongswan.d/"), failed[0][1]
    assert not (tmp_path / "etc").exists()
