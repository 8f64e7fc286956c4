# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""scripts/why_failed.py: what `scripts/run.sh all` prints under the summary for a failed stage."""

from __future__ import annotations

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "why_failed.py"
SPEC = importlib.util.spec_from_file_location("why_failed", SCRIPT)
assert SPEC is not None and SPEC.loader is not None
why_failed = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(why_failed)

MOLECULE_LOG = """\
  \x1b[2m\u2502\x1b[0m TASK [Connect again]
  \x1b[31m\u2502\x1b[0m fatal: [certclient]: FAILED! => {"changed": false, "msg": "expected,
  \u2502   wrapped over lines"}
  \u2502 ...ignoring
  \u2502 TASK [Read the SAs until the tunnel has settled on one CHILD_SA]
  \u2502 fatal: [gw-b]: FAILED! => {"attempts": 20, "changed": false}
  \u2502 PLAY RECAP
  \u2502 gw-b : ok=3 changed=0 unreachable=0 failed=1 skipped=0
"""


def lines_of(text):
    return [why_failed.clean(line) for line in text.splitlines()]


def test_a_failed_task_is_shown_with_its_task_and_an_ignored_one_is_not():
    found = why_failed.excerpt(lines_of(MOLECULE_LOG))
    assert "TASK [Read the SAs until the tunnel has settled on one CHILD_SA]" in found
    assert 'fatal: [gw-b]: FAILED! => {"attempts": 20, "changed": false}' in found
    assert not any("certclient" in line for line in found)
    assert any("failed=1" in line for line in found)


def test_colour_and_molecule_box_are_stripped():
    assert why_failed.clean("  \x1b[2m\u2502\x1b[0m TASK [x]") == "TASK [x]"


def test_pytest_failures_are_shown():
    found = why_failed.excerpt(["collected 3 items", "FAILED tests/system/test_a.py::test_b - AssertionError",
                                "ERROR tests/system/test_c.py::test_d"])
    assert found == ["FAILED tests/system/test_a.py::test_b - AssertionError", "ERROR tests/system/test_c.py::test_d"]
