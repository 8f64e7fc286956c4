# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Conformance over strongSwan's own test configurations (../shared/corpus/swanctl).

For each corpus file: ``swanctl --load-all --file F`` into daemon A and the same objects through the
collection's modules into daemon B, each through a recording VICI proxy (vici_proxy.py). Two things are
compared:

* what was *sent*: every load-* request of swanctl and of the modules, normalised (certificates PEM/DER,
  case of type names, ``10s``/``10``, booleans, lists/comma strings; secrets by digest) and compared key by key,
  so keys the daemon never reports (proposals, esp_proposals, updown, mobike, send_certreq, mediation, ...)
  are checked too;
* what the daemons *report*: list-conns, get-shared, get-keys, get-pools, list-authorities, list-certs.

Every module task runs twice: the second run must report ``changed=false`` and send no mutating command.
A file ends as ``pass``, ``fail``, ``compared nothing`` (nothing sent and nothing reported: empty, SQL-only),
``rejected by both`` (both daemons refused everything; the messages still matched) or ``not expressible``
(only a missing include now). Parts that cannot be expressed (daemon-side certificate files, tokens) are
left out and the rest of the file is compared. swanctl's errors are taken from its stderr.

Both daemons run in the root network namespace, so ``start_action`` (start/trap) is dropped on both sides
(only the control plane is compared). Referenced certificates and keys are generated stand-ins (pki),
written to a temporary directory, never into the repository.

CONFORMANCE_FILES=all runs the whole corpus; a number N runs N files spread evenly over the corpus plus a few
with pools, authorities and secrets (default 16: 97 to 160 s measured on 2 shared, busy cores); a comma-separated list
names files. CONFORMANCE_JOBS (default 2) playbooks run in parallel, each against its own daemon;
CONFORMANCE_REPORT names the JSON report to write.

``test_a_broken_canonicaliser_is_caught`` runs the same comparison against a copy of the collection whose
connection canonicaliser drops keys the daemon does not report, and requires the comparison to fail.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from conftest import COLLECTIONS_PATH, REPO, run_playbook
import conformance_support as support
from swanctl_conf import ConfError, parse_file
from vici_proxy import ViciProxy

CORPUS = (REPO.parent / "shared" / "corpus" / "swanctl").resolve()
MODULES = ("connection", "shared_secret", "authority", "pool", "private_key", "certificate")
# Which daemon view each module makes comparable.
VIEWS = {"conns": "connection", "shared": "shared_secret", "authorities": "authority", "pools": "pool",
         "keys": "private_key", "certs": "certificate"}
# swanctl's stderr lines that are not errors: credential folders the stand-ins did not need, and the indented
# subjects it prints for certificates loaded from a PKCS#12 container.
SWANCTL_NOISE = re.compile(r"^(opening directory .* failed: No such file or directory|\s+.*)$")
BATCH = int(os.environ.get("CONFORMANCE_BATCH", "25"))


def corpus_timeout(test):
    """An hour for another selection than the CI sample (the whole corpus takes 15-30 min on 2 cores).

    The system stage gives each test 300 s, enough for the sample; with this the documented
    CONFORMANCE_FILES=all works without extra pytest options.
    """
    if os.environ.get("CONFORMANCE_FILES", "16") in ("", "16"):
        return test
    return pytest.mark.timeout(3600)(test)


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


def _short_dir(prefix):
    return tempfile.mkdtemp(prefix=prefix, dir="/tmp")  # AF_UNIX paths must stay short


