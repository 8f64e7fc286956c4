#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A whole gateway in one task: strongswan.vici.config against swanctl --load-all, measured in one run.

For each size N (default 1000 and 5000) it generates N connections, each with its own PSK, and times on
fresh daemons (root network namespace, loopback only, explicit plugin list, started by the test harness):

* ``ansible-playbook`` with one ``strongswan.vici.config`` task: first apply, unchanged rerun, a change of one
  connection of N (the day-to-day case), and a purge of N/5 connections and their secrets (1000 of 5000); the
  task reads the tree from a file on the managed host (``src``, JSON or swanctl.conf: ``--route src-json`` /
  ``src-conf``), takes it as arguments from a vars file (``--route args``), or, the README's route, from the
  inventory's group_vars (``--route group-vars``: YAML; ``group-vars-json``: the same as a .json file);
  ``--without-action`` stages the collection without the config action plugin, to measure what it saves;
* ``swanctl --load-all`` of the same tree (written with the collection's swanctl.conf renderer) for each step,
  into a second daemon: first, again unchanged, the tree with the one change, the smaller tree;
* ansible-core's floor on that route: the same play, inventory and variables with a ``debug`` task in place of
  ``config`` (the time no collection code can go below; for group_vars most of it is reading the YAML);
* the module's peak RSS (the Python process that runs the module, measured through a wrapper interpreter) and
  ansible-playbook's (the largest process of its tree, the module's included).

``--route role`` / ``role-json``: the site_to_site role for one gateway with the same number of tunnels in
group_vars (YAML / JSON), its peers outside the play, beside the README route of the same tree and swanctl
--load-all (first apply, unchanged rerun, change one; benchmarks/README.md).

Optionally (``--loop N``) a loop of ``strongswan.vici.connection`` over N connections, the figure the
issue started from. Prints the times and the ratios; nothing is asserted.

usage: .venv/bin/python benchmarks/bulk.py [--sizes 1000,5000] [--route src-json,group-vars,...] [--without-action]
       [--loop 100]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tests", "integration", "targets", "setup_charon", "files"))

from charon_harness import Charon, NetnsPair  # noqa: E402  pylint: disable=wrong-import-position

RSS_WRAPPER = """#!%(python)s
import resource, subprocess, sys, time
start = time.perf_counter()
code = subprocess.call([%(python)r] + sys.argv[1:])
with open(%(log)r, "a") as out:
    out.write("%%d %%.3f\\n" %% (resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, time.perf_counter() - start))
sys.exit(code)
"""


#: Runs ansible-playbook (argv[1:]) and prints the peak RSS (KiB) of the largest process of its tree and the CPU
#: seconds of the whole tree (steadier than wall time on a loaded machine: waiting for a core does not count).
PLAYBOOK_RSS = """import resource, subprocess, sys
code = subprocess.call(sys.argv[1:])
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
sys.stderr.write("PLAYBOOK-RSS %d %.3f\\n" % (usage.ru_maxrss, usage.ru_utime + usage.ru_stime))
sys.exit(code)
"""


def changed_one(tree):
    """TREE with one connection changed (its child's remote traffic selector): the day-to-day change."""
    connections = dict(tree["connections"])
    first = next(iter(connections))
    changed = json.loads(json.dumps(connections[first]))
    changed["children"]["net"]["remote_ts"] = ["10.99.99.0/24"]
    connections[first] = changed
    return {"connections": connections, "secrets": tree["secrets"]}


