# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""config's delta path (issue 21) against a real charon: after a run of 200 connections, changing one loads that one
alone without reading the others (the recording proxy shows it), with the full path's result; a connection changed
behind the module's back together with an input change makes the run plan in full, and both are handled."""

from __future__ import annotations

import functools
import json

from ansible_collections.strongswan.vici.plugins.module_utils._swanctl.schema import canonical_connection
from ansible_collections.strongswan.vici.plugins.module_utils.vici.session import Session

from conftest import step_result
from test_config_shortcut import apply_first, gateway as shortcut_gateway, remote_ts
from vici_proxy import ViciProxy

run = functools.partial(step_result, vici_module="config")
COUNT = 200
PSK = "delta-psk-%04d-secret"


def gateway():
    return shortcut_gateway(COUNT, PSK)


def with_remote_ts(body, remote_ts):
    return dict(body, children={"net": dict(body["children"]["net"], remote_ts=[remote_ts])})


def text(value):
    return value.decode() if isinstance(value, bytes) else value


def conns_listed(proxy):
    """The list-conns requests the proxy saw: the connection named (ike), or None for the whole listing."""
    return [text((exchange.request or {}).get("ike")) for exchange in proxy.take() if exchange.name == "list-conns"]


def loads(proxy):
    return [name for name in proxy.commands if name.startswith(("load-", "unload-"))]


def test_changing_one_of_200_connections_loads_it_alone_and_reads_no_other(charon, ledger, tmp_path):
    src = tmp_path / "gateway.json"
    tree = gateway()
    with ViciProxy(tmp_path / "p.vici", charon.socket_path) as proxy:
        apply_first(proxy, ledger, src, tree)

        # One connection changed in the file.
        tree["connections"]["s7"] = with_remote_ts(tree["connections"]["s7"], "10.99.7.0/24")
        src.write_text(json.dumps(tree))
        proxy.clear()
        changed = run(proxy.uri, ledger, src=str(src), diff=True)
        assert changed["changed"] is True and "failed" not in changed, changed
        assert changed["sections"]["connections"]["changed"] == ["s7"], changed["sections"]
        assert len(changed["sections"]["connections"]["unchanged"]) == COUNT - 1
        assert changed["sections"]["secrets"]["unchanged"] == ["ike-s%d" % number for number in range(COUNT)]
        assert loads(proxy) == ["load-conn"], proxy.commands
        # Only s7 read by name; the whole listing once, hashed (before the plan); for the record after the apply,
        # s7 alone is listed again.
        assert conns_listed(proxy) == [None, "s7", "s7"]
        assert list(changed["diff"]["before"]) == ["connections"] and list(changed["diff"]["before"]["connections"]) == ["s7"]
        assert changed["diff"]["before"]["connections"]["s7"]["children"]["net"]["remote_ts"] == ["10.160.7.0/24"]
        assert changed["diff"]["after"]["connections"]["s7"]["children"]["net"]["remote_ts"] == ["10.99.7.0/24"]
        assert list(changed["diff"]["after"]) == ["connections"]
        assert remote_ts(charon.socket_uri, "s7") == [["10.99.7.0/24"]]

        # One PSK changed: loaded alone, masked in the diff.
        tree["secrets"]["ike-s3"]["secret"] = "delta-psk-rotated-secret"
        src.write_text(json.dumps(tree))
        proxy.clear()
        rotated = run(proxy.uri, ledger, src=str(src), diff=True)
        assert rotated["changed"] is True and rotated["sections"]["secrets"]["changed"] == ["ike-s3"], rotated
        assert loads(proxy) == ["load-shared"], proxy.commands
        # The delta path again (the record of the s7 change is what the daemon lists whole), and no connection
        # changed: the listing is not read again for the record.
        assert conns_listed(proxy) == [None]
        assert rotated["diff"]["after"]["secrets"]["ike-s3"]["data"] == "******** (changed)"
        shown = json.dumps(rotated)
        assert "delta-psk-rotated-secret" not in shown and PSK % 3 not in shown

        # The rerun: the shortcut, nothing to do.
        proxy.clear()
        again = run(proxy.uri, ledger, src=str(src))
        assert again["changed"] is False and len(again["sections"]["connections"]["unchanged"]) == COUNT, again
        assert "version" not in proxy.commands and not loads(proxy), proxy.commands
        assert conns_listed(proxy) == [None]


def test_a_connection_changed_behind_the_modules_back_with_an_input_change_plans_in_full(charon, ledger, tmp_path):
    src = tmp_path / "gateway.json"
    tree = gateway()
    src.write_text(json.dumps(tree))
    with ViciProxy(tmp_path / "p.vici", charon.socket_path) as proxy:
        run(proxy.uri, ledger, src=str(src))
        # s9 changed behind the module's back (a load-conn straight over VICI), s11 in the file.
        with Session(charon.socket_uri, timeout=10) as vici:
            vici.load_conn({"s9": canonical_connection("s9", with_remote_ts(tree["connections"]["s9"], "10.98.9.0/24"))})
        tree["connections"]["s11"] = with_remote_ts(tree["connections"]["s11"], "10.99.11.0/24")
        src.write_text(json.dumps(tree))
        proxy.clear()
        repaired = run(proxy.uri, ledger, src=str(src))
        assert repaired["changed"] is True, repaired
        assert repaired["sections"]["connections"]["changed"] == ["s9", "s11"], repaired["sections"]
        # The full path: the whole listing (hashed, decoded), no connection read by name but the two loaded,
        # listed again for the record.
        assert conns_listed(proxy) == [None, None, "s9", "s11"] and loads(proxy) == ["load-conn", "load-conn"], proxy.commands
        assert remote_ts(charon.socket_uri, "s9") == [["10.160.9.0/24"]]
        assert remote_ts(charon.socket_uri, "s11") == [["10.99.11.0/24"]]
        proxy.clear()
        settled = run(proxy.uri, ledger, src=str(src))
        assert settled["changed"] is False and not loads(proxy), (settled, proxy.commands)
        assert conns_listed(proxy) == [None]  # the shortcut: the record after the repair is what the daemon lists
