# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The command module's read-only table and secret masking."""

from __future__ import annotations

import pytest

from ansible_collections.strongswan.vici.plugins.module_utils._operations.command import (
    default_event,
    is_read_only,
    masked_request,
    secret_values,
)


class TestCommandTable:
    @pytest.mark.parametrize("command", ["version", "stats", "list-sas", "list-certs", "get-conns", "get-counters"])
    def test_read_only(self, command):
        assert is_read_only(command)

    @pytest.mark.parametrize("command", ["initiate", "load-conn", "reset-counters", "reload-settings", "no-such"])
    def test_changing(self, command):
        assert not is_read_only(command)

    def test_default_events(self):
        assert default_event("list-sas") == "list-sa"
        assert default_event("initiate") == "control-log"
        assert default_event("version") is None


class TestSecretValues:
    def test_shared_and_key_data(self):
        assert secret_values("load-shared", {"id": "k", "type": "IKE", "data": "psk!", "owners": ["a"]}) == ["psk!"]
        assert secret_values("load-key", {"type": "rsa", "data": "-----BEGIN..."}) == ["-----BEGIN..."]

    def test_certificate_data_is_not_secret(self):
        assert secret_values("load-cert", {"type": "X509", "data": "-----BEGIN CERTIFICATE..."}) == []

    def test_named_secret_keys_anywhere(self):
        message = {"tok": {"pin": 1234}, "x": [{"password": "pw"}], "eap": {"secret": "s"}}
        assert sorted(secret_values("load-token", message)) == ["1234", "pw", "s"]

    def test_empty_values_are_not_masked(self):
        assert secret_values("load-shared", {"data": ""}) == []

    def test_deep_nesting_needs_no_recursion(self):
        message = node = {}
        for _level in range(50000):
            node["s"] = {}
            node = node["s"]
        node["psk"] = "deep"
        assert secret_values("load-conn", message) == ["deep"]
        copy = masked_request("load-conn", message)
        for _level in range(50000):
            copy = copy["s"]
        assert copy == {"psk": "********"}


class TestMaskedRequest:
    def test_secrets_replaced_rest_kept_in_order(self):
        message = {"id": "k", "type": "IKE", "data": "psk!", "owners": ["a", "b"]}
        masked = masked_request("load-shared", message)
        assert masked == {"id": "k", "type": "IKE", "data": "********", "owners": ["a", "b"]}
        assert list(masked) == list(message)
        assert message["data"] == "psk!"  # a copy

    def test_lists_of_secrets_and_sections(self):
        # Whatever sits under a secret key is masked whole: a list of secrets, a dict nested inside data.
        message = {"tok": {"pin": [1, 2]}, "x": [{"password": "pw"}], "all": True, "n": 3}
        assert masked_request("load-token", message) == {
            "tok": {"pin": "********"}, "x": [{"password": "********"}], "all": True, "n": 3}

    def test_a_dict_nested_inside_data_is_masked_whole(self):
        message = {"id": "k", "data": {"x": "psk-inside", "y": ["deeper"]}, "owners": ["a"]}
        assert masked_request("load-shared", message) == {"id": "k", "data": "********", "owners": ["a"]}
        assert sorted(secret_values("load-shared", message)) == ["deeper", "psk-inside"]

    def test_data_is_secret_only_for_secret_commands(self):
        assert masked_request("load-cert", {"data": "PEM"}) == {"data": "PEM"}
        assert masked_request("load-key", {"data": "PEM"}) == {"data": "********"}
