# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Test-only stdout callback: the whole run as one JSON document at the end.

ansible-core no longer ships a JSON stdout callback (``ansible.builtin.json``
redirects to ansible.posix, which the test environment does not install).
This one writes the same shape as ansible.posix.json, which
tests/system/conftest.py parses: ``{"plays": [{"play": {...}, "tasks": [{"task":
{"name": ...}, "hosts": {host: result}}]}], "stats": {host: {...}}}``.
"""

from __future__ import annotations

DOCUMENTATION = r"""
name: json_results
type: stdout
short_description: The run as one JSON document (tests only)
description: Used by tests/system/conftest.py to read task results of ansible-playbook runs.
"""

import json

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "stdout"
    CALLBACK_NAME = "json_results"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.results = []

    def v2_playbook_on_play_start(self, play):
        self.results.append({"play": {"name": play.get_name()}, "tasks": []})

    def v2_playbook_on_task_start(self, task, is_conditional):
        self.results[-1]["tasks"].append({"task": {"name": task.get_name()}, "hosts": {}})

    def v2_playbook_on_handler_task_start(self, task):
        self.v2_playbook_on_task_start(task, False)

    def _record(self, result, **extra):
        entry = dict(result._result)
        entry.update(extra)
        self.results[-1]["tasks"][-1]["hosts"][result._host.get_name()] = entry

    def v2_runner_on_ok(self, result):
        self._record(result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, failed=True)

    def v2_runner_on_skipped(self, result):
        self._record(result, skipped=True)

    def v2_runner_on_unreachable(self, result):
        self._record(result, unreachable=True)

    def v2_playbook_on_stats(self, stats):
        summary = {host: stats.summarize(host) for host in sorted(stats.processed)}
        self._display.display(json.dumps({"plays": self.results, "stats": summary}, indent=1, default=str))