def gateway(count, first=0):
    connections, secrets = {}, {}
    for number in range(first, first + count):
        peer = "peer%d.example.com" % number
        connections["c%d" % number] = {
            "local_addrs": ["127.0.0.1"],
            "remote_addrs": ["127.%d.%d.%d" % (1 + number // 65536, (number // 256) % 256, number % 256)],
            "local": {"auth": "psk", "id": "gw.example.com"},
            "remote": {"auth": "psk", "id": peer},
            "children": {"net": {"local_ts": ["10.0.0.0/16"], "remote_ts": ["10.%d.%d.0/24" % (
                100 + number // 256, number % 256)], "esp_proposals": ["aes128gcm16-x25519"]}},
        }
        secrets["ike-c%d" % number] = {"secret": "psk-%08d-%s" % (number, "k" * 16), "id": "gw.example.com", "id-peer": peer}
    return {"connections": connections, "secrets": secrets}


def stage(without_action=False):
    """The collection staged (in .tmp, or in a copy without the config action plugin) and its collections path."""
    staged = subprocess.run(["bash", os.path.join(REPO, "scripts", "stage_collection.sh")], check=True, timeout=300,
                            capture_output=True, text=True).stdout.strip()
    if without_action:
        copy = os.path.join(REPO, ".tmp", "bulk-without-action")
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(staged, os.path.join(copy, "ansible_collections", "strongswan", "vici"),
                        ignore=shutil.ignore_patterns("output", ".tmp"))
        os.remove(os.path.join(copy, "ansible_collections", "strongswan", "vici", "plugins", "action", "config.py"))
        return copy
    return os.path.dirname(os.path.dirname(os.path.dirname(staged)))


class Runner:
    """ansible-playbook with the staged collection, one config task, vars from a JSON file."""

    def __init__(self, workdir, collections, socket):
        self.workdir = workdir
        self.collections = collections
        self.socket = socket
        self.rss_log = os.path.join(workdir, "rss.log")
        self.python = os.path.join(workdir, "python-rss")
        with open(self.python, "w", encoding="utf-8") as out:
            out.write(RSS_WRAPPER % {"python": sys.executable, "log": self.rss_log})
        os.chmod(self.python, 0o755)
        os.makedirs(os.path.join(workdir, "group_vars", "gateways"), exist_ok=True)
        with open(os.path.join(workdir, "inventory.ini"), "w", encoding="utf-8") as out:
            out.write("[gateways]\nlocalhost ansible_connection=local ansible_python_interpreter=%s\n" % self.python)
        self.playbook_rss = 0
        self.cpu = 0.0
        self.ledger = os.path.join(workdir, "ledger")
        self.module_time = 0.0

    def playbook(self, name, task):
        path = os.path.join(self.workdir, name + ".yml")
        with open(path, "w", encoding="utf-8") as out:
            json.dump([{"hosts": "gateways", "gather_facts": False, "vars_files": ["tree.json"], "tasks": [task]}], out)
        return path

    def run(self, playbook, extra_env=None):
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=self.collections, STRONGSWAN_VICI_LEDGER_DIR=self.ledger,
                   ANSIBLE_NOCOLOR="1", ANSIBLE_RETRY_FILES_ENABLED="0", ANSIBLE_LOCAL_TEMP=os.path.join(self.workdir, "tmp"),
                   ANSIBLE_DEPRECATION_WARNINGS="0", **(extra_env or {}))
        open(self.rss_log, "w", encoding="utf-8").close()
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-c", PLAYBOOK_RSS, os.path.join(os.path.dirname(sys.executable),
                               "ansible-playbook"), "-i", os.path.join(self.workdir, "inventory.ini"), playbook],
                              cwd=self.workdir, env=env, capture_output=True, text=True, timeout=3600, check=False)
        elapsed = time.perf_counter() - start
        if proc.returncode != 0:
            raise SystemExit("ansible-playbook failed:\n%s\n%s" % (proc.stdout[-3000:], proc.stderr[-3000:]))
        fields = proc.stderr.rsplit("PLAYBOOK-RSS ", 1)[1].split()
        self.playbook_rss = max(self.playbook_rss, int(fields[0]))
        self.cpu = float(fields[1])
        with open(self.rss_log, encoding="utf-8") as handle:
            runs = [line.split() for line in handle if line.strip()]
        rss = max((int(fields[0]) for fields in runs), default=0)
        self.module_time = sum(float(fields[1]) for fields in runs)
        changed = "changed=1" in proc.stdout
        return elapsed, rss, changed


def write_tree(path, tree):
    with open(path, "w", encoding="utf-8") as out:
        json.dump(tree, out)


def swanctl_dir(workdir, tree, collections):
    sys.path.insert(0, collections)
    from ansible_collections.strongswan.vici.plugins.module_utils._swanctl.syntax import render  # pylint: disable=import-outside-toplevel
    directory = os.path.join(workdir, "swanctl")
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "swanctl.conf"), "w", encoding="utf-8") as out:
        out.write(render(tree))
    return os.path.join(directory, "swanctl.conf")


def timed_swanctl(daemon, conf):
    start = time.perf_counter()
    proc = daemon.swanctl("--load-all", "--file", conf, timeout=3600)
    elapsed = time.perf_counter() - start
    if "connections" not in proc.stdout:
        raise SystemExit("swanctl --load-all said: %s %s" % (proc.stdout[-2000:], proc.stderr[-2000:]))
    return elapsed


def tree_task(route, workdir, socket):
    """The config task's arguments by ROUTE (the same for every step; :func:`write_inputs` writes what they name)."""
    if route == "args":
        return {"socket": socket, "connections": "{{ tree_all.connections }}", "secrets": "{{ tree_all.secrets }}"}
    if route.startswith("group-vars"):  # the README's route: the tree in the inventory's group_vars
        return {"socket": socket, "connections": "{{ vpn_connections }}", "secrets": "{{ vpn_secrets }}"}
    if route == "src-json":
        return {"socket": socket, "src": os.path.join(workdir, "gateway.json")}
    return {"socket": socket, "src": os.path.join(workdir, "src", "swanctl.conf")}


