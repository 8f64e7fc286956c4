# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Write the playbook examples of README.md, docs/*.md and roles/*/README.md as files, for ansible-lint.

usage: lint_examples.py REPO OUT_DIR -> one OUT_DIR/<doc>-<n>.yml per ```yaml block that is a play or a task list
(a task list is wrapped in a play on `hosts: all`); prints the number written. Other YAML blocks (inventories,
variables, rulebooks: the shipped one is linted in extensions/eda/rulebooks) are not playbooks and are left out.
"""

from __future__ import annotations

import pathlib
import re
import sys

import yaml

BLOCK = re.compile(r"```ya?ml\n(.*?)```", re.S)


def main(repo: pathlib.Path, out: pathlib.Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.yml"):
        old.unlink()
    docs = [repo / "README.md", *sorted(repo.glob("docs/*.md")), *sorted(repo.glob("roles/*/README.md"))]
    written = 0
    for doc in docs:
        for number, text in enumerate(BLOCK.findall(doc.read_text(encoding="utf-8")), 1):
            data = yaml.safe_load(text)
            if not isinstance(data, list) or not data or not all(isinstance(item, dict) for item in data):
                continue
            if any("role" in item for item in data):  # a fragment of a play's roles list
                continue
            if any("sources" in item and "rules" in item for item in data):  # a rulebook (docs/event-driven-ansible.md)
                continue
            if all("hosts" in item or "ansible.builtin.import_playbook" in item for item in data):
                body = text
            else:
                body = "- name: Example\n  hosts: all\n  tasks:\n" + "".join(
                    "    " + line if line.strip() else line for line in text.splitlines(True))
            name = "-".join(doc.relative_to(repo).with_suffix("").parts).replace("_", "-").lower()
            (out / f"{name}-{number}.yml").write_text("---\n" + body, encoding="utf-8")
            written += 1
    print(written)
    return 0 if written else 1


if __name__ == "__main__":
    sys.exit(main(pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])))
