# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""config's unchanged-rerun shortcut (issue 21) against a real charon: an unchanged rerun reads only the
listings, and a connection changed or unloaded behind the module's back (over VICI, or with swanctl) is
reported and repaired by the next run."""

from __future__ import annotations

import functools
import json

from ansible_collections.strongswan.vici.plugins.module_utils._swanctl.schema import canonical_connection
from ansible_collections.strongswan.vici.plugins.module_utils.vici.session import Session

from conftest import step_result
from vici_proxy import ViciProxy

run = functools.partial(step_result, vici_module="config")
COUNT = 40


def gateway(count=COUNT, psk="shortcut-psk-%04d-secret"):
    """``count`` PSK connections with a child each, and their secrets (``psk`` % number)."""
    connections = {"s%d" % number: {
        "local_addrs": ["127.0.0.1"], "remote_addrs": ["127.3.%d.%d" % (number // 250, number % 250 + 1)],
        "local": {"auth": "psk", "id": "gw.example.com"}, "remote": {"auth": "psk", "id": "peer%d.example.com" % number},
        "children": {"net": {"local_ts": ["10.0.0.0/16"], "remote_ts": ["10.%d.%d.0/24" % (160 + number // 250, number % 250)]}}}
        for number in range(count)}
    secrets = {"ike-s%d" % number: {"secret": psk % number, "id": "gw.example.com", "id-peer": "peer%d.example.com" % number}
               for number in range(count)}
    return {"connections": connections, "secrets": secrets}


def apply_first(proxy, ledger, src, tree):
    """The tree written to ``src`` and applied through the proxy: every connection added."""
    src.write_text(json.dumps(tree))
    first = run(proxy.uri, ledger, src=str(src))
    assert first["changed"] is True and len(first["sections"]["connections"]["added"]) == len(tree["connections"]), first


def remote_ts(uri, name):
    with Session(uri, timeout=10) as vici:
        return [event[name]["children"]["net"]["remote-ts"] for event in vici.list_conns(ike=name)]


def test_connection_changed_behind_the_modules_back_is_reported_and_repaired(charon, ledger, tmp_path):
    src = tmp_path / "gateway.json"
    tree = gateway()
    with ViciProxy(tmp_path / "p.vici", charon.socket_path) as proxy:
        apply_first(proxy, ledger, src, tree)
        proxy.clear()
        again = run(proxy.uri, ledger, src=str(src))
        assert again["changed"] is False and len(again["sections"]["connections"]["unchanged"]) == COUNT, again
        # The shortcut: the listings only (no version for the preflight, one list-conns, nothing loaded).
        assert "version" not in proxy.commands and proxy.commands.count("list-conns") == 1, proxy.commands
        assert not [name for name in proxy.commands if name.startswith(("load-", "unload-"))], proxy.commands

        # A load-conn straight over VICI, with another remote_ts.
        body = dict(tree["connections"]["s7"], children={"net": dict(tree["connections"]["s7"]["children"]["net"],
                                                                     remote_ts=["10.99.99.0/24"])})
        with Session(charon.socket_uri, timeout=10) as vici:
            vici.load_conn({"s7": canonical_connection("s7", body)})
        assert remote_ts(charon.socket_uri, "s7") == [["10.99.99.0/24"]]
        proxy.clear()
        repaired = run(proxy.uri, ledger, src=str(src))
        assert repaired["changed"] is True, repaired
        assert repaired["sections"]["connections"]["changed"] == ["s7"], repaired["sections"]
        assert "version" in proxy.commands and proxy.commands.count("load-conn") >= 1, proxy.commands
        assert remote_ts(charon.socket_uri, "s7") == [["10.160.7.0/24"]]

        # swanctl --load-conns with a file of one connection: another body for s9, every other one unloaded.
        (tmp_path / "other.conf").write_text(
            "connections { s9 { local_addrs = 127.0.0.1\n remote_addrs = 127.3.0.99\n local { auth = psk }\n"
            " remote { auth = psk }\n children { net { local_ts = 10.0.0.0/16 } } } }\n")
        charon.swanctl("--load-conns", "--file", str(tmp_path / "other.conf"))
        with Session(charon.socket_uri, timeout=10) as vici:
            assert vici.get_conns()["conns"] == ["s9"]
        proxy.clear()
        repaired = run(proxy.uri, ledger, src=str(src))
        assert repaired["changed"] is True, repaired
        assert repaired["sections"]["connections"]["changed"] == ["s9"], repaired["sections"]
        assert len(repaired["sections"]["connections"]["added"]) == COUNT - 1, repaired["sections"]
        with Session(charon.socket_uri, timeout=10) as vici:
            assert len(vici.get_conns()["conns"]) == COUNT

        # A secret unloaded over VICI.
        with Session(charon.socket_uri, timeout=10) as vici:
            vici.unload_shared("ike-s11")
        repaired = run(proxy.uri, ledger, src=str(src))
        assert repaired["changed"] is True and repaired["sections"]["secrets"]["added"] == ["ike-s11"], repaired

        proxy.clear()
        settled = run(proxy.uri, ledger, src=str(src))
        assert settled["changed"] is False and "version" not in proxy.commands, (settled, proxy.commands)
