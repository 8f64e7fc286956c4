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

from runtime_support import load_conn_task, play
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


def _policy(name, socket, child, **options):
    args = {"socket": socket, "ike": "gw", "child": child}
    args.update(options)
    return {"name": name, "strongswan.vici.policy": args}


@pytest.fixture
def daemon(netns_pair, charon_factory):
    return charon_factory(name="a", netns=netns_pair.a.name, tunnel=False)


def test_trap_pass_and_drop_policies_converge(daemon, netns_pair, ansible_playbook):
    socket = daemon.socket_uri
    tasks = [load_conn_task("configure", socket, "gw", CONN)]
    for child in ("net", "bypass", "block"):
        tasks += [
            _policy("%s present" % child, socket, child),
            _policy("%s present again" % child, socket, child),
        ]
    tasks.append({"name": "policies installed", "strongswan.vici.info": {"socket": socket, "gather": ["policies"]}})
    for child in ("net", "bypass", "block"):
        tasks += [
            _policy("%s absent" % child, socket, child, state="absent"),
            _policy("%s absent again" % child, socket, child, state="absent"),
        ]
    tasks.append({"name": "policies at the end", "strongswan.vici.info": {"socket": socket, "gather": ["policies"]}})
    run = ansible_playbook(play(*tasks), diff=True)
    assert run.rc == 0, run
    for child, mode in (("net", "TUNNEL"), ("bypass", "PASS"), ("block", "DROP")):
        present = run.task("%s present" % child)
        assert present["changed"] is True and present["action"] == "install"
        assert present["policy"]["mode"] == mode and present["policy"]["key"] == "gw/%s" % child
        assert present["diff"]["before"] == {} and present["diff"]["after"]["mode"] == mode
        assert run.task("%s present again" % child)["changed"] is False
        absent = run.task("%s absent" % child)
        assert absent["changed"] is True and absent["action"] == "uninstall" and absent["policy"] == {}
        assert run.task("%s absent again" % child)["changed"] is False
    assert sorted(run.task("policies installed")["policies"]) == ["gw/block", "gw/bypass", "gw/net"]
    assert run.task("policies at the end")["policies"] == {}
    # The kernel of the namespace really had them (XFRM), and has them no more.
    _, xfrm = netns_pair.a.run(["ip", "xfrm", "policy"])
    assert "198.51.100" not in xfrm


def test_check_mode_sends_only_read_only_commands(daemon, ansible_playbook):
    socket = daemon.socket_uri
    assert ansible_playbook(play(load_conn_task("configure", socket, "gw", CONN))).rc == 0
    with tempfile.TemporaryDirectory(prefix="svp-", dir="/tmp") as tmp:
        with ViciProxy(tmp + "/p.vici", daemon.socket_path) as proxy:
            checked = ansible_playbook(play(
                _policy("trap (check)", proxy.uri, "net"),
                {"name": "nothing installed", "strongswan.vici.info": {"socket": proxy.uri, "gather": ["policies"]}},
            ), check=True)
            sent = list(proxy.commands)
            ansible_playbook(play(_policy("trap", socket, "net")))
            proxy.clear()
            checked_absent = ansible_playbook(play(_policy("untrap (check)", proxy.uri, "net", state="absent")), check=True)
            sent_absent = list(proxy.commands)
    assert checked.task("trap (check)")["changed"] is True
    assert checked.task("nothing installed")["policies"] == {}
    assert set(sent) <= READ_ONLY_COMMANDS and "list-policies" in sent, sent
    assert checked_absent.task("untrap (check)")["changed"] is True
    assert set(sent_absent) <= READ_ONLY_COMMANDS, sent_absent


def test_unknown_child_and_unusable_kernel_fail_clearly(daemon, netns_pair, charon_factory, ansible_playbook):
    socket = daemon.socket_uri
    libipsec = charon_factory(name="b", netns=netns_pair.b.name, tunnel=True)
    run = ansible_playbook(play(
        load_conn_task("configure", socket, "gw", CONN),
        load_conn_task("configure libipsec", libipsec.socket_uri, "gw", CONN),
        dict(_policy("unknown child", socket, "nope"), ignore_errors=True),
        dict(_policy("unknown connection", socket, "net", ike="nope"), ignore_errors=True),
        dict(_policy("shunt on kernel-libipsec", libipsec.socket_uri, "bypass"), ignore_errors=True),
    ))
    assert "connection 'gw' has no child named 'nope'" in run.task("unknown child")["msg"]
    assert "no connection named 'nope' is loaded" in run.task("unknown connection")["msg"]
    shunt = run.task("shunt on kernel-libipsec")
    assert shunt["failed"] is True
    assert "installing the policy of child 'bypass'" in shunt["msg"] and "installing policy 'bypass' failed" in shunt["msg"]
