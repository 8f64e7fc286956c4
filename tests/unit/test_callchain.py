# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""tests/tools/callchain.py: the module_utils files one config run walks through, and issue 15's limits on them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TRACER = REPO / "tests" / "tools" / "callchain.py"


def trace(*args):
    # Its own process: the tracer installs a profile function and imports the collection from --root.
    return subprocess.run([sys.executable, str(TRACER), "--root", str(REPO)] + list(args), capture_output=True,
                          text=True, check=False, timeout=120)


def test_tracer_follows_the_connections_option_from_the_task_to_the_wire():
    result = trace()
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    files = lines[:-4]
    assert files[0] == "_base.py" and "_kinds/connection.py" in files and "_swanctl/schema.py" in files
    assert not any(name.startswith("vici/") for name in files), "the client is the floor, not followed"
    # Twice: the local check of every limit (check_request encodes the message, issue 17 item 2), then load-conn.
    assert lines[-4] == "steps into vici/ (the wire): 2", "the connection is encoded to check it, then sent once"
    assert all(before != after for before, after in zip(files, files[1:])), "consecutive entries are collapsed"
    assert lines[-3] == "distinct files: %d" % len(set(files))
    assert lines[-2] == "re-entries: %d" % (len(files) - len(set(files)))
    assert lines[-1].startswith("every cross-file call of the run: ")


def test_config_run_is_a_pipeline_within_the_limits():
    """The connections option passes through at most 15 files and comes back to one at most 16 times.

    Issue 15 set 10 and 10; issue 17 added _swanctl/values.py (release-dependent value checks, a leaf); issue 19
    the SA step after the apply (_operations/tunnels.py and intent.py, two leaves) and, before the apply, one trip
    back into _kinds/connection.py for the names of the connections whose SAs are read first (13 and 11); issue 21
    the unchanged-rerun shortcut (_gateway/shortcut.py, at the start and to record the run at the end) and issue
    19's PSK proof (_kinds/psk_proof.py): 15 and 15; the record reusing the run's entry fingerprints (written
    through _engine/ledger.py at the end): 15 and 16.
    """
    result = trace("--check")
    assert result.returncode == 0, result.stdout + result.stderr
