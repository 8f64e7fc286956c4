# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""strongswan.vici.policy against a real daemon: trap, pass and drop, check mode, diff, errors.

The daemon runs in a network namespace of its own with kernel-netlink, so the XFRM policies
it installs never touch the host's (pass/drop shunts need kernel-netlink: kernel-libipsec
cannot route them).
"""

from __future__ import annotations

import tempfile

import pytest

from runtime_support import load_conn_task, run_module_in_process, run_task
from vici_proxy import ViciProxy

from ansible_collections.strongswan.vici.plugins.module_utils.vici.session import READ_ONLY_COMMANDS

pytestmark = pytest.mark.timeout(120)

CONN = {
    "version": 2,
    "local_addrs": ["198.18.0.1"],
    "remote_addrs": ["198.18.0.2"],
    "local": {"auth": "psk", "id": "a.example"},
    "remote": {"auth": "psk", "id": "b.example"},
    "children": {
        "net": {"local_ts": ["198.51.100.0/24"], "remote_ts": ["203.0.113.0/24"]},
        "bypass": {"local_ts": ["198.51.100.5/32"], "remote_ts": ["203.0.113.5/32"], "mode": "pass"},
        "block": {"local_ts": ["198.51.100.6/32"], "remote_ts": ["203.0.113.6/32"], "mode": "drop"},
    },
}


def policy(socket, child, check=False, diff=False, **options):
    args = {"socket": socket, "ike": "gw", "child": child}
    args.update(options)
    return run_module_in_process("policy", args, check=check, diff=diff)


def configure(socket):
    result = run_task(load_conn_task("configure", socket, "gw", CONN))
    assert not result.get("failed"), result


def policies(socket):
    return run_module_in_process("info", {"socket": socket, "gather": ["policies"]})["policies"]


@pytest.fixture
def daemon(netns_pair, charon_factory):
    return charon_factory(name="a", netns=netns_pair.a.name, tunnel=False)


def test_trap_pass_and_drop_policies_converge(daemon, netns_pair):
    socket = daemon.socket_uri
    configure(socket)
    for child, mode in (("net", "TUNNEL"), ("bypass", "PASS"), ("block", "DROP")):
        present = policy(socket, child, diff=True)
        assert present["changed"] is True and present["action"] == "install", present
        assert present["policy"]["mode"] == mode and present["policy"]["key"] == "gw/%s" % child
        assert present["diff"]["before"] == {} and present["diff"]["after"]["mode"] == mode
        assert policy(socket, child)["changed"] is False
    assert sorted(policies(socket)) == ["gw/block", "gw/bypass", "gw/net"]
    # The namespace's kernel really has them (XFRM).
    _rc, xfrm = netns_pair.a.run(["ip", "xfrm", "policy"])
    assert "198.51.100.5/32" in xfrm and "198.51.100.0/24" in xfrm
    for child in ("net", "bypass", "block"):
        absent = policy(socket, child, state="absent", diff=True)
        assert absent["changed"] is True and absent["action"] == "uninstall" and absent["policy"] == {}
        assert absent["diff"]["after"] == {}
        assert policy(socket, child, state="absent")["changed"] is False
    assert policies(socket) == {}
    _rc, xfrm = netns_pair.a.run(["ip", "xfrm", "policy"])
    assert "198.51.100" not in xfrm


def test_check_mode_sends_only_read_only_commands(daemon):
    socket = daemon.socket_uri
    configure(socket)
    with tempfile.TemporaryDirectory(prefix="svp-", dir="/tmp") as tmp:
        with ViciProxy(tmp + "/p.vici", daemon.socket_path) as proxy:
            checked = policy(proxy.uri, "net", check=True)
            assert policies(proxy.uri) == {}
            sent = list(proxy.commands)
            policy(socket, "net")
            proxy.clear()
            checked_absent = policy(proxy.uri, "net", check=True, state="absent")
            sent_absent = list(proxy.commands)
    assert checked["changed"] is True
    assert set(sent) <= READ_ONLY_COMMANDS and "list-policies" in sent, sent
    assert checked_absent["changed"] is True
    assert set(sent_absent) <= READ_ONLY_COMMANDS, sent_absent
    assert "gw/net" in policies(socket)


def test_unknown_child_and_unusable_kernel_fail_clearly(daemon, netns_pair, charon_factory):
    socket = daemon.socket_uri
    libipsec = charon_factory(name="b", netns=netns_pair.b.name, tunnel=True)
    configure(socket)
    configure(libipsec.socket_uri)
    assert "connection 'gw' has no child named 'nope'" in policy(socket, "nope")["msg"]
    assert "no connection named 'nope' is loaded" in policy(socket, "net", ike="nope")["msg"]
    shunt = policy(libipsec.socket_uri, "bypass")
    if libipsec.strongswan_version[0] >= 6:
        # 6.0 installs kernel-libipsec's pass shunt with a traffic selector that holds no local address
        # (docs/platforms.md); 5.9 fails with "error installing route".
        assert shunt.get("failed") is not True and shunt["changed"] is True, shunt
        assert any(key.split("/")[-1] == "bypass" for key in policies(libipsec.socket_uri))
    else:
        assert shunt["failed"] is True
        assert "installing the policy of child 'bypass'" in shunt["msg"]
        assert "installing policy 'bypass' failed" in shunt["msg"]
