# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The charon test harness itself, against real daemons and real network namespaces."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from charon_harness import DEFAULT_PLUGINS, Charon, HarnessError, NetnsPair, pid_alive, udp_probe  # conftest.py puts it on sys.path

HARNESS = sys.modules[Charon.__module__].__file__


def _mount_ns(pid):
    return os.readlink("/proc/%d/ns/mnt" % pid)


def _net_ns(pid):
    return os.readlink("/proc/%d/ns/net" % pid)


def test_daemon_answers_version_and_swanctl(charon):
    version = charon.version()
    assert version["daemon"] == "charon"
    assert version["version"].split(".")[0] in ("5", "6")
    result = charon.swanctl("--version", "--daemon")
    assert result.stdout.startswith("strongSwan %s charon" % version["version"])
    # stats lists exactly the explicit plugin list: none of Debian's load_modular defaults
    stats = charon.swanctl("--stats").stdout
    plugins = stats.split("loaded plugins:", 1)[1].split()
    assert "vici" in plugins
    for unwanted in ("stroke", "forecast", "farp", "dhcp", "ha", "pkcs11", "tpm", "resolve", "updown"):
        assert unwanted not in plugins


def test_config_is_self_contained_and_safe(charon):
    with open(charon.conf_path, encoding="utf-8") as conf:
        text = conf.read()
    lines = [line.strip() for line in text.splitlines() if not line.strip().startswith("#")]
    assert not [line for line in lines if line.startswith("include")]
    assert not [line for line in lines if "load_modular" in line]
    for setting in ("port = 0", "port_nat_t = 0", "interfaces_use = lo", "install_routes = no",
                    "install_virtual_ip = no", "socket = " + charon.socket_uri):
        assert setting in text
    # the daemon runs with our config, in its own mount namespace (its own /run)
    pid = charon.pid
    with open("/proc/%d/environ" % pid, "rb") as environ:
        assert ("STRONGSWAN_CONF=%s" % charon.conf_path).encode() in environ.read().split(b"\0")
    assert _mount_ns(pid) != _mount_ns(os.getpid())
    assert os.readlink("/proc/%d/exe" % pid) == (charon.root or "") + "/usr/lib/ipsec/charon"


def test_two_daemons_side_by_side_then_stop(charon_factory):
    first = charon_factory(name="one")
    second = charon_factory(name="two")
    assert first.pid != second.pid
    assert first.socket_path != second.socket_path
    assert _mount_ns(first.pid) != _mount_ns(second.pid)
    assert first.version()["daemon"] == second.version()["daemon"] == "charon"
    # a connection loaded into one is not in the other
    conn = textwrap.dedent("""\
        connections {
          only-one {
            local_addrs = 127.0.0.1
            remote_addrs = 127.0.0.2
            local { auth = psk }
            remote { auth = psk }
            children { c { local_ts = 10.1.0.0/16 } }
          }
        }
        """)
    conf = os.path.join(first.workdir, "swanctl.conf")
    with open(conf, "w", encoding="utf-8") as handle:
        handle.write(conn)
    first.swanctl("--load-conns", "--file", conf)
    assert "only-one" in first.swanctl("--list-conns").stdout
    assert "only-one" not in second.swanctl("--list-conns").stdout

    pid = first.pid
    assert first.stop() is True
    assert not os.path.exists("/proc/%d" % pid)
    assert first.pid is None
    assert first.stop() is False  # idempotent
    assert second.version()["daemon"] == "charon"  # the other one is untouched


def test_restart_forgets_loaded_state(charon):
    old_pid = charon.pid
    charon.restart()
    assert charon.pid != old_pid
    assert not os.path.exists("/proc/%d" % old_pid)
    assert charon.version()["daemon"] == "charon"