def write_inputs(route, workdir, tree, collections):
    """Write TREE where ROUTE's task reads it (as a user edits the inventory or the file between runs)."""
    write_tree(os.path.join(workdir, "tree.json"), {"tree_all": tree} if route == "args" else {})
    if route == "group-vars":
        import yaml  # pylint: disable=import-outside-toplevel
        with open(os.path.join(workdir, "group_vars", "gateways", "vpn.yml"), "w", encoding="utf-8") as out:
            yaml.dump({"vpn_connections": tree["connections"], "vpn_secrets": tree["secrets"]}, out,
                      Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), default_flow_style=False)
    elif route == "group-vars-json":  # the same variables in a JSON file (ansible-core loads it much faster)
        write_tree(os.path.join(workdir, "group_vars", "gateways", "vpn.json"),
                   {"vpn_connections": tree["connections"], "vpn_secrets": tree["secrets"]})
    elif route == "src-json":
        write_tree(os.path.join(workdir, "gateway.json"), tree)
    elif route == "src-conf":
        swanctl_dir(os.path.join(workdir, "src"), tree, collections)


def measure(size, collections, base, route):
    workdir = tempfile.mkdtemp(prefix="bulk-%d-" % size, dir=base)
    purged = size // 5
    tree = gateway(size)
    one = changed_one(tree)
    smaller = gateway(size - purged, purged)
    figures = {}
    ours = Charon(os.path.join(workdir, "a"), name="a", log_level=0).start()
    theirs = Charon(os.path.join(workdir, "b"), name="b", log_level=0).start()
    try:
        runner = Runner(workdir, collections, ours.socket_uri)
        task = tree_task(route, workdir, ours.socket_uri)
        apply_all = runner.playbook("apply", {"name": "gateway", "strongswan.vici.config": task})
        purge = runner.playbook("purge", {"name": "gateway", "strongswan.vici.config": dict(task, purge=True)})
        rss = []
        for step, content, playbook, expected in (("first apply", tree, apply_all, True),
                                                  ("unchanged rerun", tree, apply_all, False),
                                                  ("change one", one, apply_all, True),
                                                  ("purge %d" % purged, smaller, purge, True)):
            write_inputs(route, workdir, content, collections)
            figures[step], step_rss, changed = runner.run(playbook)
            figures["  of which module" + " " * len(rss)] = runner.module_time
            figures["  CPU, all processes" + " " * len(rss)] = runner.cpu
            rss.append(step_rss)
            if changed != expected:
                raise SystemExit("unexpected changed flag in %s: %s" % (step, changed))
        # ansible-core's own floor on this route: the same inventory and variables, one task that uses none of
        # them (the vars plugins still read group_vars): what no collection code can go below.
        write_inputs(route, workdir, tree, collections)
        figures["ansible-core floor"] = runner.run(runner.playbook("floor", {
            "name": "floor", "ansible.builtin.debug": {"msg": "the same play without the config task"}}))[0]
        figures["module peak RSS MB"] = max(rss) / 1024.0
        figures["playbook peak RSS MB"] = runner.playbook_rss / 1024.0
        for step, content in (("swanctl first", tree), ("swanctl again", tree), ("swanctl change one", one),
                              ("swanctl purge", smaller)):
            figures[step] = timed_swanctl(theirs, swanctl_dir(os.path.join(workdir, step.replace(" ", "-")), content,
                                                              collections))
    finally:
        ours.stop()
        theirs.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return figures


def loop_reference(count, collections, base):
    workdir = tempfile.mkdtemp(prefix="bulk-loop-", dir=base)
    daemon = Charon(os.path.join(workdir, "a"), name="a", log_level=0).start()
    try:
        runner = Runner(workdir, collections, daemon.socket_uri)
        write_tree(os.path.join(workdir, "tree.json"), {"tree_all": gateway(count)})
        loop = runner.playbook("loop", {"name": "one by one", "strongswan.vici.connection": {
            "socket": daemon.socket_uri, "name": "{{ item.key }}", "config": "{{ item.value }}"},
            "loop": "{{ tree_all.connections | dict2items }}"})
        return runner.run(loop)[0]
    finally:
        daemon.stop()
        shutil.rmtree(workdir, ignore_errors=True)


# -- the small gateway: the site_to_site role against a config playbook (issue 21) ------------------------------

