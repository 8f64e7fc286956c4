# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The ledger and the apply engine against the real charon (issue 9, items 1, 2, 4, 6 and 13).

A failed replacement never leaves a working connection deleted; concurrent
first runs keep every ledger entry; a damaged, untrusted or unwritable ledger
means "reload and report changed", with a warning, never a crash or a false
"ok"; a changed secret is visible in the diff. Only loopback addresses are
used; the test that checks trap policies runs its daemon in a namespace of its own.
"""

from __future__ import annotations

import copy
import json
import os
import stat
import subprocess
import sys
import time

import pytest
from charon_harness import Netns
from runtime_support import run_module_in_process
from daemon_views import listed_connection as listed, loaded_connections as loaded


from ansible_collections.strongswan.vici.plugins.module_utils._kinds.connection import ConnectionKind
from ansible_collections.strongswan.vici.plugins.module_utils._engine.ledger import Ledger, dump_document, load_document
from ansible_collections.strongswan.vici.plugins.module_utils.vici.transport import parse_uri
from ansible_collections.strongswan.vici.plugins.module_utils.vici.session import Session
from ansible_collections.strongswan.vici.plugins.modules import connection as connection_module
from ansible_collections.strongswan.vici.plugins.modules import shared_secret as shared_secret_module

GW = {
    "version": 2,
    "local_addrs": "127.0.0.1",
    "remote_addrs": "127.0.0.2",
    "dpd_delay": "30s",
    "dpd_timeout": "150s",
    "local": {"auth": "psk", "id": "moon.example"},
    "remote": {"auth": "psk", "id": "sun.example"},
    "children": {"net": {"local_ts": "10.1.0.0/16", "remote_ts": "10.2.0.0/16", "start_action": "none"}},
}


@pytest.fixture
def ledger_dir(tmp_path):
    directory = tmp_path / "ledger"
    directory.mkdir(mode=0o700)
    return directory


@pytest.fixture
def run(ledger_dir, monkeypatch):
    """Run a module in this process: ``run(module, socket, check=False, diff=False, **args)`` -> result dict."""
    monkeypatch.setenv("STRONGSWAN_VICI_LEDGER_DIR", str(ledger_dir))

    def call(module, socket, check=False, diff=False, **args):
        return run_module_in_process(module.__name__.rsplit(".", 1)[-1], dict(args, socket=socket), check=check, diff=diff)

    return call


def conn(run, socket, config=None, name="gw", **kwargs):
    if config is None:
        return run(connection_module, socket, name=name, state="absent", **kwargs)
    return run(connection_module, socket, name=name, config=config, **kwargs)


def warnings(result):
    """The result's warnings as one text (ansible-core 2.19 gives them as dicts in process, strings in a playbook)."""
    return " | ".join(warning if isinstance(warning, str) else str((warning.get("event") or {}).get("msg", warning))
                      for warning in result.get("warnings", []))


def ledger_path(socket, ledger_dir):
    return Ledger.path_for(parse_uri(socket), str(ledger_dir))


def bogus(config):
    """``config`` with a new dpd_timeout (a change that needs unload + load) and a child the daemon rejects

    (label_mode selinux on a host without SELinux: a verdict only the daemon gives)."""
    changed = copy.deepcopy(config)
    changed["dpd_timeout"] = "5m"
    changed["children"]["net"]["label_mode"] = "selinux"
    return changed


# -- item 1: a failed change never deletes a working connection ------------------------------


def test_a_rejected_reload_leaves_the_connection_as_it_was(charon, run):
    socket = charon.socket_uri
    assert conn(run, socket, GW)["changed"]
    assert listed(socket)["dpd_timeout"] == "150"
    check = conn(run, socket, bogus(GW), check=True)
    assert check["changed"] and check["action"] == "reload"
    failed = conn(run, socket, bogus(GW))
    assert failed["failed"] and failed["daemon_state"] == "unchanged" and failed["applied"] == []
    assert failed["msg"] == ("connection 'gw': VICI command 'load-conn' failed: invalid value for: label_mode, config discarded; "
                             "the new configuration was rejected before anything was unloaded: connection 'gw' is unchanged")
    # Still there, with the old values, and no probe left behind.
    assert loaded(socket) == ["gw"]
    assert listed(socket)["dpd_timeout"] == "150"
    assert not conn(run, socket, GW)["changed"]


