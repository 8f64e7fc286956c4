#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What pipelining VICI requests would save: N load-conn one at a time, against a window of W in flight.

An experiment, not a feature: the collection's client sends one command at a time, as strongSwan's vici
README requires ("There is no sequence number to associate responses to requests, so only one command can be
active at a time on a single connection"). charon itself queues a connection's requests and answers them in
strict order (vici_socket.c, process_queue, since 5.2.0), which is what makes the window here work. Each mode
loads into a fresh daemon; the modes alternate, so that load on the machine affects both alike.

With ``--sessions S`` (issue 21) a third mode loads the same messages over S sessions at once, one thread each,
as the config module's first apply does (``_engine/parallel.py``: every S-th message per session).

usage: .venv/bin/python benchmarks/pipelining.py [--size 5000] [--window 32] [--rounds 2] [--sessions 4]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time

from bulk import REPO, gateway, stage

sys.path.insert(0, os.path.join(REPO, "tests", "integration", "targets", "setup_charon", "files"))

from charon_harness import Charon  # noqa: E402  pylint: disable=wrong-import-position


def one_at_a_time(session, messages):
    start = time.perf_counter()
    for message in messages:
        session.call("load-conn", message)
    return time.perf_counter() - start


def windowed(session, messages, window, wire):
    # Session's own packet loop, used privately: the client has no public way to have several commands owed.
    deadline = session._deadline(None)  # pylint: disable=protected-access
    start = time.perf_counter()
    sent = owed = 0
    while sent < len(messages) or owed:
        while sent < len(messages) and owed < window:
            session._send(wire.encode_packet(wire.CMD_REQUEST, "load-conn", messages[sent]), deadline)  # pylint: disable=protected-access
            sent += 1
            owed += 1
        reply = session._await_reply(deadline, (wire.CMD_RESPONSE,), "load-conn")  # pylint: disable=protected-access
        owed -= 1
        if (reply.message or {}).get("success") != "yes":
            raise SystemExit("load-conn failed: %r" % reply.message)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--size", type=int, default=5000)
    parser.add_argument("--window", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--sessions", type=int, default=0, help="also time S sessions at once (0: not)")
    args = parser.parse_args()
    sys.path.insert(0, stage())
    # pylint: disable=import-outside-toplevel
    from ansible_collections.strongswan.vici.plugins.module_utils._swanctl.schema import canonical_connection
    from ansible_collections.strongswan.vici.plugins.module_utils.vici import wire
    from ansible_collections.strongswan.vici.plugins.module_utils.vici.session import Session
    from ansible_collections.strongswan.vici.plugins.module_utils._engine.parallel import run_parallel

    messages = [{name: canonical_connection(name, body)} for name, body in gateway(args.size)["connections"].items()]
    base = tempfile.mkdtemp(prefix="svici-pipe-", dir="/tmp")
    try:
        for number in range(args.rounds):
            modes = ["one at a time"] + (["window %d" % args.window] if args.window else [])
            modes += ["%d sessions" % args.sessions] if args.sessions else []
            for mode in modes:
                daemon = Charon(os.path.join(base, "%d-%s" % (number, mode[0])), name="p%d%s" % (number, mode[0]),
                                log_level=0).start()
                try:
                    with Session(daemon.socket_uri, timeout=120) as session:
                        if mode.startswith("one"):
                            elapsed = one_at_a_time(session, messages)
                        elif mode.startswith("window"):
                            elapsed = windowed(session, messages, args.window, wire)
                        else:
                            start = time.perf_counter()
                            outcomes = run_parallel(session, messages, lambda own, message: own.call("load-conn", message),
                                                    args.sessions)
                            elapsed = time.perf_counter() - start
                            assert all(state == "done" for state, _value in outcomes)
                finally:
                    daemon.stop()
                print("%d load-conn, %-14s %6.2f s  (load average %.1f)" % (args.size, mode, elapsed, os.getloadavg()[0]))
                sys.stdout.flush()
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
