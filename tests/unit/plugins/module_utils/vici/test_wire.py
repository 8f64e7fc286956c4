# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The VICI wire format: byte-exact examples, strict decoding, strict encoding, deep and large messages."""

from __future__ import annotations

import sys
from collections import OrderedDict
from collections.abc import Mapping

import pytest

from ansible_collections.strongswan.vici.plugins.module_utils.vici.errors import ViciEncodeError, ViciProtocolError
from ansible_collections.strongswan.vici.plugins.module_utils.vici.wire import (
    CMD_REQUEST,
    CMD_RESPONSE,
    CMD_UNKNOWN,
    EVENT,
    EVENT_CONFIRM,
    EVENT_REGISTER,
    EVENT_UNKNOWN,
    EVENT_UNREGISTER,
    MAX_NAME_LENGTH,
    MAX_VALUE_LENGTH,
    Packet,
    decode_message,
    decode_packet,
    encode_message,
    encode_packet,
)
from ansible_collections.strongswan.vici.tests.unit.fake_vici import blob16, frame, items_tree, kv, section, vlist


# -- the worked examples of the protocol digest (vici.md 1.7) ---------------------------------


def hexbytes(text):
    return bytes.fromhex(text.replace("|", " "))


VERSION_WIRE = hexbytes("00 00 00 09 | 00 | 07 76 65 72 73 69 6f 6e")
UNLOAD_CONN_WIRE = hexbytes("00 00 00 17 | 00 | 0b 75 6e 6c 6f 61 64 2d 63 6f 6e 6e | 03 04 6e 61 6d 65 00 02 67 77")
LOAD_POOL_WIRE = (
    hexbytes("00 00 00 35 00 09") + b"load-pool"
    + hexbytes("01 02 70 31")
    + hexbytes("03 05") + b"addrs" + hexbytes("00 0b") + b"10.3.0.0/28"
    + hexbytes("04 03") + b"dns"
    + hexbytes("05 00 08") + b"10.3.0.1"
    + hexbytes("06")
    + hexbytes("02")
)
REGISTER_LIST_CONN_WIRE = hexbytes("00 00 00 0b 03 09 6c 69 73 74 2d 63 6f 6e 6e")
CONFIRM_WIRE = hexbytes("00 00 00 01 05")
CMD_UNKNOWN_WIRE = hexbytes("00 00 00 01 02")
SUCCESS_WIRE = hexbytes("00 00 00 0f 01 03 07 73 75 63 63 65 73 73 00 03 79 65 73")

DIGEST_EXAMPLES = [
    pytest.param(VERSION_WIRE, 13, Packet(CMD_REQUEST, "version", {}), id="version"),
    pytest.param(UNLOAD_CONN_WIRE, 27, Packet(CMD_REQUEST, "unload-conn", {"name": "gw"}), id="unload-conn"),
    pytest.param(
        LOAD_POOL_WIRE, 57,
        Packet(CMD_REQUEST, "load-pool", {"p1": {"addrs": "10.3.0.0/28", "dns": ["10.3.0.1"]}}),
        id="load-pool",
    ),
    pytest.param(REGISTER_LIST_CONN_WIRE, 15, Packet(EVENT_REGISTER, "list-conn", None), id="register"),
    pytest.param(CONFIRM_WIRE, 5, Packet(EVENT_CONFIRM, None, None), id="confirm"),
    pytest.param(CMD_UNKNOWN_WIRE, 5, Packet(CMD_UNKNOWN, None, None), id="cmd-unknown"),
    pytest.param(SUCCESS_WIRE, 19, Packet(CMD_RESPONSE, None, {"success": "yes"}), id="success"),
]


@pytest.mark.parametrize("wire, size, packet", DIGEST_EXAMPLES)
def test_digest_example_encodes_byte_exact(wire, size, packet):
    assert len(wire) == size
    assert frame(encode_packet(packet.type, packet.name, packet.message)) == wire


@pytest.mark.parametrize("wire, size, packet", DIGEST_EXAMPLES)
def test_digest_example_decodes(wire, size, packet):
    assert int.from_bytes(wire[:4], "big") == size - 4
    decoded = decode_packet(wire[4:])
    assert decoded == packet
    if packet.message is not None:
        assert items_tree(decoded.message) == items_tree(packet.message)


