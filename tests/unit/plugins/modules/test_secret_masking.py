# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Secrets in module results (issue 17, items 11 and 12), through the module runner against the fake charon.

Masking does not depend on spelling: whatever ``config`` cannot classify as plain is masked, and the failures
before the tree is read (argument errors) carry the same masked ``invocation``. Masking does not garble
messages: a short secret is masked where it stands, never inside the words of a message.
"""

from __future__ import annotations

import copy
import json

import pytest

from ansible_collections.strongswan.vici.tests.unit.plugins.modules.connection_config import CONFIG

PSK = "psk-that-must-not-leak-17"
MASK = "********"


def _conn(**changes):
    body = copy.deepcopy(CONFIG)
    for path, value in changes.items():
        node = body
        keys = path.split("__")
        for key in keys[:-1]:
            node = node[key]
        node[keys[-1]] = value
    return body


#: (case, arguments besides socket and swanctl_dir, text the failure names): a secret misspelt or misplaced.
SPELLINGS = [
    ("mistyped key in secrets", {"secrets": {"ike-gw": {"secert": PSK, "id": "gw"}}}, "secrets.ike-gw.secert"),
    ("unknown section in tree", {"tree": {"bogus": {"x": {"secret": PSK}}}}, "tree.bogus"),
    ("secret in a connection's local round", {"connections": {"c": _conn(local__secret=PSK)}}, "local.secret"),
    ("the same inside tree", {"tree": {"connections": {"c": _conn(local__secret=PSK)}}}, "local.secret"),
    ("unknown key in a child", {"connections": {"c": _conn(children__net__psk=PSK)}}, "psk"),
    ("unknown key in a connection", {"connections": {"c": _conn(secret=PSK)}}, "secret"),
    ("unknown key in a certificate section", {"connections": {"c": _conn(local__cert1={"file": "a.pem", "pin": PSK})}},
     "pin"),
    ("a dict under a known key", {"connections": {"c": _conn(local__id={"secret": PSK})}}, "local.id"),
    ("unknown key in a pool", {"pools": {"p": {"addrs": "10.3.0.0/24", "secret": PSK}}}, "pools.p.secret"),
    ("unknown key in an authority", {"authorities": {"a": {"cacert": "ca.pem", "secret": PSK}}}, "authorities.a.secret"),
    ("a secrets entry that is no mapping", {"secrets": {"ike-gw": PSK}}, "secrets.ike-gw"),
    ("a secrets section type not known", {"secrets": {"psk-gw": {"secret": PSK, "id": "gw"}}}, "secrets.psk-gw"),
    ("an unknown key of private_keys", {"private_keys": [{"path": "/k.pem", "secret": PSK}]}, "secret"),
    ("an unknown argument", {"psk": PSK}, "psk"),
]


@pytest.mark.parametrize("case, args, named", SPELLINGS, ids=[case[0] for case in SPELLINGS])
def test_config_masks_a_secret_whatever_its_spelling(charon, run_in_process, tmp_path, case, args, named):
    result = run_in_process("config", dict(args, socket=charon.uri, swanctl_dir=str(tmp_path)), check=True, diff=True)
    assert result["failed"] is True and named in result["msg"], (case, result)
    assert PSK not in json.dumps(result), case
    assert result["invocation"]["module_args"]["socket"] == charon.uri
    assert charon.mutating() == []


def test_config_invocation_shows_what_is_known_to_be_plain(charon, run_in_process, tmp_path):
    secrets = {"ike-gw": {"secret": PSK, "id": "gw.example.com", "id-b": "peer.example.com"}}
    result = run_in_process("config", {"socket": charon.uri, "swanctl_dir": str(tmp_path), "secrets": secrets,
                                       "connections": {"gw": CONFIG}, "pools": {"p": {"addrs": "10.3.0.0/24", "dns": "10.9.8.7"}}})
    assert result["changed"] is True and PSK not in json.dumps(result)
    shown = result["invocation"]["module_args"]
    assert shown["secrets"] == {"ike-gw": {"secret": MASK, "id": "gw.example.com", "id-b": "peer.example.com"}}
    assert shown["connections"] == {"gw": CONFIG} and shown["pools"] == {"p": {"addrs": "10.3.0.0/24", "dns": "10.9.8.7"}}


def test_config_argument_errors_carry_the_masked_invocation(charon, run_in_process, tmp_path):
    # Ansible's own argument checks fail before the module runs: the same masking, and no garbled message.
    both = run_in_process("config", {"socket": charon.uri, "src": str(tmp_path / "none.conf"),
                                     "secrets": {"ike-gw": {"secret": "x", "id": "a"}}})
    assert both["failed"] is True and both["msg"] == "parameters are mutually exclusive: src|secrets"
    assert both["invocation"]["module_args"]["secrets"] == {"ike-gw": {"secret": MASK, "id": "a"}}
    assert both["invocation"]["module_args"]["socket"] == charon.uri


def test_command_masks_a_dict_nested_inside_data(charon, run_in_process):
    request = {"id": "k1", "type": "IKE", "data": {"nested": PSK, "list": [PSK]}, "owners": ["a.example"]}
    result = run_in_process("command", {"socket": charon.uri, "command": "load-shared", "request": request})
    assert PSK not in json.dumps(result)
    assert result["invocation"]["module_args"]["request"] == {"id": "k1", "type": "IKE", "data": MASK, "owners": ["a.example"]}
    not_a_dict = run_in_process("command", {"socket": charon.uri, "command": "load-shared", "request": PSK})
    assert not_a_dict["failed"] is True and PSK not in json.dumps(not_a_dict)


@pytest.mark.parametrize("secret", ["x", "a", "uni", "1234"])
def test_a_short_secret_does_not_garble_messages(charon, run_in_process, tmp_path, secret):
    # config: a message of its own, and the socket path in invocation, stay as they are.
    bad = run_in_process("config", {"socket": charon.uri, "swanctl_dir": str(tmp_path),
                                    "secrets": {"ike-gw": {"secret": secret, "id": "gw\udcff"}}})
    assert bad["msg"].startswith("secrets.ike-gw.id: is not valid UTF-8 text"), bad["msg"]
    assert bad["invocation"]["module_args"]["socket"] == charon.uri
    assert bad["invocation"]["module_args"]["secrets"]["ike-gw"]["secret"] == MASK
    # shared_secret (Ansible's no_log option): its messages and arguments neither.
    owners = run_in_process("shared_secret", {"socket": charon.uri, "id": "k", "secret": secret, "owners": ["a\udcff"]})
    assert owners["msg"].startswith("owners[0]: is not valid UTF-8 text"), owners["msg"]
    assert owners["invocation"]["module_args"]["socket"] == charon.uri
    assert owners["invocation"]["module_args"]["secret"] == MASK
    loaded = run_in_process("shared_secret", {"socket": charon.uri, "id": "k", "secret": secret, "owners": ["unix.example"]})
    assert loaded["changed"] is True and MASK not in json.dumps({k: v for k, v in loaded.items() if k != "invocation"})
    assert loaded["invocation"]["module_args"]["owners"] == ["unix.example"]
    # command: the daemon's message is returned as it is.
    charon.refuse("load-shared", "invalid data for unix socket")
    refused = run_in_process("command", {"socket": charon.uri, "command": "load-shared",
                                         "request": {"id": "k", "type": "IKE", "data": secret, "owners": ["a"]}})
    assert refused["msg"].endswith("invalid data for unix socket") and refused["vici_errmsg"] == "invalid data for unix socket"


def test_a_long_secret_in_a_message_is_still_masked(charon, run_in_process):
    # Belt and braces for secrets of 8 characters or more: a daemon message quoting one does not show it.
    charon.refuse("load-shared", "bad key '%s'" % PSK)
    refused = run_in_process("command", {"socket": charon.uri, "command": "load-shared",
                                         "request": {"id": "k", "type": "IKE", "data": PSK, "owners": ["a"]}})
    assert refused["failed"] is True and PSK not in json.dumps(refused) and MASK in refused["msg"]
    charon.refuse("load-shared", "bad key '%s'" % PSK)
    failed = run_in_process("shared_secret", {"socket": charon.uri, "id": "k", "secret": PSK, "owners": ["a"]})
    assert failed["failed"] is True and PSK not in json.dumps(failed)


def test_a_long_secret_in_a_config_message_is_still_masked(charon, run_in_process, tmp_path):
    charon.refuse("load-shared", "bad key '%s'" % PSK)
    failed = run_in_process("config", {"socket": charon.uri, "swanctl_dir": str(tmp_path),
                                       "secrets": {"ike-gw": {"secret": PSK, "id": "gw"}}})
    assert failed["failed"] is True and PSK not in json.dumps(failed) and MASK in failed["msg"]


def test_config_info_leaves_out_a_misspelt_secret_too(run_in_process, tmp_path):
    (tmp_path / "swanctl.conf").write_text(
        "secrets {\n ike-gw { secert = \"%s\"\n id = gw.example.com }\n token-1 { handle = 01\n pin = 1234 }\n}\n" % PSK)
    result = run_in_process("config_info", {"path": str(tmp_path / "swanctl.conf")})
    assert PSK not in json.dumps(result) and result["secret_values_left_out"] == 2
    assert result["secrets"] == {"ike-gw": {"id": "gw.example.com"}, "token-1": {"handle": "01"}}