def test_start_failure_raises_with_the_log_tail(tmp_path):
    # charon runs but its VICI socket cannot be created: the wait times out, the daemon is stopped
    daemon = Charon(tmp_path / "bad", extra_conf="charon { plugins { vici { socket = bogus://nowhere } } }\n",
                    start_timeout=1)
    with pytest.raises(HarnessError) as excinfo:
        daemon.start()
    assert "creating vici socket failed" in str(excinfo.value)
    assert daemon.pid is None


def test_start_failure_when_there_is_no_charon(tmp_path):
    daemon = Charon(tmp_path / "gone", charon_bin="/nonexistent/charon", start_timeout=5, root="")
    with pytest.raises(HarnessError, match="no charon at /nonexistent/charon: install strongswan-charon"):
        daemon.start()
    assert daemon.pid is None


def test_start_failure_when_the_daemon_exits(tmp_path):
    fake = tmp_path / "charon"
    fake.write_text('#!/bin/sh\n[ "$1" = --version ] && { echo "Linux strongSwan 5.9.8"; exit 0; }\nexit 3\n')
    fake.chmod(0o755)
    daemon = Charon(tmp_path / "gone", charon_bin=str(fake), start_timeout=5, root="")
    with pytest.raises(HarnessError, match="exited with status 3"):
        daemon.start()
    assert daemon.pid is None


def test_a_plugin_charon_did_not_load_stops_the_start(charon):
    """charon only logs a plugin it cannot load and runs on; the harness checks stats' plugin list at once."""
    charon.plugins = charon.plugins + ("pkcs11",)  # on disk, known, but not in the list this daemon loaded
    with pytest.raises(HarnessError) as excinfo:
        charon._check_loaded_plugins()  # pylint: disable=protected-access
    assert "charon cannot load plugin(s) pkcs11" in str(excinfo.value)
    assert "pkcs11 from libstrongswan-extra-plugins" in str(excinfo.value)


def test_a_plugin_without_its_file_is_refused_before_start(tmp_path):
    daemon = Charon(tmp_path / "noplugin", plugins=DEFAULT_PLUGINS + ("no-such-plugin",))
    with pytest.raises(HarnessError, match="no-such-plugin are not in PLUGIN_PACKAGES"):
        daemon.start()
    assert daemon.pid is None


def test_socket_path_too_long_is_refused(tmp_path):
    with pytest.raises(HarnessError, match="longer than"):
        Charon(tmp_path / ("x" * 120))


def test_cli_start_status_stop(tmp_path):
    workdir = str(tmp_path / "cli")
    started = subprocess.run([sys.executable, HARNESS, "start", "--workdir", workdir], capture_output=True,
                             text=True, timeout=30, check=True)
    info = json.loads(started.stdout)
    try:
        assert info["socket"] == "unix://%s/charon.vici" % workdir
        assert os.path.exists("/proc/%d" % info["pid"])
        status = subprocess.run([sys.executable, HARNESS, "status", "--workdir", workdir], capture_output=True,
                                text=True, timeout=30, check=False)
        assert status.returncode == 0
        assert json.loads(status.stdout)["version"]["daemon"] == "charon"
        # the daemon was detached: its own session, not ours
        assert os.getsid(info["pid"]) == info["pid"]
    finally:
        stopped = subprocess.run([sys.executable, HARNESS, "stop", "--workdir", workdir], capture_output=True,
                                 text=True, timeout=30, check=True)
    assert json.loads(stopped.stdout)["stopped"] is True
    assert not pid_alive(info["pid"])  # gone, or a zombie until init reaps it: we are not its parent
    status = subprocess.run([sys.executable, HARNESS, "status", "--workdir", workdir], capture_output=True,
                            text=True, timeout=30, check=False)
    assert status.returncode == 3
    again = subprocess.run([sys.executable, HARNESS, "stop", "--workdir", workdir], capture_output=True,
                           text=True, timeout=30, check=True)
    assert json.loads(again.stdout)["stopped"] is False


