# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Proposal keywords mapped to get-algorithms names; warnings only where the mapping is certain."""

from __future__ import annotations

import pytest

from ansible_collections.strongswan.vici.plugins.module_utils._operations.algorithms import (
    algorithm_name,
    implemented,
    missing_algorithms,
)

# A get-algorithms reply of strongSwan 5.9.8 with the test plugin list (abridged).
REPLY = {
    "encryption": {"AES_CBC": "openssl", "AES_CTR": "ctr", "3DES_CBC": "openssl", "CAMELLIA_CBC": "openssl"},
    "integrity": {"HMAC_SHA2_256_128": "openssl", "HMAC_SHA1_96": "openssl", "AES_XCBC_96": "xcbc"},
    "aead": {"AES_GCM_16": "openssl", "CHACHA20_POLY1305": "chapoly"},
    "prf": {"PRF_HMAC_SHA2_256": "openssl"},
    "dh": {"CURVE_25519": "curve25519", "MODP_2048": "openssl", "ECP_256": "openssl"},
}


@pytest.mark.parametrize("keyword, name", [
    ("aes", "AES_CBC"), ("aes256", "AES_CBC"), ("aes128ctr", "AES_CTR"), ("aes256gcm16", "AES_GCM_16"),
    ("aes128gcm128", "AES_GCM_16"), ("aes192ccm96", "AES_CCM_12"), ("camellia128ccm8", "CAMELLIA_CCM_8"),
    ("serpent128", "SERPENT_CBC"), ("twofish256", "TWOFISH_CBC"), ("3des", "3DES_CBC"), ("sha", "HMAC_SHA1_96"),
    ("sha2_384", "HMAC_SHA2_384_192"), ("prfaesxcbc", "PRF_AES128_XCBC"), ("x25519", "CURVE_25519"),
    ("modp1024s160", "MODP_1024_160"), ("ecp512bp", "ECP_512_BP"), ("chacha20poly1305", "CHACHA20_POLY1305"),
])
def test_certain_keywords(keyword, name):
    assert algorithm_name(keyword) == name


@pytest.mark.parametrize("keyword", ["aes128gmac", "ntru128", "newhope128", "esn", "noesn", "aes1", "camellia128gcm16",
                                     "mlkem768", "ke1_mlkem768", "AES128", "something"])
def test_uncertain_keywords_are_left_alone(keyword):
    assert algorithm_name(keyword) is None


def test_implemented_needs_a_reply_it_understands():
    assert "MODP_2048" in implemented(REPLY)
    assert implemented({}) is None
    assert implemented({"odd": "reply"}) is None


def test_missing_ike_algorithms_are_named():
    message = {"proposals": ["aes128-sha256-x25519", "serpent128-sha256-modp4096", "default"],
               "children": {"net": {"esp_proposals": ["serpent128-sha256-modp2048", "aes128gcm16-ecp384"],
                                    "ah_proposals": ["sha256"]}}}
    lines = missing_algorithms(message, implemented(REPLY))
    assert lines == [
        "proposals.1 'serpent128-sha256-modp4096': the daemon implements no serpent128 (SERPENT_CBC), modp4096 "
        "(MODP_4096) (no plugin for it is loaded; see get-algorithms), so this proposal cannot be negotiated",
        # ESP ciphers run in the kernel: only the PFS group of a child counts.
        "children.net.esp_proposals.1 'aes128gcm16-ecp384': the daemon implements no ecp384 (ECP_384) (no plugin "
        "for it is loaded; see get-algorithms), so this proposal cannot be negotiated",
    ]
    assert missing_algorithms({"proposals": ["aes256gcm16-prfsha256-x25519"]}, implemented(REPLY)) == []
