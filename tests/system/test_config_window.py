# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A config run must not lose or corrupt anything (issue 17, items 2 to 6), against the real daemon.

* every limit the real run enforces is checked for every object before the first mutating command, and check
  mode predicts it;
* the persisted file is written (under its temporary name) before the daemon changes, and stays 0600;
* a killed run's reload probe is removed by the next run;
* a daemon lost mid-run is reported as such, never as "unchanged".

The module runs in this process (``run_module_in_process``): same code as under ansible-playbook, far faster.
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import threading
import time

import pytest
from vici_proxy import ViciProxy

from runtime_support import run_module_in_process

from ansible_collections.strongswan.vici.plugins.module_utils.vici.session import READ_ONLY_COMMANDS, Session

pytestmark = pytest.mark.timeout(120)

PSK = "Window-secret-psk-17-abc"


@pytest.fixture(autouse=True)
def _ledger(tmp_path, monkeypatch):
    ledger = tmp_path / "ledger"
    ledger.mkdir()
    monkeypatch.setenv("STRONGSWAN_VICI_LEDGER_DIR", str(ledger))


def conn(number, **extra):
    body = {
        "local_addrs": ["127.0.0.1"],
        "remote_addrs": ["127.0.%d.2" % (number % 250)],
        "local": {"auth": "psk", "id": "gw.example.com"},
        "remote": {"auth": "psk", "id": "peer%d.example.com" % number},
        "children": {"net": {"local_ts": ["10.1.0.0/16"], "remote_ts": ["10.%d.0.0/16" % (number % 200 + 10)]}},
    }
    body.update(extra)
    return body


def tree(count=3, psk=PSK):
    return {
        "connections": {"c%d" % number: conn(number) for number in range(1, count + 1)},
        "secrets": {"ike-c%d" % number: {"secret": psk, "id": "gw.example.com", "id-peer": "peer%d.example.com" % number}
                    for number in range(1, count + 1)},
    }


def module_run(name, args, check=False):
    """run_module_in_process with ansible-core's process-wide warning list emptied first (in-process runs share it)."""
    from ansible.module_utils.common import warnings as ansible_warnings  # pylint: disable=import-outside-toplevel

    ansible_warnings._global_warnings.clear()  # pylint: disable=protected-access
    return run_module_in_process(name, args, check=check)


def config(uri, check=False, **options):
    return module_run("config", dict(options, socket=uri), check=check)


def warnings(result):
    """The warning texts of a result (ansible-core 2.19 returns them as structured events in-process)."""
    return [item["event"]["msg"] if isinstance(item, dict) else item for item in result.get("warnings", [])]


def daemon_state(uri):
    with Session(uri, timeout=10) as vici:
        return {"conns": sorted(vici.get_conns().get("conns", [])), "shared": sorted(vici.get_shared().get("keys", []))}


EMPTY = {"conns": [], "shared": []}


# -- item 2 -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["value", "secret"])
def test_value_over_the_wire_limit_fails_in_check_mode_and_loads_nothing(charon, tmp_path, where):
    """A 70 KB value in the last object (or a 70 KB secret) fails check mode, and the real run sends no load."""
    big = tree(3)
    if where == "value":
        big["connections"]["c3"]["remote"]["id"] = "x" * 70000
        path = "connections.c3"
    else:
        big["secrets"]["ike-c3"]["secret"] = "s" * 70000
        path = "secrets.ike-c3"
    with ViciProxy(tmp_path / "p.vici", charon.socket_path) as proxy:
        check = config(proxy.uri, check=True, **big)
        real = config(proxy.uri, **big)
    for result in (check, real):
        assert result["failed"] is True, result
        assert result["msg"].startswith(path + ": ") and "65535" in result["msg"], result["msg"]
        assert "s" * 100 not in result["msg"]
        assert not result.get("changed"), result
    assert set(proxy.commands) <= READ_ONLY_COMMANDS, proxy.commands
    assert daemon_state(charon.socket_uri) == EMPTY


# -- item 3 -------------------------------------------------------------------------------------------


