# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Tunnel health against intent (evaluate, summarize), old parameters, and the Prometheus text (metrics)."""

from __future__ import annotations

import os
import re
import stat

import pytest

from ansible_collections.strongswan.vici.plugins.module_utils._gateway.config_info import declared_children
from ansible_collections.strongswan.vici.plugins.module_utils._operations.health import (
    Daemon,
    declared_intents,
    evaluate,
    summarize,
)
from ansible_collections.strongswan.vici.plugins.module_utils._operations.intent import (
    parse_proposal,
    runs_old_parameters,
)
from ansible_collections.strongswan.vici.plugins.module_utils._operations.metrics import (
    MetricsError,
    escape,
    render,
    write_metrics,
)
from ansible_collections.strongswan.vici.plugins.module_utils._text.input import UserError


def _child(name, uid, state="INSTALLED", **extra):
    return dict({"name": name, "uniqueid": uid, "state": state, "encr-alg": "AES_GCM_16", "encr-keysize": "128",
                 "bytes-in": "100", "bytes-out": "200", "packets-in": "1", "packets-out": "2",
                 "rekey-time": "3000", "life-time": "3500"}, **extra)


def _sa(name, uid, children=(), state="ESTABLISHED", established="60"):
    return {"name": name, "uniqueid": uid, "state": state, "established": established, "child_sas": list(children)}


def _conns(*names):
    return {name: {"children": {"net": {"mode": "TUNNEL"}}} for name in names}


def _intent(action, esp=("aes128gcm16",)):
    return {"net": {"start_action": action, "esp_proposals": list(esp)}}


def _one(daemon, name, intents):
    return evaluate(daemon, None, intents)[[e["connection"] for e in evaluate(daemon, None, intents)].index(name)]


def test_a_start_tunnel_with_one_installed_child_sa_is_up_and_healthy():
    daemon = Daemon(_conns("a"), [_sa("a", "1", [_child("net", "2")])], set())
    entry = _one(daemon, "a", {"a": _intent("start")})
    assert entry["status"] == "up" and entry["intent"] == "start" and entry["declared"] is True
    assert entry["problems"] == [] and entry["child_sas"][0]["proposal"] == "AES_GCM_16/128"
    summary = summarize([entry], daemon)
    assert summary["healthy"] and summary["intended"] == 1 and summary["up"] == 1 and summary["down"] == 0


def test_a_start_tunnel_without_child_sa_is_down():
    daemon = Daemon(_conns("a"), [], set())
    entry = _one(daemon, "a", {"a": _intent("start")})
    assert entry["status"] == "down" and entry["problems"][0].startswith("down:")
    summary = summarize([entry], daemon)
    assert not summary["healthy"] and summary["down"] == 1 and summary["problems"] == ["down"]


def test_two_installed_child_sas_of_one_child_are_a_duplicate():
    daemon = Daemon(_conns("a"), [_sa("a", "1", [_child("net", "2"), _child("net", "3")])], set())
    entry = _one(daemon, "a", {"a": _intent("start")})
    assert entry["status"] == "up" and [p.split(":")[0] for p in entry["problems"]] == ["duplicate"]
    assert summarize([entry], daemon)["duplicates"] == 1


def test_an_ike_sa_without_child_sa_is_flagged_and_its_none_child_counts_as_down():
    daemon = Daemon(_conns("a"), [_sa("a", "1")], set())
    entry = _one(daemon, "a", {"a": _intent("none")})
    assert entry["status"] == "down"
    assert [p.split(":")[0] for p in entry["problems"]] == ["down", "no_child"]
    summary = summarize([entry], daemon)
    assert summary["no_child"] == 1 and summary["intended"] == 0


def test_a_trap_tunnel_is_trapped_with_its_policy_and_down_without():
    daemon = Daemon(_conns("a"), [], {("a", "net")})
    assert _one(daemon, "a", {"a": _intent("trap")})["status"] == "trapped"
    assert summarize(evaluate(daemon, None, {"a": _intent("trap")}), daemon)["up"] == 1
    bare = Daemon(_conns("a"), [], set())
    entry = _one(bare, "a", {"a": _intent("trap")})
    assert entry["status"] == "down" and "trap policy is not installed" in entry["problems"][0]


