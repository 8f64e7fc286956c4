# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The from_swanctl_conf filter: strongSwan's settings syntax."""

from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.strongswan.vici.plugins.filter.swanctl import ConfError, from_swanctl_conf, parse_text

TEXT = r'''
# comment
connections {
   base {
      local_addrs = 192.0.2.1   # trailing comment
      proposals = aes128-sha256-x25519,  aes256-sha384-x25519
      local { auth = pubkey
         certs = moonCert.pem }
      children {
         net { local_ts = 10.1.0.0/16 }
      }
   }
   gw : connections.base {
      remote_addrs = 192.0.2.2
      children {
         net { esp_proposals = aes128gcm16 }
      }
   }
}
secrets {
   ike-1 {
      id = moon
      secret = "a \"quoted\" secret # not a comment"
   }
   eap-carol { secret = 'single quotes are text' }
}
pools { rw { addrs = 10.3.0.0/24 } }
pools { v6 { addrs = fd00::/120 } }
'''


def test_parse():
    tree = parse_text(TEXT)
    conns = tree["connections"]
    assert conns["base"]["local_addrs"] == "192.0.2.1"
    assert conns["base"]["proposals"] == "aes128-sha256-x25519, aes256-sha384-x25519"
    assert conns["base"]["local"] == {"auth": "pubkey", "certs": "moonCert.pem"}
    gw = conns["gw"]
    assert gw["remote_addrs"] == "192.0.2.2" and gw["local_addrs"] == "192.0.2.1"
    assert gw["children"]["net"] == {"esp_proposals": "aes128gcm16", "local_ts": "10.1.0.0/16"}
    assert tree["secrets"]["ike-1"]["secret"] == 'a "quoted" secret # not a comment'
    assert tree["secrets"]["eap-carol"]["secret"] == "'single quotes are text'"
    assert tree["pools"] == {"rw": {"addrs": "10.3.0.0/24"}, "v6": {"addrs": "fd00::/120"}}


def test_include(tmp_path):
    (tmp_path / "conf.d").mkdir()
    (tmp_path / "conf.d" / "a.conf").write_text("pools { a { addrs = 10.0.0.0/24 } }\n")
    (tmp_path / "conf.d" / "b.conf").write_text("pools { b { addrs = 10.1.0.0/24 } }\n")
    assert set(parse_text("include conf.d/*.conf\n", include_dir=str(tmp_path))["pools"]) == {"a", "b"}
    with pytest.raises(ConfError, match="include_dir"):
        parse_text("include conf.d/*.conf\n")
    with pytest.raises(ConfError, match="missing file"):
        parse_text("include nothere.conf\n", include_dir=str(tmp_path))


@pytest.mark.parametrize("text,message", [
    ("connections {", "missing '}'"),
    ("}", "unexpected '}'"),
    ("a b", "expected '='"),
    ("a : missing.section { }", "missing section"),
    ('a = "open', "unterminated"),
])
def test_errors(text, message):
    with pytest.raises(ConfError, match=message):
        parse_text(text)


def test_filter():
    assert from_swanctl_conf("pools { p { addrs = 10.0.0.1 } }")["pools"]["p"]["addrs"] == "10.0.0.1"
    with pytest.raises(AnsibleFilterError, match="from_swanctl_conf"):
        from_swanctl_conf("x {")
    with pytest.raises(AnsibleFilterError, match="text"):
        from_swanctl_conf(42)


# -- bounded input (issue 17 item 7) -------------------------------------------------------------------

def test_from_swanctl_conf_100000_deep_is_refused_not_a_recursion_error():
    with pytest.raises(AnsibleFilterError, match="sections nested more than 64 levels deep"):
        from_swanctl_conf("connections {\n" + "a {\n" * 100000 + "}\n" * 100001)


def test_from_swanctl_conf_include_of_a_device_or_itself_is_refused(tmp_path):
    with pytest.raises(AnsibleFilterError, match="/dev/zero is not a regular file"):
        from_swanctl_conf("include /dev/zero\n", include_dir=str(tmp_path))
    (tmp_path / "a.conf").write_text("include a.conf\n")
    with pytest.raises(AnsibleFilterError, match=r"include cycle: a.conf -> a.conf"):
        from_swanctl_conf("include a.conf\n", include_dir=str(tmp_path))


def test_to_swanctl_conf_of_a_dictionary_that_contains_itself_is_refused():
    from ansible_collections.strongswan.vici.plugins.filter.swanctl import to_swanctl_conf
    tree = {"connections": {}}
    tree["connections"]["gw"] = tree
    with pytest.raises(AnsibleFilterError, match="nested more than 64 levels deep"):
        to_swanctl_conf(tree)
    deep = node = {}
    for _level in range(100000):
        node["a"] = {}
        node = node["a"]
    with pytest.raises(AnsibleFilterError, match="nested more than 64 levels deep"):
        to_swanctl_conf(deep)