#: A notification callback: every task's wall time and, per task, how many hosts ran it (not skipped), written
#: as JSON lines to $SMALLGW_TIMINGS.
TIMING_CALLBACK = """
import json, os, time
from ansible.plugins.callback import CallbackBase

class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "smallgw_timing"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self.current = None
        self.rows = []

    def _close(self):
        if self.current:
            self.current["seconds"] = time.perf_counter() - self.current.pop("start")
            self.rows.append(self.current)
            self.current = None

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._close()
        self.current = {"name": task.get_name(), "action": task.action, "start": time.perf_counter(), "ran": 0,
                        "skipped": 0, "items": 0}

    def _result(self, result, skipped=False):
        if self.current is None:
            return
        self.current["skipped" if skipped else "ran"] += 1
        self.current["items"] += sum(1 for item in result._result.get("results", []) or [] if not item.get("skipped"))

    def v2_runner_on_ok(self, result):
        self._result(result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._result(result)

    def v2_runner_on_skipped(self, result):
        self._result(result, skipped=True)

    def v2_playbook_on_stats(self, stats):
        self._close()
        with open(os.environ["SMALLGW_TIMINGS"], "w") as out:
            for row in self.rows:
                out.write(json.dumps(row) + "\\n")
"""

#: Module actions that reach the managed host (a round trip each, per item of a loop); the rest run on the controller.
CONTROLLER_ACTIONS = ("set_fact", "debug", "assert", "validate_argument_spec", "include_tasks", "include_role",
                      "meta", "fail")


def s2s_tunnels(count, moved=False):
    """COUNT PSK tunnels between gw-a and gw-b; MOVED changes tunnel t0's subnet behind gw-b (the one change)."""
    tunnels = []
    for number in range(count):
        b_subnet = "203.0.113.%d/32" % (110 if moved and number == 0 else 10 + number)
        tunnels.append({"name": "t%d" % number, "auth": "psk", "psk": "small-gateway-psk-%02d-%s" % (number, "k" * 16),
                        "ends": {"gw-a": {"address": "198.18.0.1", "subnets": ["198.51.100.%d/32" % (10 + number)],
                                          "id": "a%d.s2s.example" % number},
                                 "gw-b": {"address": "198.18.0.2", "subnets": [b_subnet],
                                          "id": "b%d.s2s.example" % number}}})
    return tunnels


def s2s_tree(tunnels, gateway):
    """The connections and secrets the role gives GATEWAY (plugins/filter/site_to_site.py, site_to_site_tunnels)."""
    connections, secrets = {}, {}
    for tunnel in tunnels:
        me = tunnel["ends"][gateway]
        peer = next(end for name, end in tunnel["ends"].items() if name != gateway)
        initiator = sorted(tunnel["ends"])[0] == gateway
        connections["s2s-" + tunnel["name"]] = {
            "version": 2, "local_addrs": [me["address"]], "remote_addrs": [peer["address"]],
            "proposals": ["default"], "keyingtries": 0, "dpd_delay": 30,
            "local": {"auth": "psk", "id": me["id"]}, "remote": {"auth": "psk", "id": peer["id"]},
            "children": {tunnel["name"]: {"local_ts": me["subnets"], "remote_ts": peer["subnets"],
                                          "esp_proposals": ["default"],
                                          "start_action": "start" if initiator else "none",
                                          "dpd_action": "restart" if initiator else "clear"}}}
        secrets["ike-s2s-" + tunnel["name"]] = {"secret": tunnel["psk"], "id-local": me["id"], "id-remote": peer["id"]}
    return {"connections": connections, "secrets": secrets}


class GatewayPair:
    """Two namespaced gateways (tunnel-mode charons) and an inventory naming them gw-a and gw-b."""

    def __init__(self, workdir, label, count):
        self.workdir = os.path.join(workdir, label)
        self.netns = NetnsPair(prefix="svici-bench-").create()
        self.daemons = {}
        try:
            for number in range(count):
                self.netns.a.ip("addr", "add", "198.51.100.%d/32" % (10 + number), "dev", "lo")
                for host in (10 + number, 110 + number):
                    self.netns.b.ip("addr", "add", "203.0.113.%d/32" % host, "dev", "lo")
            for gateway, ns in (("gw-a", self.netns.a), ("gw-b", self.netns.b)):
                # short socket paths: AF_UNIX allows 107 bytes
                self.daemons[gateway] = Charon(tempfile.mkdtemp(prefix="sg-", dir="/tmp"), name=gateway[-1], netns=ns.name,
                                               tunnel=True, log_level=0).start()
                for sub in ("conf.d", "x509", "x509ca", "ecdsa", "x509crl"):
                    os.makedirs(os.path.join(self.workdir, gateway, "swanctl", sub), exist_ok=True)
        except BaseException:
            self.stop()
            raise

    def inventory(self, python):
        path = os.path.join(self.workdir, "inventory.ini")
        with open(path, "w", encoding="utf-8") as out:
            out.write("[gateways]\n")
            for gateway, daemon in self.daemons.items():
                out.write("%s ansible_connection=local ansible_python_interpreter=%s strongswan_vici_socket=%s "
                          "strongswan_vici_etc=%s\n" % (gateway, python, daemon.socket_path,
                                                        os.path.join(self.workdir, gateway)))
        return path

    def installed(self):
        """Per gateway, the number of INSTALLED CHILD_SAs (a check that every tunnel is up)."""
        counts = {}
        for gateway, daemon in self.daemons.items():
            text = daemon.swanctl("--list-sas").stdout
            counts[gateway] = text.count("INSTALLED")
        return counts

    def stop(self):
        for daemon in self.daemons.values():
            daemon.stop()
            shutil.rmtree(daemon.workdir, ignore_errors=True)
        self.netns.delete()


