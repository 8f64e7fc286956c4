# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The connections schema, the canonical load-conn form and the pure parts of the drift check."""

from __future__ import annotations

import base64

import pytest

from ansible_collections.strongswan.vici.plugins.module_utils._kinds.connection import (
    ConnectionKind,
    auth_class,
    describe_connection,
    connection_drift,
    describe_reported_connection,
    reported_identity,
    reported_selector,
)
from ansible_collections.strongswan.vici.plugins.module_utils._swanctl.schema import (
    AUTH_KEYS,
    CHILD_KEYS,
    PEER_KEYS,
    ConfigError,
    auth_rounds,
    canonical_connection,
    list_items,
    normalise_bytes,
    normalise_time,
)
from ansible_collections.strongswan.vici.plugins.module_utils._pki.pem import der_to_pem

# A real (tiny) self-signed Ed25519 certificate: CN=unit, made with strongSwan's pki.
CERT_DER = base64.b64decode(
    "MIIBFTCByKADAgECAghjE2NVHnp8/zAFBgMrZXAwDzENMAsGA1UEAxMEdW5pdDAeFw0yNjExMjMyMTE1MzdaFw0yOTExMjIyMTE1"
    "MzdaMA8xDTALBgNVBAMTBHVuaXQwKjAFBgMrZXADIQAZ8RTC/XOhr6LALyhrdH2Zm8vj8fzEkzjgN+IKPg0T8aNCMEAwDwYDVR0T"
    "AQH/BAUwAwEB/zAOBgNVHQ8BAf8EBAMCAQYwHQYDVR0OBBYEFB7Gf97poeQdAHFNPQmDhb+GFBnyMAUGAytlcANBAMW6QXWSSonF"
    "MqoKVrQRRLqYyJY9zYLRdaaoLGtFAZF52vyysYGHf0KaxqfIX3+ljlr7Pq07OQ0DNRf0CJILrwg="
)
CERT_PEM = der_to_pem(CERT_DER)
PUBKEY_PEM = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGfEUwv1zoa+iwC8oa3R9mZvL4/H8xJM44DfiCj4NE/E=\n-----END PUBLIC KEY-----\n"


def canon(body, **kwargs):
    return canonical_connection("gw", body, **kwargs)


def test_schema_has_the_parser_tables_size():
    # vici_config.c (5.9.0 .. 6.0.5): 33 peer keys (incl. mediation), 13 auth, 44 child.
    assert len(PEER_KEYS) == 33
    assert len(AUTH_KEYS) == 13
    assert len(CHILD_KEYS) == 44


def test_lists_accept_strings_and_lists_alike():
    as_string = canon({"local_addrs": "127.0.0.1, 127.0.0.3", "children": {"net": {"esp_proposals": "aes128gcm16 ,aes256gcm16"}}})
    as_list = canon({"local_addrs": ["127.0.0.1", " 127.0.0.3"], "children": {"net": {"esp_proposals": ["aes128gcm16", "aes256gcm16"]}}})
    assert as_string == as_list == {
        "local_addrs": ["127.0.0.1", "127.0.0.3"],
        "children": {"net": {"esp_proposals": ["aes128gcm16", "aes256gcm16"]}},
    }


def test_booleans_numbers_and_times():
    message = canon({"mobike": False, "encap": "True", "aggressive": 0, "version": 2, "keyingtries": "0",
                     "dpd_delay": "30s", "rekey_time": "1h", "reauth_time": 7200, "over_time": "10 m",
                     "fragmentation": True,
                     "children": {"c": {"life_time": "2d", "rekey_bytes": "1k", "life_bytes": "2M", "hostaccess": "yes",
                                        "inactivity": "5m", "rekey_packets": 100}}})
    assert message == {
        "mobike": "no", "encap": "yes", "aggressive": "no", "version": "2", "keyingtries": "0",
        "dpd_delay": "30", "rekey_time": "3600", "reauth_time": "7200", "over_time": "600",
        "fragmentation": "yes",
        "children": {"c": {"life_time": "172800", "rekey_bytes": "1024", "life_bytes": "2097152", "hostaccess": "yes",
                           "inactivity": "300", "rekey_packets": "100"}},
    }


