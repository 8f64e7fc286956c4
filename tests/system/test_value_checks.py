# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Connection values the daemon would refuse are refused in check mode, naming the key (issue 17, item 13).

The cases come from the schema (tests/unit/invalid_values.py): one invalid value for every key of a
connection. Each goes through the ``connection`` and the ``config`` modules in check mode behind the
recording proxy: both fail naming the key, and nothing mutating is sent. The same values sent raw, without
the modules, are refused by the real daemon: the local checks refuse only what the daemon refuses.
What depends on the daemon's release is checked against the running daemon's version.
"""

from __future__ import annotations

import tempfile

import pytest
from vici_proxy import ViciProxy

from runtime_support import run_module_in_process

from ansible_collections.strongswan.vici.plugins.module_utils._swanctl.values import parse_version
from ansible_collections.strongswan.vici.plugins.module_utils.vici.errors import ViciCommandFailed, ViciEncodeError
from ansible_collections.strongswan.vici.plugins.module_utils.vici.session import READ_ONLY_COMMANDS, Session
from ansible_collections.strongswan.vici.tests.unit.invalid_values import case_id, cases

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(autouse=True)
def _ledger(tmp_path, monkeypatch):
    ledger = tmp_path / "ledger"
    ledger.mkdir()
    monkeypatch.setenv("STRONGSWAN_VICI_LEDGER_DIR", str(ledger))


def _runs(uri, body, check):
    return (run_module_in_process("connection", {"socket": uri, "name": "gw", "config": body}, check=check),
            run_module_in_process("config", {"socket": uri, "tree": {"connections": {"gw": body}}}, check=check))


def test_check_mode_refuses_every_invalid_value_naming_the_key(charon):
    problems = []
    all_cases = list(cases())
    with tempfile.TemporaryDirectory(prefix="svp-", dir="/tmp") as tmp:
        with ViciProxy(tmp + "/p.vici", charon.socket_path) as proxy:
            for case in all_cases:
                connection, config = _runs(proxy.uri, case.body, check=True)
                for result, expected in ((connection, "connection 'gw': %s: " % case.path),
                                         (config, "connections.gw: %s: " % case.path)):
                    if not (result.get("failed") is True and result.get("changed") is not True
                            and expected in str(result.get("msg"))):
                        problems.append("%s: %s" % (case_id(case), result.get("msg")))
            sent = list(proxy.commands)
    assert problems == []
    assert set(sent) <= READ_ONLY_COMMANDS, sorted(set(sent) - READ_ONLY_COMMANDS)
    # Without the modules, the daemon refuses every one of these values too.
    accepted = []
    with Session(charon.socket_uri, timeout=10) as vici:
        for case in all_cases:
            try:
                vici.load_conn({"gw": case.raw})
                accepted.append(case_id(case))
                vici.unload_conn("gw")
            except (ViciCommandFailed, ViciEncodeError):
                pass
        assert vici.get_conns().get("conns", []) == []
    assert accepted == []
    assert len(all_cases) == 94


STRUCTURE = [  # proposals whose keywords all exist, but which the proposal parser's final check refuses
    {"proposals": ["aes128-modp2048"]}, {"proposals": ["aes128-sha256"]}, {"proposals": ["aes128-sha256_96-x25519"]},
    {"children": {"c": {"esp_proposals": ["aes128-aes128gcm16"]}}}, {"children": {"c": {"ah_proposals": ["aes128"]}}},
    {"children": {"c": {"esp_proposals": ["sha256"]}}}, {"children": {"c": {"label": ""}}},
]


def test_check_mode_refuses_proposals_and_labels_the_daemon_refuses(charon):
    with tempfile.TemporaryDirectory(prefix="svp-", dir="/tmp") as tmp:
        with ViciProxy(tmp + "/p.vici", charon.socket_path) as proxy:
            results = [(body, result) for body in STRUCTURE for result in _runs(proxy.uri, body, check=True)]
            sent = list(proxy.commands)
    assert [(body, result["msg"]) for body, result in results if not result.get("failed")] == []
    assert all("invalid value" in result["msg"] for _body, result in results), results
    assert set(sent) <= READ_ONLY_COMMANDS
    with Session(charon.socket_uri, timeout=10) as vici:
        for body in STRUCTURE:
            with pytest.raises(ViciCommandFailed):
                vici.load_conn({"gw": body})


def test_check_mode_names_what_the_running_release_lacks(charon):
    with Session(charon.socket_uri, timeout=10) as vici:
        running = str(vici.version()["version"])
    version = parse_version(running)
    newer = {"children": {"c": {"mode": "iptfs"}}}
    with tempfile.TemporaryDirectory(prefix="svp-", dir="/tmp") as tmp:
        with ViciProxy(tmp + "/p.vici", charon.socket_path) as proxy:
            results = _runs(proxy.uri, newer, check=True)
            sent = list(proxy.commands)
    assert set(sent) <= READ_ONLY_COMMANDS
    if version < (6, 0, 2):
        for result in results:
            assert result.get("failed") is True, result
            assert "children.c.mode: 'iptfs' needs strongSwan 6.0.2 or later; the daemon runs strongSwan %s" % (
                ".".join(str(part) for part in version)) in result["msg"], result["msg"]
        with Session(charon.socket_uri, timeout=10) as vici, pytest.raises(ViciCommandFailed):
            vici.load_conn({"gw": newer})  # the daemon agrees
    else:
        assert all(result.get("changed") is True for result in results), results


def test_values_the_daemon_accepts_pass_check_mode_and_load(charon):
    """transport_proxy and trap|start (5.9.6 and later) must not be refused: check mode predicts the load."""
    body = {"remote_addrs": ["127.0.0.2"], "local": {"auth": "psk"}, "remote": {"auth": "psk"},
            "children": {"c": {"mode": "transport_proxy", "start_action": "trap|start", "close_action": "trap|start",
                               "local_ts": ["dynamic[tcp/http]"], "mark_in": "%unique-dir", "if_id_out": "%unique",
                               "esp_proposals": ["aes128gcm16-ecp256", "default"]}}}
    checked = run_module_in_process("connection", {"socket": charon.socket_uri, "name": "gw", "config": body}, check=True)
    assert checked.get("changed") is True and not checked.get("failed"), checked
    # start_action trap|start would initiate towards 127.0.0.2: the real load keeps close_action trap|start only
    body["children"]["c"]["start_action"] = "none"
    real = run_module_in_process("connection", {"socket": charon.socket_uri, "name": "gw", "config": body})
    assert real.get("changed") is True and not real.get("failed"), real
