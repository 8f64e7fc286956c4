# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""printable: decoded messages as text, bounded in depth."""

from __future__ import annotations

import sys

import pytest

from ansible_collections.strongswan.vici.plugins.module_utils._operations.sa import ike_sa_list
from ansible_collections.strongswan.vici.plugins.module_utils._text.printable import MAX_TEXT_DEPTH, NestingError, printable

DEEP = 100000


def test_printable_converts_bytes_and_keeps_order():
    value = {"b": b"\xff\x00", "a": ["x", b"\xfe"], "s": {"z": 1, "y": {"q": b"\x01"}}, "n": None}
    converted = printable(value)
    assert converted == {"b": "ff00", "a": ["x", "fe"], "s": {"z": 1, "y": {"q": "01"}}, "n": None}
    assert list(converted) == ["b", "a", "s", "n"]
    assert list(converted["s"]) == ["z", "y"]
    assert printable(b"\xab") == "ab" and printable("t") == "t" and printable([]) == []
    # The input is not modified.
    assert value["b"] == b"\xff\x00"


def nest(depth):
    """``depth`` containers, dicts and lists by turns, around one bytes value."""
    value = {"leaf": b"\x01"}
    for level in range(depth - 1):
        value = [value] if level % 2 else {"s": value}
    return value


def test_printable_goes_to_its_depth_and_refuses_deeper():
    converted = printable(nest(MAX_TEXT_DEPTH))
    for level in range(MAX_TEXT_DEPTH - 1):
        converted = converted[0] if (MAX_TEXT_DEPTH - 2 - level) % 2 else converted["s"]
    assert converted == {"leaf": "01"}
    with pytest.raises(NestingError, match="more than %d levels" % MAX_TEXT_DEPTH):
        printable(nest(MAX_TEXT_DEPTH + 1))


def test_printable_on_100000_levels_is_a_clear_error_not_a_recursion_error():
    assert DEEP > sys.getrecursionlimit()
    with pytest.raises(NestingError):
        printable(nest(DEEP))
    with pytest.raises(NestingError):
        ike_sa_list([{"gw": {"child-sas": {}, "deep": nest(DEEP)}}])