@pytest.mark.parametrize("value, expected", [
    ("1h", "3600"), ("0", "0"), ("90 s", "90"), ("1D", "86400"),
    ("0x10", "0x10"),          # the daemon reads hex; we leave it to the daemon
    ("010", "010"),            # octal for the daemon
    ("49711d", "49711d"),      # >= 2**32 seconds: the daemon truncates, keep the user's spelling
    ("1234567890123456s", "1234567890123456s"),  # longer than the daemon's buffer
    ("1w", "1w"),              # invalid, the daemon says so
])
def test_time_normalisation_only_where_safe(value, expected):
    assert normalise_time(value) == expected


def test_bytes_normalisation():
    assert normalise_bytes("1G") == str(1024 ** 3)
    assert normalise_bytes("5 k") == "5120"
    assert normalise_bytes("1T") == "1T"


def test_order_is_kept_and_nulls_dropped():
    message = canon({"remote": {"auth": "psk"}, "version": 2, "local": {"auth": "psk", "id": None}, "dpd_delay": None,
                     "children": {"b": None, "a": {}}})
    assert list(message) == ["remote", "version", "local", "children"]
    assert message["local"] == {"auth": "psk"}
    assert list(message["children"]) == ["b", "a"]


def test_round_numbers_read_like_strtoul():
    message = canon({"local-a": {"auth": "psk", "round": "010"}, "local-b": {"auth": "eap", "round": "9"},
                     "local-c": {"auth": "pubkey", "round": "0x3"}})
    assert [body["auth"] for body in auth_rounds(message, True)] == ["pubkey", "psk", "eap"]


def test_auth_rounds_by_prefix_and_round():
    message = canon({"local_addrs": "127.0.0.1", "local-b": {"auth": "psk", "round": 2}, "LOCAL-a": {"auth": "pubkey", "round": "1"},
                     "remote": {"auth": "psk"}, "remote-2": {"auth": "eap"}})
    assert message["local_addrs"] == ["127.0.0.1"]  # a key, not a round
    assert message["local-b"]["round"] == "2"
    assert [body["auth"] for body in auth_rounds(message, True)] == ["pubkey", "psk"]
    assert [body["auth"] for body in auth_rounds(message, False)] == ["psk", "eap"]


def test_cert_sections_inside_rounds():
    message = canon({"local": {"auth": "pubkey", "cert-hsm": {"handle": "0102", "slot": 1, "module": "softhsm"},
                               "cacert1": {"file": "/etc/swanctl/x509ca/ca.pem"}}})
    assert message["local"]["cert-hsm"] == {"handle": "0102", "slot": "1", "module": "softhsm"}


def test_certificates_as_pem_text_path_der_and_inline(tmp_path):
    der_file = tmp_path / "cert.der"
    der_file.write_bytes(CERT_DER)
    pem_file = tmp_path / "cert.pem"
    pem_file.write_text(CERT_PEM + CERT_PEM)
    x509 = tmp_path / "x509"
    x509.mkdir()
    (x509 / "rel.pem").write_text(CERT_PEM)
    message = canon({"local": {"certs": [CERT_PEM, str(der_file)], "cacerts": str(pem_file),
                               "pubkeys": PUBKEY_PEM},
                     "remote": {"certs": "rel.pem, 0s" + base64.b64encode(CERT_DER).decode()}},
                    swanctl_dir=str(tmp_path))
    assert message["local"]["certs"] == [CERT_DER, CERT_DER]
    assert message["local"]["cacerts"] == [CERT_DER, CERT_DER]  # two blocks in one file
    assert message["local"]["pubkeys"][0].startswith(b"-----BEGIN PUBLIC KEY-----\n")
    assert message["remote"]["certs"] == [CERT_DER, CERT_DER]


def test_certificates_read_through_the_given_reader():
    seen = []

    def reader(path):
        seen.append(path)
        return CERT_PEM.encode()

    canon({"local": {"certs": "moon.pem", "cacerts": ["/abs/ca.pem"], "pubkeys": []}}, reader=reader, swanctl_dir="/sw")
    assert seen == ["/sw/x509/moon.pem", "/abs/ca.pem"]