def _evaluate(name, tag, by_name, reference, actual, views, loaded, sent_ref, passes, dropped):
    """The result of one file: status, problems and what was compared."""
    problems, rejected, failed_objects = [], [], set()
    for task_name, result in by_name.items():
        if not task_name.startswith(tag + " pass"):
            continue
        if result.get("failed"):
            module, object_name = task_name.split(" ", 3)[2:]
            failed_objects.add(object_name)
            view = next(view for view, owner in VIEWS.items() if owner == module)
            if view in ("conns", "shared", "authorities", "pools") and object_name not in reference[view]:
                # swanctl could not load it either (e.g. an option this daemon is too old for).
                rejected.append("%s: %s" % (object_name, result.get("msg", "")[:200]))
                continue
            problems.append("%s failed: %s" % (task_name[len(tag) + 1:], result.get("msg", "")[:300]))
        elif task_name.startswith(tag + " pass2") and result.get("changed"):
            problems.append("%s: changed on the second run" % task_name[len(tag) + 1:])
    skipped = tuple(identity for identity, _why in dropped)
    if len(passes) != 2:
        problems.append("the proxy saw %d module passes, not 2" % len(passes))
        passes = (passes + [[], []])[:2]
    message_problems, messages, rejected_messages, refused = support.compare_sent(sent_ref, support.sent(passes[0]),
                                                                                  skipped)
    problems += message_problems
    for identity in refused:  # the daemon rejected swanctl's; the module must have refused it before sending
        if identity.split(" ", 1)[1] in failed_objects:
            rejected.append(identity)
        else:
            problems.append("%s: sent by swanctl only (rejected), and the module did not fail" % identity)
    # A second run may retry what the daemon rejected; anything it changed is a broken promise of idempotency.
    problems += ["second run sent %s, and the daemon accepted it" % exchange.name for exchange in passes[1]
                 if exchange.name in support.MUTATING and support.succeeded(exchange.response)]
    skipped_names = {identity.split(" ", 1)[1] for identity in skipped}
    compared = {}
    if actual is not None:
        for view in views:
            ref_view, act_view = reference[view], actual[view]
            if view in ("conns", "authorities") and skipped_names:
                ref_view = {key: value for key, value in ref_view.items() if key not in skipped_names}
                act_view = {key: value for key, value in act_view.items() if key not in skipped_names}
            if view == "shared" and skipped_names:
                ref_view = [key for key in ref_view if key not in skipped_names]
                act_view = [key for key in act_view if key not in skipped_names]
            compared[view] = len(ref_view)
            if ref_view != act_view:
                problems.append("%s differ: swanctl %s / modules %s" % (
                    view, json.dumps(ref_view, sort_keys=True)[:600], json.dumps(act_view, sort_keys=True)[:600]))
    if problems:
        status = "fail"
    elif not any(compared.values()) and len(rejected_messages) == messages and (rejected or rejected_messages):
        status = "rejected by both"
    elif messages == 0 and not any(compared.values()):
        status = "compared nothing"
    else:
        status = "pass"
    return {"status": status, "problems": problems, "rejected_by_both": sorted(set(rejected) | set(rejected_messages)),
            "compared": compared, "messages_compared": messages, "left_out": [list(entry) for entry in dropped],
            "swanctl_rc": loaded.returncode,
            "swanctl_errors": [line for line in loaded.stderr.splitlines() if not SWANCTL_NOISE.match(line)][:8]}


def load_with_swanctl(charon_factory, tmp_path, paths, sockets, label=""):
    """Each file of PATHS through ``swanctl --load-all`` into one daemon (emptied between files).

    Returns (results of files that cannot be parsed, prepared entries, an empty swanctl.conf); a prepared entry
    is (index, name, tree, workdir, reference snapshot, swanctl's process, what it sent, parts left out).
    """
    a = charon_factory(name=label + "a")
    cache, work = tmp_path / "standins", tmp_path / "work"
    empty = tmp_path / "empty" / "swanctl.conf"
    empty.parent.mkdir(parents=True, exist_ok=True)
    empty.write_text("")
    results = {}
    prepared = []
    with ViciProxy(os.path.join(sockets, "a.vici"), a.socket_path) as proxy_a:
        for index, path in enumerate(paths):
            name = os.path.basename(path)
            try:
                tree = parse_file(str(path))
            except ConfError as error:
                results[name] = {"status": "not expressible", "why": str(error)}
                continue
            dropped = support.drop_inexpressible(tree)
            workdir = str(work / ("f%03d" % index))
            support.prepare(str(path), tree, workdir, str(cache))
            support.strip_start_actions(tree)
            loaded = subprocess.run(["swanctl", "--load-all", "--noprompt", "--file",
                                     os.path.join(workdir, "swanctl.conf"), "--uri", proxy_a.uri],
                                    stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120, check=False)
            sent_ref = support.sent(proxy_a.take())
            reference = support.snapshot(a.socket_uri)
            Path(workdir, "swanctl.json").write_text(json.dumps(reference))  # kept for debugging a failure
            support.reset(a.socket_uri, str(empty))
            prepared.append((index, name, tree, workdir, reference, loaded, sent_ref, dropped))
    return results, prepared, empty


