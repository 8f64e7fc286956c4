# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Property tests of the VICI codec: round trips, and agreement with the official ``vici`` package (the oracle)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.strongswan.vici.plugins.module_utils.vici.errors import ViciProtocolError
from ansible_collections.strongswan.vici.plugins.module_utils.vici.wire import (
    EVENT,
    decode_message,
    decode_packet,
    encode_message,
    encode_packet,
)
from ansible_collections.strongswan.vici.tests.unit.fake_vici import items_tree, kv, section, vlist

SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Names: printable ASCII, 1..255 bytes (mostly short, sometimes near or at the limit; long ones are built by
# repeating a short text, generating 255 random characters each time would make the tests slow).
PRINTABLE = st.characters(min_codepoint=0x20, max_codepoint=0x7E)
NAMES = st.one_of(
    st.text(alphabet=PRINTABLE, min_size=1, max_size=12),
    st.builds(lambda text, size: (text * 255)[:size], st.text(alphabet=PRINTABLE, min_size=1, max_size=8),
              st.integers(min_value=200, max_value=255)),
)
# Values: any str UTF-8 can encode (no lone surrogates), any bytes (often not UTF-8).
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)
BLOBS = st.binary(max_size=40)
VALUES = st.one_of(TEXT, BLOBS)


def unique_dicts(children):
    return st.lists(st.tuples(NAMES, children), max_size=4, unique_by=lambda pair: pair[0]).map(dict)


def trees(values):
    """Nested dicts (sections) of values and lists of values, in a generated insertion order."""
    leaves = st.one_of(values, st.lists(values, max_size=5))
    return st.recursive(unique_dicts(leaves), unique_dicts, max_leaves=20)


def expected_decoded(tree, raw_values=False):
    """What the decoder must return for a tree: str stays str, bytes become str exactly when valid UTF-8."""
    if isinstance(tree, dict):
        return {name: expected_decoded(value, raw_values) for name, value in tree.items()}
    if isinstance(tree, list):
        return [expected_decoded(item, raw_values) for item in tree]
    if isinstance(tree, int):
        tree = str(tree)
    if raw_values:
        return tree.encode("utf-8") if isinstance(tree, str) else bytes(tree)
    if isinstance(tree, bytes):
        try:
            return tree.decode("utf-8")
        except UnicodeDecodeError:
            return tree
    return tree


@SETTINGS
@given(trees(VALUES))
def test_round_trip_keeps_order_and_value_types(tree):
    data = encode_message(tree)
    assert items_tree(decode_message(data)) == items_tree(expected_decoded(tree))


@SETTINGS
@given(trees(VALUES))
def test_round_trip_raw_values_gives_bytes(tree):
    data = encode_message(tree)
    assert items_tree(decode_message(data, raw_values=True)) == items_tree(expected_decoded(tree, raw_values=True))


@SETTINGS
@given(trees(TEXT))
def test_str_values_round_trip_to_equal_str(tree):
    assert items_tree(decode_message(encode_message(tree))) == items_tree(tree)


@SETTINGS
@given(st.binary(min_size=1, max_size=60).filter(lambda blob: not _is_utf8(blob)))
def test_non_utf8_bytes_stay_bytes(blob):
    decoded = decode_message(encode_message({"v": blob, "l": [blob]}))
    assert decoded == {"v": blob, "l": [blob]}
    assert isinstance(decoded["v"], bytes) and isinstance(decoded["l"][0], bytes)


def _is_utf8(blob):
    try:
        blob.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


@SETTINGS
@given(trees(VALUES), st.text(alphabet=PRINTABLE, min_size=1, max_size=20))
def test_event_packet_round_trip(tree, name):
    packet = decode_packet(encode_packet(EVENT, name, tree))
    assert (packet.type, packet.name) == (EVENT, name)
    assert items_tree(packet.message) == items_tree(expected_decoded(tree))


@SETTINGS
@given(trees(VALUES), st.data())
def test_every_proper_prefix_of_a_wrapped_message_raises(tree, data):
    """With one root section, no proper prefix is a whole message: it must raise, never return."""
    encoded = encode_message({"root": tree})
    length = data.draw(st.integers(min_value=1, max_value=len(encoded) - 1))
    with pytest.raises(ViciProtocolError):
        decode_message(encoded[:length])