def test_diff_shows_certificate_descriptions_not_data():
    described = describe_connection(canon({"local": {"certs": [CERT_PEM], "pubkeys": [PUBKEY_PEM]}}))
    text = repr(described)
    assert "subject='CN=unit'" in text and "sha256:" in text
    assert "MIIB" not in text and "MCow" not in text
    assert ConnectionKind().redact(canon({"local": {"certs": [CERT_PEM]}})) == {"local": {"certs": [described["local"]["certs"][0]]}}


@pytest.mark.parametrize("body, message", [
    ({"childrens": {}}, "connection 'gw': childrens: unknown section; did you mean 'children'?"),
    ({"children": {"net": {"esp_proposal": "x"}}}, "connection 'gw': children.net.esp_proposal: unknown key; did you mean 'esp_proposals'?"),
    ({"local": {"auths": "psk"}}, "connection 'gw': local.auths: unknown key; did you mean 'auth'?"),
    ({"Version": 2}, "connection 'gw': Version: unknown key; did you mean 'version'?"),
    ({"dpd_dealy": 2}, "connection 'gw': dpd_dealy: unknown key; did you mean 'dpd_delay'?"),
    ({"local": {"cert-x": {"fil": "x"}}}, "connection 'gw': local.cert-x.fil: unknown key; did you mean 'file'?"),
    ({"zzz": 1}, "connection 'gw': zzz: unknown key"),
    ({"version": [1]}, "connection 'gw': version: expected a single value, got a list"),
    ({"version": True}, "connection 'gw': version: expected an integer, got a boolean"),
    ({"mobike": "maybe"}, "connection 'gw': mobike: expected a boolean (yes/no), got 'maybe'"),
    ({"dpd_delay": 1.5}, "connection 'gw': dpd_delay: expected a time (seconds, or like 30m, 1h, 2d), got a float"),
    ({"keyingtries": -1}, "connection 'gw': keyingtries: must not be negative (got -1)"),
    ({"children": "net"}, "connection 'gw': children: expected a mapping (child name to child), got str"),
    ({"children": {"net": ["x"]}}, "connection 'gw': children.net: expected a mapping (a child), got a list"),
    ({"local": "psk"}, "connection 'gw': local: expected a mapping (an authentication round), got str"),
    ({"local_addrs": [{"a": 1}]}, "connection 'gw': local_addrs.0: expected a list of strings or a comma-separated string, got a mapping"),
    ({"local": {"certs": ["/nonexistent/x.pem"]}},
     "connection 'gw': local.certs.0: cannot read '/nonexistent/x.pem' on the managed host: No such file or directory"),
    ({"local": {"certs": "0xzz"}}, "connection 'gw': local.certs.0: '0x...' is not valid hex"),
    ({"local": {"certs": [PUBKEY_PEM]}}, "connection 'gw': local.certs.0: PEM block 'PUBLIC KEY' is not a certificate"),
    ({"local": {"pubkeys": [CERT_PEM]}}, "connection 'gw': local.pubkeys.0: PEM block 'CERTIFICATE' is not a public key"),
    ([1, 2], "connection 'gw': config: expected a mapping (the body of connections.<name>), got a list"),
])
def test_bad_input_names_the_path(body, message):
    with pytest.raises(ConfigError) as error:
        canon(body)
    assert str(error.value) == message


def test_a_private_key_given_as_certificate_is_never_echoed():
    secret_pem = "-----BEGIN PRIVATE KEY-----\nTUFURVJJQUwtTk9ULVRPLUxFQUs=\n-----END PRIVATE KEY-----\n"
    with pytest.raises(ConfigError) as error:
        canon({"local": {"certs": [secret_pem]}})
    assert "TUFURVJJQUw" not in str(error.value)


def test_bad_names():
    for name in ("", "gw\n", "é", "x" * 256):
        with pytest.raises(ConfigError):
            canonical_connection(name, {})


# -- drift (pure) --------------------------------------------------------------