def test_success_response_from_a_bool():
    """``True`` is sent as ``yes``: the digest's response example, encoded from a Python bool."""
    assert frame(encode_packet(CMD_RESPONSE, message={"success": True})) == SUCCESS_WIRE


# -- the README's canonical nested example ("Message format", "Encoding example") ---------------
# key1 = value1, section1 = { sub-section = { key2 = value2 }, list1 = [ item1, item2 ] }, rebuilt
# element by element from the README's description of the C array.

README_EXAMPLE_WIRE = bytes(
    [3, 4]
    + list(b"key1")
    + [0, 6]
    + list(b"value1")
    + [1, 8]
    + list(b"section1")
    + [1, 11]
    + list(b"sub-section")
    + [3, 4]
    + list(b"key2")
    + [0, 6]
    + list(b"value2")
    + [2]
    + [4, 5]
    + list(b"list1")
    + [5, 0, 5]
    + list(b"item1")
    + [5, 0, 5]
    + list(b"item2")
    + [6]
    + [2]
)
README_EXAMPLE = {
    "key1": "value1",
    "section1": {
        "sub-section": {"key2": "value2"},
        "list1": ["item1", "item2"],
    },
}


def test_readme_example_encodes_byte_exact():
    assert encode_message(README_EXAMPLE) == README_EXAMPLE_WIRE
    # and the hand builders agree with the README as well (they are used by many tests below)
    assert README_EXAMPLE_WIRE == kv("key1", "value1") + section(
        "section1", section("sub-section", kv("key2", "value2")), vlist("list1", "item1", "item2")
    )


def test_readme_example_decodes_in_order():
    decoded = decode_message(README_EXAMPLE_WIRE)
    assert items_tree(decoded) == items_tree(README_EXAMPLE)
    assert list(decoded) == ["key1", "section1"]
    assert list(decoded["section1"]) == ["sub-section", "list1"]


def test_readme_example_raw_values():
    decoded = decode_message(README_EXAMPLE_WIRE, raw_values=True)
    assert decoded == {
        "key1": b"value1",
        "section1": {"sub-section": {"key2": b"value2"}, "list1": [b"item1", b"item2"]},
    }


def test_readme_example_inside_an_event_packet():
    payload = b"\x07\x0aike-updown" + README_EXAMPLE_WIRE
    assert encode_packet(EVENT, "ike-updown", README_EXAMPLE) == payload
    assert decode_packet(payload) == Packet(EVENT, "ike-updown", README_EXAMPLE)


# -- value and container mapping --------------------------------------------------------------


def test_python_types_map_to_wire_values():
    message = {
        "s": "text",
        "b": b"\x00\xff",
        "ba": bytearray(b"ab"),
        "mv": memoryview(b"cd"),
        "yes": True,
        "no": False,
        "int": 42,
        "neg": -1,
        "tuple": ("a", 1, True, b"\x01"),
        "empty": [],
        "sub": {},
    }
    assert encode_message(message) == (
        kv("s", "text") + kv("b", b"\x00\xff") + kv("ba", b"ab") + kv("mv", b"cd")
        + kv("yes", "yes") + kv("no", "no") + kv("int", "42") + kv("neg", "-1")
        + vlist("tuple", "a", "1", "yes", b"\x01") + vlist("empty") + section("sub")
    )


def test_decoded_values_are_str_when_utf8_and_bytes_otherwise():
    data = kv("ascii", "x") + kv("utf8", "grüße".encode()) + kv("der", b"\x30\x82\xff") + vlist("l", "é", b"\xc3")
    decoded = decode_message(data)
    assert decoded == {"ascii": "x", "utf8": "grüße", "der": b"\x30\x82\xff", "l": ["é", b"\xc3"]}
    assert isinstance(decoded["der"], bytes)
    assert decode_message(data, raw_values=True) == {
        "ascii": b"x", "utf8": "grüße".encode(), "der": b"\x30\x82\xff", "l": ["é".encode(), b"\xc3"],
    }