@pytest.fixture
def small_mount(tmp_path):
    """mount(options) -> a fresh tmpfs directory mounted with ``options``; unmounted at teardown (skip if not root)."""
    mounted = []

    def mount(options):
        target = tmp_path / ("mnt%d" % len(mounted))
        target.mkdir()
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(target)], capture_output=True,
                              timeout=30, check=False)
        if done.returncode != 0:
            pytest.skip("cannot mount a tmpfs here: %s" % done.stderr.decode(errors="replace").strip())
        mounted.append(target)
        return target

    yield mount
    for target in reversed(mounted):
        subprocess.run(["umount", "-l", str(target)], capture_output=True, timeout=30, check=False)


@pytest.mark.parametrize("trouble", ["read-only", "full"])
def test_persist_write_failure_comes_before_anything_is_loaded(charon, tmp_path, small_mount, trouble):
    """A read-only or full target directory fails check mode, and the real run before its first mutating command."""
    if trouble == "read-only":
        directory = small_mount("ro,size=64k")
    else:
        directory = small_mount("size=8k,mode=0700")
        with open(str(directory / "filler"), "wb") as filler:
            try:
                filler.write(b"x" * 65536)
                filler.flush()
            except OSError:
                pass  # full: the point
    target = directory / "gw.conf"
    with ViciProxy(tmp_path / "p.vici", charon.socket_path) as proxy:
        check = config(proxy.uri, check=True, persist=str(target), **tree(3))
        real = config(proxy.uri, persist=str(target), **tree(3))
    for result in (check, real):
        assert result["failed"] is True, result
        assert result["msg"].startswith("persist: cannot write"), result["msg"]
        assert not result.get("changed"), result
    assert set(proxy.commands) <= READ_ONLY_COMMANDS, proxy.commands
    assert daemon_state(charon.socket_uri) == EMPTY
    assert not target.exists() and not [name for name in os.listdir(str(directory)) if name.startswith(".gw.conf")]


def test_check_mode_writes_the_persisted_file_and_removes_it(charon, tmp_path):
    directory = tmp_path / "conf.d"
    directory.mkdir()
    check = config(charon.socket_uri, check=True, persist=str(directory / "gw.conf"), **tree(2))
    assert check["changed"] is True and check["persist"]["changed"] is True, check
    assert os.listdir(str(directory)) == []
    real = config(charon.socket_uri, persist=str(directory / "gw.conf"), **tree(2))
    assert real["changed"] is True and os.listdir(str(directory)) == ["gw.conf"], real
    assert stat.S_IMODE(os.stat(str(directory / "gw.conf")).st_mode) == 0o600


def test_failure_after_a_mutating_command_reports_changed_and_applied(charon, tmp_path):
    """A daemon error part-way, and a persist error after the apply: changed true, with what was applied."""
    broken = tree(3)
    broken["connections"]["c2"]["children"]["net"]["label_mode"] = "selinux"  # the daemon refuses it without SELinux
    failed = config(charon.socket_uri, **broken)
    assert failed["failed"] is True and failed["changed"] is True, failed
    assert {"section": "connections", "name": "c1", "action": "load"} in failed["applied"], failed
    # Nothing applied before the daemon's refusal: changed stays false.
    first = {"connections": {"c0": dict(conn(9), children={"net": {"label_mode": "selinux"}})}}
    refused = config(charon.socket_uri, **first)
    assert refused["failed"] is True and refused["changed"] is False and refused["applied"] == [], refused

    # The persist record beside the ledger cannot be written (a directory in its place): after the apply.
    from ansible_collections.strongswan.vici.plugins.module_utils._gateway.persist import record_path  # pylint: disable=import-outside-toplevel
    from ansible_collections.strongswan.vici.plugins.module_utils.vici.transport import parse_uri  # pylint: disable=import-outside-toplevel

    target = tmp_path / "gw.conf"
    os.makedirs(record_path(parse_uri(charon.socket_uri), str(target)))
    late = config(charon.socket_uri, persist=str(target), **tree(4))
    assert late["failed"] is True and late["changed"] is True, late
    assert late["msg"].startswith("persist: "), late["msg"]
    assert {"section": "connections", "name": "c4", "action": "load"} in late["applied"], late
    assert daemon_state(charon.socket_uri)["conns"] == ["c1", "c2", "c3", "c4"]


