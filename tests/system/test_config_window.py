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


def config(uri, check=False, **options):
    return run_module_in_process("config", dict(options, socket=uri), check=check)


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