def run_conformance(charon_factory, tmp_path, paths, collections=None, label=""):
    """Compare swanctl and the modules over the swanctl.conf files PATHS; the report (a dict).

    COLLECTIONS is another ANSIBLE_COLLECTIONS_PATH for the module runs (a fault-injected copy); LABEL
    prefixes the daemons' names, for several runs in one test.
    """
    started = time.monotonic()
    available = {name for name in MODULES if (REPO / "plugins" / "modules" / ("%s.py" % name)).exists()}
    views = [view for view, module in VIEWS.items() if module in available]
    # list-certs also shows certificates that conns and authorities carry: compare only with every module present.
    if not {"connection", "authority", "certificate"} <= available:
        views = [view for view in views if view != "certs"]
    sockets = _short_dir("svici-cf-")
    results, prepared, empty = load_with_swanctl(charon_factory, tmp_path, paths, sockets, label)
    swanctl_done = time.monotonic()
    python = sys.executable
    script = str(Path(support.__file__).resolve())
    jobs = max(1, int(os.environ.get("CONFORMANCE_JOBS", "2")))
    # Fewer files than BATCH per job still keep every job busy (the CI sample is one batch per job).
    size = max(1, min(BATCH, -(-len(prepared) // jobs)))
    batches = [prepared[offset:offset + size] for offset in range(0, len(prepared), size)]
    jobs = max(1, min(jobs, len(batches)))
    daemons = [charon_factory(name="%sb%d" % (label, job)) for job in range(jobs)]
    env = {"CONFORMANCE_COLLECTIONS": str(COLLECTIONS_PATH)}

    def run_batch(number):
        daemon = daemons[number % jobs]
        tasks, proxies = [], {}
        for index, _name, tree, workdir, _reference, _loaded, _sent, _dropped in batches[number]:
            tag = "f%03d" % index
            proxy = proxies[index] = ViciProxy(os.path.join(sockets, tag + ".vici"), daemon.socket_path).start()
            tasks += support.module_tasks(tree, workdir, proxy.uri, available, tag + " pass1")
            tasks.append({"name": tag + " mark", "ansible.builtin.command": {"argv": [python, script, "mark", proxy.uri, tag]}})
            tasks += support.module_tasks(tree, workdir, proxy.uri, available, tag + " pass2")
            tasks.append({"name": tag + " snapshot",
                          "ansible.builtin.command": {"argv": [python, script, daemon.socket_uri,
                                                               os.path.join(workdir, "modules.json"), str(empty)]},
                          "environment": env})
        play_env = {"STRONGSWAN_VICI_LEDGER_DIR": str(tmp_path / ("%sledger%d" % (label, number % jobs)))}
        if collections is not None:
            play_env["ANSIBLE_COLLECTIONS_PATH"] = str(collections)
        try:
            play = run_playbook([{"hosts": "localhost", "gather_facts": False, "tasks": tasks}], timeout=3600,
                                env=play_env)
        finally:
            recorded = {index: proxy.take() for index, proxy in proxies.items()}
            for proxy in proxies.values():
                proxy.stop()
        assert play.tasks, "the playbook ran no task: %r" % play
        return number, dict(play.tasks), recorded

    outcomes = {}
    try:
        # One worker per daemon: a daemon is emptied between files, so it serves one playbook at a time.
        for start in range(0, len(batches), jobs):
            with ThreadPoolExecutor(max_workers=jobs) as pool:
                for number, tasks, recorded in pool.map(run_batch, range(start, min(start + jobs, len(batches)))):
                    outcomes[number] = (tasks, recorded)
    finally:
        shutil.rmtree(sockets, ignore_errors=True)
    for number, batch in enumerate(batches):
        by_name, recorded = outcomes[number]
        for index, name, _tree, workdir, reference, loaded, sent_ref, dropped in batch:
            tag = "f%03d" % index
            try:
                actual = json.loads(Path(workdir, "modules.json").read_text())
            except (OSError, ValueError):
                actual = None
            result = _evaluate(name, tag, by_name, reference, actual, views, loaded, sent_ref,
                               support.split_at_marks(recorded[index]), dropped)
            if actual is None:
                result["status"] = "fail"
                result["problems"].append("no snapshot of daemon B (%s)" % by_name.get(tag + " snapshot", {}).get("msg", "?"))
            results[name] = result

    counts, compared = tally(results, views)
    return {"files": len(paths), "counts": counts, "objects_compared": compared, "views": views,
            "modules": sorted(available), "seconds": round(time.monotonic() - started, 1),
            "seconds_swanctl": round(swanctl_done - started, 1), "results": results}


def tally(results, views):
    """(files per status, objects compared per view and messages compared) of a run's results."""
    counts = {}
    for result in results.values():
        counts[result["status"]] = counts.get(result["status"], 0) + 1
    compared = {view: sum(r.get("compared", {}).get(view, 0) for r in results.values()) for view in views}
    compared["messages"] = sum(r.get("messages_compared", 0) for r in results.values())
    return counts, compared


def check_corpus(run, charon_factory, tmp_path, report_variable, title):
    """RUN (run_conformance or the like) over the selected corpus files; writes the report; no file may fail."""
    files = _select(sorted(path.name for path in CORPUS.glob("*.conf")))
    report = run(charon_factory, tmp_path, [CORPUS / name for name in files])
    out = Path(os.environ.get(report_variable, str(tmp_path / ("%s.json" % title.replace(" ", "-")))))
    out.write_text(json.dumps(report, indent=1, sort_keys=True))
    print("%s: %s over %d files in %.0f s, objects compared %s; report %s"
          % (title, report["counts"], len(files), report["seconds"], report["objects_compared"], out))
    failures = {name: result["problems"] for name, result in report["results"].items() if result["status"] == "fail"}
    assert not failures, json.dumps(failures, indent=1)[:20000]


@pytest.mark.skipif(not CORPUS.is_dir(), reason="corpus not present at %s" % CORPUS)
@corpus_timeout
def test_corpus_conformance(charon_factory, tmp_path):
    check_corpus(run_conformance, charon_factory, tmp_path, "CONFORMANCE_REPORT", "conformance")


# A connection module whose canonicaliser drops keys list-conns never reports (issue 9): the conformance test
# must fail against it. Appended to a copy of _swanctl.py; the connection module imports the replacement.
BROKEN_CANONICALISER = """

_CONFORMANCE_ORIGINAL = canonical_connection
_CONFORMANCE_DROPPED_PEER = ("proposals", "mobike", "send_certreq", "mediation", "mediated_by", "mediation_peer")
_CONFORMANCE_DROPPED_CHILD = ("esp_proposals", "updown")


def canonical_connection(name, body, reader=None, swanctl_dir=None):
    message = _CONFORMANCE_ORIGINAL(name, body, reader, swanctl_dir)
    for key in _CONFORMANCE_DROPPED_PEER:
        message.pop(key, None)
    for child in message.get("children", {}).values():
        for key in _CONFORMANCE_DROPPED_CHILD:
            child.pop(key, None)
    return message
"""
DROPPED_KEYS = ("proposals", "mobike", "send_certreq", "mediation", "mediated_by", "mediation_peer",
                "esp_proposals", "updown")
# Every dropped key, plus values the two sides write differently (10m/600, a PSK).
MEDIATION_CONF = """
connections {
   medsrv {
      local_addrs = 127.0.0.1
      remote_addrs = 127.0.0.2
      mediation = yes
      mobike = no
      send_certreq = no
      dpd_delay = 30s
      proposals = aes256-sha256-modp2048, aes128-sha256-x25519
      local {
         auth = psk
         id = med@strongswan.org
      }
      remote {
         auth = psk
         id = peer@strongswan.org
      }
   }
   mediated {
      local_addrs = 127.0.0.1
      mediated_by = medsrv
      mediation_peer = other@strongswan.org
      proposals = aes128-sha256-x25519
      local {
         auth = psk
         id = peer@strongswan.org
      }
      remote {
         auth = psk
         id = other@strongswan.org
      }
      children {
         net {
            local_ts = 10.1.0.0/16
            remote_ts = 10.2.0.0/16
            esp_proposals = aes128gcm128-x25519
            updown = /usr/local/libexec/ipsec/_updown iptables
            rekey_time = 10m
         }
      }
   }
}
secrets {
   ike-med {
      id-1 = med@strongswan.org
      id-2 = peer@strongswan.org
      secret = 0sv+NkxY9LLZvwj4qCC2o/gGrWDF2d21jL
   }
}
"""


# Files that compare nothing or are refused by both daemons, and one whose first part cannot be expressed.
SPECIAL_CONFS = {
    "empty.conf": "# nothing but a comment\n",
    "rejected.conf": "connections {\n bad {\n  children {\n   c {\n    mode = bogus\n   }\n  }\n }\n}\n",
    "partial.conf": """
connections {
   token {
      local {
         auth = pubkey
         cert-1 {
            handle = 0102
         }
      }
   }
   psk {
      remote_addrs = 127.0.0.2
      proposals = aes128-sha256-x25519
      local {
         auth = psk
      }
      remote {
         auth = psk
      }
   }
}
""",
}


def test_a_broken_canonicaliser_is_caught(charon_factory, tmp_path):
    """The comparison of what was sent sees keys the daemon never reports; the daemon views alone do not.

    The intact collection passes the same file; files that compare nothing or that both daemons refuse are
    reported as such, never as passes, and a file with a part that cannot be expressed is compared for the rest.
    """
    conf = tmp_path / "conf" / "mediation.conf"
    conf.parent.mkdir()
    conf.write_text(MEDIATION_CONF)
    for name, text in SPECIAL_CONFS.items():
        (conf.parent / name).write_text(text)
    intact = run_conformance(charon_factory, tmp_path / "intact", [conf] + [conf.parent / name for name in SPECIAL_CONFS],
                             label="i")
    results = intact["results"]
    assert results["mediation.conf"]["status"] == "pass", results
    assert results["mediation.conf"]["messages_compared"] == 3  # two connections, one secret
    assert results["empty.conf"]["status"] == "compared nothing", results["empty.conf"]
    assert results["rejected.conf"]["status"] == "rejected by both", results["rejected.conf"]
    assert results["rejected.conf"]["swanctl_errors"], results["rejected.conf"]  # taken from stderr
    partial = results["partial.conf"]
    assert partial["status"] == "pass" and partial["left_out"][0][0] == "load-conn token", partial
    assert partial["messages_compared"] == 1 and partial["compared"]["conns"] == 1, partial

    broken = tmp_path / "broken"
    shutil.copytree(COLLECTIONS_PATH / "ansible_collections" / "strongswan" / "vici",
                    broken / "ansible_collections" / "strongswan" / "vici",
                    ignore=shutil.ignore_patterns("tests", ".tmp", "__pycache__", "*.pyc"))
    with open(broken / "ansible_collections" / "strongswan" / "vici" / "plugins" / "module_utils" / "_swanctl" / "schema.py",
              "a", encoding="utf-8") as handle:
        handle.write(BROKEN_CANONICALISER)
    report = run_conformance(charon_factory, tmp_path / "broken-run", [conf], collections=broken, label="x")
    result = report["results"]["mediation.conf"]
    assert result["status"] == "fail", result
    for key in DROPPED_KEYS:
        assert any(".%s:" % key in problem or " %s:" % key in problem for problem in result["problems"]), (key, result)
    # The daemons' views cannot tell: list-conns reports none of these keys.
    # The daemons' views alone do not tell: list-conns reports none of these keys (at most a side effect of
    # mediation = yes, which makes the daemon report unique=UNIQUE_REPLACE).
    state = [problem for problem in result["problems"] if " differ: " in problem]
    assert all(problem.startswith("conns differ: ") for problem in state), state
