# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The collection's local verdict on every connection of a conformance run, against the real daemon's (issue 17).

usage: python tests/tools/corpus_verdicts.py BASETEMP VERSION

BASETEMP is the pytest directory of a test_conformance_config run (``.../test_corpus_conformance_config0``):
once its swanctl phase is done, each ``work/fNNN`` holds the corpus file as loaded (``swanctl.conf``) and
what the daemon holds after ``swanctl --load-all`` (``swanctl.json``). For every connection of every file,
this compares the daemon's verdict (loaded or not) with canonical_connection plus the version checks for
VERSION (the daemon's release): a connection the daemon loaded and the collection refuses is a false
refusal; one the daemon refused and the collection accepts is left to the daemon. Prints each disagreement
and refusal, then the counts as JSON. Run with the staged collection on PYTHONPATH and tests/system on sys.path
(it uses the conformance tests' parser and what they leave out).
"""

import glob
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "system"))

from swanctl_conf import parse_file  # noqa: E402  pylint: disable=import-error,wrong-import-position
import conformance_support as support  # noqa: E402  pylint: disable=import-error,wrong-import-position
from ansible_collections.strongswan.vici.plugins.module_utils._swanctl.schema import (  # noqa: E402  pylint: disable=wrong-import-position
    KEY_SINCE, ConfigError, canonical_connection,
)
from ansible_collections.strongswan.vici.plugins.module_utils._swanctl.values import (  # noqa: E402  pylint: disable=wrong-import-position
    parse_version, version_problems,
)


def main(base, version_text):
    version = parse_version(version_text)
    stats = {"files": 0, "conns": 0, "accepted_by_daemon": 0, "refused_by_daemon": 0, "false_refusals": 0,
             "left_to_daemon": 0, "agreed_refusals": 0}
    for workdir in sorted(glob.glob(os.path.join(base, "work", "f*"))):
        if not os.path.exists(os.path.join(workdir, "swanctl.json")):
            continue
        stats["files"] += 1
        with open(os.path.join(workdir, "swanctl.json"), encoding="utf-8") as handle:
            reference = json.load(handle)
        tree = parse_file(os.path.join(workdir, "swanctl.conf"))
        support.drop_inexpressible(tree)
        for name, body in (tree.get("connections") or {}).items():
            stats["conns"] += 1
            loaded = name in reference["conns"]
            stats["accepted_by_daemon" if loaded else "refused_by_daemon"] += 1
            try:
                problems = version_problems(canonical_connection(name, body, swanctl_dir=workdir), version, KEY_SINCE)
                ours = "%s: %s" % problems[0] if problems else None
            except ConfigError as error:
                ours = str(error)
            if loaded and ours:
                stats["false_refusals"] += 1
                print("FALSE REFUSAL %s %s: %s" % (workdir, name, ours))
            elif not loaded and not ours:
                stats["left_to_daemon"] += 1
                print("left to the daemon %s %s" % (workdir, name))
            elif not loaded:
                stats["agreed_refusals"] += 1
                print("both refuse %s %s: %s" % (workdir, name, ours))
    print(json.dumps(stats))
    return 1 if stats["false_refusals"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