def test_empty_values_names_lists_and_sections():
    data = kv("e", b"") + vlist("l") + vlist("m", b"") + section("s")
    assert decode_message(data) == {"e": "", "l": [], "m": [""], "s": {}}
    assert encode_message({"e": "", "l": [], "m": [""], "s": {}}) == data
    assert decode_message(b"") == {}
    assert encode_message({}) == b""


def test_decode_message_from_an_offset_and_from_a_bytearray():
    data = b"junk" + kv("a", "1")
    assert decode_message(data, offset=4) == {"a": "1"}
    assert decode_message(bytearray(kv("a", "1"))) == {"a": "1"}
    assert decode_message(memoryview(kv("a", "1"))) == {"a": "1"}


@pytest.mark.parametrize(
    "packet_type, name, message, payload",
    [
        (CMD_REQUEST, "version", None, b"\x00\x07version"),
        (CMD_REQUEST, "unload-conn", {"name": "gw"}, b"\x00\x0bunload-conn" + kv("name", "gw")),
        (CMD_RESPONSE, None, {"a": "b"}, b"\x01" + kv("a", "b")),
        (CMD_RESPONSE, None, None, b"\x01"),
        (CMD_UNKNOWN, None, None, b"\x02"),
        (EVENT_REGISTER, "log", None, b"\x03\x03log"),
        (EVENT_UNREGISTER, "log", None, b"\x04\x03log"),
        (EVENT_CONFIRM, None, None, b"\x05"),
        (EVENT_UNKNOWN, None, None, b"\x06"),
        (EVENT, "log", {"msg": "hi"}, b"\x07\x03log" + kv("msg", "hi")),
    ],
)
def test_every_packet_type_round_trips(packet_type, name, message, payload):
    assert encode_packet(packet_type, name, message) == payload
    decoded = decode_packet(payload)
    assert decoded.type == packet_type
    assert decoded.name == name
    if packet_type in (CMD_REQUEST, CMD_RESPONSE, EVENT):
        assert decoded.message == (message or {})
    else:
        assert decoded.message is None


def test_packet_type_names():
    assert decode_packet(b"\x05").type_name == "EVENT_CONFIRM"
    assert Packet(99, None, None).type_name == "99"


# -- malformed input: every class raises ViciProtocolError at the right offset ------------------


def protocol_error(data, **kwargs):
    with pytest.raises(ViciProtocolError) as info:
        decode_message(data, **kwargs)
    return info.value


@pytest.mark.parametrize("element_type", [0, 7, 8, 0x7F, 0xFF])
def test_unknown_element_type(element_type):
    data = kv("a", "1") + bytes((element_type,)) + b"\x01b"
    error = protocol_error(data)
    assert error.offset == 6
    assert "unknown element type %d" % element_type in str(error)
    assert str(error).endswith("(at byte 6)")


def test_unknown_element_type_inside_a_section():
    data = b"\x01\x01s" + b"\x09" + b"\x02"
    error = protocol_error(data)
    assert error.offset == 3
    assert "unknown element type 9" in str(error)


def test_section_end_without_an_open_section():
    data = kv("a", "1") + b"\x02"
    error = protocol_error(data)
    assert error.offset == 6
    assert "section end without an open section" in str(error)
    error = protocol_error(section("s") + b"\x02")
    assert error.offset == 4


@pytest.mark.parametrize(
    "data, innermost",
    [
        (b"\x01\x05outer", "outer"),
        (b"\x01\x05outer" + kv("a", "1"), "outer"),
        (b"\x01\x05outer\x01\x05inner" + b"\x02", "outer"),
        (b"\x01\x05outer\x01\x05inner", "inner"),
    ],
)
def test_unclosed_section(data, innermost):
    error = protocol_error(data)
    assert error.offset == len(data)
    assert "section '%s' is not closed" % innermost in str(error)


@pytest.mark.parametrize("element", [b"\x05\x00\x01x", b"\x06"])
def test_list_element_outside_a_list(element):
    data = kv("a", "1") + element
    error = protocol_error(data)
    assert error.offset == 6
    assert "list element outside a list" in str(error)
    error = protocol_error(b"\x01\x01s" + element + b"\x02")
    assert error.offset == 3