REPORTED = {
    "local_addrs": ["127.0.0.1"], "remote_addrs": ["127.0.0.2"], "version": "IKEv2", "reauth_time": "0",
    "rekey_time": "3600", "unique": "UNIQUE_NO", "dpd_delay": "30",
    "local-1": {"id": "moon.example", "class": "pre-shared key", "groups": [], "cert_policy": [], "certs": [], "cacerts": []},
    "remote-1": {"id": "sun", "class": "pre-shared key", "groups": [], "cert_policy": [], "certs": [], "cacerts": []},
    "children": {"net": {"mode": "TUNNEL", "rekey_time": "3600", "rekey_bytes": "0", "rekey_packets": "0",
                         "dpd_action": "none", "close_action": "none",
                         "local-ts": ["10.1.0.0/16"], "remote-ts": ["10.2.0.0/16[tcp/https]"]}},
}
BODY = {"version": 2, "local_addrs": "127.0.0.1", "remote_addrs": "127.0.0.2", "rekey_time": "1h", "dpd_delay": "30s",
        "proposals": "aes128-sha256-x25519",
        "local": {"auth": "psk", "id": "@moon.example"}, "remote": {"auth": "psk", "id": "sun"},
        "children": {"net": {"local_ts": "10.1.2.3/16", "remote_ts": "10.2.0.0/16[tcp/443]", "start_action": "trap"}}}


def test_no_drift_for_the_reported_form_of_the_same_body():
    assert connection_drift(canon(BODY), REPORTED) is None


@pytest.mark.parametrize("change, reason", [
    ({"version": 1}, "version is 'IKEv2', not 'IKEv1'"),
    ({"remote_addrs": "127.0.0.3"}, "remote_addrs is [127.0.0.2], not [127.0.0.3]"),
    ({"dpd_delay": None}, "dpd_delay is '30', not '0'"),
    ({"rekey_time": None}, "rekey_time is '3600', not '14400'"),
    ({"unique": "keep"}, "unique is 'UNIQUE_NO', not 'UNIQUE_KEEP'"),
    ({"remote": {"auth": "pubkey", "id": "sun"}}, "remote round 1 auth class is 'pre-shared key', not 'public key'"),
    ({"local": {"auth": "psk", "id": "moon.example.org"}}, "local round 1 id is 'moon.example', not 'moon.example.org'"),
    ({"remote-2": {"auth": "eap"}}, "remote has 1 authentication round(s), not 2"),
    ({"children": {"other": {}}}, "children are [net], not [other]"),
    ({"children": {"net": {"mode": "transport", "remote_ts": "10.2.0.0/16[tcp/443]", "local_ts": "10.1.0.0/16"}}},
     "child net mode is 'TUNNEL', not 'TRANSPORT'"),
    ({"children": {"net": {"local_ts": "10.9.0.0/16", "remote_ts": "10.2.0.0/16[tcp/443]"}}},
     "child net local_ts is [10.1.0.0/16], not [10.9.0.0/16]"),
    ({"children": {"net": {"local_ts": "10.1.0.0/16", "remote_ts": "10.2.0.0/16[tcp/443]", "close_action": "trap"}}},
     "child net close_action is 'none', not 'trap'"),
])
def test_certain_differences_are_drift(change, reason):
    body = dict(BODY)
    body.update(change)
    assert connection_drift(canon(body), REPORTED) == reason


def test_uncertain_forms_are_not_compared():
    body = dict(BODY, version="0x2", rekey_time="0x10", local={"auth": "bliss", "id": "CN=x, O=y"},
                children={"net": {"local_ts": "10.1.0.0-10.1.255.255", "remote_ts": "::2:3", "close_action": "trap|start"}})
    assert connection_drift(canon(body), REPORTED) is None


@pytest.mark.parametrize("value, shown", [
    ("10.1.2.3/16", "10.1.0.0/16"), ("10.0.0.1", "10.0.0.1/32"), ("2001:DB8:0:0:1:0:0:1", "2001:db8::1:0:0:1/128"),
    ("1:0:0:1:0:0:0:1", "1:0:0:1::1/128"), ("::/0", "::/0"), ("dynamic", "dynamic"),
    ("::2:3/128", None), ("10.0.0.0/8[tcp/80]", None), ("10.0.0.1-10.0.0.9", None), ("10.0.0.1/33", None),
])
def test_selector_forms(value, shown):
    assert reported_selector(value) == shown


