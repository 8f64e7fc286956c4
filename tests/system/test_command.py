# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""strongswan.vici.command against a real daemon: read-only vs changing, streams, secrets, check mode, errors.

In this process (the module's own code, without ansible-playbook's start-up cost), except for
the test that secrets stay out of ansible-playbook's verbose output.
"""

from __future__ import annotations

import json
import os
import tempfile

import pytest

import syslog_capture
from runtime_support import play, run_module_in_process
from vici_proxy import ViciProxy

from ansible_collections.strongswan.vici.plugins.module_utils.vici.session import READ_ONLY_COMMANDS, Session

pytestmark = pytest.mark.timeout(120)

SECRET = "s3cr3t-that-must-not-leak"
CONN = {"loopback": {"local_addrs": ["127.0.0.1"], "remote_addrs": ["127.0.0.2"],
                     "local": {"auth": "psk", "id": "moon"}, "remote": {"auth": "psk", "id": "sun"},
                     "children": {"net": {"local_ts": ["10.1.0.0/16"], "remote_ts": ["10.2.0.0/16"]}}}}


def cmd(socket, command, request=None, event=None, check=False):
    args = {"socket": socket, "command": command}
    if request is not None:
        args["request"] = request
    if event is not None:
        args["event"] = event
    return run_module_in_process("command", args, check=check)


def test_read_only_and_changing_commands(charon):
    socket = charon.socket_uri
    version = cmd(socket, "version")
    assert version["changed"] is False and version["response"]["daemon"] == "charon" and version["events"] == []
    loaded = cmd(socket, "load-conn", CONN)
    assert loaded["changed"] is True and loaded["response"]["success"] == "yes"
    listed = cmd(socket, "list-conns")
    assert listed["changed"] is False
    assert [list(event) for event in listed["events"]] == [["loopback"]]
    assert listed["events"][0]["loopback"]["children"]["net"]["mode"] == "TUNNEL"
    assert cmd(socket, "list-conns", event="")["events"] == []
    counters = cmd(socket, "get-counters", {"all": True})
    assert counters["changed"] is False and "counters" in counters["response"]
    assert cmd(socket, "reset-counters", {"all": True})["changed"] is True
    secret = cmd(socket, "load-shared", {"id": "k1", "type": "IKE", "data": SECRET, "owners": ["moon"]})
    assert secret["changed"] is True
    assert cmd(socket, "get-shared")["response"]["keys"] == ["k1"]
    # The secret reached the daemon, and is nowhere in the result, not even in the echoed module arguments.
    assert secret["invocation"]["module_args"]["request"]["id"] == "k1"
    assert SECRET not in json.dumps(secret)


def test_secrets_stay_out_of_ansible_output(charon, ansible_playbook):
    """The same through ansible-playbook at -vvv, which prints module arguments."""
    run = ansible_playbook(play({"name": "load a secret", "strongswan.vici.command": {
        "socket": charon.socket_uri, "command": "load-shared",
        "request": {"id": "k2", "type": "IKE", "data": SECRET, "owners": ["moon"]}}}), extra_args=["-vvv"])
    assert run.rc == 0, run
    assert run.task("load a secret")["changed"] is True
    assert SECRET not in run.stdout and SECRET not in run.stderr


def test_check_mode_sends_only_read_only_commands(charon):
    with tempfile.TemporaryDirectory(prefix="svp-", dir="/tmp") as tmp:
        with ViciProxy(tmp + "/p.vici", charon.socket_path) as proxy:
            version = cmd(proxy.uri, "version", check=True)
            skipped = cmd(proxy.uri, "load-conn", CONN, check=True)
            conns = cmd(proxy.uri, "get-conns", check=True)
            sent = list(proxy.commands)
    assert version["changed"] is False and version["response"]["daemon"] == "charon"
    assert skipped["changed"] is True and skipped["skipped_in_check_mode"] is True and "response" not in skipped
    assert conns["response"]["conns"] == []
    assert sent == ["version", "get-conns"]
    assert set(sent) <= READ_ONLY_COMMANDS
    with Session(charon.socket_uri, timeout=5) as session:
        assert session.get_conns()["conns"] == []


def test_failures_quote_the_daemon(charon):
    socket = charon.socket_uri
    unload = cmd(socket, "unload-conn", {"name": "nope"})
    assert unload["failed"] is True and "connection 'nope' not found" in unload["msg"]
    assert "not found" in unload["vici_errmsg"] and unload["vici_command"] == "unload-conn"
    assert unload["response"]["success"] == "no"
    assert "does not know the VICI command 'no-such-command'" in cmd(socket, "no-such-command")["msg"]
    assert "no-such-event" in cmd(socket, "list-sas", event="no-such-event")["msg"]
    assert "/nonexistent/charon.vici" in cmd("unix:///nonexistent/charon.vici", "version")["msg"]
    bad = cmd(socket, "load-conn", {"x": {"local_addrs": [1.5]}})
    assert bad["failed"] is True


# ---------------------------------------------------------------------------
# Secrets in logs (issue 9, item 5)
# ---------------------------------------------------------------------------

PIN = "9876-pin-that-must-not-leak"


@pytest.mark.skipif(not syslog_capture.available(), reason="needs root and unshare (a private /dev/log)")
@pytest.mark.parametrize("check", [False, True], ids=["real", "check"])
def test_secrets_stay_out_of_syslog(charon, check):
    """What ansible-core itself logs for the module (syslog "Invoked with ..."), captured at a private /dev/log."""
    collections = os.environ["ANSIBLE_COLLECTIONS_PATH"].split(os.pathsep)[0]  # set by conftest
    args = {"socket": charon.socket_uri, "command": "load-shared",
            "request": {"id": "k3", "type": "IKE", "data": SECRET, "owners": ["moon"]}}
    result, lines = syslog_capture.run_logged(collections, "command", args, check=check)
    assert result["changed"] is True and not result.get("failed"), result
    assert any("Invoked with" in line and "command=load-shared" in line for line in lines), lines
    assert not any(SECRET in line for line in lines), lines
    assert SECRET not in json.dumps(result)
    # The result shows a masked copy of the request, not nothing.
    assert result["invocation"]["module_args"]["request"] == {
        "id": "k3", "type": "IKE", "data": "********", "owners": ["moon"]}
    with Session(charon.socket_uri, timeout=5) as session:
        assert session.get_shared()["keys"] == ([] if check else ["k3"])
    # A PIN of load-token, and a secret in a nested key.
    token, lines = syslog_capture.run_logged(collections, "command", {
        "socket": charon.socket_uri, "command": "load-token",
        "request": {"handle": "0102", "pin": PIN, "module": "none"}}, check=check)
    assert lines and not any(PIN in line for line in lines), lines
    assert PIN not in json.dumps(token)


@pytest.mark.parametrize("check", [False, True], ids=["real", "check"])
def test_secrets_stay_out_of_the_journal(charon, check):
    """The same through ansible-core's journal path (a stand-in systemd.journal records what it is sent)."""
    collections = os.environ["ANSIBLE_COLLECTIONS_PATH"].split(os.pathsep)[0]  # set by conftest
    result, entries = syslog_capture.run_journaled(collections, "command", {
        "socket": charon.socket_uri, "command": "load-shared",
        "request": {"id": "k5", "type": "IKE", "data": SECRET, "owners": ["moon"]}}, check=check)
    assert result["changed"] is True and not result.get("failed"), result
    messages = [entry.get("MESSAGE", "") for entry in entries]
    assert any("Invoked with" in message and "command=load-shared" in message for message in messages), entries
    assert SECRET not in json.dumps(entries), entries
    assert SECRET not in json.dumps(result)