@pytest.mark.parametrize(
    "inner, element_type",
    [
        (kv("k", "v"), 3),
        (section("s"), 1),
        (b"\x04\x01m\x06", 4),
        (b"\x02", 2),
        (b"\x09", 9),
    ],
)
def test_only_items_inside_a_list(inner, element_type):
    data = kv("a", "1") + b"\x04\x04list" + b"\x05\x00\x01x" + inner + b"\x06"
    error = protocol_error(data)
    assert error.offset == 6 + 6 + 4
    assert "element type %d inside list 'list'" % element_type in str(error)


def test_duplicate_key_value():
    data = kv("a", "1") + kv("b", "2") + kv("a", "3")
    error = protocol_error(data)
    assert error.offset == 12
    assert "duplicate name 'a'" in str(error)


def test_duplicate_section():
    data = section("s", kv("a", "1")) + section("s")
    error = protocol_error(data)
    assert error.offset == 10
    assert "duplicate name 's'" in str(error)


def test_duplicate_list():
    data = vlist("l", "x") + vlist("l")
    error = protocol_error(data)
    assert error.offset == 8
    assert "duplicate name 'l'" in str(error)


@pytest.mark.parametrize(
    "first, second",
    [
        (kv("n", "1"), section("n")),
        (section("n"), kv("n", "1")),
        (vlist("n"), kv("n", "1")),
        (kv("n", "1"), vlist("n")),
        (section("n"), vlist("n")),
    ],
)
def test_duplicate_names_across_element_kinds(first, second):
    error = protocol_error(first + second)
    assert error.offset == len(first)
    assert "duplicate name 'n'" in str(error)


def test_same_name_in_different_sections_is_fine():
    data = section("a", kv("n", "1")) + section("b", kv("n", "2")) + kv("n", "3")
    assert decode_message(data) == {"a": {"n": "1"}, "b": {"n": "2"}, "n": "3"}


@pytest.mark.parametrize(
    "data, what, offset",
    [
        (b"\x03\x02\xff\xfe\x00\x00", "key", 2),
        (b"\x01\x02\xc3\x28\x02", "section", 2),
        (b"\x04\x01\x80\x06", "list", 2),
        (kv("a", "1") + b"\x03\x01\xff\x00\x00", "key", 8),
    ],
)
def test_name_not_valid_utf8(data, what, offset):
    error = protocol_error(data)
    assert error.offset == offset
    assert "%s name is not valid UTF-8" % what in str(error)


def test_packet_name_not_valid_utf8():
    with pytest.raises(ViciProtocolError, match="packet name is not valid UTF-8") as info:
        decode_packet(b"\x07\x01\xff")
    assert info.value.offset == 2


# A message with a single root section: no proper prefix of it is a whole message.
NONTRIVIAL = section(
    "conn",
    kv("version", "2"),
    vlist("local_addrs", "192.0.2.1", "2001:db8::1"),
    section("local", kv("auth", "pubkey"), vlist("certs")),
    section("children", section("net", vlist("local_ts", "10.0.0.0/24"), kv("blob", b"\x00\x01\xff"))),
    vlist("proposals", "aes256-sha256-x25519", "default"),
)


def test_every_proper_prefix_of_a_message_raises():
    assert decode_message(NONTRIVIAL)["conn"]["children"]["net"]["blob"] == b"\x00\x01\xff"
    for length in range(1, len(NONTRIVIAL)):
        with pytest.raises(ViciProtocolError) as info:
            decode_message(NONTRIVIAL[:length])
        assert info.value.offset is not None and 0 <= info.value.offset <= length, length
        text = str(info.value)
        assert "truncated" in text or "not closed" in text, (length, text)


