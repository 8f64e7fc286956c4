# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The site_to_site role's derivations in Python (issue 21): the site_to_site_tunnels and site_to_site_outcome filters."""

from __future__ import annotations

import copy
import json
import os

import pytest
import yaml

from ansible.errors import AnsibleFilterError

from ansible_collections.strongswan.vici.plugins.filter.site_to_site import site_to_site_outcome, site_to_site_tunnels

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
with open(os.path.join(ROOT, "roles", "site_to_site", "meta", "argument_specs.yml"), encoding="utf-8") as spec_file:
    SPEC = yaml.safe_load(spec_file)["argument_specs"]

PSK = "filter-psk-0123456789"
ENDS = {"gw-b": {"address": "10.0.0.2", "subnets": ["10.2.0.0/24"], "id": "b.example"},
        "gw-a": {"address": "10.0.0.1", "subnets": ["10.1.0.0/24"]}}


def tunnel(**extra):
    item = {"name": "hq", "auth": "psk", "psk": PSK, "ends": copy.deepcopy(ENDS)}
    item.update(extra)
    return item


def found(tunnels, gateway="gw-a", **kwargs):
    return site_to_site_tunnels(tunnels, gateway, "s2s-", SPEC, **kwargs)


def tree_of(tunnels, gateway="gw-a", **kwargs):
    """The tree (the result holds it as JSON text, which the config action reads)."""
    return json.loads(found(tunnels, gateway, **kwargs)["tree"])


def test_tree_makes_the_end_that_sorts_first_the_initiator():
    tree_a = tree_of([tunnel()])
    assert tree_a == {
        "connections": {"s2s-hq": {
            "version": 2, "local_addrs": ["10.0.0.1"], "remote_addrs": ["10.0.0.2"], "proposals": ["default"],
            "keyingtries": 0, "dpd_delay": 30, "local": {"auth": "psk", "id": "10.0.0.1"},
            "remote": {"auth": "psk", "id": "b.example"},
            "children": {"hq": {"local_ts": ["10.1.0.0/24"], "remote_ts": ["10.2.0.0/24"], "esp_proposals": ["default"],
                                "start_action": "start", "dpd_action": "restart"}}}},
        "secrets": {"ike-s2s-hq": {"secret": PSK, "id-local": "10.0.0.1", "id-remote": "b.example"}}}
    child_b = tree_of([tunnel()], gateway="gw-b")["connections"]["s2s-hq"]["children"]["hq"]
    assert (child_b["start_action"], child_b["dpd_action"]) == ("none", "clear")
    assert found([tunnel()])["tunnels"] == [{"name": "hq", "auth": "psk", "initiator": True, "start_action": "start"}]
    assert found([tunnel()], gateway="gw-b")["tunnels"][0]["initiator"] is False


def test_tree_takes_the_tunnels_own_values_and_pins_certificate_tunnels_to_the_role_ca():
    item = tunnel(auth="pubkey", start_action="trap", dpd_delay=10, proposals=["aes256-sha256-modp2048"],
                  esp_proposals=["aes128gcm16"])
    del item["psk"]
    result = found([item])
    conn = json.loads(result["tree"])["connections"]["s2s-hq"]
    assert conn["remote"] == {"auth": "pubkey", "id": "b.example", "cacerts": ["s2s-ca.crt"]}
    assert (conn["dpd_delay"], conn["proposals"], conn["children"]["hq"]["esp_proposals"],
            conn["children"]["hq"]["start_action"]) == (10, ["aes256-sha256-modp2048"], ["aes128gcm16"], "trap")
    assert json.loads(result["tree"])["secrets"] == {}
    assert result["pubkey"] and result["pubkey_id"] == "10.0.0.1"


def test_the_psk_is_only_in_the_tree():
    result = found([tunnel()])
    assert PSK in result["tree"]
    assert PSK not in json.dumps({key: value for key, value in result.items() if key != "tree"})


