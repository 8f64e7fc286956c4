# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What charon's parsers accept as connection values, checked before sending (issue 17, item 13)."""

from __future__ import annotations

import pytest

from ansible_collections.strongswan.vici.plugins.module_utils._kinds.connection import ConnectionKind
from ansible_collections.strongswan.vici.plugins.module_utils._engine.kind import Item
from ansible_collections.strongswan.vici.plugins.module_utils._swanctl.schema import (
    KEY_SINCE, ConfigError, canonical_connection,
)
from ansible_collections.strongswan.vici.plugins.module_utils._swanctl.values import (
    CHECKERS, KEYWORDS, Needs, Refused, c_strtoul, parse_version, proposal_verdict, value_verdict, version_problems,
)
from ansible_collections.strongswan.vici.tests.unit.invalid_values import SCHEMAS, case_id, cases, typed_keys


@pytest.mark.parametrize("case", list(cases()), ids=case_id)
def test_every_key_refuses_an_invalid_value_naming_the_key(case):
    with pytest.raises(ConfigError) as caught:
        canonical_connection("gw", case.body)
    assert caught.value.detail.startswith(case.path), (case, str(caught.value))


def test_the_table_covers_every_typed_key_of_the_schema():
    assert set(CHECKERS) <= {(level, key) for level, schema in SCHEMAS.items() for key in schema}
    typed = typed_keys()
    assert len(typed) == 76  # of 94 keys; the other 18 take any printable text (identities, names, paths)
    for key in ("mode", "start_action", "dpd_action", "local_ts", "mark_in", "if_id_in", "rekey_time", "auth"):
        assert any(name == key for _level, name in typed), key


@pytest.mark.parametrize("body, path", [
    ({"children": {"c": {"mode": "bogus"}}}, "children.c.mode"),
    ({"children": {"c": {"start_action": "explode"}}}, "children.c.start_action"),
    ({"local": {"auth": "foo"}}, "local.auth"),
    ({"rekey_time": "abc"}, "rekey_time"),
    ({"if_id_in": "zzz"}, "if_id_in"),
    ({"children": {"c": {"dpd_action": "bogus"}}}, "children.c.dpd_action"),
    ({"children": {"c": {"local_ts": "10.0.0.0/8[foo]"}}}, "children.c.local_ts.0"),
    ({"children": {"c": {"mark_in": "0xzz"}}}, "children.c.mark_in"),
    ({"proposals": ["aes128-sha256-ecp256", "aes128-sha256-foo"]}, "proposals.1"),
    ({"local": {"id": "caf\u00e9"}}, "local.id"),
])
def test_the_values_of_the_issue_are_refused_before_sending(body, path):
    with pytest.raises(ConfigError) as caught:
        canonical_connection("gw", body)
    assert caught.value.detail.startswith(path + ": invalid value"), str(caught.value)


VALID = {
    "mode": ["tunnel", "TRANSPORT", "transport_proxy", "beet", "drop", "pass"],
    "start_action": ["none", "clear", "trap", "route", "start", "restart", "Start"],
    "local_ts": ["10.0.0.0/8", "dynamic", "%any", "%any6", "10.0.0.1-10.0.0.9", "fec1::1 - fec1::9", "10.0.0.0/8[tcp]",
                 "dynamic[udp/500]", "0.0.0.0/0[icmp/8]", "::/0[ipv6-icmp]", "10.0.0.0/8[6/80-90]", "10.0.0.0/8[any/opaque]",
                 "10.0.0.0/8[17/0x1f4]", "10.0.0.0/8[/http]", "10.1.2.3", "fec1::/16[tcp/https]"],
    "mark_in": ["1", "0x2a", "0x2a/0xff", "%unique", "%unique-dir", "%UNIQUE/0xff00", "052"],
    "set_mark_out": ["%same", "%same/0xff", "7/0x7"],
    "if_id_in": ["0", "42", "0x2a", "%unique", "%unique-dir"],
    "rekey_time": ["0", "1h", "90m", "2d", "30 s", "0x10", ""],
    "rekey_bytes": ["0", "1k", "500M", "2 G"],
    "tfc_padding": ["0", "mtu", "1500"],
    "hw_offload": ["yes", "no", "auto"],
    "copy_dscp": ["out", "in", "yes", "no"],
    "esp_proposals": ["default", "aes128gcm16", "aes256-sha512-modp4096-esn", "chacha20poly1305-x25519-noesn",
                      "aes128-sha256_96", "null-sha1", "aes128ccm8", "camellia256ccm16-ecp384bp"],
    "per_cpu_sas": ["yes", "no", "encap"],
}


