# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Conformance over strongSwan's own test configurations (../shared/corpus/swanctl).

For each corpus file the modules can express: ``swanctl --load-all --file F`` into daemon A and the same
objects through the collection's modules into daemon B, then what both daemons report is compared
(list-conns, get-shared, get-pools, list-authorities; get-keys and list-certs once the private_key and
certificate modules exist). Every module task runs twice: the second run must report ``changed=false``.

Both daemons run in the root network namespace, so ``start_action`` (start/trap) is dropped on both sides
(only the control plane is compared). Referenced certificates and keys are generated stand-ins (pki),
written to a temporary directory, never into the repository.

CONFORMANCE_FILES=all runs the whole corpus; a number N runs N files spread evenly over the corpus plus a few
with pools, authorities and secrets (default 16, about 2 minutes on 2 idle cores). CONFORMANCE_JOBS (default 2)
playbooks run in parallel, each against its own daemon; CONFORMANCE_REPORT names the JSON report to write.
"""

from __future__ import annotations

import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from conftest import COLLECTIONS_PATH, REPO, run_playbook
import conformance_support as support
from swanctl_conf import ConfError, parse_file

CORPUS = (REPO.parent / "shared" / "corpus" / "swanctl").resolve()
MODULES = ("connection", "shared_secret", "authority", "pool", "private_key", "certificate")
# Which daemon view each module makes comparable.
VIEWS = {"conns": "connection", "shared": "shared_secret", "authorities": "authority", "pools": "pool",
         "keys": "private_key", "certs": "certificate"}
BATCH = int(os.environ.get("CONFORMANCE_BATCH", "25"))


def _select(files):
    """All files, or N of them: spread evenly, plus a few with pools, authorities and secrets."""
    wanted = os.environ.get("CONFORMANCE_FILES", "16")
    if wanted == "all":
        return files
    if not wanted.isdigit():  # a comma-separated list of corpus file names
        return sorted(name for name in files if name in wanted.split(","))
    count = max(1, int(wanted))
    featured = max(1, count // 8)  # files per feature below
    spread_count = max(1, count - 3 * featured)
    chosen = files[::max(1, len(files) // spread_count)][:spread_count]
    for marker in ("pools {", "authorities {", "secrets {"):
        extra = [name for name in files if name not in chosen and marker in (CORPUS / name).read_text()]
        chosen += extra[::max(1, len(extra) // featured)][:featured]
    return sorted(chosen)[:count]


@pytest.mark.skipif(not CORPUS.is_dir(), reason="corpus not present at %s" % CORPUS)
def test_corpus_conformance(charon_factory, tmp_path):
    started = time.monotonic()
    available = {name for name in MODULES if (REPO / "plugins" / "modules" / ("%s.py" % name)).exists()}
    views = [view for view, module in VIEWS.items() if module in available]
    # list-certs also shows certificates that conns and authorities carry: compare only with every module present.
    if not {"connection", "authority", "certificate"} <= available:
        views = [view for view in views if view != "certs"]
    a = charon_factory(name="a")
    cache, work = tmp_path / "standins", tmp_path / "work"
    empty = tmp_path / "empty" / "swanctl.conf"
    empty.parent.mkdir()
    empty.write_text("")
    files = _select(sorted(path.name for path in CORPUS.glob("*.conf")))
    results = {}
    prepared = []
    for index, name in enumerate(files):
        try:
            tree = parse_file(str(CORPUS / name))
            support.references(tree)
        except (ConfError, support.NotExpressible) as error:
            results[name] = {"status": "not expressible", "why": str(error)}
            continue
        workdir = str(work / ("f%03d" % index))
        support.prepare(str(CORPUS / name), tree, workdir, str(cache))
        support.strip_start_actions(tree)
        loaded = a.swanctl("--load-all", "--noprompt", "--file", os.path.join(workdir, "swanctl.conf"), check=False)
        reference = support.snapshot(a.socket_uri)
        Path(workdir, "swanctl.json").write_text(json.dumps(reference))  # kept for debugging a failure
        support.reset(a.socket_uri, str(empty))
        prepared.append((index, name, tree, workdir, reference, loaded))

    python = sys.executable
    script = str(Path(support.__file__).resolve())
    jobs = max(1, int(os.environ.get("CONFORMANCE_JOBS", "2")))
    daemons = [charon_factory(name="b%d" % job) for job in range(jobs)]
    batches = [prepared[offset:offset + BATCH] for offset in range(0, len(prepared), BATCH)]

    def run_batch(number):
        daemon = daemons[number % jobs]
        tasks = []
        for index, _name, tree, workdir, _reference, _loaded in batches[number]:
            tasks += support.module_tasks(tree, workdir, daemon.socket_uri, available, "f%03d pass1" % index)
            tasks += support.module_tasks(tree, workdir, daemon.socket_uri, available, "f%03d pass2" % index)
            tasks.append({"name": "f%03d snapshot" % index,
                          "ansible.builtin.command": {"argv": [python, script, daemon.socket_uri,
                                                               os.path.join(workdir, "modules.json"), str(empty)]},
                          "environment": {"CONFORMANCE_COLLECTIONS": str(COLLECTIONS_PATH)}})
        play = run_playbook([{"hosts": "localhost", "gather_facts": False, "tasks": tasks}], timeout=3600,
                            env={"STRONGSWAN_VICI_LEDGER_DIR": str(tmp_path / ("ledger%d" % (number % jobs)))})
        return number, dict(play.tasks)

    outcomes = {}
    # One worker per daemon: a daemon is emptied between files, so it serves one playbook at a time.
    for start in range(0, len(batches), jobs):
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            for number, tasks in pool.map(run_batch, range(start, min(start + jobs, len(batches)))):
                outcomes[number] = tasks
    for number, batch in enumerate(batches):
        by_name = outcomes[number]
        for index, name, tree, workdir, reference, loaded in batch:
            tag = "f%03d" % index
            problems, rejected = [], []
            for task_name, result in by_name.items():
                if not task_name.startswith(tag + " pass"):
                    continue
                if result.get("failed"):
                    module, object_name = task_name.split(" ", 3)[2:]
                    view = next(view for view, owner in VIEWS.items() if owner == module)
                    if view in ("conns", "shared", "authorities", "pools") and object_name not in reference[view]:
                        # swanctl could not load it either (e.g. an option this daemon is too old for).
                        rejected.append("%s: %s" % (object_name, result.get("msg", "")[:200]))
                        continue
                    problems.append("%s failed: %s" % (task_name[len(tag) + 1:], result.get("msg", "")[:300]))
                elif task_name.startswith(tag + " pass2") and result.get("changed"):
                    problems.append("%s: changed on the second run" % task_name[len(tag) + 1:])
            try:
                actual = json.loads(Path(workdir, "modules.json").read_text())
            except (OSError, ValueError):
                actual = None
                problems.append("no snapshot of daemon B (%s)" % by_name.get(tag + " snapshot", {}).get("msg", "?"))
            if actual is not None:
                for view in views:
                    if reference[view] != actual[view]:
                        problems.append("%s differ: swanctl %s / modules %s" % (
                            view, json.dumps(reference[view], sort_keys=True)[:600],
                            json.dumps(actual[view], sort_keys=True)[:600]))
            results[name] = {"status": "fail" if problems else "pass", "problems": problems,
                             "rejected_by_both": sorted(set(rejected)),
                             "compared": {view: len(reference[view]) for view in views},
                             "swanctl_rc": loaded.returncode,
                             "swanctl_errors": [line for line in loaded.stdout.splitlines() if "fail" in line][:5]}

    counts = {}
    for result in results.values():
        counts[result["status"]] = counts.get(result["status"], 0) + 1
    compared = {view: sum(r.get("compared", {}).get(view, 0) for r in results.values()) for view in views}
    report = {"files": len(files), "counts": counts, "objects_compared": compared, "views": views, "modules": sorted(available),
              "seconds": round(time.monotonic() - started, 1), "results": results}
    out = Path(os.environ.get("CONFORMANCE_REPORT", str(tmp_path / "conformance.json")))
    out.write_text(json.dumps(report, indent=1, sort_keys=True))
    print("conformance: %s over %d files in %.0f s, objects compared %s; report %s"
          % (counts, len(files), report["seconds"], compared, out))
    failures = {name: result["problems"] for name, result in results.items() if result["status"] == "fail"}
    assert not failures, json.dumps(failures, indent=1)[:20000]