@SETTINGS
@given(st.binary(max_size=200))
def test_arbitrary_bytes_decode_or_raise_protocol_error(blob):
    """Garbage never escapes as another exception type (IndexError, UnicodeDecodeError, ...)."""
    try:
        decoded = decode_message(blob)
    except ViciProtocolError as exc:
        assert exc.offset is not None and 0 <= exc.offset <= len(blob)
    else:
        if not _has_non_printable_name(decoded):
            assert encode_message(decoded) == blob
    try:
        decode_packet(blob)
    except ViciProtocolError:
        pass


def _has_non_printable_name(tree):
    stack = [tree]
    while stack:
        node = stack.pop()
        for name, value in node.items():
            if not name or not all(0x20 <= ord(c) <= 0x7E for c in name):
                return True
            if isinstance(value, dict):
                stack.append(value)
    return False


# -- the oracle: the official strongSwan Python package ----------------------------------------


def official():
    protocol = pytest.importorskip("vici.protocol")
    return protocol.Message, protocol.FiniteStream


# The official encoder stringifies what it does not know (True -> "True", None -> "None") and has no
# tuples or length checks: compare on the inputs where both are defined, str/bytes/int and real lists.
ORACLE_VALUES = st.one_of(TEXT, BLOBS, st.integers(min_value=-(2 ** 63), max_value=2 ** 64))


@SETTINGS
@given(trees(ORACLE_VALUES))
def test_encoding_matches_the_official_package(tree):
    message_class, _stream = official()
    assert encode_message(tree) == message_class.serialize(tree)


@SETTINGS
@given(trees(ORACLE_VALUES))
def test_official_package_decodes_our_bytes_to_the_same_tree(tree):
    message_class, stream_class = official()
    data = encode_message(tree)
    theirs = message_class.deserialize(stream_class(data))
    assert items_tree(_plain(theirs)) == items_tree(decode_message(data, raw_values=True))
    assert items_tree(_plain(theirs)) == items_tree(expected_decoded(tree, raw_values=True))


@SETTINGS
@given(trees(ORACLE_VALUES))
def test_we_decode_the_official_packages_bytes(tree):
    message_class, _stream = official()
    data = message_class.serialize(tree)
    assert items_tree(decode_message(data)) == items_tree(expected_decoded(tree))


def _plain(tree):
    """The official decoder returns OrderedDicts of bytes; make them plain dicts (keeping the order)."""
    if isinstance(tree, dict):
        return {name: _plain(value) for name, value in tree.items()}
    if isinstance(tree, list):
        return [_plain(item) for item in tree]
    return tree


def test_oracle_on_the_readme_example():
    message_class, stream_class = official()
    tree = {"key1": "value1", "section1": {"sub-section": {"key2": "value2"}, "list1": ["item1", "item2"]}}
    assert encode_message(tree) == message_class.serialize(tree)
    assert _plain(message_class.deserialize(stream_class(encode_message(tree)))) == {
        "key1": b"value1",
        "section1": {"sub-section": {"key2": b"value2"}, "list1": [b"item1", b"item2"]},
    }


# -- decoding what our encoder never produces: any UTF-8 names, long and binary values -----------------

UTF8_NAMES = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=60)
RAW_VALUES = st.one_of(st.binary(max_size=20), st.binary(min_size=120, max_size=300), TEXT.map(str.encode))


def raw_trees():
    leaves = st.one_of(RAW_VALUES, st.lists(RAW_VALUES, max_size=4))

    def sections(children):
        return st.lists(st.tuples(UTF8_NAMES, children), max_size=4, unique_by=lambda pair: pair[0]).map(dict)

    return st.recursive(sections(leaves), sections, max_leaves=20)


def wire_of(tree):
    """Hand-built bytes of a tree with UTF-8 names and bytes values (independent of the encoder)."""
    parts = []
    for name, value in tree.items():
        raw_name = name.encode("utf-8")
        if isinstance(value, dict):
            parts.append(section(raw_name, wire_of(value)))
        elif isinstance(value, list):
            parts.append(vlist(raw_name, *value))
        else:
            parts.append(kv(raw_name, value))
    return b"".join(parts)


@SETTINGS
@given(raw_trees())
def test_decoding_any_names_and_values_matches_the_oracle(tree):
    data = wire_of(tree)
    assert items_tree(decode_message(data, raw_values=True)) == items_tree(tree)
    assert items_tree(decode_message(data)) == items_tree(expected_decoded(tree))
    message_class, stream_class = official()
    assert items_tree(_plain(message_class.deserialize(stream_class(data)))) == items_tree(tree)
