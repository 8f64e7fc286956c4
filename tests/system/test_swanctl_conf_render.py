# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""to_swanctl_conf's text read by the real swanctl (strongSwan's own settings parser): ``swanctl --load-all``.

Values are checked where the daemon reports them back verbatim: a CHILD_SA's ``interface`` (any text, kept as
it is), identities, lists, integers and booleans, pool and secret names; and PSKs of any bytes, which must
authenticate an IKE_SA against a daemon that got the original bytes over VICI.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.strongswan.vici.plugins.module_utils._swanctl.syntax import parse_file, render
from ansible_collections.strongswan.vici.plugins.module_utils.vici.session import Session

# charon takes only printable ASCII in string options (chunk_printable() in vici_config.c's parse_string), so the
# verbatim echo carries those; line breaks, tabs and non-ASCII text are covered by the unit tests' round trip.
NASTY = ["plain", "two words", "two  spaces", " lead", "trail ", "a # b", "#", "}", "{", "{x}", "=", "a=b, c=d",
         'say "hi"', '"', "\\", "back\\slash\\", "\\n", "\\\"", "include x", "include", ",", "a,b", ":", ".",
         "0x41", "yes", "%any", "'single'", "#}{\"\\ "]


def load_all(charon, tmp_path, tree):
    """Render TREE to a file, swanctl --load-all it, return what the daemon reports."""
    path = tmp_path / "swanctl.conf"
    path.write_text(render(tree), encoding="utf-8")
    assert parse_file(str(path)) == _as_text(tree)
    result = charon.swanctl("--load-all", "--noprompt", "--file", path, check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    # swanctl exits 0 even on a syntax error; only the missing credential folders may be complained about
    assert [line for line in result.stderr.splitlines() if not line.startswith("opening directory")] == [], output
    with Session(charon.socket_uri, timeout=10) as vici:
        conns = {}
        for event in vici.list_conns():
            conns.update(event)
        return {"conns": _text(conns), "shared": _text(vici.get_shared().get("keys", [])),
                "pools": _text(vici.get_pools()), "output": output}


def _text(value):
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, dict):
        return {key: _text(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_text(item) for item in value]
    return value


def _as_text(tree):
    """What the parser makes of a typed tree."""
    if isinstance(tree, dict):
        return {str(key): _as_text(value) for key, value in tree.items() if value is not None}
    if isinstance(tree, bool):
        return "yes" if tree else "no"
    if isinstance(tree, list):
        return ", ".join(_as_text(item) for item in tree)
    if isinstance(tree, bytes):
        return "0x" + tree.hex()
    return str(tree)


def _conn(name, interface):
    return {"remote_addrs": "127.0.0.2", "local": {"auth": "psk"}, "remote": {"auth": "psk"},
            "children": {"net": {"local_ts": "127.0.0.1/32", "interface": interface}}}


def test_nasty_values_reach_the_daemon_unchanged(charon, tmp_path):
    tree = {"connections": {"c%02d" % number: _conn("c%02d" % number, value) for number, value in enumerate(NASTY)}}
    reported = load_all(charon, tmp_path, tree)
    assert {name: conn["children"]["net"]["interface"] for name, conn in reported["conns"].items()} == {
        "c%02d" % number: value for number, value in enumerate(NASTY)}


def test_typed_tree(charon, tmp_path):
    tree = {
        "connections": {
            "gw-1": {
                "version": 2,
                "local_addrs": ["127.0.0.1"],
                "remote_addrs": ["127.0.0.2", "127.0.0.3"],
                "rekey_time": 3600,
                "mobike": False,
                "proposals": ["aes128-sha256-x25519", "aes256-sha384-ecp384"],
                "local": {"auth": "psk", "id": 'CN=moon "the" #1, O=strong Swan'},
                "remote": {"auth": "psk", "id": "sun.example.org", "groups": ["admins", "O=x"]},
                "children": {"net": {"local_ts": ["10.1.0.0/16", "10.2.0.0/16"], "rekey_time": 600,
                                     "start_action": "none", "mode": "tunnel", "ipcomp": None}},
            },
            "include": {"remote_addrs": "127.0.0.4", "local": {"auth": "psk"}, "remote": {"auth": "psk"}},
        },
        "secrets": {
            "ike-gw": {"secret": 'p#s "k" {}=\n\\', "id-a": "moon", "id-b": "sun weird # id"},
            "ike-bin": {"secret": b"\x00\x01\xfe\xff", "id": "bin"},
            "eap-carol": {"secret": " lead and trail ", "id": "carol"},
        },
        "pools": {"rw": {"addrs": "10.3.0.0/24", "dns": ["10.1.0.53", "10.1.0.54"]}},
    }
    reported = load_all(charon, tmp_path, tree)
    conn = reported["conns"]["gw-1"]
    assert conn["version"] == "IKEv2"
    assert conn["local_addrs"] == ["127.0.0.1"] and conn["remote_addrs"] == ["127.0.0.2", "127.0.0.3"]
    assert conn["rekey_time"] == "3600"
    assert conn["local-1"]["id"] == 'CN=moon "the" #1, O=strong Swan'
    assert conn["remote-1"]["groups"] == ["admins", "O=x"]
    child = conn["children"]["net"]
    assert child["local-ts"] == ["10.1.0.0/16", "10.2.0.0/16"] and child["rekey_time"] == "600"
    assert conn["remote-1"]["id"] == "sun.example.org"
    assert "include" in reported["conns"]  # a connection named include is a section, not an include statement
    assert sorted(reported["shared"]) == ["eap-carol", "ike-bin", "ike-gw"]
    assert "rw" in reported["pools"]
    for line in ("loaded ike secret 'ike-gw'", "loaded ike secret 'ike-bin'", "loaded eap secret 'eap-carol'"):
        assert line in reported["output"]


PRINTABLE = st.characters(min_codepoint=0x20, max_codepoint=0x7E)
INTERFACES = st.text(alphabet=st.one_of(PRINTABLE, st.sampled_from('#{}"\\ =,')), min_size=1, max_size=20)


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.lists(INTERFACES, min_size=1, max_size=25))
def test_any_printable_text_reaches_the_daemon_unchanged(charon, tmp_path, values):
    tree = {"connections": {"c%02d" % number: _conn("c%02d" % number, value) for number, value in enumerate(values)}}
    reported = load_all(charon, tmp_path, tree)
    assert {name: conn["children"]["net"]["interface"] for name, conn in reported["conns"].items()} == {
        "c%02d" % number: value for number, value in enumerate(values)}