def test_only_the_tunnels_that_name_the_gateway_are_its_own():
    other = tunnel(name="other", ends={"gw-b": ENDS["gw-b"], "gw-c": {"address": "10.0.0.3", "subnets": ["fd00::/64"]}})
    result = found([tunnel(), other])
    assert [item["name"] for item in result["tunnels"]] == ["hq"] and result["count"] == 1
    assert list(json.loads(result["tree"])["connections"]) == ["s2s-hq"]
    assert result["forward_keys"] == ["net.ipv4.ip_forward"]
    assert found([tunnel(), other], gateway="gw-c")["forward_keys"] == ["net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding"]


def test_an_unknown_key_is_named_with_its_tunnel_and_stops_the_other_checks():
    result = found([tunnel(esp_proposal=["aes256"])])
    assert result["key_problems"] == [
        "vpn_tunnels: tunnel 'hq': unknown key \"esp_proposal\" (known: auth, dpd_delay, ends, esp_proposals, name, "
        "proposals, psk, start_action)"]
    assert not result["ok"] and "tree" not in result


def test_an_unknown_end_key_and_a_psk_that_is_not_a_string_are_named_without_the_psk():
    ends = copy.deepcopy(ENDS)
    ends["gw-a"]["subnet"] = "10.9.0.0/24"
    result = found([tunnel(ends=ends, psk={"secret": PSK}), "text"])
    assert result["key_problems"] == [
        "vpn_tunnels: tunnel 'hq': psk must be a string; ends.gw-a: unknown key \"subnet\" (known: address, id, subnets)",
        "vpn_tunnels: tunnel '(not a mapping)': a tunnel must be a mapping"]
    assert PSK not in json.dumps(result)


def test_a_wrong_type_gives_a_spec_naming_the_tunnel_and_the_end():
    ends = copy.deepcopy(ENDS)
    ends["gw-b"]["subnets"] = {"a": 1}
    result = found([tunnel(name="t0"), tunnel(name="bad-delay", dpd_delay="soon"), tunnel(name="bad-end", ends=ends)])
    assert not result["ok"] and result["types"] is not None
    assert set(result["types"]["spec"]) == {"tunnel t0", "tunnel t0, ends.gw-b", "tunnel t0, ends.gw-a", "tunnel bad-delay",
                                            "tunnel bad-delay, ends.gw-b", "tunnel bad-delay, ends.gw-a", "tunnel bad-end",
                                            "tunnel bad-end, ends.gw-b", "tunnel bad-end, ends.gw-a"}
    assert "psk" not in result["types"]["spec"]["tunnel t0"]["options"]
    assert PSK not in json.dumps(result["types"])


def test_a_newline_in_dpd_delay_fails_the_types():
    assert found([tunnel(dpd_delay="30\nremote_addrs: [198.51.100.66]")])["types"] is not None


def test_the_gateways_tunnels_are_checked_for_name_ends_and_a_strong_psk():
    bad = tunnel(name="no spaces", auth="psk", psk="tiny-psk-0", ends={"gw-a": ENDS["gw-a"]})
    result = found([bad, tunnel(name="ok")])
    assert result["problems"] == [
        "vpn_tunnels: tunnel 'no spaces': name: letters, digits, - and _ only; ends: exactly two gateways (inventory "
        "host names); psk: missing or shorter than 16 characters"]
    assert "tiny-psk-0" not in json.dumps(result)


def test_a_missing_address_or_subnets_fails_the_types_naming_the_end():
    ends = copy.deepcopy(ENDS)
    del ends["gw-b"]["address"]
    result = found([tunnel(ends=ends)])
    assert set(result["types"]["spec"]) == {"tunnel hq", "tunnel hq, ends.gw-b", "tunnel hq, ends.gw-a"}


def test_two_tunnels_with_the_same_name_are_not_unique():
    result = found([tunnel(), tunnel()])
    assert result["unique"] is False and not result["ok"]


