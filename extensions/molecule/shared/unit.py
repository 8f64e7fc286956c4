# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Start and stop charon for the Molecule scenarios as the role's systemd unit would.

``ExecStart``: charon with nothing but the files the roles wrote under PREFIX (``PREFIX/etc/strongswan.conf``,
which includes ``PREFIX/etc/strongswan.d/*.conf``), in network namespace NS, with a private ``/run``
(tests/integration/targets/setup_charon/files/charon_harness.py: PID recorded, stopped by that PID only).
``ExecStartPost``: ``swanctl --load-all`` with ``PREFIX/etc/swanctl/swanctl.conf``.

    unit.py start --prefix P --socket S [--netns NS] --plugins "a b c"   # prints JSON; no-op if running
    unit.py stop  --socket S
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "tests", "integration", "targets", "setup_charon", "files"))

import charon_harness  # noqa: E402  pylint: disable=wrong-import-position


class UnitCharon(charon_harness.Charon):
    """A harness daemon that reads the role's configuration instead of a generated one."""

    def __init__(self, prefix, socket_path, **kwargs):
        workdir, base = os.path.split(os.path.abspath(socket_path))
        if not base.endswith(".vici"):
            raise charon_harness.HarnessError("the socket's file name must end in .vici: %s" % socket_path)
        super().__init__(workdir, name=base[:-len(".vici")], **kwargs)
        self.prefix = os.path.abspath(prefix)
        self.conf_path = os.path.join(self.prefix, "etc", "strongswan.conf")

    def write_conf(self):
        """The role wrote the configuration: nothing to write."""
        if not os.path.isfile(self.conf_path):
            raise charon_harness.HarnessError("no %s: run the role first" % self.conf_path)
        return self.conf_path

    def load_all(self):
        """What the unit's ExecStartPost does."""
        env = dict(os.environ, STRONGSWAN_CONF=self.conf_path)
        cmd = [charon_harness.SWANCTL_BIN, "--load-all", "--noprompt", "--file",
               os.path.join(self.prefix, "etc", "swanctl", "swanctl.conf"), "--uri", self.socket_uri]
        return subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60,
                              check=False, env=env)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("action", choices=("start", "stop"))
    parser.add_argument("--socket", required=True)
    parser.add_argument("--prefix", default="/")
    parser.add_argument("--netns")
    parser.add_argument("--plugins", default="")
    parser.add_argument("--timeout", type=float, default=15.0)
    args = parser.parse_args(argv)
    try:
        if args.action == "stop":
            workdir, base = os.path.split(os.path.abspath(args.socket))
            try:
                daemon = charon_harness.Charon.attach(workdir, name=base[:-len(".vici")])
            except FileNotFoundError:
                print(json.dumps({"stopped": False}))
                return 0
            pid = daemon.pid
            print(json.dumps({"stopped": daemon.stop(), "pid": pid}))
            return 0
        workdir, base = os.path.split(os.path.abspath(args.socket))
        try:
            if charon_harness.Charon.attach(workdir, name=base[:-len(".vici")]).running:
                print(json.dumps({"changed": False, "running": True}))
                return 0
        except FileNotFoundError:
            pass
        daemon = UnitCharon(args.prefix, args.socket, netns=args.netns, start_timeout=args.timeout,
                            plugins=args.plugins.split() or charon_harness.DEFAULT_PLUGINS)
        daemon.start()
        loaded = daemon.load_all()
        print(json.dumps({"changed": True, "pid": daemon.pid, "socket": daemon.socket_uri, "conf": daemon.conf_path,
                          "load_all_rc": loaded.returncode, "load_all": loaded.stdout + loaded.stderr}))
        return 0 if loaded.returncode == 0 else 1
    except charon_harness.HarnessError as exc:
        print("unit.py: %s" % exc, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