def test_parse_error_is_swanctl_error_too(charon, tmp_path):
    """Sanity check of the oracle: a broken file fails in swanctl (so the tests above can fail)."""
    path = tmp_path / "swanctl.conf"
    path.write_text('connections { c { remote_addrs = "open }\n', encoding="utf-8")
    result = charon.swanctl("--load-all", "--noprompt", "--file", path, check=False)
    # swanctl exits 0 on a syntax error: it says so on stderr and loads nothing (load_all checks stderr)
    assert "unterminated string detected" in result.stderr
    with Session(charon.socket_uri, timeout=10) as vici:
        assert not [event for event in vici.list_conns() if event]


@pytest.mark.parametrize("unquoted", ["a # b", "two  spaces"])
def test_quoting_matters(charon, tmp_path, unquoted):
    """Without the renderer's quotes strongSwan reads something else: the tests above can tell."""
    path = tmp_path / "swanctl.conf"
    path.write_text("connections { c { remote_addrs = 127.0.0.2\n local { auth = psk }\n remote { auth = psk }\n"
                    " children { net { interface = %s\n } } } }\n" % unquoted, encoding="utf-8")
    result = charon.swanctl("--load-all", "--noprompt", "--file", path, check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    with Session(charon.socket_uri, timeout=10) as vici:
        conns = {}
        for event in vici.list_conns():
            conns.update(event)
    assert _text(conns["c"]["children"]["net"].get("interface")) != unquoted


# Any bytes swanctl can take in a PSK: line breaks, tab, CR, quotes, backslashes, comment and section characters,
# '=', non-ASCII text, leading and trailing spaces.
PSKS = [' multi\nline\ttab\rcr "q" \\ #{}= grüezi ✓ ', '\\"\\n', "#", "}", "  "]


def test_psk_of_any_bytes_authenticates(netns_pair, charon_factory, tmp_path):
    """The strongest echo: A reads the rendered PSK through swanctl, B gets the original bytes over VICI;
    IKE authentication succeeds only if both are the same bytes."""
    a = charon_factory(name="a", netns=netns_pair.a.name)
    b = charon_factory(name="b", netns=netns_pair.b.name)
    conns_a, secrets_a = {}, {}
    with Session(b.socket_uri, timeout=10) as vici:
        for number, psk in enumerate(PSKS + [PSKS[0]]):
            name, id_a, id_b = "gw%d" % number, "a%d.example" % number, "b%d.example" % number
            conns_a[name] = {"local_addrs": netns_pair.a_ip, "remote_addrs": netns_pair.b_ip,
                             "local": {"auth": "psk", "id": id_a}, "remote": {"auth": "psk", "id": id_b}}
            secrets_a["ike-%s" % name] = {"secret": psk, "id-a": id_a, "id-b": id_b}
            vici.load_conn({name: {"local_addrs": [netns_pair.b_ip], "remote_addrs": [netns_pair.a_ip],
                                   "local": {"auth": "psk", "id": id_b}, "remote": {"auth": "psk", "id": id_a}}})
            sent = psk if number < len(PSKS) else psk.strip(" ")
            vici.load_shared("IKE", sent.encode("utf-8"), owners=[id_a, id_b])
    load_all(a, tmp_path, {"connections": conns_a, "secrets": secrets_a})
    for number in range(len(PSKS)):
        result = a.swanctl("--initiate", "--ike", "gw%d" % number, "--timeout", "10", check=False, timeout=20)
        assert result.returncode == 0 and "initiate completed successfully" in result.stdout, (number, result.stdout)
    # The control: B's PSK without the leading and trailing space (what unquoted text would give) fails.
    result = a.swanctl("--initiate", "--ike", "gw%d" % len(PSKS), "--timeout", "10", check=False, timeout=20)
    assert "initiate completed successfully" not in result.stdout, result.stdout
    with Session(b.socket_uri, timeout=10) as vici:
        states = {name: sa["state"] for event in vici.list_sas() for name, sa in event.items()}
    assert states == {"gw%d" % number: "ESTABLISHED" for number in range(len(PSKS))}


def test_parser_reads_like_swanctl(charon, tmp_path):
    """The parser's strongSwan corners against swanctl itself: a reference right after the name ('gw:'), and
    'key =' without a value, which unsets the key and hides the referenced section's value."""
    text = ("connections {\n"
            "   base { remote_addrs = 127.0.0.2\n      local { auth = psk }\n      remote { auth = psk }\n"
            "      children { net { interface = x\n } } }\n"
            "   gw: connections.base { remote_addrs =\n      version = 2 }\n"
            "}\n")
    path = tmp_path / "swanctl.conf"
    path.write_text(text, encoding="utf-8")
    tree = parse_file(str(path))
    assert "remote_addrs" not in tree["connections"]["gw"] and tree["connections"]["gw"]["version"] == "2"
    assert tree["connections"]["gw"]["children"] == {"net": {"interface": "x"}}
    result = charon.swanctl("--load-all", "--noprompt", "--file", path, check=False)
    assert [line for line in result.stderr.splitlines() if not line.startswith("opening directory")] == [], result.stderr
    with Session(charon.socket_uri, timeout=10) as vici:
        conns = {}
        for event in vici.list_conns():
            conns.update(_text(event))
    assert conns["base"]["remote_addrs"] == ["127.0.0.2"] and conns["base"]["version"] == "IKEv1/2"
    assert conns["gw"]["remote_addrs"] == ["%any"] and conns["gw"]["version"] == "IKEv2"
    assert conns["gw"]["children"]["net"]["interface"] == "x"
