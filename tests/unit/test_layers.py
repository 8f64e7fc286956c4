# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The folders of module_utils import only the folders below them (docs/architecture.md), and no file is in a cycle."""

from __future__ import annotations

import ast
from pathlib import Path

MODULE_UTILS = Path(__file__).resolve().parents[2] / "plugins" / "module_utils"

#: What each folder (or top-level file) may import besides itself: the picture in docs/architecture.md.
ALLOWED = {
    "vici": set(),
    "_files": set(),
    "_text": {"vici"},
    "_pki": {"_text"},
    "_swanctl": {"_text", "_pki", "vici"},
    "_engine": {"_files", "_text", "vici"},
    "_operations": {"_files", "_text", "_pki", "vici"},
    "_kinds": {"_engine", "_operations", "_files", "_swanctl", "_text", "_pki", "vici"},
    "_gateway": {"_kinds", "_engine", "_files", "_swanctl", "_text", "_pki", "vici"},
    "_base": {"_engine", "_files", "_text", "vici"},
}


def _module_name(path):
    parts = path.relative_to(MODULE_UTILS).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path):
    """The module_utils modules PATH imports (relative imports resolved), as dotted names under module_utils."""
    package = path.relative_to(MODULE_UTILS).parent.parts
    found = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    # Imports under `if TYPE_CHECKING:` are for the type checker only (a module entry point names ViciModule):
    # they never run, so they neither break the layering nor make a cycle.
    typing_only = {id(inner) for node in ast.walk(tree) if isinstance(node, ast.If)
                   and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"
                   for statement in node.body for inner in ast.walk(statement)}
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package[:len(package) - (node.level - 1)]
            target = list(base) + (node.module.split(".") if node.module else [])
            for alias in node.names:
                candidate = target + [alias.name]
                if (MODULE_UTILS.joinpath(*candidate).with_suffix(".py")).exists():
                    found.add(".".join(candidate))
                else:
                    found.add(".".join(target))
    return found


def _graph():
    return {_module_name(path): _imports(path) for path in MODULE_UTILS.rglob("*.py")}


def test_every_folder_imports_only_the_folders_below_it():
    wrong = []
    for module, imported in sorted(_graph().items()):
        folder = module.split(".")[0]
        for target in sorted(imported):
            other = target.split(".")[0]
            if other != folder and other not in ALLOWED[folder]:
                wrong.append("%s imports %s" % (module, target))
    assert not wrong, wrong


def test_imports_for_the_type_checker_only_are_not_counted():
    # The exception above is real: _kinds/connection.py names ViciModule (above it) for mypy alone.
    assert "_base" not in _imports(MODULE_UTILS / "_kinds" / "connection.py")
    source = (MODULE_UTILS / "_kinds" / "connection.py").read_text(encoding="utf-8")
    assert "if TYPE_CHECKING:" in source and "from .._base import ViciModule" in source


def test_no_module_is_in_an_import_cycle():
    graph = _graph()
    state = {}

    def visit(module, stack):
        state[module] = "open"
        for target in graph.get(module, ()):
            if state.get(target) == "open":
                raise AssertionError("import cycle: %s" % " -> ".join(stack + [module, target]))
            if target not in state:
                visit(target, stack + [module])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [])


def test_every_folder_is_in_the_table_and_the_document():
    folders = {path.name for path in MODULE_UTILS.iterdir() if path.is_dir() and path.name != "__pycache__"}
    assert folders | {"_base"} == set(ALLOWED)
    document = (MODULE_UTILS.parents[1] / "docs" / "architecture.md").read_text(encoding="utf-8")
    missing = [str(path.relative_to(MODULE_UTILS)) for path in sorted(MODULE_UTILS.rglob("*.py"))
               if path.name != "__init__.py" and "`%s`" % path.relative_to(MODULE_UTILS) not in document
               and "`%s`" % path.name not in document]
    assert not missing, "docs/architecture.md names every file: %s" % missing