def test_a_none_tunnel_that_runs_nothing_is_idle_and_healthy():
    entry = _one(Daemon(_conns("a"), [], set()), "a", {"a": _intent("none")})
    assert entry["status"] == "idle" and entry["problems"] == []


def test_an_undeclared_connection_takes_its_intent_from_the_trap_policy():
    daemon = Daemon(_conns("a", "b"), [], {("a", "net")})
    entries = evaluate(daemon, None, {"a": None, "b": None})
    assert [(e["intent"], e["declared"], e["status"]) for e in entries] == [
        ("trap", False, "trapped"), ("none", False, "idle")]


def test_a_named_connection_the_daemon_lacks_is_not_loaded():
    entries = evaluate(Daemon({}, [], set()), ["gone"], {"gone": None})
    assert entries[0]["status"] == "missing" and entries[0]["problems"][0].startswith("not_loaded:")
    assert summarize(entries, Daemon({}, [], set()))["not_loaded"] == 1


def test_a_child_sa_on_a_proposal_no_longer_declared_is_stale():
    daemon = Daemon(_conns("a"), [_sa("a", "1", [_child("net", "2")])], set())
    entry = _one(daemon, "a", {"a": _intent("start", esp=("aes256gcm16",))})
    assert entry["child_sas"][0]["old_parameters"] is True and entry["problems"][0].startswith("stale:")
    assert summarize([entry], daemon)["stale"] == 1


@pytest.mark.parametrize("proposals, child_sa, expected", [
    (["aes128gcm16"], {"encr-alg": "AES_GCM_16", "encr-keysize": "128"}, False),
    (["aes256gcm16"], {"encr-alg": "AES_GCM_16", "encr-keysize": "128"}, True),
    (["aes256gcm16", "aes128gcm16"], {"encr-alg": "AES_GCM_16", "encr-keysize": "128"}, False),
    (["aes128-sha256-modp2048"], {"encr-alg": "AES_CBC", "encr-keysize": "128", "integ-alg": "HMAC_SHA2_256_128",
                                  "dh-group": "MODP_2048"}, False),
    (["aes128-sha256-modp2048"], {"encr-alg": "AES_CBC", "encr-keysize": "128", "integ-alg": "HMAC_SHA1_96"}, True),
    (["aes128gcm16-x25519"], {"encr-alg": "AES_GCM_16", "encr-keysize": "128", "dh-group": "MODP_2048"}, True),
    (["chacha20poly1305"], {"encr-alg": "CHACHA20_POLY1305", "encr-keysize": "256"}, False),
    (["default"], {"encr-alg": "AES_GCM_16", "encr-keysize": "128"}, None),
    (["aes128gcm16-newfangled"], {"encr-alg": "AES_GCM_16", "encr-keysize": "128"}, None),
    ([], {"encr-alg": "AES_GCM_16"}, None),
])
def test_old_parameters_compare_the_negotiated_proposal_with_the_declared_ones(proposals, child_sa, expected):
    assert runs_old_parameters(child_sa, {"esp_proposals": proposals}) is expected


def test_parse_proposal_ignores_esn_and_refuses_unknown_keywords():
    assert parse_proposal("aes256gcm16-esn").ciphers == frozenset({("AES_GCM_16", "256")})
    assert parse_proposal("aes128gcm16-bogus") is None


# -- metrics -----------------------------------------------------------------------------------------------------

_LINE = re.compile(r'^([a-z_]+)(\{([a-z_]+="([^"\\]|\\.)*",?)*\})? (-?[0-9.e+]+)$')