@pytest.mark.parametrize("key, value", [(key, value) for key, values in VALID.items() for value in values])
def test_values_the_daemon_accepts_are_not_refused(key, value):
    assert not isinstance(value_verdict("child", key, value), Refused), value
    canonical_connection("gw", {"children": {"c": {key: value}}})


@pytest.mark.parametrize("level, key, value", [
    ("peer", "proposals", "aes256-sha384-ecp384"), ("peer", "proposals", "aes128-prfsha256-sha256-modp2048s256"),
    ("peer", "vips", "0.0.0.0"), ("peer", "vips", "::"), ("peer", "vips", "%any"), ("peer", "vips", "fec3::1"),
    ("peer", "dscp", "101110"), ("peer", "dscp", "000000"), ("peer", "version", "0x2"), ("peer", "unique", "REPLACE"),
    ("auth", "auth", "pubkey"), ("auth", "auth", "rsa/pss-sha256"), ("auth", "auth", "ecdsa-sha384"),
    ("auth", "auth", "ike:rsa-sha256"), ("auth", "auth", "PSK"), ("auth", "auth", "eap-tls"),
    ("auth", "auth", "EAP-MSCHAPV2"), ("auth", "auth", "eap-radius"), ("auth", "auth", "xauth-pam"),
    ("auth", "auth", "eap:rsa"), ("auth", "revocation", "ifuri"), ("auth", "id", "C=CH, O=strongSwan, CN=moon"),
    ("peer", "childless", "force"), ("peer", "fragmentation", "accept"), ("peer", "send_cert", "ifasked"),
])
def test_more_accepted_values(level, key, value):
    assert value_verdict(level, key, value) is None


@pytest.mark.parametrize("value, version, accepted", [
    ("trap|start", "5.9.5", False), ("trap|start", "5.9.6", True), ("trap | start", "6.0.1", True),
])
def test_combined_actions_need_5_9_6(value, version, accepted):
    verdict = value_verdict("child", "start_action", value)
    assert isinstance(verdict, Needs)
    assert (verdict.problem(parse_version(version)) is None) is accepted


@pytest.mark.parametrize("level, key, value, since, until", [
    ("child", "mode", "iptfs", "6.0.2", None),
    ("child", "hw_offload", "packet", "5.9.10", None),
    ("child", "hw_offload", "crypto", "5.9.10", None),
    ("peer", "childless", "prefer", "5.9.10", None),
    ("auth", "auth", "bliss", None, "6.0.0"),
    ("peer", "proposals", "aes256-sha256-ecp256-ke1_mlkem768", "6.0.0", None),
    ("peer", "proposals", "aes256-sha256-mlkem768", "6.0.0", None),
    ("peer", "proposals", "aes256-sha256-ntru128", None, "6.0.0"),
    ("child", "esp_proposals", "aes128gcm", "5.9.2", None),
    ("child", "esp_proposals", "aes128gcm16-none", "5.9.7", None),
])
def test_values_some_releases_lack_are_left_to_the_version_check(level, key, value, since, until):
    verdict = value_verdict(level, key, value)
    assert isinstance(verdict, Needs) and (verdict.since, verdict.until) == (since, until), verdict


def test_proposal_keywords_follow_the_parser():
    assert len([word for word, span in KEYWORDS.items() if span == (None, None)]) == 141
    assert isinstance(proposal_verdict("AES128-sha256"), Refused)  # the keyword table is case-sensitive
    assert "lower case" in proposal_verdict("AES128-sha256")
    assert isinstance(proposal_verdict("aes128-sha256-ke8_ecp256"), Refused)
    assert isinstance(proposal_verdict("aes128-sha256-ke1_aes128"), Refused)  # not a key exchange
    assert proposal_verdict("DEFAULT") is None


@pytest.mark.parametrize("text, number, rest", [
    ("0x1f", 31, ""), ("017", 15, ""), ("08", 0, "8"), (" 12 ", 12, " "), ("-1", -1, ""), ("", None, ""),
    ("x", None, "x"), ("0x", 0, "x"), ("+7m", 7, "m"),
])
def test_numbers_are_read_like_strtoul(text, number, rest):
    assert c_strtoul(text) == (number, rest)