def test_truncation_reports_where():
    error = protocol_error(b"\x03")
    assert error.offset == 1 and "truncated in key name length" in str(error)
    error = protocol_error(b"\x03\x05ab")
    assert error.offset == 1 and "truncated in key name or value length" in str(error)
    error = protocol_error(b"\x03\x01a\x00\x05abc")
    assert error.offset == 5 and "truncated in value of 'a'" in str(error)
    error = protocol_error(b"\x01\x05ab")
    assert error.offset == 1 and "truncated in section name" in str(error)
    error = protocol_error(b"\x04")
    assert error.offset == 1 and "truncated in list name length" in str(error)
    error = protocol_error(b"\x04\x01l")
    assert error.offset == 3 and "list 'l' (no list end)" in str(error)
    error = protocol_error(b"\x04\x01l\x05\x00")
    assert error.offset == 4 and "truncated in list item length" in str(error)
    error = protocol_error(b"\x04\x01l\x05\x00\x03ab")
    assert error.offset == 6 and "truncated in item of list 'l'" in str(error)


def test_every_proper_prefix_of_a_packet_name_raises():
    payload = encode_packet(EVENT, "list-sa", {"a": "b"})
    for length in range(0, 1 + 1 + len("list-sa")):
        with pytest.raises(ViciProtocolError):
            decode_packet(payload[:length])


@pytest.mark.parametrize("packet_type", [8, 9, 0x42, 0xFF])
def test_unknown_packet_type(packet_type):
    with pytest.raises(ViciProtocolError, match="unknown packet type %d" % packet_type) as info:
        decode_packet(bytes((packet_type,)) + b"\x01a")
    assert info.value.offset == 0


@pytest.mark.parametrize(
    "payload, name, trailing, offset",
    [
        (b"\x05\x00", "EVENT_CONFIRM", 1, 1),
        (b"\x02abc", "CMD_UNKNOWN", 3, 1),
        (b"\x06\x01", "EVENT_UNKNOWN", 1, 1),
        (b"\x03\x03log\x03\x01a\x00\x00", "EVENT_REGISTER", 5, 5),
        (b"\x04\x03logX", "EVENT_UNREGISTER", 1, 5),
    ],
)
def test_control_packet_with_trailing_bytes(payload, name, trailing, offset):
    with pytest.raises(ViciProtocolError, match="%s packet has %d trailing bytes" % (name, trailing)) as info:
        decode_packet(payload)
    assert info.value.offset == offset


@pytest.mark.parametrize("segment", [b"", bytearray()])
def test_empty_segment(segment):
    with pytest.raises(ViciProtocolError, match="empty segment") as info:
        decode_packet(segment)
    assert info.value.offset is None


def test_malformed_message_inside_a_packet_reports_the_segment_offset():
    with pytest.raises(ViciProtocolError) as info:
        decode_packet(b"\x01" + kv("a", "1") + b"\x02")
    assert info.value.offset == 7


# -- the encoder refuses what the daemon cannot take, naming the element ------------------------


def encode_error(message):
    with pytest.raises(ViciEncodeError) as info:
        encode_message(message)
    assert isinstance(info.value, ValueError)
    return info.value


def in_child(local_ts):
    return {"gw": {"version": 2, "children": {"net": {"mode": "tunnel", "local_ts": local_ts}}}}


