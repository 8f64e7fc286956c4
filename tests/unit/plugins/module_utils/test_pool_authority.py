# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Pure logic of the pool and authority kinds: base/size prediction, canonical messages, drift."""

from __future__ import annotations

import ipaddress

import pytest

from ansible_collections.strongswan.vici.plugins.module_utils._kinds.authority import AuthorityKind, authority_message
from ansible_collections.strongswan.vici.plugins.module_utils._text.input import InputError
from ansible_collections.strongswan.vici.plugins.module_utils._kinds.pool import (
    PoolKind,
    leases_block,
    pool_message,
    pool_range,
    reported_base,
)

# (addrs, base, size) as strongSwan 5.9.8's get-pools reported them (recorded against the real daemon;
# tests/system/test_pool.py re-checks these and random ones live).
OBSERVED = [
    ("10.3.0.0/24", "10.3.0.0", 254),
    ("10.3.0.1/24", "10.3.0.1", 254),
    ("10.3.0.5/24", "10.3.0.5", 250),
    ("10.3.0.255/24", "10.3.0.255", 0),
    ("10.3.0.0/28", "10.3.0.0", 14),
    ("10.3.0.0/30", "10.3.0.0", 2),
    ("10.3.0.1/30", "10.3.0.1", 2),
    ("10.3.0.2/30", "10.3.0.2", 1),
    ("10.3.0.3/30", "10.3.0.3", 0),
    ("10.3.0.0/31", "10.3.0.0", 2),
    ("10.3.0.1/31", "10.3.0.1", 1),
    ("10.3.0.0/32", "10.3.0.0", 1),
    ("10.3.0.3/32", "10.3.0.3", 1),
    ("10.3.0.1", "10.3.0.1", 1),
    ("10.3.0.0/8", "10.3.0.0", 16580607),
    ("10.0.0.0/0", "10.0.0.0", 1979711487),
    ("0.0.0.0/0", "0.0.0.0", 2147483646),
    ("fec3::/120", "fec3::", 254),
    ("fec3::1/120", "fec3::1", 254),
    ("fec3::/64", "fec3::", 2147483646),
    ("fec3::/127", "fec3::", 2),
    ("fec3::1/128", "fec3::1", 1),
    ("fec3::1", "fec3::1", 1),
    ("10.3.0.10-10.3.0.20", "10.3.0.10", 11),
    ("10.3.0.1-10.3.0.1", "10.3.0.1", 1),
    ("10.1.0.0-10.1.255.255", "10.1.0.0", 65536),
    ("fec3::5-fec3::9", "fec3::5", 5),
]


@pytest.mark.parametrize("addrs,base,size", OBSERVED)
def test_pool_range_matches_the_daemon(addrs, base, size):
    assert pool_range(addrs) == (ipaddress.ip_address(base), size)


@pytest.mark.parametrize("addrs", ["", " 10.3.0.0/24", "10.3.0.0 /24", "10.3.0.20-10.3.0.10", "10.3.0.0/33",
                                   "10.3.0.0/-1", "10.3.0.0/abc", "fec3::1-10.0.0.1", "fec3::-fec4::1", "nonsense"])
def test_pool_range_rejects_what_the_daemon_rejects_or_misreads(addrs):
    with pytest.raises(InputError, match="addrs"):
        pool_range(addrs)


def test_reported_base_reads_percent_any():
    assert reported_base("%any") == ipaddress.ip_address("0.0.0.0")
    assert reported_base("%any6") == ipaddress.ip_address("::")
    assert reported_base("garbage") is None


def test_pool_message_is_canonical():
    message = pool_message("10.3.0.0/24", {"dns": ["10.1.0.53 ", "fec1::53"], "nbns": []}, {"25": ["x"], 7: "1.2.3.4"})
    assert message == {"addrs": "10.3.0.0/24", "dns": ["10.1.0.53", "fec1::53"], "7": ["1.2.3.4"], "25": ["x"]}
    assert list(message) == ["addrs", "dns", "7", "25"]


