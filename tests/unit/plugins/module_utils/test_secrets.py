# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one home of secrets: the mask, and the tables every masking site reads."""

from __future__ import annotations

from ansible_collections.strongswan.vici.plugins.module_utils._kinds.private_key import PrivateKeyKind
from ansible_collections.strongswan.vici.plugins.module_utils._kinds.shared_secret import SharedSecretKind
from ansible_collections.strongswan.vici.plugins.module_utils._operations.command import masked_request
from ansible_collections.strongswan.vici.plugins.module_utils._text.secrets import (
    MASK,
    is_secret_message_key,
    is_secret_tree_key,
    message_secret_paths,
)


def test_the_kinds_declare_their_secret_paths_from_the_table():
    assert SharedSecretKind.secret_paths == (("data",),)
    assert PrivateKeyKind.secret_paths == (("data",), ("pin",))
    assert message_secret_paths("load-key", "load-key") == (("data",),)


def test_the_command_rule_and_the_kinds_agree():
    for command, kind in (("load-shared", SharedSecretKind), ("load-key", PrivateKeyKind), ("load-token", PrivateKeyKind)):
        for path in message_secret_paths(command):
            assert path in kind.secret_paths and is_secret_message_key(command, path[-1])
    assert not is_secret_message_key("load-cert", "data") and is_secret_message_key("load-cert", "PIN")
    assert masked_request("load-token", {"pin": "1"}) == {"pin": MASK}


def test_tree_keys_per_section():
    assert [key for key in ("secret", "secret1", "pin", "id", "file", "handle") if is_secret_tree_key("secrets", key)] == [
        "secret", "secret1", "pin"]
    assert [key for key in ("content", "passphrase", "path") if is_secret_tree_key("private_keys", key)] == [
        "content", "passphrase"]
    assert not is_secret_tree_key("connections", "secret")


def test_scrub_replaces_only_secrets_long_enough_to_be_told_from_words():
    from ansible_collections.strongswan.vici.plugins.module_utils._text.secrets import SCRUB_MIN_CHARS, scrub
    assert SCRUB_MIN_CHARS == len(MASK)
    assert scrub("is not valid UTF-8 text", ["a", "x", "valid"]) == "is not valid UTF-8 text"
    assert scrub("bad key 'long-secret' and 'long-secret-2'", ["long-secret", "long-secret-2"]) == (
        "bad key '%s' and '%s'" % (MASK, MASK))


def test_hide_exact_masks_whole_values_only():
    from ansible_collections.strongswan.vici.plugins.module_utils._text.secrets import hide_exact
    result = {"msg": "unix:///x", "value": "x", "list": ["x", 7, True, None], "n": 7}
    assert hide_exact(result, ["x", "7"]) == {"msg": "unix:///x", "value": MASK, "list": [MASK, MASK, True, None], "n": MASK}
    assert result["value"] == "x"  # a copy


def test_config_plain_keys_of_secrets():
    from ansible_collections.strongswan.vici.plugins.module_utils._text.secrets import is_plain_secrets_key
    assert [key for key in ("id", "id-b", "file", "handle", "slot", "module", "secret", "secert", "pin", "ID")
            if is_plain_secrets_key(key)] == ["id", "id-b", "file", "handle", "slot", "module"]
