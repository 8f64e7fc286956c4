# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""strongswan.vici.command against a real daemon: read-only vs changing, streams, secrets, check mode, errors."""

from __future__ import annotations

import tempfile

import pytest

from runtime_support import play
from vici_proxy import ViciProxy

from ansible_collections.strongswan.vici.plugins.module_utils.vici.session import READ_ONLY_COMMANDS, Session

pytestmark = pytest.mark.timeout(120)

SECRET = "s3cr3t-that-must-not-leak"
CONN = {"loopback": {"local_addrs": ["127.0.0.1"], "remote_addrs": ["127.0.0.2"],
                     "local": {"auth": "psk", "id": "moon"}, "remote": {"auth": "psk", "id": "sun"},
                     "children": {"net": {"local_ts": ["10.1.0.0/16"], "remote_ts": ["10.2.0.0/16"]}}}}


def _cmd(name, socket, command, message=None, event=None, **extra):
    args = {"socket": socket, "command": command}
    if message is not None:
        args["message"] = message
    if event is not None:
        args["event"] = event
    task = {"name": name, "strongswan.vici.command": args}
    task.update(extra)
    return task


def test_read_only_and_changing_commands(charon, ansible_playbook):
    socket = charon.socket_uri
    run = ansible_playbook(play(
        _cmd("version", socket, "version"),
        _cmd("load a connection", socket, "load-conn", CONN),
        _cmd("list-conns (streamed)", socket, "list-conns"),
        _cmd("list-conns without its event", socket, "list-conns", event=""),
        _cmd("counters", socket, "get-counters", {"all": True}),
        _cmd("reset counters", socket, "reset-counters", {"all": True}),
        _cmd("load a secret", socket, "load-shared", {"id": "k1", "type": "IKE", "data": SECRET, "owners": ["moon"]}),
        _cmd("get-shared", socket, "get-shared"),
    ), diff=True, extra_args=["-vvv"])
    assert run.rc == 0, run
    version = run.task("version")
    assert version["changed"] is False and version["response"]["daemon"] == "charon" and version["events"] == []
    loaded = run.task("load a connection")
    assert loaded["changed"] is True and loaded["response"]["success"] == "yes"
    listed = run.task("list-conns (streamed)")
    assert listed["changed"] is False
    assert [list(event) for event in listed["events"]] == [["loopback"]]
    assert listed["events"][0]["loopback"]["children"]["net"]["mode"] == "TUNNEL"
    assert run.task("list-conns without its event")["events"] == []
    assert run.task("counters")["changed"] is False and "counters" in run.task("counters")["response"]
    assert run.task("reset counters")["changed"] is True
    assert run.task("load a secret")["changed"] is True
    assert run.task("get-shared")["response"]["keys"] == ["k1"]
    # The secret is in the daemon, and nowhere in what ansible printed (-vvv shows module args).
    assert SECRET not in run.stdout and SECRET not in run.stderr
    assert "********" in run.stdout or "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER" in run.stdout


def test_check_mode_sends_only_read_only_commands(charon, ansible_playbook):
    with tempfile.TemporaryDirectory(prefix="svp-", dir="/tmp") as tmp:
        with ViciProxy(tmp + "/p.vici", charon.socket_path) as proxy:
            run = ansible_playbook(play(
                _cmd("version (check)", proxy.uri, "version"),
                _cmd("load-conn (check)", proxy.uri, "load-conn", CONN),
                _cmd("get-conns (check)", proxy.uri, "get-conns"),
            ), check=True)
            sent = list(proxy.commands)
    assert run.rc == 0, run
    assert run.task("version (check)")["changed"] is False
    assert run.task("version (check)")["response"]["daemon"] == "charon"
    skipped = run.task("load-conn (check)")
    assert skipped["changed"] is True and skipped["skipped_in_check_mode"] is True and "response" not in skipped
    assert run.task("get-conns (check)")["response"]["conns"] == []
    assert sent == ["version", "get-conns"]
    assert set(sent) <= READ_ONLY_COMMANDS
    with Session(charon.socket_uri, timeout=5) as session:
        assert session.get_conns()["conns"] == []


def test_failures_quote_the_daemon(charon, ansible_playbook):
    socket = charon.socket_uri
    run = ansible_playbook(play(
        _cmd("unload an unknown connection", socket, "unload-conn", {"name": "nope"}, ignore_errors=True),
        _cmd("an unknown command", socket, "no-such-command", ignore_errors=True),
        _cmd("an unknown event", socket, "list-sas", event="no-such-event", ignore_errors=True),
        _cmd("a bad socket", "unix:///nonexistent/charon.vici", "version", ignore_errors=True),
    ))
    unload = run.task("unload an unknown connection")
    assert unload["failed"] is True and "connection 'nope' not found" in unload["msg"]
    assert unload["vici_errmsg"] == "unloading connection 'nope' failed" or "not found" in unload["vici_errmsg"]
    assert unload["response"]["success"] == "no"
    assert "does not know the VICI command 'no-such-command'" in run.task("an unknown command")["msg"]
    assert "no-such-event" in run.task("an unknown event")["msg"]
    assert "/nonexistent/charon.vici" in run.task("a bad socket")["msg"]