def _render():
    sas = [_sa("a", "1", [_child("net", "2"), _child("net", "3", **{"bytes-in": "50", "rekey-time": "10"})],
               established="120"), _sa("a", "4", established="30")]
    daemon = Daemon(_conns("a", 'we"ird'), sas, set(),
                    {"rw": {"size": "254", "online": "3", "offline": "1", "leases": {}}})
    entries = evaluate(daemon, ["a", 'we"ird', "gone"], {"a": _intent("start"), 'we"ird': None, "gone": None})
    return render(entries, summarize(entries, daemon), sas, daemon.pools, 1700000000.5)


def test_metrics_have_help_and_type_before_every_family_and_well_formed_samples():
    text = _render()
    assert text.endswith("\n")
    families = []
    for line in text.splitlines():
        if line.startswith("# HELP "):
            families.append(line.split()[2])
        elif line.startswith("# TYPE "):
            assert line.split()[2] == families[-1] and line.split()[3] in ("gauge", "counter")
        else:
            assert _LINE.match(line), line
            assert line.split("{")[0].split(" ")[0].startswith(families[-1]), (line, families[-1])
    assert len(families) == len(set(families))


def test_metrics_are_keyed_by_connection_and_child_and_sum_the_installed_child_sas():
    text = _render()
    assert 'strongswan_vici_tunnel_bytes_in_total{connection="a",child="net"} 150' in text
    assert 'strongswan_vici_tunnel_packets_out_total{connection="a",child="net"} 4' in text
    assert 'strongswan_vici_tunnel_rekey_seconds{connection="a",child="net"} 10' in text
    assert 'strongswan_vici_tunnel_lifetime_seconds{connection="a",child="net"} 3500' in text
    assert 'strongswan_vici_tunnel_child_sas{connection="a",child="net"} 2' in text
    assert 'strongswan_vici_tunnel_state{connection="a",child="net",state="up"} 1' in text
    assert 'strongswan_vici_tunnel_state{connection="a",child="net",state="down"} 0' in text
    assert 'strongswan_vici_tunnel_up{connection="a",child="net"} 1' in text
    assert 'strongswan_vici_tunnel_healthy{connection="a",child="net"} 0' in text  # a duplicate
    assert 'strongswan_vici_tunnel_intended{connection="a",child="net",intent="start"} 1' in text
    assert 'strongswan_vici_ike_established_seconds{connection="a"} 120' in text
    assert 'strongswan_vici_ike_sas{connection="a"} 2' in text
    assert 'strongswan_vici_pool_leases{pool="rw",status="online"} 3' in text
    assert 'strongswan_vici_pool_size{pool="rw"} 254' in text
    assert 'strongswan_vici_tunnel_state{connection="gone",child="",state="missing"} 1' in text
    assert 'strongswan_vici_health_healthy 0' in text
    assert 'strongswan_vici_health_timestamp_seconds 1700000000' in text
    assert 'connection="we\\"ird"' in text


def test_label_values_are_escaped():
    assert escape('a"b\\c\nd') == 'a\\"b\\\\c\\nd'


def test_the_metrics_file_is_replaced_atomically_with_mode_0644(tmp_path):
    path = tmp_path / "strongswan.prom"
    path.write_text("old\n")
    write_metrics(str(path), "new 1\n")
    assert path.read_text() == "new 1\n" and stat.S_IMODE(os.stat(path).st_mode) == 0o644
    assert os.listdir(tmp_path) == ["strongswan.prom"]  # no temporary file left


def test_a_metrics_path_in_a_missing_directory_is_an_error_naming_the_option(tmp_path):
    with pytest.raises(MetricsError, match="^metrics_path: cannot create a file in .*missing"):
        write_metrics(str(tmp_path / "missing" / "x.prom"), "x 1\n")


# -- intent from swanctl.conf files (swanctl_conf), for connections the ledger has no entry for ------------------


class _Ledger:
    """A ledger with load-conn messages for some connections (restorable: None, get: the entry)."""

    def __init__(self, messages):
        self.messages = messages

    def restorable(self, _kind, _name):
        return None

    def get(self, _kind, name):
        return {"message": self.messages[name]} if name in self.messages else None


