# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Why a test stage failed, in a few lines, from its log: printed by ``scripts/run.sh all`` after the summary.

CI keeps only the end of a run's output; a stage that fails early in a long run leaves its reason far above the
summary. This reads the stage's log and prints pytest's FAILED/ERROR lines, and for Ansible and Molecule each failed
task (its TASK header, the failure, a few lines of its message) that was not ignored (one a block rescued is listed
too: the log does not say), and the recap lines with failures. usage: why_failed.py LOG [MAX_LINES]
"""

import re
import sys
from typing import List

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# Molecule's boxed output prefixes each line with a vertical bar.
BOX = re.compile(r"^\s*[\u2502\u250c\u2514]\s?")
FAILURE = re.compile(r"^(fatal|failed): \[")
PYTEST = re.compile(r"^(FAILED|ERROR) ")
RECAP = re.compile(r"\bfailed=[1-9]|Executed: Failed|^ERROR: ")
FOLLOWING = 8
LOOKAHEAD = 60


def clean(line: str) -> str:
    return BOX.sub("", ANSI.sub("", line.rstrip("\n"))).rstrip()


def ignored(following: List[str]) -> bool:
    """Whether Ansible says "...ignoring" after a failure's (wrapped) message, before the next task."""
    for line in following:
        if line.lstrip().startswith("TASK ["):
            return False
        if "...ignoring" in line:
            return True
    return False


def excerpt(lines: List[str]) -> List[str]:
    out: List[str] = []
    task = ""
    for number, line in enumerate(lines):
        if line.lstrip().startswith("TASK ["):
            task = line.strip()
        if PYTEST.match(line) or RECAP.search(line):
            out.append(line)
        elif FAILURE.match(line.lstrip()):
            after = lines[number + 1:number + 1 + FOLLOWING]
            if ignored(lines[number + 1:number + 1 + LOOKAHEAD]):
                continue
            out.append("")
            out.append(task)
            out.append(line)
            out.extend(after)
    return out


def main() -> int:
    path = sys.argv[1]
    limit = int(sys.argv[2]) if len(sys.argv) > 2 else 80
    with open(path, encoding="utf-8", errors="replace") as log:
        lines = [clean(line) for line in log]
    found = excerpt(lines)
    if not found:
        print("(no failed test or task found in %s: see its end)" % path)
        found = lines[-20:]
    elif len(found) > limit:
        found = found[:limit // 2] + ["... (%d lines left out)" % (len(found) - limit)] + found[-limit // 2:]
    print("\n".join(found))
    return 0


if __name__ == "__main__":
    sys.exit(main())
