# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Conformance of the ``config`` module over the corpus (issue 10, section 5).

Each corpus file is parsed with the collection's ``from_swanctl_conf`` parser and loaded with ONE ``config``
call (connections, secrets, pools, authorities, and the credential folders as ``certificates`` and
``private_keys``), with ``purge: true``: the call for one file purges what the previous file loaded, so the
files of a job run as one chain against one daemon that is never emptied. The reference is ``swanctl
--load-all`` of the same file into another daemon (test_conformance.load_with_swanctl); what was sent and what
the daemons report are compared with conformance_support's functions. A second ``config`` call must report
``changed=false`` and send nothing the daemon accepts.

A file ends as for test_conformance.py (``pass``, ``fail``, ``compared nothing``, ``not expressible``), or as
``rejected``: swanctl's load failed in part (the daemon refused an object) and config, which applies a tree
whole or fails, failed naming that object and listed in ``applied`` every object it loaded or unloaded before.

What config cannot express is left out and the rest of the file is compared: everything the module test leaves
out, plus PKCS#12 containers (config refuses ``secrets.pkcs12*``; swanctl's certificate and key from the
container are left out of both sides) and shared secrets without owners (config refuses them). An object the
previous file already loaded identically is not sent again; it is compared through the daemon's view only.
Certificates cannot be unloaded over VICI, so daemon B's list-certs keeps earlier files' ones: it must hold
every certificate of the reference, and every certificate it gained during this file must be in the reference.

CONFORMANCE_FILES selects files as for test_conformance.py (default 16, the CI sample); CONFORMANCE_JOBS
(default 2) chains run in parallel, each against its own daemon; CONFORMANCE_CONFIG_REPORT names the JSON report.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from conftest import COLLECTIONS_PATH, run_playbook
import conformance_support as support
from test_conformance import CORPUS, _short_dir, corpus_timeout, check_corpus, load_with_swanctl, tally
from vici_proxy import ViciProxy

SECTIONS = ("connections", "secrets", "pools", "authorities")
VIEWS = ("conns", "shared", "keys", "pools", "authorities")  # "certs" is compared by certs_problems()
# config's error for an object: "connections 'rw': VICI command 'load-conn' failed: ..."
CONFIG_ERROR = re.compile(r"^(connections|pools|authorities|secrets)[ .]'?([^':]+)'?")
LOAD_COMMANDS = {"connections": "load-conn", "pools": "load-pool", "authorities": "load-authority",
                 "secrets": "load-shared"}


def config_left_out(tree, workdir, cache):
    """Drop from TREE what config refuses; [(identity, why)] of it and of what swanctl loads from it.

    ``secrets.pkcs12*``: the container is the stand-in of conformance_support.make_pkcs12, whose key and
    certificate sit in the cache. Shared secrets without owners (no ``id*`` key): swanctl loads them (they
    match every identity), config refuses them and asks for ``id = %any``, which the daemon would be sent.
    """
    dropped = []
    secrets = tree.get("secrets") or {}
    for name, body in list(secrets.items()):
        if name.startswith("pkcs12"):
            del secrets[name]
            dropped.append(("secret %s" % name, "a PKCS#12 container (config refuses secrets.pkcs12*)"))
        elif name.startswith(support.SHARED_PREFIXES) and isinstance(body, dict) and not any(
                str(key).startswith("id") for key in body):
            del secrets[name]
            dropped.append(("load-shared %s" % name, "a shared secret without owners (config refuses it)"))
    directory = os.path.join(workdir, "pkcs12")
    for filename in sorted(os.listdir(directory)) if os.path.isdir(directory) else []:
        key = os.path.join(cache, "private", "p12-%s.pem" % filename)
        with open(key, "rb") as handle:
            dropped.append((support.normalise_message("load-key", {"data": handle.read()})[0], "in pkcs12/" + filename))
        with open(key[:-len(".pem")] + ".crt", "rb") as handle:
            dropped.append((support.normalise_message("load-cert", {"data": handle.read()})[0], "in pkcs12/" + filename))
    return dropped