@pytest.mark.parametrize(
    "message, path, wording",
    [
        ({"gw": {"x": None}}, "gw.x", "None is not a value"),
        (in_child(["10.0.0.0/8", None]), "gw.children.net.local_ts[1]", "None is not a value"),
        ({"gw": {"dpd_delay": 1.5}}, "gw.dpd_delay", "unsupported value type float"),
        (in_child(["a", 2.0]), "gw.children.net.local_ts[1]", "unsupported value type float"),
        (in_child(["a", {"b": "c"}]), "gw.children.net.local_ts[1]", "lists hold values only, not dict"),
        (in_child(["a", ["b"]]), "gw.children.net.local_ts[1]", "lists hold values only, not list"),
        (in_child([("b",)]), "gw.children.net.local_ts[0]", "lists hold values only, not tuple"),
        ({"gw": {"s": {1, 2}}}, "gw.s", "unsupported value type set"),
        ({"gw": {"o": object()}}, "gw.o", "unsupported value type object"),
        ({"gw": {1: "x"}}, "gw.1", "names must be strings, not int"),
        ({"gw": {b"x": "x"}}, "gw.b'x'", "names must be strings, not bytes"),
        ({"gw": {"": "x"}}, "gw.''", "names must not be empty"),
        ({"gw": {"": {}}}, "gw.''", "names must not be empty"),
        ({"gw": {"a\nb": "x"}}, "gw.a\nb", "names must be printable ASCII"),
        ({"gw": {"a\x7f": []}}, "gw.a\x7f", "names must be printable ASCII"),
        ({"gw": {"\x00": {}}}, "gw.\x00", "names must be printable ASCII"),
        ({"gw": {"grüße": "x"}}, "gw.grüße", "names must be printable ASCII"),
        ({"gw": {"n" * 256: "x"}}, "gw." + "n" * 256, "names are limited to 255 bytes, this one has 256"),
        ({"n" * 256: {}}, "n" * 256, "names are limited to 255 bytes, this one has 256"),
        ({"gw": {"v": "x" * 65536}}, "gw.v", "values are limited to 65535 bytes, this one has 65536"),
        ({"gw": {"v": "\u00e9" * 32768}}, "gw.v", "values are limited to 65535 bytes, this one has 65536"),
        ({"gw": {"v": b"x" * 65536}}, "gw.v", "values are limited to 65535 bytes, this one has 65536"),
        (in_child(["x", b"x" * 70000]), "gw.children.net.local_ts[1]", "values are limited to 65535 bytes"),
    ],
)
def test_encoder_errors_name_the_element(message, path, wording):
    error = encode_error(message)
    assert error.path == path
    assert wording in str(error)
    assert str(error).startswith(path + ": ")


def test_encoder_error_at_the_root():
    assert encode_error({None: "x"}).path == "None"
    assert encode_error({"x": None}).path == "x"
    error = encode_error(["not", "a", "mapping"])
    assert error.path == "" and "a message must be a mapping, not list" in str(error)


def test_names_and_values_at_their_limits():
    name = "n" * MAX_NAME_LENGTH
    value = b"\xff" * MAX_VALUE_LENGTH
    message = {name: {name: value, "l": [value, "v" * MAX_VALUE_LENGTH]}}
    data = encode_message(message)
    assert data[:2 + MAX_NAME_LENGTH] == b"\x01\xff" + name.encode()
    assert decode_message(data) == {name: {name: value, "l": [value, "v" * MAX_VALUE_LENGTH]}}


def test_printable_ascii_names_are_fine():
    name = "".join(chr(c) for c in range(0x20, 0x7F))
    assert decode_message(encode_message({name: "x"})) == {name: "x"}


def test_encode_packet_errors():
    with pytest.raises(ViciEncodeError, match="unknown packet type 9"):
        encode_packet(9)
    with pytest.raises(ViciEncodeError, match="a CMD_REQUEST packet needs a name"):
        encode_packet(CMD_REQUEST)
    with pytest.raises(ViciEncodeError, match="an? EVENT_REGISTER packet needs a name"):
        encode_packet(EVENT_REGISTER, "")
    with pytest.raises(ViciEncodeError, match="a EVENT_CONFIRM packet carries no message"):
        encode_packet(EVENT_CONFIRM, message={"a": "b"})
    with pytest.raises(ViciEncodeError, match="names are limited to 255 bytes"):
        encode_packet(CMD_REQUEST, "c" * 256)
    with pytest.raises(ViciEncodeError, match="names must be printable ASCII"):
        encode_packet(EVENT_REGISTER, "l\xf6g")
    with pytest.raises(ViciEncodeError) as info:
        encode_packet(CMD_REQUEST, "load-conn", {"gw": {"x": None}})
    assert info.value.path == "gw.x"


# -- depth and size ----------------------------------------------------------------------------

DEPTH = 5000


def test_deep_nesting_encodes_and_decodes_without_recursion():
    assert DEPTH > sys.getrecursionlimit()
    message = {"leaf": "x"}
    for _level in range(DEPTH):
        message = {"s": message}
    data = encode_message(message)
    assert data == b"\x01\x01s" * DEPTH + kv("leaf", "x") + b"\x02" * DEPTH
    # The codec can go this deep without recursion; by default the decoder refuses (test_limits.py).
    decoded = decode_message(data, max_depth=None)
    for _level in range(DEPTH):
        assert list(decoded) == ["s"]
        decoded = decoded["s"]
    assert decoded == {"leaf": "x"}