def test_a_reload_rejected_after_the_unload_loads_the_previous_configuration_back(charon, run, monkeypatch):
    """If the daemon accepts the probe but still rejects the real load, the previous body comes back."""
    socket = charon.socket_uri
    with_cert = copy.deepcopy(GW)
    with_cert["children"]["net"]["esp_proposals"] = ["aes128gcm16"]
    conn(run, socket, with_cert)
    # Simulate a daemon whose verdict differs between the probe and the real load.
    monkeypatch.setattr(ConnectionKind, "validate", lambda self, session, name, message: None)
    failed = conn(run, socket, bogus(with_cert))
    assert failed["failed"] and failed["daemon_state"] == "restored", failed
    assert failed["msg"].endswith("connection 'gw' was unloaded for this change and its previous configuration was "
                                  "loaded back: the daemon runs the previous configuration")
    assert loaded(socket) == ["gw"] and listed(socket)["dpd_timeout"] == "150"
    # The ledger still describes what the daemon runs.
    again = conn(run, socket, with_cert)
    assert not again["changed"] and again["reason"] == "up to date"


def test_a_reload_that_cannot_be_restored_says_the_connection_is_gone(charon, run, ledger_dir, monkeypatch):
    socket = charon.socket_uri
    conn(run, socket, GW)
    # An older ledger entry without a restorable copy.
    path = ledger_path(socket, ledger_dir)
    with open(path, "rb") as handle:
        data = load_document(handle.read())
    del data["entries"]["connection/gw"]["restore"]
    with open(path, "wb") as handle:
        handle.write(dump_document(data))
    monkeypatch.setattr(ConnectionKind, "validate", lambda self, session, name, message: None)
    failed = conn(run, socket, bogus(GW))
    assert failed["failed"] and failed["daemon_state"] == "absent"
    assert failed["msg"].endswith("connection 'gw' was unloaded for this change and could not be loaded back: "
                                  "it is not loaded now")
    assert loaded(socket) == []


def test_a_successful_reload_probes_without_side_effects(charon_factory, run):
    """The probe load carries start_action none: no trap policy, no initiation, nothing left over."""
    netns = Netns().create()
    try:
        daemon = charon_factory(name="ns", netns=netns.name)
        socket = daemon.socket_uri
        trapped = copy.deepcopy(GW)
        trapped["children"]["net"].update(start_action="trap", local_ts="127.0.0.1/32", remote_ts="127.0.0.2/32")
        conn(run, socket, trapped)
        mark = os.path.getsize(daemon.log_path)
        changed = dict(trapped, dpd_timeout="5m")
        result = conn(run, socket, changed)
        assert result["changed"] and result["action"] == "reload"
        assert loaded(socket) == ["gw"] and listed(socket)["dpd_timeout"] == "300"
        with Session(socket, timeout=10) as vici:
            policies = vici.list_policies(trap=True)
            assert [list(event) for event in policies] == [["gw/net"]]
            assert vici.list_sas() == []
        with open(daemon.log_path, encoding="utf-8", errors="replace") as handle:
            handle.seek(mark)
            log = handle.read()
        # The daemon printed the probe (cfg level 2) before adding it: its child has start_action none.
        start, end = log.index(" conn gw.vici-probe-"), log.index("added vici connection: gw.vici-probe-")
        probe = log[start:end]
        assert "start_action = none" in probe and "start_action = trap" not in probe, probe
        assert "unload-conn" in log[end:log.index(" conn gw:", end)], "the probe is unloaded before the real reload"
        assert "added vici connection: gw\n" in log
    finally:
        netns.delete()


# -- item 2: concurrent first runs keep every entry ------------------------------------------


MODULE_RUNNER = r"""
import json, os, sys, time
sys.path.insert(0, sys.argv[1])
from ansible.module_utils.testing import patch_module_args
from ansible_collections.strongswan.vici.plugins.modules import connection
args, sync = json.loads(sys.argv[2]), sys.argv[3]
open(os.path.join(sync, "ready-%d" % os.getpid()), "w").close()
deadline = time.monotonic() + 120
while not os.path.exists(os.path.join(sync, "go")) and time.monotonic() < deadline:
    time.sleep(0.002)
with patch_module_args(args):
    connection.main()
"""


def _run_together(socket, names, ledger_dir, tmp_path):
    """One connection module run per name, in separate processes released at the same instant."""
    from conftest import COLLECTIONS_PATH  # pylint: disable=import-outside-toplevel
    env = dict(os.environ, STRONGSWAN_VICI_LEDGER_DIR=str(ledger_dir))
    sync = tmp_path / ("sync-%d" % time.monotonic_ns())
    sync.mkdir()
    procs = []
    for number, name in enumerate(names):
        config = dict(copy.deepcopy(GW), remote_addrs="127.0.0.%d" % (number + 2))
        args = json.dumps({"socket": socket, "name": name, "config": config})
        procs.append(subprocess.Popen([sys.executable, "-c", MODULE_RUNNER, str(COLLECTIONS_PATH), args, str(sync)],
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True))
    try:
        deadline = time.monotonic() + 120
        # Every process has imported everything and waits: then all go at once.
        while len(list(sync.glob("ready-*"))) < len(names) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(list(sync.glob("ready-*"))) == len(names)
    finally:
        (sync / "go").touch()
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert out.strip(), err
        results.append(json.loads(out))
    return results


