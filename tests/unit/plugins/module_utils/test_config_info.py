# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""read_config: a swanctl directory read the way swanctl --load-all reads it (temporary directories)."""

from __future__ import annotations

import json
import os

import pytest


from ansible_collections.strongswan.vici.plugins.module_utils._gateway.config_info import ConfigReadError, read_config
from ansible_collections.strongswan.vici.plugins.modules import config_info
from ansible_collections.strongswan.vici.tests.unit.module_runner import run_main

PSK = "S3cr3t-PSK-value"
EAP = "eap password #1"
PASS = "key-passphrase"
PIN = "1234-token-pin"

MAIN = """
connections {
   base {
      local { auth = pubkey
         certs = moonCert.pem, /abs/other.pem, 0x3082ab }
      remote { cacerts = caCert.pem
         pubkeys = peer.pub }
   }
   gw : connections.base {
      remote_addrs = 192.0.2.2
      children { net { local_ts = 10.1.0.0/16 } }
   }
}
authorities {
   ca { cacert = caCert.pem
      crl_uris = http://crl.example.org/ca.crl }
   abs { cacert = /srv/ca.pem }
}
include conf.d/*.conf
something { else = 1 }
"""

EXTRA = """
secrets {
   ike-gw { secret = %s
      id-a = moon
      id-b = sun }
   eap-carol { secret = "%s"
      id = carol }
   private-moon { file = MOONKEY.PEM
      secret = %s }
   rsa-other { file = moonKey.pem
      secret = x }
   token-1 { handle = 0123
      slot = 1
      pin = %s }
}
pools { rw { addrs = 10.3.0.0/24 } }
""" % (PSK, EAP, PASS, PIN)


@pytest.fixture
def swanctl_dir(tmp_path):
    root = tmp_path / "swanctl"
    (root / "conf.d").mkdir(parents=True)
    (root / "swanctl.conf").write_text(MAIN)
    (root / "conf.d" / "extra.conf").write_text(EXTRA)
    for folder, names in {"x509": ["moonCert.pem", ".hidden.pem"], "x509ca": ["caCert.pem"], "x509crl": ["ca.crl"],
                          "x509ac": ["ac.der"], "x509aa": ["aa.pem"], "x509ocsp": ["ocsp.pem"],
                          "pubkey": ["peer.pub"], "private": ["moonKey.pem"], "ecdsa": ["b.pem", "a.pem"],
                          "pkcs12": ["bundle.p12"]}.items():
        (root / folder).mkdir()
        for name in names:
            (root / folder / name).write_text("-----BEGIN PRIVATE KEY-----\nnot-a-real-key\n-----END PRIVATE KEY-----\n")
    (root / "x509" / "subdir").mkdir()  # swanctl does not descend
    (root / "x509" / "subdir" / "deep.pem").write_text("x")
    os.symlink(root / "x509" / "moonCert.pem", root / "x509" / "link.pem")  # followed
    os.symlink(root / "x509" / "gone.pem", root / "x509" / "dangling.pem")  # skipped
    return root


def test_tree(swanctl_dir):
    result = read_config(str(swanctl_dir / "swanctl.conf"), include_secrets=True)
    root = str(swanctl_dir)
    gw = result["connections"]["gw"]
    assert gw["remote_addrs"] == "192.0.2.2"
    assert gw["local"]["certs"] == "%s/x509/moonCert.pem, /abs/other.pem, 0x3082ab" % root
    assert gw["remote"] == {"cacerts": "%s/x509ca/caCert.pem" % root, "pubkeys": "%s/pubkey/peer.pub" % root}
    assert result["connections"]["base"]["local"]["certs"] == gw["local"]["certs"]
    assert result["authorities"]["ca"] == {"cacert": "%s/x509ca/caCert.pem" % root,
                                           "crl_uris": "http://crl.example.org/ca.crl"}
    assert result["authorities"]["abs"]["cacert"] == "/srv/ca.pem"
    assert result["pools"] == {"rw": {"addrs": "10.3.0.0/24"}}
    assert result["secrets"]["ike-gw"] == {"secret": PSK, "id-a": "moon", "id-b": "sun"}
    assert result["secrets"]["eap-carol"]["secret"] == EAP
    assert result["secrets"]["token-1"]["pin"] == PIN
    assert result["secrets_included"] is True and result["secret_values_left_out"] == 0
    assert result["ignored"] == ["something"]
    assert result["swanctl_dir"] == root and result["path"] == root + "/swanctl.conf"


