# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fast codec (wire.py) against the plain recursive reference codec (reference_codec.py), under hypothesis.

Encoding: the same bytes for valid trees, the same error type for trees with invalid names, values, list items
or roots. Decoding: the same values (and value types, and order) for valid messages, the same error type for
malformed ones: truncations, bad element types, bad lengths, unbalanced or too deeply nested sections, list
elements outside lists, duplicate and non-UTF-8 names; with and without raw_values, at several max_depth and
offsets.

Each test runs 10 000 examples: 25-31 s of CPU each on a 2-core machine at load average 5-7 (48-89 s wall,
the two running side by side on ansible-test's two pytest workers); nearly all of it is hypothesis drawing the
examples, not the codecs.
"""

from __future__ import annotations

import collections
import types

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ansible_collections.strongswan.vici.plugins.module_utils.vici.errors import ViciError
from ansible_collections.strongswan.vici.plugins.module_utils.vici.wire import MAX_DEPTH, decode_message, encode_message
from ansible_collections.strongswan.vici.tests.unit.fake_vici import items_tree
from ansible_collections.strongswan.vici.tests.unit.plugins.module_utils.vici import reference_codec as reference

EXAMPLES = 10000
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))


def outcome(function, *args):
    """What a call gives: ("value", result as ordered items) or ("error", the exact ViciError subclass)."""
    try:
        result = function(*args)
    except ViciError as exc:
        return ("error", type(exc))
    return ("value", items_tree(result) if isinstance(result, dict) else result)


def repeated(pieces, sizes):
    """Long values cheaply: a short drawn piece repeated to a drawn size (drawing each character is slow)."""
    return st.builds(lambda piece, size: (piece * size)[:size], pieces, sizes)


def long_values(specs):
    """Values of (piece, count): piece * count, built when drawn (a literal would bloat hypothesis' reprs)."""
    return st.sampled_from(specs).map(lambda spec: spec[0] * spec[1])


# -- encoding ------------------------------------------------------------------------------------

# A valid tree, then at most one defect put in at a drawn place: every encoding error is a ViciEncodeError, so
# a second defect would not change the expected outcome, and drawing defects per node makes examples slow.
PRINTABLE = st.characters(min_codepoint=0x20, max_codepoint=0x7E)
# Characters of every UTF-8 length and kind that matters here (ASCII, control, latin-1, BMP, astral): drawing from
# all of Unicode makes hypothesis build its character tables first (seconds per test run).
CHARACTERS = "az Z09-\x00\x1f\x7f\x80\u00e9\u00ff\u0100\u2603\ufffd\U0001f600\U0010ffff"
NAMES = st.one_of(
    st.sampled_from(["a", "b", "local_addrs", "children"]),
    st.text(alphabet=PRINTABLE, min_size=1, max_size=10),
    st.integers(min_value=250, max_value=255).map(lambda size: "n" * size),
)
SCALARS = st.one_of(
    st.text(alphabet=CHARACTERS, max_size=12),
    repeated(st.text(alphabet=PRINTABLE, min_size=1, max_size=3), st.integers(min_value=250, max_value=300)),
    # ^ ASCII past the 1-byte length tables of the encoder
    st.binary(max_size=20),
    st.binary(max_size=8).map(bytearray),
    st.binary(max_size=8).map(memoryview),
    st.booleans(),
    st.integers(min_value=-(2 ** 70), max_value=2 ** 70),
)
LISTS = st.one_of(st.lists(SCALARS, max_size=3), st.lists(SCALARS, max_size=2).map(tuple))


def sections(children):
    return st.lists(st.tuples(NAMES, children), max_size=3).map(dict)


TREES = st.recursive(sections(st.one_of(SCALARS, LISTS)), sections, max_leaves=4)

NOT_PRINTABLE = st.sampled_from("\x00\t\x1f\x7f\x80\u00e9\u2603\U0001f600")
BAD_NAMES = st.one_of(
    st.sampled_from(["", "n" * 256, "t\tab", "del\x7f", "caf\u00e9", "\x00", "\u2603", 1, b"bytes", None, ("a",), 2.5]),
    st.builds(lambda head, bad, tail: head + bad + tail, st.text(alphabet=PRINTABLE, max_size=2), NOT_PRINTABLE,
              st.text(alphabet=CHARACTERS, max_size=2)),
)
BAD_SCALARS = st.one_of(
    st.sampled_from([None, 1.5, object(), "lone \ud800", "\udfff", {1, 2}, frozenset()]),
    long_values([("x", 65536), (b"\xff", 65536), ("\u00e9", 32768)]),  # one byte too many
    st.text(alphabet=CHARACTERS, max_size=3).map(lambda text: text + "\udc80"),
)
LONGEST = long_values([("x", 65535), (b"\xff", 65535), ("\u00e9", 32767)])  # valid: 65535 bytes (and 65534)
CONTAINER_ITEMS = st.sampled_from([[], ["a"], ("a",), {}, {"a": "b"}])
# (name, value) pairs with one defect each; "longest" and "fine" are none.
DEFECTS = st.one_of(
    st.tuples(st.just("name"), BAD_NAMES, SCALARS),
    st.tuples(st.just("value"), NAMES, BAD_SCALARS),
    st.tuples(st.just("item"), NAMES, st.one_of(BAD_SCALARS, CONTAINER_ITEMS).map(lambda item: ["ok", item])),
    st.tuples(st.just("longest"), NAMES, st.one_of(LONGEST, LONGEST.map(lambda value: [value]))),
)
KINDS = st.sampled_from(["fine", "defect", "defect", "root"])
NOT_MAPPINGS = st.sampled_from([None, [], ["a"], "a", b"a", 1])
MAPPING_TYPES = st.sampled_from([dict, collections.OrderedDict, lambda items: types.MappingProxyType(dict(items))])


def sections_of(tree):
    """Every section of a tree of dicts, the root first."""
    found = [tree]
    for node in found:
        found.extend(value for value in node.values() if isinstance(value, dict))
    return found


def converted(tree, mapping_type):
    return mapping_type([(name, converted(value, mapping_type) if isinstance(value, dict) else value)
                         for name, value in tree.items()])


@st.composite
def encoder_inputs(draw):
    """A tree, often with one defect in a drawn section at a drawn position; sometimes a root that is not a
    mapping; its sections as dicts, OrderedDicts or read-only mapping proxies."""
    tree = draw(TREES)
    kind = draw(KINDS)
    if kind == "root":
        return draw(NOT_MAPPINGS)
    if kind == "defect":
        _what, name, value = draw(DEFECTS)
        nodes = sections_of(tree)
        node = nodes[draw(st.integers(min_value=0, max_value=len(nodes) - 1))]
        items = [pair for pair in node.items() if pair[0] != name]
        items.insert(draw(st.integers(min_value=0, max_value=len(items))), (name, value))
        node.clear()
        node.update(items)
    return converted(tree, draw(MAPPING_TYPES))


@SETTINGS
@given(encoder_inputs())
@example({"a": "\udc80"})
@example({"": "v"})
@example({"a": [{}]})
def test_encode_matches_the_reference(tree):
    fast = outcome(encode_message, tree)
    assert fast == outcome(reference.encode, tree)
    if fast[0] == "value":
        data = fast[1]
        for raw_values in (False, True):
            decoded = outcome(decode_message, data, raw_values)
            assert decoded[0] == "value"
            assert decoded == outcome(reference.decode, data, raw_values)


# -- decoding ------------------------------------------------------------------------------------

# Names and values as raw bytes: duplicates are likely (a small set of names), any UTF-8 and invalid UTF-8 too.
RAW_NAMES = st.one_of(
    st.sampled_from([b"a", b"b", b"conn", b""]),
    st.binary(max_size=6),
    st.text(alphabet=CHARACTERS + "\ud800\udfff", max_size=3).map(lambda text: text.encode("utf-8", "surrogatepass")),
)
RAW_VALUES = st.one_of(
    st.binary(max_size=12),
    st.text(alphabet=CHARACTERS + "\ud800\udfff", max_size=6).map(lambda text: text.encode("utf-8", "surrogatepass")),
    repeated(st.binary(min_size=1, max_size=3), st.integers(min_value=250, max_value=300)),
)


def name_field(name):
    return bytes([len(name)]) + name


def value_field(value):
    return len(value).to_bytes(2, "big") + value


KEY_VALUES = st.builds(lambda name, value: b"\x03" + name_field(name) + value_field(value), RAW_NAMES, RAW_VALUES)
LIST_ELEMENTS = st.builds(
    lambda name, items: b"\x04" + name_field(name) + b"".join(b"\x05" + value_field(item) for item in items) + b"\x06",
    RAW_NAMES, st.lists(RAW_VALUES, max_size=3),
)


def section_elements(children):
    return st.builds(lambda name, body: b"\x01" + name_field(name) + b"".join(body) + b"\x02",
                     RAW_NAMES, st.lists(children, max_size=3))


ELEMENTS = st.recursive(st.one_of(KEY_VALUES, LIST_ELEMENTS), section_elements, max_leaves=5)
WELL_FORMED = st.lists(ELEMENTS, max_size=3).map(b"".join)
# Sections nested around the default limit (64), and more: ViciLimitError, or a value without a limit.
DEEP = st.builds(lambda depth, inner: b"\x01\x01s" * depth + inner + b"\x02" * depth,
                 st.integers(min_value=0, max_value=80), st.sampled_from([b"", b"\x03\x01k\x00\x01v"]))
# Element type bytes: the six valid ones and invalid ones (0, 7, high).
TYPE_BYTES = st.one_of(st.integers(min_value=0, max_value=7), st.integers(min_value=0, max_value=255))


@st.composite
def mutated(draw, messages):
    """A message, then up to three edits: truncation, a byte replaced (element types and lengths included),
    inserted or deleted."""
    data = bytearray(draw(messages))
    for _edit in range(draw(st.integers(min_value=0, max_value=3))):
        action = draw(st.sampled_from(["truncate", "replace", "insert", "delete"]))
        position = draw(st.integers(min_value=0, max_value=len(data)))
        if action == "truncate":
            del data[position:]
        elif action == "insert":
            data.insert(position, draw(TYPE_BYTES))
        elif position < len(data):
            if action == "replace":
                data[position] = draw(TYPE_BYTES)
            else:
                del data[position]
    return bytes(data)


MESSAGES = st.one_of(mutated(WELL_FORMED), mutated(DEEP), st.binary(max_size=40))
DEPTHS = st.sampled_from([MAX_DEPTH, None, 0, 1, 2, 3])


@SETTINGS
@given(MESSAGES, DEPTHS, st.binary(max_size=3), st.sampled_from([bytes, bytearray, memoryview]))
@example(b"\x01\x01a\x02\x02", MAX_DEPTH, b"", bytes)
@example(b"\x03\x01a\x00\x01v\x04\x01a\x06", MAX_DEPTH, b"", bytes)
@example(b"\x01\x01s" * 65 + b"\x02" * 65, MAX_DEPTH, b"", bytes)
def test_decode_matches_the_reference(message, max_depth, prefix, container):
    data = container(prefix + message)
    for raw_values in (False, True):
        fast = outcome(decode_message, data, raw_values, len(prefix), max_depth)
        assert fast == outcome(reference.decode, data, raw_values, len(prefix), max_depth)


def test_the_reference_itself_on_the_readme_example():
    """The reference is checked by hand once, on the example of the format description."""
    data = (b"\x03\x04key1\x00\x06value1" b"\x01\x08section1" b"\x01\x0bsub-section" b"\x03\x04key2\x00\x06value2"
            b"\x02" b"\x04\x05list1" b"\x05\x00\x05item1" b"\x05\x00\x05item2" b"\x06" b"\x02")
    tree = {"key1": "value1", "section1": {"sub-section": {"key2": "value2"}, "list1": ["item1", "item2"]}}
    assert reference.encode(tree) == data
    assert reference.decode(data) == tree
    assert reference.decode(data, raw_values=True)["section1"]["list1"] == [b"item1", b"item2"]