def test_single_object_failure_after_unload_reports_changed(charon):
    """ViciModule.converge's failure carries changed as the config run's does (nothing applied: false)."""
    failed = module_run("connection", {"socket": charon.socket_uri, "name": "gw", "config": dict(
        conn(1), children={"net": {"label_mode": "selinux"}})})
    assert failed["failed"] is True and failed["changed"] is False and failed["daemon_state"] == "unchanged", failed


# -- item 4 -------------------------------------------------------------------------------------------


def test_persisted_file_mode_is_restored_to_0600_and_reported(charon, tmp_path):
    target = tmp_path / "gw.conf"
    assert config(charon.socket_uri, persist=str(target), **tree(2))["changed"] is True
    os.chmod(str(target), 0o644)
    predicted = config(charon.socket_uri, check=True, persist=str(target), **tree(2))
    assert predicted["changed"] is True and predicted["persist"] == {"path": str(target), "changed": True, "mode": "0644"}
    assert any("mode 0644" in warning and "would be set to 0600" in warning for warning in warnings(predicted)), predicted
    assert stat.S_IMODE(os.stat(str(target)).st_mode) == 0o644
    fixed = config(charon.socket_uri, persist=str(target), **tree(2))
    assert fixed["changed"] is True and fixed["persist"]["mode"] == "0644", fixed
    assert fixed["sections"]["connections"]["unchanged"] == ["c1", "c2"], fixed
    assert any("was set to 0600" in warning for warning in warnings(fixed)), fixed
    assert stat.S_IMODE(os.stat(str(target)).st_mode) == 0o600
    assert config(charon.socket_uri, persist=str(target), **tree(2))["changed"] is False


# -- item 5 -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("module", ["config", "connection"])
def test_killed_runs_reload_probe_is_unloaded_by_the_next_run(charon, module):
    uri = charon.socket_uri
    probe = "c1.vici-probe-0a1b2c3d"
    with Session(uri, timeout=10) as vici:
        vici.load_conn({probe: conn(1)})
    args = {"connections": {"c1": conn(1)}} if module == "config" else {"name": "c1", "config": conn(1)}
    predicted = module_run(module, dict(args, socket=uri), check=True)
    assert predicted["changed"] is True
    assert any(probe in warning and "would be unloaded" in warning for warning in warnings(predicted)), predicted
    assert probe in daemon_state(uri)["conns"]
    done = module_run(module, dict(args, socket=uri))
    assert done["changed"] is True and any(probe in warning and "was unloaded" in warning for warning in warnings(done))
    assert daemon_state(uri)["conns"] == ["c1"]
    again = module_run(module, dict(args, socket=uri))
    assert again["changed"] is False and not warnings(again), again


# -- item 6 -------------------------------------------------------------------------------------------


def test_daemon_killed_mid_run_reports_unknown_state_and_changed(charon, tmp_path):
    """charon is SIGKILLed (by its recorded PID) while a 400-connection run loads: lost, unknown, changed."""
    big = {"connections": {"c%d" % number: conn(number) for number in range(1, 401)}}
    pid = charon.pid
    with ViciProxy(tmp_path / "p.vici", charon.socket_path) as proxy:
        stop = threading.Event()

        def killer():
            deadline = time.monotonic() + 60
            while not stop.is_set() and time.monotonic() < deadline:
                if proxy.commands.count("load-conn") >= 20:
                    os.kill(pid, signal.SIGKILL)
                    return
                time.sleep(0.001)

        thread = threading.Thread(target=killer, daemon=True)
        thread.start()
        try:
            result = config(proxy.uri, **big)
        finally:
            stop.set()
            thread.join(timeout=10)
    assert result["failed"] is True, result
    assert result["daemon_state"] == "unknown", result
    assert "connection to the daemon was lost" in result["msg"] and "unknown" in result["msg"], result["msg"]
    assert result["changed"] is True and len(result["applied"]) >= 10, result
