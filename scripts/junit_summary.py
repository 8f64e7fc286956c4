# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Sum JUnit XML reports and fail when no test ran (ansible-test exits 0 on "No tests applicable").

usage: junit_summary.py LABEL REPORT.xml [REPORT.xml ...]
Prints "LABEL: N passed, N failed, N skipped" and exits 1 if nothing ran or anything failed.
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET


def count(path):
    """Return (tests, failures+errors, skipped) summed over every <testsuite> in PATH."""
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else root.iter("testsuite")
    tests = failed = skipped = 0
    for suite in suites:
        tests += int(suite.get("tests", 0))
        failed += int(suite.get("failures", 0)) + int(suite.get("errors", 0))
        skipped += int(suite.get("skipped", 0))
    return tests, failed, skipped


def main(argv):
    """Entry point."""
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    label, paths = argv[0], argv[1:]
    tests = failed = skipped = 0
    for path in paths:
        try:
            one = count(path)
        except (OSError, ET.ParseError) as exc:
            print("%s: cannot read %s: %s" % (label, path, exc), file=sys.stderr)
            return 1
        tests, failed, skipped = tests + one[0], failed + one[1], skipped + one[2]
    passed = tests - failed - skipped
    print("%s: %d passed, %d failed, %d skipped" % (label, passed, failed, skipped))
    if passed <= 0:
        print("%s: no test ran" % label, file=sys.stderr)
        return 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