def test_cli_stop_refuses_a_pid_that_is_not_ours(tmp_path):
    workdir = tmp_path / "foreign"
    workdir.mkdir()
    # a state file pointing at this very test process: stop must not signal it
    (workdir / "charon.json").write_text(json.dumps({"pid": os.getpid(), "conf": str(workdir / "strongswan.conf")}))
    result = subprocess.run([sys.executable, HARNESS, "stop", "--workdir", str(workdir)], capture_output=True,
                            text=True, timeout=30, check=True)
    assert json.loads(result.stdout)["stopped"] is False


def test_netns_pair_veth_and_udp_probe(netns_pair):
    pair = netns_pair
    assert pair.a.exists() and pair.b.exists()
    assert udp_probe(pair.a, pair.a_ip, pair.b, pair.b_ip, port=40100, timeout=5)
    assert udp_probe(pair.b, pair.b_ip, pair.a, pair.a_ip, port=40101, timeout=5)
    # no route between the protected subnets without a tunnel, and none to the outside
    output = pair.a.ip("route", "show")
    assert "default" not in output


def test_netns_pair_is_removed():
    pair = NetnsPair().create()
    names = (pair.a.name, pair.b.name)
    pair.delete()
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, timeout=10, check=True).stdout
    for name in names:
        assert name not in listed


TUNNEL_CONF = """\
connections {
  t {
    version = 2
    local_addrs = %(me)s
    remote_addrs = %(peer)s
    proposals = aes128gcm16-prfsha256-x25519
    local {
      auth = psk
      id = %(me)s
    }
    remote {
      auth = psk
      id = %(peer)s
    }
    children {
      net {
        local_ts = %(local_ts)s
        remote_ts = %(remote_ts)s
        esp_proposals = aes128gcm16
      }
    }
  }
}
secrets {
  ike-harness {
    secret = harness-test-only-secret
  }
}
"""


def test_tunnel_pair_carries_traffic(tunnel_pair):
    pair, a, b = tunnel_pair.pair, tunnel_pair.a, tunnel_pair.b
    assert _net_ns(a.pid) != _net_ns(b.pid) != _net_ns(os.getpid())
    assert "kernel-libipsec" in a.swanctl("--stats").stdout
    for daemon, me, peer, local_ts, remote_ts in ((a, pair.a_ip, pair.b_ip, "198.51.100.0/24", "203.0.113.0/24"),
                                                  (b, pair.b_ip, pair.a_ip, "203.0.113.0/24", "198.51.100.0/24")):
        conf = os.path.join(daemon.workdir, "swanctl.conf")
        with open(conf, "w", encoding="utf-8") as handle:
            handle.write(TUNNEL_CONF % {"me": me, "peer": peer, "local_ts": local_ts, "remote_ts": remote_ts})
        daemon.swanctl("--load-all", "--file", conf)
    assert not tunnel_pair.probe(port=40200, timeout=1), "subnets reachable without a tunnel?"
    up = a.swanctl("--initiate", "--child", "net", "--timeout", "15", check=False)
    assert up.returncode == 0, up.stdout + a.log_tail()
    assert tunnel_pair.probe(port=40201)
    assert tunnel_pair.probe(port=40202, reverse=True)
    sas = b.swanctl("--list-sas").stdout
    assert "INSTALLED, TUNNEL-in-UDP" in sas
    assert "0 packets" not in sas.split("in ", 1)[1].split("\n", 1)[0]


def test_run_module_and_playbook_helpers(charon, ansible_module, ansible_playbook):
    result, task = ansible_module("ansible.builtin.command", {"argv": ["swanctl", "--stats", "--uri", charon.socket_uri]})
    assert result.rc == 0, result
    assert "loaded plugins:" in task["stdout"]
    assert result.stats["failures"] == 0
    argv = ["swanctl", "--stats", "--uri", "unix:///nonexistent.vici"]
    failing = ansible_playbook([{
        "hosts": "localhost", "gather_facts": False,
        "tasks": [{"name": "no such socket", "ansible.builtin.command": {"argv": argv}}],
    }])
    assert failing.rc != 0
    assert failing.task("no such socket")["failed"] is True
    assert failing.last["rc"] != 0