def test_the_ledger_wins_over_a_file_for_a_connection_it_has_an_entry_for():
    ledger = _Ledger({"a": {"children": _intent("none")}})
    files = {"a": _intent("start"), "b": _intent("start")}
    intents, sources = declared_intents(ledger, ["a", "b", "c"], files)
    assert intents == {"a": _intent("none"), "b": _intent("start"), "c": None}
    assert sources == {"a": "ledger", "b": "file"}
    entries = evaluate(Daemon(_conns("a", "b", "c"), [], set()), None, intents, sources)
    assert [(e["connection"], e["intent"], e["declared"], e["declared_from"], e["status"]) for e in entries] == [
        ("a", "none", True, "ledger", "idle"), ("b", "start", True, "file", "down"), ("c", "none", False, None, "idle")]


def test_a_file_declared_start_tunnel_that_is_down_is_flagged():
    intents, sources = declared_intents(_Ledger({}), ["a"], {"a": _intent("start")})
    daemon = Daemon(_conns("a"), [], set())
    (entry,) = evaluate(daemon, None, intents, sources)
    assert entry["declared_from"] == "file" and entry["status"] == "down" and entry["problems"][0].startswith("down:")
    assert summarize([entry], daemon)["down"] == 1


SWANCTL_CONF = """
connections {
   a {
      children {
         net {
            start_action = start
            esp_proposals = aes128gcm16-x25519, aes256gcm16
            local_ts = 10.1.0.0/16
         }
      }
   }
   b : connections.a-base {
   }
   a-base {
      children {
         net {
            start_action = trap
         }
      }
   }
}
secrets {
   ike-a {
      id = peer.example.com
      secret = "a-very-secret-psk"
   }
}
"""


def test_declared_children_keep_start_action_and_esp_proposals_and_nothing_of_secrets(tmp_path):
    path = tmp_path / "swanctl.conf"
    path.write_text(SWANCTL_CONF)
    found = declared_children([str(path)])
    assert found["a"] == {"net": {"start_action": "start", "esp_proposals": ["aes128gcm16-x25519", "aes256gcm16"]}}
    assert found["b"] == {"net": {"start_action": "trap"}}  # from its template, as swanctl reads it
    assert "a-very-secret-psk" not in repr(found) and "peer.example.com" not in repr(found)


def test_a_later_file_replaces_an_earlier_ones_connection(tmp_path):
    first, second = tmp_path / "1.conf", tmp_path / "2.conf"
    first.write_text("connections {\n a {\n children {\n net {\n start_action = start\n }\n }\n }\n}\n")
    second.write_text("connections {\n a {\n children {\n net {\n start_action = none\n }\n }\n }\n}\n")
    assert declared_children([str(first), str(second)])["a"]["net"]["start_action"] == "none"


@pytest.mark.parametrize("text, expected", [
    (None, "no such file"),
    ("connections {\n a {\n", "missing '}'"),
    ("connections = x\n", "'connections' must be a section"),
    ("connections {\n a = b\n}\n", "connections.a must be a section"),
])
def test_a_bad_swanctl_conf_file_is_an_error_naming_the_option_and_the_file(tmp_path, text, expected):
    path = tmp_path / "bad.conf"
    if text is not None:
        path.write_text(text)
    with pytest.raises(UserError) as caught:
        declared_children([str(path)])
    message = str(caught.value)
    assert message.startswith("swanctl_conf: ") and str(path) in message and expected in message, message


def test_a_directory_or_an_unreadable_file_is_an_error_naming_the_option_and_the_path(tmp_path):
    with pytest.raises(UserError) as caught:
        declared_children([str(tmp_path)])
    assert str(caught.value) == "swanctl_conf: %s: not a regular file" % tmp_path
    if os.geteuid() == 0:
        return  # root reads any file
    path = tmp_path / "locked.conf"
    path.write_text("connections {\n}\n")
    path.chmod(0)
    with pytest.raises(UserError) as caught:
        declared_children([str(path)])
    assert str(caught.value).startswith("swanctl_conf: ") and str(path) in str(caught.value)
