# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One writer per gateway (issue 17 item 1): concurrent config runs against one real charon.

Writers are separate processes (forked; each runs the config module in-process, the same code as under
ansible-playbook) released together at a barrier, each with ``purge: true`` and a tree of its own. After every
round the daemon must hold exactly the tree of the writer that took the gateway lock last, and every writer's
result must say exactly what it did: what it added and removed is the difference between the tree of the
writer before it (in lock order) and its own.

``make test`` runs 2 and 10 writers, 20 rounds, 50 connections each. ``make stress`` (``scripts/run.sh
stress``) sets STRONGSWAN_VICI_STRESS_CONNECTIONS and STRONGSWAN_VICI_STRESS_ROUNDS (300 and 40).
"""

from __future__ import annotations

import multiprocessing
import os
import time

import pytest

from runtime_support import run_module_in_process

from ansible_collections.strongswan.vici.plugins.module_utils._engine import lock as gateway_lock
from ansible_collections.strongswan.vici.plugins.module_utils.vici.session import Session

CONNECTIONS = int(os.environ.get("STRONGSWAN_VICI_STRESS_CONNECTIONS", "50"))
ROUNDS = int(os.environ.get("STRONGSWAN_VICI_STRESS_ROUNDS", "20"))
BARRIER_TIMEOUT = 120 + CONNECTIONS

pytestmark = pytest.mark.timeout(1500 if "STRONGSWAN_VICI_STRESS_ROUNDS" in os.environ else 240)


def writer_tree(writer):
    """Writer ``writer``'s connections: names of its own, so the daemon's list says whose tree it holds."""
    return {"w%dc%d" % (writer, number): {
        "local_addrs": ["127.0.0.1"],
        "remote_addrs": ["127.0.%d.%d" % (writer + 1, number % 250 + 1)],
        "local": {"auth": "psk", "id": "gw.example.com"},
        "remote": {"auth": "psk", "id": "w%d-peer%d.example.com" % (writer, number)},
        "children": {"net": {"local_ts": ["10.1.0.0/16"], "remote_ts": ["10.%d.%d.0/24" % (writer + 20, number % 250)]}},
    } for number in range(CONNECTIONS)}


def _writer(writer, uri, ledger, start, done, results):
    """One writer process: every round, wait at ``start``, run config, report, wait at ``done``."""
    os.environ["STRONGSWAN_VICI_LEDGER_DIR"] = ledger
    acquired = []
    original = gateway_lock.GatewayLock.acquire

    def recording_acquire(self, module, wait):
        original(self, module, wait)
        acquired.append(time.monotonic())  # system-wide clock: comparable between the writers

    gateway_lock.GatewayLock.acquire = recording_acquire
    args = {"socket": uri, "purge": True, "connections": writer_tree(writer)}
    for round_number in range(ROUNDS):
        start.wait(BARRIER_TIMEOUT)
        del acquired[:]
        try:
            result = run_module_in_process("config", args)
        except Exception as error:  # pylint: disable=broad-except  # reported to the parent, which fails
            result = {"failed": True, "msg": "writer crashed: %r" % error}
        results.put((round_number, writer, acquired[0] if acquired else None, result))
        done.wait(BARRIER_TIMEOUT)


def daemon_connections(uri):
    with Session(uri, timeout=30) as vici:
        return sorted(vici.get_conns().get("conns", []))


@pytest.mark.parametrize("writers", [2, 10])
def test_concurrent_writers_end_with_the_last_writers_tree(charon, tmp_path, writers):
    uri = charon.socket_uri
    ledger = tmp_path / "ledger"
    ledger.mkdir()
    context = multiprocessing.get_context("fork")
    start, done = context.Barrier(writers + 1), context.Barrier(writers + 1)
    results = context.Queue()
    processes = [context.Process(target=_writer, args=(number, uri, str(ledger), start, done, results), daemon=True)
                 for number in range(writers)]
    for process in processes:
        process.start()
    trees = {number: set(writer_tree(number)) for number in range(writers)}
    held = set()  # what the daemon holds before the round: nothing at first
    began = time.monotonic()
    finished = False
    try:
        for round_number in range(ROUNDS):
            start.wait(BARRIER_TIMEOUT)
            done.wait(BARRIER_TIMEOUT)
            runs = sorted((results.get(timeout=10) for _writer in range(writers)), key=lambda entry: entry[2] or 0)
            for round_seen, writer, acquired, result in runs:
                assert round_seen == round_number and acquired is not None, (writer, result)
                assert not result.get("failed"), (writer, result.get("msg"))
                # True about what it did: the difference between its predecessor's tree (in lock order) and its own.
                sections = result["sections"]["connections"]
                assert sorted(sections["added"]) == sorted(trees[writer] - held), (round_number, writer, sections)
                assert sorted(sections["removed"]) == sorted(held - trees[writer]), (round_number, writer, sections)
                assert result["changed"] is (held != trees[writer]), (round_number, writer, result["changed"])
                held = trees[writer]
            last = runs[-1][1]
            assert daemon_connections(uri) == sorted(trees[last]), (round_number, "last writer", last)
        finished = True
    finally:
        if not finished:  # release the writers waiting at a barrier
            start.abort()
            done.abort()
        for process in processes:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
                process.join(timeout=10)
    print("%d writers x %d rounds x %d connections: %.1f s" % (writers, ROUNDS, CONNECTIONS, time.monotonic() - began))
    assert all(process.exitcode == 0 for process in processes), [process.exitcode for process in processes]


@pytest.mark.parametrize("module, args", [
    ("config", {"connections": {"gw": writer_tree(0)["w0c0"]}}),
    ("connection", {"name": "gw", "config": writer_tree(0)["w0c0"]}),
    ("command", {"command": "unload-conn", "request": {"name": "gw"}}),
])
def test_second_run_waits_then_fails_naming_the_holder(charon, tmp_path, monkeypatch, module, args):
    """A run that finds the gateway locked waits the bounded time, then fails naming the holder; nothing is sent."""
    ledger = tmp_path / "ledger"
    ledger.mkdir()
    monkeypatch.setenv("STRONGSWAN_VICI_LEDGER_DIR", str(ledger))
    monkeypatch.setenv(gateway_lock.LOCK_WAIT_ENV, "0.3")
    from ansible_collections.strongswan.vici.plugins.module_utils._engine.ledger import Ledger  # pylint: disable=import-outside-toplevel
    from ansible_collections.strongswan.vici.plugins.module_utils.vici.transport import parse_uri  # pylint: disable=import-outside-toplevel

    endpoint = parse_uri(charon.socket_uri)
    # The same socket spelled otherwise (a bare path) is the same gateway.
    holder = gateway_lock.GatewayLock(gateway_lock.lock_path(Ledger.path_for(endpoint), parse_uri(charon.socket_path)),
                                      charon.socket_path)
    holder.acquire("strongswan.vici.config", 1)
    try:
        began = time.monotonic()
        result = run_module_in_process(module, dict(args, socket=charon.socket_uri))
        waited = time.monotonic() - began
        checked = run_module_in_process(module, dict(args, socket=charon.socket_uri), check=True)
    finally:
        holder.release()
    # command in check mode sends nothing mutating and opens no session for it: it need not wait.
    for failed in (result, checked) if module != "command" else (result,):
        assert failed["failed"] is True, failed
        assert "process %d (module strongswan.vici.config" % os.getpid() in failed["msg"], failed["msg"]
        assert "not released within 0.3 s" in failed["msg"] and gateway_lock.LOCK_WAIT_ENV in failed["msg"], failed["msg"]
    assert 0.3 <= waited < 10, waited
    assert daemon_connections(charon.socket_uri) == []
    # Released: the same run goes through (to the daemon: unload-conn of a connection it lacks is its own error).
    after = run_module_in_process(module, dict(args, socket=charon.socket_uri))
    assert "gateway lock" not in str(after.get("msg", "")), after


def test_read_only_modules_do_not_wait_for_the_gateway_lock(charon, tmp_path, monkeypatch):
    ledger = tmp_path / "ledger"
    ledger.mkdir()
    monkeypatch.setenv("STRONGSWAN_VICI_LEDGER_DIR", str(ledger))
    monkeypatch.setenv(gateway_lock.LOCK_WAIT_ENV, "0.1")
    from ansible_collections.strongswan.vici.plugins.module_utils._engine.ledger import Ledger  # pylint: disable=import-outside-toplevel
    from ansible_collections.strongswan.vici.plugins.module_utils.vici.transport import parse_uri  # pylint: disable=import-outside-toplevel

    endpoint = parse_uri(charon.socket_uri)
    holder = gateway_lock.GatewayLock(gateway_lock.lock_path(Ledger.path_for(endpoint), endpoint), charon.socket_uri)
    holder.acquire("strongswan.vici.config", 1)
    try:
        assert not run_module_in_process("info", {"socket": charon.socket_uri}).get("failed")
        assert not run_module_in_process("command", {"socket": charon.socket_uri, "command": "list-conns"}).get("failed")
    finally:
        holder.release()


def test_bad_lock_wait_variable_names_it(charon, tmp_path, monkeypatch):
    ledger = tmp_path / "ledger"
    ledger.mkdir()
    monkeypatch.setenv("STRONGSWAN_VICI_LEDGER_DIR", str(ledger))
    monkeypatch.setenv(gateway_lock.LOCK_WAIT_ENV, "soon")
    failed = run_module_in_process("config", {"socket": charon.socket_uri, "connections": {}})
    assert failed["failed"] is True and failed["msg"].startswith(gateway_lock.LOCK_WAIT_ENV + ": 'soon'"), failed