def test_credential_folders(swanctl_dir):
    result = read_config(str(swanctl_dir / "swanctl.conf"))
    root = str(swanctl_dir)
    assert result["certificates"] == [
        {"path": root + "/x509/.hidden.pem", "type": "x509", "flag": "none"},
        {"path": root + "/x509/link.pem", "type": "x509", "flag": "none"},
        {"path": root + "/x509/moonCert.pem", "type": "x509", "flag": "none"},
        {"path": root + "/x509ca/caCert.pem", "type": "x509", "flag": "ca"},
        {"path": root + "/x509ocsp/ocsp.pem", "type": "x509", "flag": "ocsp"},
        {"path": root + "/x509aa/aa.pem", "type": "x509", "flag": "aa"},
        {"path": root + "/x509ac/ac.der", "type": "x509_ac"},
        {"path": root + "/x509crl/ca.crl", "type": "x509_crl"},
        {"path": root + "/pubkey/peer.pub", "type": "pubkey"},
    ]
    # private/moonKey.pem is loaded through secrets.private-moon (its passphrase); rsa-other names no rsa/ file
    assert result["private_keys"] == [{"path": root + "/ecdsa/a.pem"}, {"path": root + "/ecdsa/b.pem"}]
    assert result["secrets"]["private-moon"] == {"file": "moonKey.pem"}  # the file's exact name
    assert result["secrets"]["rsa-other"] == {"file": "moonKey.pem"}
    assert result["pkcs12"] == [{"path": root + "/pkcs12/bundle.p12", "passphrase_secrets": []}]
    assert read_config(str(swanctl_dir / "swanctl.conf"), resolve_paths=False)["secrets"]["private-moon"] == {
        "file": "MOONKEY.PEM"}


def test_secret_values_left_out_by_default(swanctl_dir):
    result = read_config(str(swanctl_dir / "swanctl.conf"))
    assert result["secrets_included"] is False and result["secret_values_left_out"] == 5
    assert result["secrets"]["ike-gw"] == {"id-a": "moon", "id-b": "sun"}
    assert result["secrets"]["token-1"] == {"handle": "0123", "slot": "1"}
    assert result["secrets"]["private-moon"] == {"file": "moonKey.pem"}
    text = json.dumps(result)
    for secret in (PSK, EAP, PASS, PIN, "not-a-real-key"):
        assert secret not in text


def test_paths_as_written(swanctl_dir):
    result = read_config(str(swanctl_dir / "swanctl.conf"), resolve_paths=False)
    assert result["connections"]["gw"]["local"]["certs"] == "moonCert.pem, /abs/other.pem, 0x3082ab"
    assert result["authorities"]["ca"]["cacert"] == "caCert.pem"


def test_empty_directory(tmp_path):
    (tmp_path / "swanctl.conf").write_text("# nothing yet\n")
    result = read_config(str(tmp_path / "swanctl.conf"))
    assert {key: result[key] for key in ("connections", "secrets", "pools", "authorities", "certificates",
                                         "private_keys", "ignored")} == {
        "connections": {}, "secrets": {}, "pools": {}, "authorities": {}, "certificates": [], "private_keys": [],
        "ignored": []}


@pytest.mark.parametrize("text,message", [
    ("connections {", "missing '}'"),
    ("connections = x\n", "'connections' must be a section"),
    ("pools { rw = 1 }\n", "pools.rw must be a section"),
    ('secrets { a { secret = "open\n', "unterminated string"),
])
def test_errors_name_the_file(tmp_path, text, message):
    (tmp_path / "swanctl.conf").write_text(text)
    with pytest.raises(ConfigReadError, match=message):
        read_config(str(tmp_path / "swanctl.conf"))


def test_includes(tmp_path):
    (tmp_path / "conf.d").mkdir()
    (tmp_path / "conf.d" / "b.conf").write_text("pools { b { addrs = 10.1.0.0/24 } }\ninclude ../deep/*.conf\n")
    (tmp_path / "conf.d" / "a.conf").write_text("pools { a { addrs = 10.0.0.0/24 } }\n")
    (tmp_path / "deep").mkdir()
    (tmp_path / "deep" / "c.conf").write_text("pools { c { addrs = 10.2.0.0/24 } }\n")
    (tmp_path / "swanctl.conf").write_text("include conf.d/*.conf\ninclude missing.conf\ninclude none/*.conf\n"
                                           "connections { include /abs/missing.conf\n}\n")
    result = read_config(str(tmp_path / "swanctl.conf"))
    assert list(result["pools"]) == ["a", "b", "c"]
    assert result["files"] == [str(tmp_path / name) for name in
                               ("swanctl.conf", "conf.d/a.conf", "conf.d/b.conf", "conf.d/../deep/c.conf")]
    assert result["missing_includes"] == [str(tmp_path / "missing.conf"), "/abs/missing.conf"]