def test_deep_nesting_error_path():
    message = {"leaf": None}
    for level in range(DEPTH):
        message = {"s%d" % (DEPTH - 1 - level): message}
    error = encode_error(message)
    assert error.path == ".".join("s%d" % level for level in range(DEPTH)) + ".leaf"


def test_deep_unclosed_section_and_deep_stray_end():
    with pytest.raises(ViciProtocolError, match="section 's' is not closed"):
        decode_message(b"\x01\x01s" * DEPTH, max_depth=None)
    data = b"\x01\x01s" * DEPTH + b"\x02" * (DEPTH + 1)
    with pytest.raises(ViciProtocolError, match="section end without an open section") as info:
        decode_message(data, max_depth=None)
    assert info.value.offset == len(data) - 1


class CountingBytes(bytes):
    """bytes that count the work done through indexing: calls and bytes copied by slices."""

    calls = 0
    copied = 0

    def __getitem__(self, index):
        CountingBytes.calls += 1
        result = super().__getitem__(index)
        if isinstance(index, slice):
            CountingBytes.copied += len(result)
        return result


def decode_work(count):
    body = b"".join(
        section("conn%d" % n, kv("version", "2"), vlist("local_addrs", "192.0.2.%d" % (n % 250), "2001:db8::1"),
                section("children", section("net", vlist("local_ts", "10.%d.0.0/16" % (n % 250)))))
        for n in range(count)
    )
    data = CountingBytes(body)
    CountingBytes.calls = CountingBytes.copied = 0
    decoded = decode_message(data)
    assert len(decoded) == count
    return CountingBytes.calls + CountingBytes.copied, len(body)


def test_decoding_work_is_linear_in_the_message_size():
    """Counted, not timed: index operations plus bytes copied per input byte stay constant as the message grows."""
    small_work, small_size = decode_work(200)
    large_work, large_size = decode_work(3200)
    # work per byte must not grow with the size (a quadratic decoder would show a 16x growth here)
    assert large_work / large_size <= 1.1 * small_work / small_size + 0.01


@pytest.mark.parametrize(
    "message, path",
    [
        ({"gw": {"id": "caf\udce9"}}, "gw.id"),
        ({"gw": {"l": ["ok", "\ud800"]}}, "gw.l[1]"),
    ],
)
def test_lone_surrogates_are_an_encode_error(message, path):
    """A str that UTF-8 cannot encode (e.g. a surrogateescape'd file name) is a ViciEncodeError with its path."""
    error = encode_error(message)
    assert error.path == path
    assert "lone surrogate" in str(error)


# -- every path of the encoder's and decoder's fast paths ----------------------------------------


class ReadOnlyMapping(Mapping):  # pylint: disable=too-few-public-methods
    """A Mapping that is not a dict."""

    def __init__(self, data):
        self._data = dict(data)

    def __getitem__(self, key):
        return self._data[key]

    def __iter__(self):
        return iter(self._data)

    def __len__(self):
        return len(self._data)


class Text(str):
    pass


class Items(list):
    pass


def test_subclasses_and_other_mappings_encode_like_their_base_types():
    message = OrderedDict([
        ("od", OrderedDict([("k", "v")])),
        ("ro", ReadOnlyMapping({"k": Text("v")})),
        (Text("sub"), Items(["a", Text("b")])),
        ("t", ("x",)),
    ])
    assert encode_message(message) == (
        section("od", kv("k", "v")) + section("ro", kv("k", "v")) + vlist("sub", "a", "b") + vlist("t", "x")
    )
    assert encode_message(ReadOnlyMapping({"a": "b"})) == kv("a", "b")


@pytest.mark.parametrize("size", [0, 1, 127, 128, 255, 256, 1000, 65535])
def test_ascii_values_of_every_length_class(size):
    value = "v" * size
    data = encode_message({"k": value, "l": [value, value]})
    assert data == kv("k", value) + vlist("l", value, value)
    decoded = decode_message(data)
    assert decoded == {"k": value, "l": [value, value]}
    assert isinstance(decoded["k"], str)