def test_each_peer_is_placed_before_beside_later_or_external():
    tunnels = [tunnel(name=name, ends={"gw-a": ENDS["gw-a"], peer: {"address": "10.0.0.9", "subnets": ["10.9.0.0/24"]}})
               for name, peer in (("t-before", "gw-b"), ("t-beside", "gw-c"), ("t-later", "gw-d"), ("t-ext", "gw-x"))]
    hostvars = {"gw-a": {}, "gw-b": {"strongswan_vici__s2s_converged": True}, "gw-c": {}, "gw-d": {}}
    result = found(tunnels, hostvars=hostvars, batch=["gw-a", "gw-c"])
    assert result["peer"] == {"t-before": "before", "t-beside": "beside", "t-later": "later", "t-ext": "external"}
    assert result["any_later"] is True and result["later"] == ["t-later"]
    assert found(tunnels)["peer"]["t-before"] == "external"


def test_certificate_tunnels_with_a_revoked_end():
    cert = tunnel(name="cert", auth="pubkey")
    del cert["psk"]
    psk = tunnel(name="psk")
    assert found([cert, psk], revoked_gateways=["gw-b"])["revoked"] == {"cert": {"revoked": "gw-b", "peer_id": "b.example"}}
    assert found([cert, psk], revoked_gateways=["gw-a"])["revoked"] == {"cert": {"revoked": "gw-a", "peer_id": ""}}
    assert found([cert, psk])["revoked"] == {}


def test_tunnels_that_are_not_a_list_fail():
    with pytest.raises(AnsibleFilterError):
        site_to_site_tunnels({"name": "hq"}, "gw-a", "s2s-", SPEC)


def _applied(report=None, changed=None):
    return {"sa_report": report or {}, "sections": {"secrets": {"changed": changed or []}}}


def test_outcome_finds_what_is_up_gone_changed_and_to_bring_up():
    cert = tunnel(name="cert", auth="pubkey")
    del cert["psk"]
    tunnels = found([tunnel(name="up"), tunnel(name="down"), tunnel(name="trap", start_action="trap"), cert],
                    revoked_gateways=["gw-b"])
    report = {"s2s-up": {"after": [{"name": "s2s-up", "child_sas": [{"name": "up", "state": "INSTALLED"}]}]},
              "s2s-down": {"after": [{"name": "s2s-down", "child_sas": [{"name": "down", "state": "REKEYING"}]}]}}
    previous = {"connections": {"s2s-up": {}, "s2s-old": {}}, "secrets": {"ike-s2s-up": {}, "ike-s2s-old": {}}}
    outcome = site_to_site_outcome(tunnels, "s2s-", applied=_applied(report, ["ike-s2s-down"]), previous=previous)
    assert outcome["up_now"] == ["up"] and outcome["not_up"] == ["down", "trap", "cert"]
    assert (outcome["gone_conns"], outcome["gone_secrets"]) == (["s2s-old"], ["ike-s2s-old"])
    assert outcome["psk_changed"] == ["down"] and [item["name"] for item in outcome["psk_reauth"]] == ["down"]
    assert [item["name"] for item in outcome["bring_up"]] == ["down"]
    assert PSK not in json.dumps(outcome)


def test_outcome_in_check_mode_counts_nothing_up_and_without_up_brings_nothing_up():
    tunnels = found([tunnel(name="up")])
    report = {"s2s-up": {"after": [{"name": "s2s-up", "child_sas": [{"name": "up", "state": "INSTALLED"}]}]}}
    checked = site_to_site_outcome(tunnels, "s2s-", applied=_applied(report), check_mode=True)
    assert checked["up_now"] == [] and [item["name"] for item in checked["bring_up"]] == ["up"]
    assert site_to_site_outcome(tunnels, "s2s-", applied=_applied(), up=False)["bring_up"] == []


def test_the_responder_brings_up_only_when_its_peer_applied_before():
    hostvars = {"gw-a": {"strongswan_vici__s2s_converged": True}, "gw-b": {}}
    before = found([tunnel()], gateway="gw-b", hostvars=hostvars, batch=["gw-b"])
    beside = found([tunnel()], gateway="gw-b", hostvars=hostvars, batch=["gw-a", "gw-b"])
    assert [item["name"] for item in site_to_site_outcome(before, "s2s-")["bring_up"]] == ["hq"]
    assert site_to_site_outcome(beside, "s2s-")["bring_up"] == []