def test_twenty_concurrent_first_runs_keep_every_ledger_entry(charon, ledger_dir, tmp_path):
    socket = charon.socket_uri
    names = ["c%02d" % number for number in range(20)]
    first = _run_together(socket, names, ledger_dir, tmp_path)
    assert [result.get("failed", False) for result in first] == [False] * 20, first
    assert all(result["changed"] for result in first)
    assert loaded(socket) == names
    with open(ledger_path(socket, ledger_dir), "rb") as handle:
        entries = load_document(handle.read())["entries"]
    assert sorted(entries) == ["connection/%s" % name for name in names]
    again = _run_together(socket, names, ledger_dir, tmp_path)
    assert [result["changed"] for result in again] == [False] * 20, [result.get("reason") for result in again]


# -- item 4: a damaged ledger means "unknown" ------------------------------------------------


def _damage(socket, ledger_dir, how):
    path = ledger_path(socket, ledger_dir)
    if how == "entry is a string":
        with open(path, "rb") as handle:
            data = load_document(handle.read())
        data["entries"]["connection/gw"]["message"] = "str"
        with open(path, "wb") as handle:
            handle.write(dump_document(data))
    elif how == "not json":
        with open(path, "w", encoding="utf-8") as handle:
            handle.write("{")
    elif how == "ledger is a directory":
        os.unlink(path)
        os.mkdir(path)
    elif how == "world-writable":
        os.chmod(path, 0o666)
    return path


@pytest.mark.parametrize("how", ["entry is a string", "not json", "ledger is a directory", "world-writable"])
def test_a_damaged_ledger_reloads_and_reports_changed(charon, run, ledger_dir, how):
    socket = charon.socket_uri
    conn(run, socket, GW)
    path = _damage(socket, ledger_dir, how)
    check = conn(run, socket, GW, check=True)
    if how == "world-writable":
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o666, "check mode writes nothing"
    real = conn(run, socket, GW)
    for result in (check, real):
        assert not result.get("failed") and result["changed"], result
        assert result["reason"] == "loaded, but not by this collection into this daemon instance"
        assert path in warnings(result), result
    if how == "ledger is a directory":
        # Nothing can be recorded there: every run reloads, and says why.
        assert conn(run, socket, GW)["changed"]
        assert "could not be saved" in warnings(real) or "nothing is recorded" in warnings(real), real
    else:
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        assert not conn(run, socket, GW)["changed"]


def test_a_change_that_cannot_be_recorded_is_still_changed(charon, run, ledger_dir):
    socket = charon.socket_uri
    conn(run, socket, GW)
    os.mkdir(ledger_path(socket, ledger_dir) + ".lock.new")
    os.unlink(ledger_path(socket, ledger_dir) + ".lock")
    os.rename(ledger_path(socket, ledger_dir) + ".lock.new", ledger_path(socket, ledger_dir) + ".lock")
    result = conn(run, socket, dict(GW, dpd_delay="1m"))
    assert not result.get("failed") and result["changed"], result
    assert listed(socket)["dpd_delay"] == "60"
    assert "could not be saved" in warnings(result), result
    removed = conn(run, socket)
    assert removed["changed"] and loaded(socket) == []


def test_an_unusable_ledger_directory_is_a_warning(charon, run, monkeypatch, tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(str(shared), 0o777)
    monkeypatch.setenv("STRONGSWAN_VICI_LEDGER_DIR", str(shared))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    result = conn(run, charon.socket_uri, GW)
    assert result["changed"] and not result.get("failed")
    assert "STRONGSWAN_VICI_LEDGER_DIR %s cannot be used" % shared in warnings(result), result
    assert os.listdir(str(shared)) == []


# -- item 13: a changed secret shows in the diff ---------------------------------------------


def test_a_changed_secret_is_marked_in_the_diff(charon, run):
    socket = charon.socket_uri

    def psk(secret, **kwargs):
        return run(shared_secret_module, socket, id="branch", secret=secret, owners=["moon.example"], diff=True, **kwargs)

    psk("first-secret-value")
    check, real, again = psk("second-secret-value", check=True), psk("second-secret-value"), psk("second-secret-value")
    for result in (check, real):
        assert result["changed"] and result["reason"] == "secret value differs (data)"
        assert result["diff"]["before"]["data"] == "********"
        assert result["diff"]["after"]["data"] == "******** (changed)"
        assert "secret-value" not in json.dumps(result)
    assert not again["changed"] and again["diff"]["after"]["data"] == "********"
