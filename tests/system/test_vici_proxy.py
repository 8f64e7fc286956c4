# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The recording proxy's own decoder, against the official vici package's encoder and swanctl on the real daemon.

The conformance test trusts what the proxy records; its decoder is independent of the collection's codec,
and checked here against strongSwan's own encoders (the Python package, and swanctl's C library).
"""

from __future__ import annotations

import subprocess

import pytest

from vici_proxy import ViciProxy, decode_message

protocol = pytest.importorskip("vici.protocol")


def test_decoder_agrees_with_the_official_encoder():
    message = {
        "rw": {
            "local_addrs": [b"192.0.2.1", b"2001:db8::1"],
            "proposals": [],
            "version": b"2",
            "local-1": {"auth": b"pubkey", "certs": [bytes(range(256)) * 3]},
            "children": {"net": {"esp_proposals": [b"aes128gcm128-x25519"], "updown": b"/bin/true x"}},
        },
        "empty": b"",
    }
    assert decode_message(protocol.Message.serialize(message)) == message


@pytest.mark.parametrize("data", [b"\x01", b"\x03\x01k\x00\x05ab", b"\x05\x00\x01a", b"\x02", b"\x09"])
def test_decoder_refuses_malformed_messages(data):
    with pytest.raises((ValueError, IndexError)):
        decode_message(data)


def test_swanctl_requests_and_replies_are_recorded(charon, tmp_path):
    conf = tmp_path / "swanctl.conf"
    conf.write_text("connections {\n c {\n  remote_addrs = 127.0.0.2\n  proposals = aes128-sha256-x25519\n"
                    "  local {\n   auth = psk\n  }\n  remote {\n   auth = psk\n  }\n }\n}\n"
                    "pools {\n p {\n  addrs = 10.9.0.0/28\n  dns = 10.9.0.1, 10.9.0.2\n }\n}\n")
    with ViciProxy(str(tmp_path / "p.vici"), charon.socket_path) as proxy:
        subprocess.run(["swanctl", "--load-all", "--noprompt", "--file", str(conf), "--uri", proxy.uri],
                       capture_output=True, check=True, timeout=60)
        exchanges = proxy.take()
    loads = {exchange.name: exchange for exchange in exchanges if exchange.name.startswith("load-")}
    assert loads["load-conn"].request == {"c": {"remote_addrs": [b"127.0.0.2"], "proposals": [b"aes128-sha256-x25519"],
                                                "local": {"auth": b"psk"}, "remote": {"auth": b"psk"}}}
    assert loads["load-pool"].request == {"p": {"addrs": b"10.9.0.0/28", "dns": [b"10.9.0.1", b"10.9.0.2"]}}
    assert all(exchange.response == {"success": b"yes"} for exchange in loads.values())
    assert proxy.take() == []  # taken means forgotten