@pytest.mark.parametrize("attributes,custom,field", [
    ({"dns": ["not-an-ip"]}, {}, "dns"),
    ({"subnet": ["10.0.0.0/99"]}, {}, "subnet"),
    ({"dnss": ["1.2.3.4"]}, {}, "dnss"),
    ({}, {"dns": ["1.2.3.4"]}, "attributes"),
    ({}, {"0": ["1"]}, "attributes"),
    ({}, {"40000": ["1"]}, "attributes"),
])
def test_pool_message_names_the_bad_field(attributes, custom, field):
    with pytest.raises(InputError, match=field):
        pool_message("10.3.0.0/24", attributes, custom)


def test_pool_drift_never_flags_an_unchanged_pool():
    kind = PoolKind()
    for addrs, base, size in OBSERVED:
        reported = {"base": "%any" if base == "0.0.0.0" else base, "size": str(size), "online": "0", "offline": "0"}
        assert kind.drift("p", {"addrs": addrs}, reported) is None
    assert "base" in kind.drift("p", {"addrs": "10.3.0.0/24"}, {"base": "10.4.0.0", "size": "254"})
    assert "addresses" in kind.drift("p", {"addrs": "10.3.0.0/24"}, {"base": "10.3.0.0", "size": "14"})
    assert kind.drift("p", {"addrs": "10.3.0.0/24"}, {"base": "weird", "size": "?"}) is None


def test_authority_message_needs_exactly_one_source(tmp_path):
    with pytest.raises(InputError, match="exactly one"):
        authority_message(crl_uris=["http://x"])
    with pytest.raises(InputError, match="exactly one"):
        authority_message(file="/a", handle="01")
    with pytest.raises(InputError, match="slot and module"):
        authority_message(file="/a", slot=1)
    with pytest.raises(InputError, match="cacert"):
        authority_message(cacert=str(tmp_path / "missing.pem"))
    with pytest.raises(InputError, match="handle"):
        authority_message(handle="zz")
    with pytest.raises(InputError, match="crl_uris"):
        authority_message(file="/a", crl_uris=["http://x/\x01"])
    assert authority_message(handle="0xAB01", slot=2) == {"handle": "ab01", "slot": 2}
    assert authority_message(file="/a", crl_uris=["http://c"], ocsp_uris=[], cert_uri_base="http://b/") == {
        "file": "/a", "crl_uris": ["http://c"], "cert_uri_base": "http://b/"}


def test_authority_drift():
    kind = AuthorityKind()
    message = {"file": "/a", "crl_uris": ["http://c"]}
    assert kind.drift("ca", message, {"cacert": "CN=x", "crl_uris": ["http://c"], "ocsp_uris": []}) is None
    assert "crl_uris" in kind.drift("ca", message, {"cacert": "CN=x", "crl_uris": [], "ocsp_uris": []})
    assert "ocsp_uris" in kind.drift("ca", message, {"crl_uris": ["http://c"], "ocsp_uris": ["http://o"]})
    assert "cert_uri_base" in kind.drift("ca", message, {"crl_uris": ["http://c"], "ocsp_uris": [],
                                                         "cert_uri_base": "http://b/"})
    assert kind.drift("ca", message, {}) is None


def test_leases_block_predicts_the_daemons_refusal():
    reported = {"base": "10.3.0.0", "size": "254", "online": "2", "offline": "0"}
    assert leases_block("rw", {"addrs": "10.3.0.0/24", "dns": ["10.1.0.1"]}, reported) is None
    assert "pool 'rw' has 2 online leases" in leases_block("rw", {"addrs": "10.3.1.0/24"}, reported)
    assert "unable to unload" in leases_block("rw", None, reported)
    assert leases_block("rw", None, dict(reported, online="0")) is None
    assert leases_block("rw", None, None) is None