def test_argument_errors_do_not_echo_the_request(charon):
    """An argument error fails before the module masks anything: the whole request is masked then."""
    for args in ({"bogus_option": 1}, {"timeout": "not-a-number"}, {"event": ["not", "a", "string"]}):
        module_args = {"socket": charon.socket_uri, "command": "load-shared",
                       "request": {"id": "k4", "type": "IKE", "data": SECRET}}
        module_args.update(args)
        failed = run_module_in_process("command", module_args)
        assert failed["failed"] is True, failed
        assert SECRET not in json.dumps(failed), failed
    with Session(charon.socket_uri, timeout=5) as session:
        assert session.get_shared()["keys"] == []


def test_argument_errors_stay_out_of_ansible_output(charon, ansible_playbook):
    """ansible-playbook -vvv prints the invocation of a failed task: no secret in it."""
    run = ansible_playbook(play({"name": "bad args", "strongswan.vici.command": {
        "socket": charon.socket_uri, "command": "load-token", "bogus_option": 1,
        "request": {"handle": "0102", "pin": PIN}}}), extra_args=["-vvv"])
    assert run.rc != 0 and run.task("bad args")["failed"] is True, run
    assert "bogus_option" in run.task("bad args")["msg"]
    assert PIN not in run.stdout and PIN not in run.stderr


def test_only_secrets_are_masked_in_replies(charon):
    """no_log on the request must not mask its ordinary values ("loopback", "yes") in the reply."""
    socket = charon.socket_uri
    assert cmd(socket, "load-conn", CONN)["response"] == {"success": "yes"}
    listed = cmd(socket, "list-conns", {"ike": "loopback"})
    assert [list(event) for event in listed["events"]] == [["loopback"]]
    assert listed["invocation"]["module_args"]["request"] == {"ike": "loopback"}