def config_args(tree, workdir, socket, purge=True):
    """The arguments of the one ``config`` call that loads what swanctl --load-all loads from this file."""
    args = {section: tree.get(section) or {} for section in SECTIONS}
    named = {os.path.join(workdir, folder, filename) for folder, filename in support.references(tree)}
    args["certificates"], args["private_keys"] = [], []
    for module, _label, options in support.credential_files(workdir):
        if module == "certificate":
            args["certificates"].append(options)
        elif options["path"] not in named:  # a secrets.private* section loads it (with its passphrase)
            args["private_keys"].append(options)
    args.update(socket=socket, swanctl_dir=workdir, purge=purge)
    return args


def held(identity, before):
    """Whether daemon B already held the object of IDENTITY before this file (so config had no need to send it)."""
    command, _sep, name = identity.partition(" ")
    view = {"load-conn": "conns", "load-shared": "shared", "load-key": "keys", "load-pool": "pools",
            "load-authority": "authorities"}.get(command)
    if view:
        return name in before[view]
    return command == "load-cert" and any(cert.endswith("/" + name) for cert in before["certs"])


def digests(certs):
    """The certificate digests of a list-certs view (``type/flag/digest``)."""
    return {cert.rsplit("/", 1)[1] for cert in certs}


def certs_problems(reference, before, after):
    """B keeps earlier files' certificates: it must hold the reference's, and gain only certificates of it."""
    problems = []
    missing = digests(reference) - digests(after)
    gained = digests(after) - digests(before) - digests(reference)
    if missing:
        problems.append("certs: swanctl loaded %s, config did not" % sorted(missing))
    if gained:
        problems.append("certs: config loaded %s, swanctl did not" % sorted(gained))
    return problems


def refused_by_both(message, identities):
    """Whether config's error MESSAGE names an object whose message the daemon rejected from swanctl."""
    match = CONFIG_ERROR.match(message)
    return bool(match) and "%s %s" % (LOAD_COMMANDS[match.group(1)], match.group(2)) in identities


def unreported_changes(result, before, after):
    """Objects a failed config call added to or removed from daemon B without listing them in ``applied``."""
    applied = {(item.get("section"), item.get("name")) for item in result.get("applied") or []}
    problems = []
    for view, section in (("conns", "connections"), ("pools", "pools"), ("authorities", "authorities"),
                          ("shared", "secrets")):
        for name in sorted(set(before[view]) ^ set(after[view])):
            if (section, name) not in applied:
                problems.append("config failed and changed %s '%s' without listing it in applied" % (section, name))
    return problems