def test_non_ascii_str_values_are_utf8():
    data = encode_message({"k": "grüße €", "l": ["ä", "x", "日本"]})
    assert data == kv("k", "grüße €".encode()) + vlist("l", "ä".encode(), "x", "日本".encode())
    assert decode_message(data) == {"k": "grüße €", "l": ["ä", "x", "日本"]}


def test_decoding_after_non_ascii_bytes_stays_exact():
    """ASCII elements after, between and around non-ASCII ones; non-ASCII bytes that are only lengths."""
    data = (
        kv("a", "plain")
        + kv("blob", b"\x30\x82\xff\x00")
        + kv("b", "plain")
        + kv("long", "x" * 200)  # its length byte 0xc8 is the only byte above 0x7f here
        + b"\x03\x06gr\xc3\xbc\xc3\x9f" + blob16("name")  # a key named "grüß" (valid UTF-8)
        + b"\x01\x02\xc3\xa4" + kv("in", "é") + b"\x02"  # a section named "ä"
        + b"\x04\x02\xc3\xb6" + b"\x05" + blob16(b"\xff") + b"\x05" + blob16("ok") + b"\x06"  # a list named "ö"
        + vlist("l", "a", b"\x80", "b", "ü")
        + kv("c", "plain")
    )
    assert decode_message(data) == {
        "a": "plain", "blob": b"\x30\x82\xff\x00", "b": "plain", "long": "x" * 200, "grüß": "name",
        "ä": {"in": "é"}, "ö": [b"\xff", "ok"], "l": ["a", b"\x80", "b", "ü"], "c": "plain",
    }
    raw = decode_message(data, raw_values=True)
    assert raw["a"] == b"plain" and raw["long"] == b"x" * 200 and raw["ä"] == {"in": "é".encode()}
    assert raw["l"] == [b"a", b"\x80", b"b", "ü".encode()]
    assert list(raw) == ["a", "blob", "b", "long", "grüß", "ä", "ö", "l", "c"]


def test_duplicate_names_in_non_ascii_messages():
    with pytest.raises(ViciProtocolError, match="duplicate name 'ä'"):
        decode_message(kv("x", b"\xff") + b"\x03\x02\xc3\xa4" + blob16("1") + b"\x01\x02\xc3\xa4\x02")


def test_large_message_in_many_sections():
    """Over 1 MB in thousands of sections (joined in chunks): byte-exact against the hand builders, and back."""
    message = {
        "conn%d" % n: {"version": "2", "local_addrs": ["192.0.2.%d" % (n % 250), "2001:db8::1"],
                       "children": {"net": {"blob": b"\xff" * (n % 300), "mode": "tunnel"}}}
        for n in range(6000)
    }
    expected = b"".join(
        section("conn%d" % n, kv("version", "2"), vlist("local_addrs", "192.0.2.%d" % (n % 250), "2001:db8::1"),
                section("children", section("net", kv("blob", b"\xff" * (n % 300)), kv("mode", "tunnel"))))
        for n in range(6000)
    )
    data = encode_message(message)
    assert data == expected
    assert len(data) > 1000000
    assert decode_message(data) == {
        name: {**conn, "children": {"net": {"blob": conn["children"]["net"]["blob"] or "", "mode": "tunnel"}}}
        for name, conn in message.items()
    }


def test_the_header_cache_across_messages_is_bounded_and_holds_only_valid_names():
    from ansible_collections.strongswan.vici.plugins.module_utils.vici import wire

    for number in range(3 * wire._HEADER_CACHE_LIMIT):
        assert decode_message(encode_message({"k%d" % number: "v", "l%d" % number: ["x"], "s%d" % number: {}})) == {
            "k%d" % number: "v", "l%d" % number: ["x"], "s%d" % number: {}}
    headers = wire._HEADERS
    for cache in (headers.key_value, headers.list_start, headers.section_start):
        assert 0 < len(cache) <= wire._HEADER_CACHE_LIMIT
    for bad in ("", "x" * 256, "t\tab", "caf\u00e9"):
        with pytest.raises(ViciEncodeError):
            encode_message({bad: "v"})
        with pytest.raises(ViciEncodeError):  # a second time as well: a refused name is never cached
            encode_message({bad: "v"})
        assert bad not in headers.key_value