def test_version_problems_name_the_key_and_the_running_release():
    message = canonical_connection("gw", {"children": {"c": {"mode": "iptfs", "icmp": True, "start_action": "trap|start"}}})
    problems = version_problems(message, parse_version("5.9.8"), KEY_SINCE)
    assert problems == [
        ("children.c.mode", "'iptfs' needs strongSwan 6.0.2 or later; the daemon runs strongSwan 5.9.8"),
        ("children.c.icmp", "the daemon runs strongSwan 5.9.8, which lacks the key 'icmp' (added in 6.0.5)"),
    ]
    assert version_problems(message, parse_version("6.0.6"), KEY_SINCE) == []
    assert version_problems(message, (), KEY_SINCE) == []  # an odd version string: the daemon decides


class _Versioned:
    def __init__(self, version):
        self.calls = []
        self._version = version

    def version(self):
        self.calls.append("version")
        return {"daemon": "charon", "version": self._version}


def test_preflight_refuses_what_the_running_release_lacks():
    kind = ConnectionKind(["gw"])
    message = canonical_connection("gw", {"children": {"c": {"mode": "iptfs"}}})
    with pytest.raises(ConfigError) as caught:
        kind.preflight(_Versioned("6.0.1"), [Item("gw", message)])
    assert str(caught.value) == ("connection 'gw': children.c.mode: 'iptfs' needs strongSwan 6.0.2 or later; "
                                 "the daemon runs strongSwan 6.0.1")
    kind.preflight(_Versioned("6.0.2"), [Item("gw", message)])
    session = _Versioned("5.9.8")
    kind.preflight(session, [Item("gw", None)])  # only unloads: nothing to ask
    assert session.calls == []


@pytest.mark.parametrize("key, value, why", [
    ("proposals", "aes128-modp2048", "needs a PRF"),
    ("proposals", "aes128gcm16-x25519", "needs a PRF"),
    ("proposals", "aes128-sha256_96-x25519", "needs a PRF"),
    ("proposals", "aes128-sha256", "needs a key exchange method"),
    ("proposals", "aes128-sha256-none", "needs a key exchange method"),
    ("proposals", "sha256-x25519", "needs an encryption algorithm"),
    ("esp_proposals", "aes128-aes128gcm16", "classic and combined-mode"),
    ("ah_proposals", "aes128", "needs an integrity algorithm"),
])
def test_proposals_the_parser_completes_and_refuses(key, value, why):
    level = "peer" if key == "proposals" else "child"
    verdict = value_verdict(level, key, value)
    assert isinstance(verdict, Refused) and why in verdict, verdict


@pytest.mark.parametrize("key, value", [
    ("proposals", "aes128gcm16-prfsha256-x25519"), ("proposals", "aes128gcm16-sha256-x25519"),
    ("proposals", "aes128-sha256_96-prfsha256-modp2048"), ("proposals", "aes128-aesxcbc-modp2048"),
    ("esp_proposals", "aes128"), ("esp_proposals", "null"), ("esp_proposals", "aes128gcm16-modp2048-esn"),
    ("ah_proposals", "sha256"), ("ah_proposals", "aes256gmac"), ("ah_proposals", "sha1-modp2048-noesn"),
])
def test_proposals_the_parser_completes_and_accepts(key, value):
    assert value_verdict("peer" if key == "proposals" else "child", key, value) is None


def test_an_empty_security_label_is_refused():
    assert isinstance(value_verdict("child", "label", ""), Refused)
    assert value_verdict("child", "label", "system_u:object_r:ipsec_spd_t:s0") is None


def test_remembered_verdicts_are_the_verdicts_and_unprintable_text_is_still_refused():
    from ansible_collections.strongswan.vici.plugins.module_utils._swanctl import values  # pylint: disable=import-outside-toplevel

    for level, key, value in (("child", "esp_proposals", "aes128gcm16-x25519"), ("child", "esp_proposals", "nonsense"),
                              ("child", "local_ts", "10.0.0.0/16"), ("child", "local_ts", "10.0.0.0/33"),
                              ("auth", "auth", "psk"), ("child", "mode", "iptfs")):
        values._VERDICTS.clear()  # pylint: disable=protected-access
        fresh = value_verdict(level, key, value)
        again = value_verdict(level, key, value)
        assert again is fresh and type(again) is type(fresh)
    for text in ("10.0.0.0/16\x00", "ga\u0308teway", "tab\there", "caf\xe9"):
        assert isinstance(value_verdict("child", "local_ts", text), Refused), text
        assert isinstance(value_verdict("peer", "local_addrs", text), Refused), text
