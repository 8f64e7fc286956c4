# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Migration, end to end: config_info reads a swanctl directory, config loads what it returned into daemon B;
``swanctl --load-all`` of the same directory into daemon A. Both daemons must then report the same state."""

from __future__ import annotations

import json
import shutil

import conformance_support as support
from conftest import run_playbook

PSK = 'psk with "quotes" # and {braces}'
EAP = "eap-password"

CONF = """
connections {
   base {
      local_addrs = 127.0.0.1
      local { auth = pubkey
         certs = moonCert.pem }
      remote { auth = pubkey
         cacerts = caCert.pem }
   }
   gw : connections.base {
      remote_addrs = 127.0.0.2
      children { net { local_ts = 10.1.0.0/16
            remote_ts = 10.2.0.0/16 } }
   }
   raw : connections.base {
      remote_addrs = 127.0.0.3
      remote { auth = pubkey
         pubkeys = peer.pub }
   }
}
authorities { ca { cacert = caCert.pem
      crl_uris = http://crl.example.org/ca.crl } }
include conf.d/*.conf
"""

EXTRA = """
secrets {
   ike-psk { secret = "%s"
      id-a = moon.example.org
      id-b = sun.example.org }
   eap-carol { secret = %s
      id = carol }
   private-moon { file = moonKey.pem }
}
pools { rw { addrs = 10.3.0.0/24
      dns = 10.1.0.53, 10.1.0.54 } }
connections {
   psk {
      remote_addrs = 127.0.0.4
      local { auth = psk
         id = moon.example.org }
      remote { auth = psk
         id = sun.example.org }
   }
}
""" % (PSK.replace('"', '\\"'), EAP)


def _swanctl_dir(tmp_path):
    root = tmp_path / "swanctl"
    (root / "conf.d").mkdir(parents=True)
    (root / "swanctl.conf").write_text(CONF)
    (root / "conf.d" / "gw.conf").write_text(EXTRA)
    cache = str(tmp_path / "standins")
    for folder, name in (("x509", "moonCert.pem"), ("x509ca", "caCert.pem"), ("pubkey", "peer.pub"),
                         ("private", "moonKey.pem"), ("ecdsa", "other.pem")):
        (root / folder).mkdir(exist_ok=True)
        shutil.copy(support.make_standin(cache, folder, name), str(root / folder / name))
    return root


def test_config_info_then_config_equals_swanctl_load_all(charon_factory, tmp_path):
    root = _swanctl_dir(tmp_path)
    a, b = charon_factory(name="a"), charon_factory(name="b")
    loaded = a.swanctl("--load-all", "--noprompt", "--file", root / "swanctl.conf", check=False)
    assert loaded.returncode == 0, loaded.stdout + loaded.stderr
    reference = support.snapshot(a.socket_uri)
    assert set(reference["conns"]) == {"base", "gw", "raw", "psk"} and len(reference["keys"]) == 2, reference

    config = {"socket": b.socket_uri, "swanctl_dir": str(root)}
    for key in ("connections", "secrets", "pools", "authorities", "certificates", "private_keys"):
        config[key] = "{{ gateway.%s }}" % key
    play = run_playbook([{"hosts": "localhost", "gather_facts": False, "tasks": [
        {"name": "read", "strongswan.vici.config_info": {"path": str(root / "swanctl.conf")}, "no_log": True,
         "register": "gateway"},
        {"name": "summary", "ansible.builtin.set_fact": {"summary": {
            "included": "{{ gateway.secrets_included }}", "certificates": "{{ gateway.certificates }}",
            "private_keys": "{{ gateway.private_keys }}", "files": "{{ gateway.secrets['private-moon'] }}"}}},
        {"name": "apply", "strongswan.vici.config": config},
        {"name": "again", "strongswan.vici.config": config},
        {"name": "read without no_log", "strongswan.vici.config_info": {"path": str(root / "swanctl.conf")}},
    ]}], env={"STRONGSWAN_VICI_LEDGER_DIR": str(tmp_path / "ledger")})
    assert play.rc == 0, play
    summary = play.task("summary")["ansible_facts"]["summary"]
    assert summary["included"] is True
    assert summary["private_keys"] == [{"path": str(root / "ecdsa" / "other.pem")}]  # moonKey.pem: secrets.private-moon
    assert {item["path"].rsplit("/", 2)[-2] for item in summary["certificates"]} == {"x509", "x509ca", "pubkey"}
    assert play.task("apply")["changed"] is True
    assert play.task("again")["changed"] is False, play.task("again")
    actual = support.snapshot(b.socket_uri)
    for view in ("conns", "shared", "keys", "pools", "authorities", "certs"):
        assert actual[view] == reference[view], "%s: swanctl %s / config_info+config %s" % (
            view, json.dumps(reference[view], sort_keys=True)[:800], json.dumps(actual[view], sort_keys=True)[:800])

    # The registered result under no_log carried the secrets; nothing printed did, and without no_log they are left out.
    assert PSK not in play.stdout and EAP not in play.stdout
    plain = play.task("read without no_log")
    assert plain["secrets_included"] is False and plain["secret_values_left_out"] == 2
    assert plain["secrets"]["ike-psk"] == {"id-a": "moon.example.org", "id-b": "sun.example.org"}