def small_run(workdir, inventory, playbook, collections, ledger):
    """One ansible-playbook run: (wall seconds, per-task timing rows)."""
    timings = os.path.join(workdir, "timings.jsonl")
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections, STRONGSWAN_VICI_LEDGER_DIR=ledger,
               ANSIBLE_NOCOLOR="1", ANSIBLE_RETRY_FILES_ENABLED="0", ANSIBLE_LOCAL_TEMP=os.path.join(workdir, "tmp"),
               ANSIBLE_DEPRECATION_WARNINGS="0", ANSIBLE_CALLBACK_PLUGINS=os.path.join(workdir, "callback_plugins"),
               ANSIBLE_CALLBACKS_ENABLED="smallgw_timing", SMALLGW_TIMINGS=timings, ANSIBLE_FORKS="5")
    start = time.perf_counter()
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", inventory, playbook],
                          cwd=workdir, env=env, capture_output=True, text=True, timeout=900, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit("ansible-playbook %s failed:\n%s\n%s" % (playbook, proc.stdout[-6000:], proc.stderr[-3000:]))
    with open(timings, encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    return elapsed, rows


def task_counts(rows):
    """(tasks started, tasks that ran on some host, host round trips: module executions and loop items)."""
    ran = [row for row in rows if row["ran"]]
    trips = sum(max(row["items"], row["ran"]) for row in ran if row["action"].rsplit(".", 1)[-1] not in CONTROLLER_ACTIONS)
    return len(rows), len(ran), trips


def small_gateway(collections, base, count, repeat, top):
    """The small-gateway row: COUNT PSK tunnels between two gateways; apply all, then REPEAT changes of one tunnel,
    each by the site_to_site role (one play over both gateways) and by a config playbook (one config task per
    gateway, the same tree), on two gateway pairs, alternating."""
    workdir = tempfile.mkdtemp(prefix="smallgw-", dir=base)
    os.makedirs(os.path.join(workdir, "callback_plugins"))
    with open(os.path.join(workdir, "callback_plugins", "smallgw_timing.py"), "w", encoding="utf-8") as out:
        out.write(TIMING_CALLBACK)
    pairs = {}
    try:
        pairs["role"] = GatewayPair(workdir, "role", count)
        pairs["config"] = GatewayPair(workdir, "config", count)
        inventories = {label: pair.inventory(sys.executable) for label, pair in pairs.items()}
        role_play = os.path.join(workdir, "role.yml")
        with open(role_play, "w", encoding="utf-8") as out:
            json.dump([{"hosts": "gateways", "gather_facts": False, "vars_files": ["tunnels.json"],
                        "vars": {"strongswan_vici_s2s_forwarding": False},
                        "roles": [{"role": "strongswan.vici.site_to_site"}]}], out)
        config_play = os.path.join(workdir, "config.yml")
        with open(config_play, "w", encoding="utf-8") as out:
            json.dump([{"hosts": "gateways", "gather_facts": False, "vars_files": ["trees.json"], "tasks": [{
                "name": "this gateway's tunnels", "strongswan.vici.config": {
                    "socket": "unix://{{ strongswan_vici_socket }}", "swanctl_dir": "{{ strongswan_vici_etc }}/swanctl",
                    "connections": "{{ trees[inventory_hostname].connections }}",
                    "secrets": "{{ trees[inventory_hostname].secrets }}", "sa_timeout": 30,
                    "persist": "{{ strongswan_vici_etc }}/swanctl/conf.d/site_to_site.conf"}}]}], out)

        def write(tunnels):
            write_tree(os.path.join(workdir, "tunnels.json"), {"strongswan_vici_tunnels": tunnels})
            write_tree(os.path.join(workdir, "trees.json"), {"trees": {gw: s2s_tree(tunnels, gw) for gw in ("gw-a", "gw-b")}})

        def step(label, tunnels):
            write(tunnels)
            role = small_run(workdir, inventories["role"], role_play, collections, os.path.join(workdir, "ledger-role"))
            config = small_run(workdir, inventories["config"], config_play, collections,
                               os.path.join(workdir, "ledger-config"))
            load = os.getloadavg()[0]
            up = {name: pair.installed() for name, pair in pairs.items()}
            tasks, ran, trips = task_counts(role[1])
            line = ("  %-18s role %6.2f s   config %6.2f s   ratio %5.2fx   role tasks %d (ran %d, host round trips %d)"
                    "   load %.1f   INSTALLED %s")
            print(line % (label, role[0], config[0], role[0] / config[0], tasks, ran, trips, load, up))
            sys.stdout.flush()
            return role, config

        print("small gateway: %d PSK tunnels between two namespaced gateways; the site_to_site role (one play over both) "
              "against a config playbook (one config task per gateway), same run (load average %s)" % (
                  count, " ".join("%.1f" % value for value in os.getloadavg())))
        step("first apply", s2s_tunnels(count))
        ratios, profiles = [], []
        for number in range(repeat):
            role, config = step("change one #%d" % (number + 1), s2s_tunnels(count, moved=number % 2 == 0))
            ratios.append(role[0] / config[0])
            profiles.append(role[1])
        if ratios:
            print("  change one: ratio role/config %s (median %.2fx)" % (
                ", ".join("%.2fx" % value for value in ratios), sorted(ratios)[len(ratios) // 2]))
        if top and profiles:
            print("  the role's slowest tasks in the last change (wall s, hosts ran, loop items):")
            for row in sorted(profiles[-1], key=lambda row: -row["seconds"])[:top]:
                print("    %6.2f  %d  %3d  %s" % (row["seconds"], row["ran"], row["items"], row["name"]))
    finally:
        for pair in pairs.values():
            pair.stop()
        shutil.rmtree(workdir, ignore_errors=True)


# -- the site_to_site role on a hub with N tunnels (issue 21) ------------------------------------------------------

#: The hub's name in every tunnel's ``ends``; the branches ("branch<number>") sort before it, so each branch is the
#: initiating end and the hub answers (start_action none): no tunnel is brought up, nothing is sent.
HUB = "hub"


def hub_tunnels(count, moved=False):
    """COUNT PSK tunnels from HUB to COUNT branches outside the play (the role's "external" peers); MOVED changes
    tunnel t0's subnet behind its branch (the one change). Addresses as :func:`gateway`'s (loopback only)."""
    tunnels = []
    for number in range(count):
        subnet = "10.%d.%d.0/24" % (100 + number // 256, number % 256)
        tunnels.append({"name": "t%d" % number, "auth": "psk", "psk": "psk-%08d-%s" % (number, "k" * 16), "ends": {
            HUB: {"address": "127.0.0.1", "subnets": ["10.0.0.0/16"], "id": "gw.example.com"},
            "branch%d" % number: {
                "address": "127.%d.%d.%d" % (1 + number // 65536, (number // 256) % 256, number % 256),
                "subnets": ["10.99.99.0/24" if moved and number == 0 else subnet],
                "id": "peer%d.example.com" % number}}})
    return tunnels


def role_play(runner, socket_path, etc):
    """The role's playbook for the hub (ROUTE role*): one gateway, peers outside the play, no forwarding (root
    namespace), no bring-up and SA check (strongswan_vici_s2s_up false: no peer will answer)."""
    path = os.path.join(runner.workdir, "role.yml")
    with open(path, "w", encoding="utf-8") as out:
        json.dump([{"hosts": "gateways", "gather_facts": False, "vars": {
            "strongswan_vici_gateway": HUB, "strongswan_vici_socket": socket_path, "strongswan_vici_etc": etc,
            "strongswan_vici_s2s_forwarding": False, "strongswan_vici_s2s_up": False},
            "roles": [{"role": "strongswan.vici.site_to_site"}]}], out)
    for sub in ("conf.d", "x509", "x509ca", "ecdsa", "x509crl"):
        os.makedirs(os.path.join(etc, "swanctl", sub), exist_ok=True)
    return path


def write_role_inputs(route, workdir, tunnels):
    path = os.path.join(workdir, "group_vars", "gateways")
    if route == "role":
        import yaml  # pylint: disable=import-outside-toplevel
        with open(os.path.join(path, "vpn.yml"), "w", encoding="utf-8") as out:
            yaml.dump({"strongswan_vici_tunnels": tunnels}, out, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper),
                      default_flow_style=False)
    else:
        write_tree(os.path.join(path, "vpn.json"), {"strongswan_vici_tunnels": tunnels})


def measure_role(size, collections, base, routes, top):
    """The role routes (ROUTES role, role-json) beside the README route of the same tree (group-vars, YAML; and
    group-vars-json when role-json runs) and swanctl --load-all, step by step in turn: (figures, slowest tasks)."""
    workdir = tempfile.mkdtemp(prefix="bulk-role-%d-" % size, dir=base)
    with open(os.path.join(workdir, "smallgw_timing.py"), "w", encoding="utf-8") as out:
        out.write(TIMING_CALLBACK)
    readme = ["group-vars"] + (["group-vars-json"] if "role-json" in routes else [])
    daemons, runners, playbooks, figures, slowest = {}, {}, {}, {}, {}
    try:
        for route in list(routes) + readme + ["swanctl"]:
            daemons[route] = Charon(os.path.join(workdir, "d-" + route), name="r%d" % len(daemons), log_level=0).start()
        for route in list(routes) + readme:
            os.makedirs(os.path.join(workdir, route))
            runner = runners[route] = Runner(os.path.join(workdir, route), collections, daemons[route].socket_uri)
            if route.startswith("role"):
                playbooks[route] = role_play(runner, daemons[route].socket_path, os.path.join(runner.workdir, "etc"))
            else:
                playbooks[route] = runner.playbook("apply", {"name": "gateway", "strongswan.vici.config": tree_task(
                    route, runner.workdir, daemons[route].socket_uri)})
        for step, tunnels in (("first apply", hub_tunnels(size)), ("unchanged rerun", hub_tunnels(size)),
                              ("change one", hub_tunnels(size, moved=True))):
            tree = s2s_tree(tunnels, HUB)
            for route in list(routes) + readme:
                runner = runners[route]
                if route.startswith("role"):
                    write_tree(os.path.join(runner.workdir, "tree.json"), {})
                    write_role_inputs(route, runner.workdir, tunnels)
                else:
                    write_inputs(route, runner.workdir, tree, collections)
                timings = os.path.join(runner.workdir, "timings.jsonl")
                elapsed, _rss, changed = runner.run(playbooks[route], {
                    "ANSIBLE_CALLBACK_PLUGINS": workdir, "ANSIBLE_CALLBACKS_ENABLED": "smallgw_timing",
                    "SMALLGW_TIMINGS": timings})
                if changed != (step != "unchanged rerun"):
                    raise SystemExit("unexpected changed flag in %s (%s): %s" % (step, route, changed))
                figures[(route, step)] = elapsed
                figures[(route, step, "cpu")] = runner.cpu
                if route.startswith("role"):
                    with open(timings, encoding="utf-8") as handle:
                        rows = [json.loads(line) for line in handle if line.strip()]
                    slowest[(route, step)] = sorted(rows, key=lambda row: -row["seconds"])[:top]
            figures[("swanctl", step)] = timed_swanctl(daemons["swanctl"], swanctl_dir(
                os.path.join(workdir, "swanctl-" + step.replace(" ", "-")), tree, collections))
            figures[("load", step)] = os.getloadavg()[0]
        for route in readme:  # ansible-core's floor of the README route (see measure)
            runner = runners[route]
            figures[(route, "floor")] = runner.run(runner.playbook("floor", {
                "name": "floor", "ansible.builtin.debug": {"msg": "the same play without the config task"}}))[0]
    finally:
        for daemon in daemons.values():
            daemon.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return figures, slowest


def print_role(size, routes, figures, slowest):
    readme = ["group-vars"] + (["group-vars-json"] if "role-json" in routes else [])
    print("N = %d tunnels on one hub, site_to_site role from group_vars (peers outside the play) beside the README "
          "route (config from group_vars) of the same tree and swanctl --load-all, step by step in turn "
          "(load average now %s)" % (size, " ".join("%.1f" % value for value in os.getloadavg())))
    for step in ("first apply", "unchanged rerun", "change one"):
        swan = figures[("swanctl", step)]
        parts = ["%s %.2f s (CPU %.1f)" % (route, figures[(route, step)], figures[(route, step, "cpu")])
                 for route in list(routes) + readme]
        print("  %-16s %s; swanctl %.2f s; load %.1f" % (step, "; ".join(parts), swan, figures[("load", step)]))
        for route in routes:
            base = "group-vars-json" if route == "role-json" else "group-vars"
            print("  %-16s   %s / swanctl %.2fx, / %s %.2fx; %s / swanctl %.2fx" % (
                "", route, figures[(route, step)] / swan, base, figures[(route, step)] / figures[(base, step)],
                base, figures[(base, step)] / swan))
    for route in readme:
        floor = figures[(route, "floor")]
        ratios = (floor / figures[("swanctl", "first apply")], floor / figures[("swanctl", "unchanged rerun")])
        print("  ansible-core floor of %s (the play with a debug task instead of config): %.2f s; to swanctl "
              "--load-all: first %.2fx, again %.2fx" % ((route, floor) + ratios))
    for (route, step), rows in slowest.items():
        print("  %s, %s: slowest tasks (wall s): %s" % (route, step, "; ".join(
            "%.2f %s" % (row["seconds"], row["name"].split(" : ", 1)[-1][:50]) for row in rows)))
    sys.stdout.flush()


ROUTES = ("src-json", "src-conf", "args", "group-vars", "group-vars-json", "role", "role-json")


def print_figures(size, route, figures):
    print("N = %d connections, each with its own PSK (route %s; load average %s)" % (
        size, route, " ".join("%.1f" % value for value in os.getloadavg())))
    for key, value in figures.items():
        print("  %-22s %8.2f%s" % (key.rstrip(), value, "" if "MB" in key else " s"))
    purge_key = next(key for key in figures if key.startswith("purge"))
    print("  ratios to swanctl --load-all: first apply %.2f; unchanged rerun %.2f; change one %.2f; purge %.2f" % (
        figures["first apply"] / figures["swanctl first"], figures["unchanged rerun"] / figures["swanctl again"],
        figures["change one"] / figures["swanctl change one"], figures[purge_key] / figures["swanctl purge"]))
    print("  ansible-core floor (the play with a debug task instead of config) to swanctl --load-all: first %.2f; "
          "again %.2f" % (figures["ansible-core floor"] / figures["swanctl first"],
                          figures["ansible-core floor"] / figures["swanctl again"]))
    # The module's process (interpreter start included) against swanctl's whole run: the collection's own part;
    # the rest of each step is ansible-playbook's (ansible-core's) own.
    modules = [value for key, value in figures.items() if key.startswith("  of which module")]
    steps = ("swanctl first", "swanctl again", "swanctl change one", "swanctl purge")
    print("  the module's process alone to swanctl --load-all: %s" % "; ".join(
        "%s %.2f" % (step.split(" ", 1)[1], module / figures[step]) for step, module in zip(steps, modules)))
    sys.stdout.flush()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--sizes", default="1000,5000", help="comma-separated numbers of connections")
    parser.add_argument("--route", default="src-json",
                        help="how the config task gets the tree: a file on the managed host (JSON or swanctl.conf, "
                             "option src), task arguments from a vars file, or from the inventory's group_vars "
                             "(the README's route; YAML, or JSON with group-vars-json); comma-separated for several")
    parser.add_argument("--without-action", action="store_true",
                        help="stage the collection without the config action plugin (the tree options then go through "
                             "ansible-core's argument handling, as before issue 21)")
    parser.add_argument("--loop", type=int, default=0, help="also time a loop of the connection module over N")
    parser.add_argument("--small-gateway", type=int, default=0, metavar="TUNNELS",
                        help="only the small-gateway row: the site_to_site role on two namespaced gateways with TUNNELS "
                             "PSK tunnels against a config playbook doing the same, first apply and --repeat changes of one")
    parser.add_argument("--repeat", type=int, default=3, help="with --small-gateway: how many changes of one tunnel")
    parser.add_argument("--top", type=int, default=12, help="with --small-gateway: list the role's N slowest tasks")
    args = parser.parse_args()
    collections = stage(args.without_action)
    base = tempfile.mkdtemp(prefix="svici-bulk-", dir="/tmp")
    try:
        if args.small_gateway:
            small_gateway(collections, base, args.small_gateway, args.repeat, args.top)
            return
        routes = args.route.split(",")
        for route in routes:
            if route not in ROUTES:
                raise SystemExit("unknown route %s (one of %s)" % (route, ", ".join(ROUTES)))
        role_routes = [route for route in routes if route.startswith("role")]
        for size in [int(text) for text in args.sizes.split(",") if text]:
            if role_routes:
                print_role(size, role_routes, *measure_role(size, collections, base, role_routes, args.top))
            for route in [route for route in routes if not route.startswith("role")]:
                print_figures(size, route + (" without the action plugin" if args.without_action else ""),
                              measure(size, collections, base, route))
        if args.loop:
            print("loop of strongswan.vici.connection over %d connections: %.2f s" % (args.loop, loop_reference(
                args.loop, collections, base)))
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