def test_module_warns_about_missing_includes(tmp_path, capsys):
    (tmp_path / "swanctl.conf").write_text("include swanctl_base.conf\n")
    result = run_module(capsys, {"path": str(tmp_path / "swanctl.conf")})
    assert "swanctl_base.conf, which does not exist; skipped" in json.dumps(result["warnings"])


def test_missing_file(tmp_path):
    with pytest.raises(ConfigReadError, match="no such file"):
        read_config(str(tmp_path / "nothere.conf"))
    (tmp_path / "bad.conf").write_bytes(b"connections { a { x = \xff } }\n")
    with pytest.raises(ConfigReadError, match="bad.conf is not UTF-8 text"):
        read_config(str(tmp_path / "bad.conf"))


# -- the module --------------------------------------------------------------------------------------------

def run_module(capsys, args):
    return run_main(config_info.main, args, capsys)


def test_module_without_no_log_leaves_secrets_out(swanctl_dir, capsys):
    result = run_module(capsys, {"path": str(swanctl_dir / "swanctl.conf"), "socket": "unix:///x"})
    assert result["changed"] is False and result["secrets_included"] is False
    assert "5 secret values of 'secrets' are left out" in json.dumps(result["warnings"])
    assert "does not read the top-level entry something" in json.dumps(result["warnings"])
    assert "1 PKCS#12 containers" in json.dumps(result["warnings"])
    for secret in (PSK, EAP, PASS, PIN):
        assert secret not in json.dumps(result)
    assert result["connections"]["gw"]["remote_addrs"] == "192.0.2.2"


def test_module_with_no_log_returns_secrets(swanctl_dir, capsys):
    result = run_module(capsys, {"path": str(swanctl_dir / "swanctl.conf"), "_ansible_no_log": True,
                                 "_ansible_check_mode": True})
    assert result["changed"] is False and result["secrets_included"] is True
    assert result["secrets"]["ike-gw"]["secret"] == PSK
    assert not [warning for warning in result.get("warnings", []) if "left out" in json.dumps(warning)]


def test_module_fails_clearly(tmp_path, capsys):
    result = run_module(capsys, {"path": str(tmp_path / "none.conf")})
    assert result["failed"] and result["msg"] == "%s: no such file" % (tmp_path / "none.conf")
    assert "Traceback" not in json.dumps(result)


def test_module_warns_about_objects_defined_twice(tmp_path, capsys):
    (tmp_path / "conf.d").mkdir()
    (tmp_path / "conf.d" / "a.conf").write_text("pools { p { addrs = 10.0.0.0/24 } }\n")
    (tmp_path / "conf.d" / "b.conf").write_text("pools { p { dns = 10.0.0.53 } }\n")
    (tmp_path / "swanctl.conf").write_text("include conf.d/*.conf\n")
    result = run_module(capsys, {"path": str(tmp_path / "swanctl.conf")})
    assert result["pools"] == {"p": {"addrs": "10.0.0.0/24", "dns": "10.0.0.53"}}
    assert result["merged"] == ["pools.p: defined in %s and again in %s" % (tmp_path / "conf.d" / "a.conf",
                                                                            tmp_path / "conf.d" / "b.conf")]
    assert "pools.p: defined in" in json.dumps(result["warnings"])


# -- bounded input (issue 17 item 7) -------------------------------------------------------------------

def test_config_info_device_fifo_and_include_cycle_are_refused_naming_the_file(tmp_path):
    with pytest.raises(ConfigReadError, match="/dev/zero is not a regular file"):
        read_config("/dev/zero")
    os.mkfifo(str(tmp_path / "fifo.conf"))
    with pytest.raises(ConfigReadError, match="fifo.conf is not a regular file \\(a FIFO\\)"):
        read_config(str(tmp_path / "fifo.conf"))
    (tmp_path / "swanctl.conf").write_text("include /dev/urandom\n")
    with pytest.raises(ConfigReadError, match="swanctl.conf: included file /dev/urandom is not a regular file"):
        read_config(str(tmp_path / "swanctl.conf"))
    (tmp_path / "swanctl.conf").write_text("include swanctl.conf\n")
    with pytest.raises(ConfigReadError, match="include cycle: swanctl.conf -> swanctl.conf"):
        read_config(str(tmp_path / "swanctl.conf"))
    (tmp_path / "swanctl.conf").write_text("connections {\n" + "a {\n" * 100000 + "}\n" * 100001)
    with pytest.raises(ConfigReadError, match="swanctl.conf: sections nested more than 64 levels deep"):
        read_config(str(tmp_path / "swanctl.conf"))
