# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run a module's main() in this process, as ansible-core's own unit tests do, and read its JSON result."""

from __future__ import annotations

import json

import pytest
from ansible.module_utils.common import warnings as ansible_warnings
from ansible.module_utils.testing import patch_module_args


def run_main(main, args, capsys):
    """Call ``main()`` with module arguments ``args``; return the JSON it printed, whether it exited or failed."""
    # AnsibleModule keeps warnings in a process-wide registry: start each run without those of earlier runs.
    registry = getattr(ansible_warnings, "_global_warnings", None)
    if registry is not None:
        registry.clear()
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            main()
    return json.loads(capsys.readouterr().out)