@pytest.mark.parametrize("value, shown", [
    ("@moon.example", "moon.example"), ("moon", "moon"), ("127.0.0.1", "127.0.0.1"), ("%any", "%any"),
    ("C=CH, CN=x", None), ("a@b.c", None), ("@#0102", None), ("@@x", None), ("010.0.0.1", None), ("::1", None),
])
def test_identity_forms(value, shown):
    assert reported_identity(value) == shown


@pytest.mark.parametrize("value, shown", [
    ("psk", "pre-shared key"), ("PSK", "pre-shared key"), ("pubkey", "public key"), ("rsa-sha256", "public key"),
    ("ike:ecdsa", "public key"), ("eap-md5", "EAP"), ("EAP", "EAP"), ("xauth-generic", "XAuth"),
    ("ECDSA", None), ("bliss", None), (None, None),
])
def test_auth_classes(value, shown):
    assert auth_class(value) == shown


def test_reported_view_in_swanctl_schema():
    view = describe_reported_connection(REPORTED)
    assert view["version"] == "2" and view["unique"] == "no"
    assert view["local-1"] == {"auth": "psk", "id": "moon.example"}
    assert view["children"]["net"]["local_ts"] == ["10.1.0.0/16"]


def test_dpd_timeout_and_dscp_need_unload():
    kind = ConnectionKind()
    assert kind.needs_unload({"dpd_timeout": "150"}, {"dpd_timeout": "300"})
    assert kind.needs_unload({}, {"dscp": "000001"})
    assert not kind.needs_unload({"dpd_delay": "30"}, {"dpd_delay": "60"})


def test_the_module_examples_are_valid_connections():
    yaml = pytest.importorskip("yaml")
    from ansible_collections.strongswan.vici.plugins.modules import connection

    tasks = yaml.safe_load(connection.EXAMPLES)
    configs = [task["strongswan.vici.connection"] for task in tasks if "strongswan.vici.connection" in task]
    present = [args for args in configs if args.get("state", "present") == "present"]
    assert len(present) == 3
    for args in present:
        message = canonical_connection(args["name"], args["config"], reader=lambda path: CERT_PEM.encode())
        assert message["children"]
    assert canonical_connection("rw", present[1]["config"], reader=lambda path: CERT_PEM.encode())["pools"] == ["rw_pool"]
    assert present[2]["config"]["remote"]["auth"].startswith("eap")


# -- list values split as swanctl splits them (enumerator_create_token) ---------------------------------------


@pytest.mark.parametrize("text, items", [
    ("a, b,c ,, d", ["a", "b", "c", "d"]),
    (" , ", []),
    ("'ldap://ldap.example.org/cn=CA, o=Org?certificateRevocationList'",
     ["ldap://ldap.example.org/cn=CA, o=Org?certificateRevocationList"]),
    ("x, 'a, b' , \"c, 'd'\", y", ["x", "a, b", "c, 'd'", "y"]),
    ("' spaced ', ''", [" spaced ", ""]),  # a quoted item is taken as it is, even blank or empty
    ("'unterminated, b", ["'unterminated", "b"]),  # no closing quote: an item like any other
    ("it's, fine", ["it's", "fine"]),  # a quote inside an item is no quote
])
def test_list_items_split_as_swanctl_does(text, items):
    assert list_items(text) == items


def test_a_quoted_list_item_keeps_its_commas_in_the_message():
    message = canonical_connection("c", {"remote_addrs": "'a.example.org', b.example.org",
                                         "local": {"auth": "pubkey", "certs": "'my, cert.der'"}},
                                   reader=lambda path: b"\x30\x03\x02\x01\x01" if path.endswith("my, cert.der") else b"")
    assert message["remote_addrs"] == ["a.example.org", "b.example.org"]
    assert message["local"]["certs"] == [b"\x30\x03\x02\x01\x01"]