def evaluate(entry, tasks, passes, before, after):
    """The result of one file of the config path: status, problems, what was compared."""
    _index, _name, _tree, _workdir, reference, loaded, sent_ref, dropped = entry
    problems = []
    result = tasks.get("pass1", {})
    if result.get("failed"):
        problems.append("config failed: %s" % str(result.get("msg", ""))[:300])
    if tasks.get("pass2", {}).get("changed"):
        problems.append("config: changed on the second run")
    if len(passes) != 2:
        problems.append("the proxy saw %d config passes, not 2" % len(passes))
        passes = (passes + [[], []])[:2]
    skipped = tuple(identity for identity, _why in dropped)
    actual_sent = support.sent(passes[0])
    # Not sent because daemon B holds it already from an earlier file - unless the daemon refused it from
    # swanctl: then config did not send it because it refused the file (a release lacks a key), not because
    # it was unchanged.
    unchanged = [identity for identity in sent_ref if identity not in actual_sent and held(identity, before)
                 and sent_ref[identity]["accepted"]]
    message_problems, messages, rejected, refused = support.compare_sent(sent_ref, actual_sent, skipped + tuple(unchanged))
    problems += message_problems
    if refused and not result.get("failed"):
        problems += ["%s: sent by swanctl only (rejected), and config did not fail" % identity for identity in refused]
    problems += ["second run sent %s, and the daemon accepted it" % exchange.name for exchange in passes[1]
                 if exchange.name in support.MUTATING and support.succeeded(exchange.response)]
    skipped_names = {identity.split(" ", 1)[1] for identity in skipped}
    compared = {}
    if after is None:
        problems.append("no snapshot of daemon B")
    else:
        for view in VIEWS:
            ref_view, act_view = reference[view], after[view]
            if view in ("conns", "authorities") and skipped_names:
                ref_view = {key: value for key, value in ref_view.items() if key not in skipped_names}
                act_view = {key: value for key, value in act_view.items() if key not in skipped_names}
            if view in ("keys", "shared") and skipped_names:
                ref_view = [key for key in ref_view if key not in skipped_names]
                act_view = [key for key in act_view if key not in skipped_names]
            compared[view] = len(ref_view)
            if ref_view != act_view:
                problems.append("%s differ: swanctl %s / config %s" % (
                    view, json.dumps(ref_view, sort_keys=True)[:600], json.dumps(act_view, sort_keys=True)[:600]))
        ref_certs = [cert for cert in reference["certs"] if cert.rsplit("/", 1)[1] not in skipped_names]
        compared["certs"] = len(ref_certs)
        problems += certs_problems(ref_certs, before["certs"], after["certs"])
    silent = unreported_changes(result, before, after) if result.get("failed") and after is not None else []
    problems += silent
    if not silent and result.get("failed") and loaded.returncode != 0 and refused_by_both(
            str(result.get("msg", "")), refused + rejected):
        status = "rejected"  # swanctl's load failed in part and config refused the whole tree
    elif problems:
        status = "fail"
    elif messages == 0 and not any(compared.values()):
        status = "compared nothing"
    else:
        status = "pass"
    return {"status": status, "problems": problems, "compared": compared, "messages_compared": messages,
            "unchanged_not_resent": unchanged, "left_out": [list(item) for item in dropped],
            "swanctl_rc": loaded.returncode}


def run_config_conformance(charon_factory, tmp_path, paths, purge=True, label="c"):
    """swanctl --load-all against one config call per file (purge chains); the report (a dict).

    PURGE false (a broken chain, for the test of the test) leaves each file's objects to the next; LABEL
    prefixes the daemons' names, for several runs in one test."""
    started = time.monotonic()
    sockets = _short_dir("svici-cc-")
    results, prepared, _empty = load_with_swanctl(charon_factory, tmp_path, paths, sockets, label)
    for entry in prepared:
        entry[7].extend(config_left_out(entry[2], entry[3], str(tmp_path / "standins")))
    swanctl_done = time.monotonic()
    jobs = max(1, min(int(os.environ.get("CONFORMANCE_JOBS", "2")), len(prepared)))
    chains = [prepared[job::jobs] for job in range(jobs)]
    daemons = [charon_factory(name="%sb%d" % (label, job)) for job in range(jobs)]
    script = str(Path(support.__file__).resolve())

    def run_chain(job):
        daemon, tasks, proxies = daemons[job], [], {}
        for index, _name, tree, workdir, _reference, _loaded, _sent, _dropped in chains[job]:
            tag = "f%03d" % index
            proxy = proxies[index] = ViciProxy(os.path.join(sockets, tag + ".vici"), daemon.socket_path).start()
            args = config_args(tree, workdir, proxy.uri, purge)
            snap = {"argv": [sys.executable, script, daemon.socket_uri, os.path.join(workdir, "config.json"), "-"]}
            tasks += [{"name": tag + " pass1", "strongswan.vici.config": args, "ignore_errors": True},
                      {"name": tag + " mark", "ansible.builtin.command": {"argv": [sys.executable, script, "mark",
                                                                                   proxy.uri, tag]}},
                      {"name": tag + " pass2", "strongswan.vici.config": args, "ignore_errors": True},
                      {"name": tag + " snapshot", "ansible.builtin.command": snap,
                       "environment": {"CONFORMANCE_COLLECTIONS": str(COLLECTIONS_PATH)}}]
        try:
            play = run_playbook([{"hosts": "localhost", "gather_facts": False, "tasks": tasks}], timeout=3600,
                                env={"STRONGSWAN_VICI_LEDGER_DIR": str(tmp_path / ("ledger%d" % job))})
        finally:
            recorded = {index: proxy.take() for index, proxy in proxies.items()}
            for proxy in proxies.values():
                proxy.stop()
        assert play.tasks, "the playbook ran no task: %r" % play
        return dict(play.tasks), recorded

    try:
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            outcomes = list(pool.map(run_chain, range(jobs)))
    finally:
        shutil.rmtree(sockets, ignore_errors=True)
    empty_view = {"conns": {}, "shared": [], "keys": [], "pools": {}, "authorities": {}, "certs": []}
    for job, (by_name, recorded) in enumerate(outcomes):
        before = empty_view
        for entry in chains[job]:
            tag = "f%03d" % entry[0]
            try:
                after = json.loads(Path(entry[3], "config.json").read_text())
            except (OSError, ValueError):
                after = None
            tasks = {task[len(tag) + 1:]: value for task, value in by_name.items() if task.startswith(tag + " ")}
            results[entry[1]] = evaluate(entry, tasks, support.split_at_marks(recorded[entry[0]]), before, after)
            before = after or before
    counts, compared = tally(results, VIEWS + ("certs",))
    counts["with parts left out"] = sum(1 for result in results.values() if result.get("left_out"))
    return {"files": len(paths), "counts": counts, "objects_compared": compared,
            "seconds": round(time.monotonic() - started, 1), "seconds_swanctl": round(swanctl_done - started, 1),
            "results": results}


