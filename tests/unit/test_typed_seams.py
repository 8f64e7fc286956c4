# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Issue 16's seams, read from the source: module entry points take a typed ViciModule (or AnsibleModule),
and nothing but _base reaches into the AnsibleModule behind it. mypy --strict (scripts/run.sh lint) checks
the rest of the types."""

from __future__ import annotations

import ast
from pathlib import Path

PLUGINS = Path(__file__).resolve().parents[2] / "plugins"
MODULE_UTILS = PLUGINS / "module_utils"


def _sources(root):
    return sorted(path for path in root.rglob("*.py") if "__pycache__" not in path.parts)


def test_module_entry_points_take_a_typed_module_not_any():
    entry_points = []
    for path in _sources(MODULE_UTILS):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for arg in node.args.args:
                if arg.arg in ("vici", "module") and arg.annotation is not None:
                    annotation = ast.unparse(arg.annotation)
                    if annotation in ("ViciModule", "AnsibleModule", "Any"):
                        entry_points.append((path.relative_to(MODULE_UTILS).as_posix(), node.name, annotation))
    assert len(entry_points) >= 14, entry_points
    assert [entry for entry in entry_points if entry[2] == "Any"] == []


def test_nothing_but_base_reaches_into_the_ansible_module():
    reaching = []
    for path in _sources(PLUGINS):
        if path == MODULE_UTILS / "_base.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            # vici.module.<anything>, module.module.<anything>, <anything>.no_log_values
            if isinstance(node, ast.Attribute) and (
                    node.attr == "no_log_values"
                    or (isinstance(node.value, ast.Attribute) and node.value.attr == "module"
                        and isinstance(node.value.value, ast.Name) and node.value.value.id in ("vici", "module"))):
                reaching.append("%s:%d %s" % (path.relative_to(PLUGINS).as_posix(), node.lineno, ast.unparse(node)))
    assert reaching == []
