# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The demo's lab: two network namespaces joined by a veth pair, a throwaway charon in each.

    python3 lab.py up    --workdir D --owner-pid PID   # prints JSON (sockets, namespaces, addresses)
    python3 lab.py probe --workdir D                   # UDP 198.51.100.1 (A) -> 203.0.113.1 (B); exit 0 if delivered
    python3 lab.py down  --workdir D                   # daemons stopped by recorded PID, namespaces deleted

Built on tests/integration/targets/setup_charon/files/charon_harness.py and following
../shared/sandbox.md: veth in 198.18.0.0/15, protected subnets on lo, kernel-libipsec
(userspace ESP), an explicit plugin list, every wait bounded. The namespaces are named
``svdemo-<owner pid>-...`` so that ``up`` can remove the leftovers of demos whose shell
died (kill -9) without touching a demo that is still running.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests", "integration", "targets", "setup_charon", "files"))

import charon_harness  # noqa: E402  pylint: disable=wrong-import-position
from charon_harness import Charon, Netns, NetnsPair, cleanup_stale_netns, udp_probe  # noqa: E402

PREFIX = "svdemo-"


def _state_path(workdir):
    return os.path.join(workdir, "lab.json")


def up(workdir, owner_pid):
    cleanup_stale_netns(PREFIX)
    os.makedirs(workdir, exist_ok=True)
    pair = NetnsPair()
    base = "%s%d-%s" % (PREFIX, owner_pid, secrets.token_hex(2))
    pair.a, pair.b = Netns(base + "-a"), Netns(base + "-b")
    state = {"netns": [pair.a.name, pair.b.name], "workdir": workdir}
    # Record the names before creating anything: "down" must find whatever got made.
    with open(_state_path(workdir), "w", encoding="utf-8") as handle:
        json.dump(state, handle)
    pair.create()
    daemons = {}
    for side, ns in (("a", pair.a), ("b", pair.b)):
        daemon = Charon(os.path.join(workdir, side), name=side, netns=ns.name, tunnel=True)
        daemon.start()
        daemons[side] = daemon
    state.update({
        "a": {"socket": daemons["a"].socket_uri, "netns": pair.a.name, "ip": pair.a_ip, "subnet": "198.51.100.0/24",
              "host": pair.a_subnet_ip, "log": daemons["a"].log_path},
        "b": {"socket": daemons["b"].socket_uri, "netns": pair.b.name, "ip": pair.b_ip, "subnet": "203.0.113.0/24",
              "host": pair.b_subnet_ip, "log": daemons["b"].log_path},
    })
    with open(_state_path(workdir), "w", encoding="utf-8") as handle:
        json.dump(state, handle)
    return state


def probe(workdir):
    with open(_state_path(workdir), encoding="utf-8") as handle:
        state = json.load(handle)
    a, b = state["a"], state["b"]
    return udp_probe(a["netns"], a["host"], b["netns"], b["host"], timeout=5.0, count=5, interval=0.1,
                     payload=b"hello through the tunnel")


def down(workdir):
    """Stop both daemons (by recorded PID) and delete the namespaces; safe to call at any point."""
    errors = []
    for side in ("a", "b"):
        if os.path.exists(os.path.join(workdir, side, side + ".json")):
            try:
                Charon.attach(os.path.join(workdir, side), name=side).stop()
            except (OSError, charon_harness.HarnessError) as exc:
                errors.append("stopping %s: %s" % (side, exc))
    try:
        with open(_state_path(workdir), encoding="utf-8") as handle:
            names = json.load(handle).get("netns", [])
    except (OSError, ValueError):
        names = []
    for name in names:
        ns = Netns(name)
        if ns.exists():
            ns.created = True
            ns.delete()
    return errors


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("action", choices=("up", "probe", "down"))
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--owner-pid", type=int, default=os.getppid())
    args = parser.parse_args(argv)
    workdir = os.path.abspath(args.workdir)
    if args.action == "up":
        try:
            print(json.dumps(up(workdir, args.owner_pid)))
        except charon_harness.HarnessError as exc:
            print("lab: %s" % exc, file=sys.stderr)
            down(workdir)
            return 1
        return 0
    if args.action == "probe":
        delivered = probe(workdir)
        print("UDP 198.51.100.1 -> 203.0.113.1: %s" % ("delivered through the tunnel" if delivered else "NOT delivered"))
        return 0 if delivered else 1
    errors = down(workdir)
    for error in errors:
        print("lab: %s" % error, file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