@pytest.mark.skipif(not CORPUS.is_dir(), reason="corpus not present at %s" % CORPUS)
@corpus_timeout
def test_corpus_conformance_config(charon_factory, tmp_path):
    check_corpus(run_config_conformance, charon_factory, tmp_path, "CONFORMANCE_CONFIG_REPORT", "config conformance")


# Two files in one chain: the second shares nothing with the first, so every object of the first must go.
CHAIN = {
    "first.conf": """
connections {
   first {
      remote_addrs = 127.0.0.2
      local {
         auth = psk
         id = first@example.org
      }
      remote {
         auth = psk
      }
   }
}
secrets {
   ike-first {
      id = first@example.org
      secret = 0sv+NkxY9LLZvwj4qCC2o/gGrWDF2d21jL
   }
}
pools {
   first {
      addrs = 10.9.0.0/24
   }
}
""",
    "second.conf": """
connections {
   second {
      remote_addrs = 127.0.0.3
      pools = second
      local {
         auth = psk
      }
      remote {
         auth = psk
      }
   }
}
pools {
   second {
      addrs = 10.8.0.0/24
      dns = 10.8.0.53
   }
}
""",
    "third.conf": "connections {\n bad {\n  children {\n   c {\n    mode = bogus\n   }\n  }\n }\n}\n",
}


def test_config_chain_without_purge_is_caught(charon_factory, tmp_path, monkeypatch):
    """The chain passes with purge; without it the first file's objects stay in daemon B, and the views tell.

    A file the daemon refuses from swanctl, and config refuses whole, is reported as such."""
    monkeypatch.setenv("CONFORMANCE_JOBS", "1")
    conf = tmp_path / "conf"
    conf.mkdir()
    for name, text in CHAIN.items():
        (conf / name).write_text(text)
    paths = [conf / name for name in sorted(CHAIN)]
    intact = run_config_conformance(charon_factory, tmp_path / "intact", paths)["results"]
    assert {name: result["status"] for name, result in intact.items()} == {
        "first.conf": "pass", "second.conf": "pass", "third.conf": "rejected"}, intact
    assert intact["second.conf"]["compared"]["conns"] == 1 and intact["second.conf"]["messages_compared"] == 2, intact
    broken = run_config_conformance(charon_factory, tmp_path / "broken", paths, purge=False, label="x")["results"]
    assert broken["first.conf"]["status"] == "pass", broken["first.conf"]
    problems = broken["second.conf"]["problems"]
    assert broken["second.conf"]["status"] == "fail", broken["second.conf"]
    for view in ("conns", "shared", "pools"):
        assert any(problem.startswith(view + " differ: ") for problem in problems), (view, problems)
