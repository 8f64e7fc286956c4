# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Input checks shared by every module: text that is not UTF-8, request size and encodability."""

from __future__ import annotations

import json

import pytest

from ansible_collections.strongswan.vici.plugins.module_utils._text.input import (
    InputError,
    check_request,
    check_text,
    escaped,
    request_size,
    text_problem,
)
from ansible_collections.strongswan.vici.plugins.module_utils.vici.wire import MAX_SEGMENT_SIZE

FF = b"ab\xff".decode("utf-8", "surrogateescape")  # what a Latin-1 byte becomes in a module argument


def test_text_problem_finds_the_byte():
    assert text_problem("plain ü") is None
    assert text_problem(FF) == (2, 0xFF)
    assert text_problem("x\ud800") == (1, 0xD800)


def test_printable_escapes_bytes_and_controls():
    assert escaped(FF) == "ab\\xff"
    assert escaped("a\nb") == "a\\nb"
    json.dumps(escaped(FF)).encode("utf-8")  # the controller can read it


def test_check_text_names_the_field_and_path():
    with pytest.raises(InputError, match=r"^config\.children\.net\.local_ts\[1\]: is not valid UTF-8 text "
                                         r"\(byte 0xff at position 2 in 'ab\\xff'\)$"):
        check_text({"name": "gw", "config": {"children": {"net": {"local_ts": ["10.0.0.0/8", FF]}}}})
    with pytest.raises(InputError, match=r"^config\.children \(a key\): is not valid UTF-8 text"):
        check_text({"config": {"children": {FF: {}}}})


def test_check_text_never_shows_a_secret():
    with pytest.raises(InputError) as caught:
        check_text({"passphrase": "s3cr" + FF}, ["passphrase"])
    assert str(caught.value) == "passphrase: is not valid UTF-8 text (the value is not shown: 'passphrase' is a secret option)"
    with pytest.raises(InputError) as caught:
        check_text({"request": {"data": "s3cr" + FF}}, ["request"])
    assert "request.data:" in str(caught.value) and "s3cr" not in str(caught.value)


def test_check_text_is_iterative_and_accepts_valid_text():
    deep = node = {}
    for _level in range(50000):
        node["a"] = {}
        node = node["a"]
    node["x"] = ["ü", 1, None, True]
    check_text({"config": deep, "n": 3})
    node["x"].append(FF)  # too deep for the fast path (json): the walk finds it
    with pytest.raises(InputError, match=r"\.x\[4\]: is not valid UTF-8 text"):
        check_text({"config": deep})


def test_request_size_is_the_segment_size():
    # type, name length, name; key/value: type, name length, name, 2-byte length, value
    assert request_size("version", {}) == 2 + 7
    assert request_size("x", {"k": "vv"}) == 3 + (1 + 1 + 1 + 2 + 2)


def test_check_request_limits():
    assert check_request("load-shared", {"data": "x" * 65535}) > 65535
    with pytest.raises(InputError, match=r"^request: cannot be sent to the daemon: data: values are limited to 65535 bytes"):
        check_request("load-shared", {"data": "x" * 70000}, "request")
    big = {"k%d" % i: "x" * 60000 for i in range(9)}
    with pytest.raises(InputError, match=r"the load-conn request would be \d+ bytes; the daemon accepts at most 524288 "
                                         r"bytes \(512 KiB\) per message. This is a local limit, nothing was sent"):
        check_request("load-conn", big)
    # Exactly at the limit is fine, one byte more is not.
    room = MAX_SEGMENT_SIZE - request_size("c", {"a": "", "b": ""})
    fits = {"a": "x" * 65535, "b": "y" * (room - 65535)}
    with pytest.raises(InputError):
        check_request("c", fits)  # b's value is over 65535 bytes on its own
    parts = {"v%d" % i: "x" * 60000 for i in range(8)}
    left = MAX_SEGMENT_SIZE - request_size("c", dict(parts, last=""))
    assert check_request("c", dict(parts, last="x" * left)) == MAX_SEGMENT_SIZE
    with pytest.raises(InputError):
        check_request("c", dict(parts, last="x" * (left + 1)))


def test_check_request_names_bad_names():
    with pytest.raises(InputError, match="names must not be empty"):
        check_request("load-conn", {"gw": {"children": {"": {}}}})


def test_without_invalid_text_replaces_only_text_that_is_not_utf8():
    from ansible_collections.strongswan.vici.plugins.module_utils._text.input import NOT_UTF8, without_invalid_text
    bad = b"x\xff".decode("utf-8", "surrogateescape")
    params = {"name": bad, "ok": "caf\u00e9", "n": 3, "nested": {bad: [bad, "fine", {"k": bad}]}}
    assert without_invalid_text(params) == {"name": NOT_UTF8, "ok": "caf\u00e9", "n": 3,
                                            "nested": {NOT_UTF8: [NOT_UTF8, "fine", {"k": NOT_UTF8}]}}
    assert params["name"] == bad  # not changed in place


def test_top_level_option_not_utf8_names_the_option_not_a_codec_error(capsys):
    from ansible_collections.strongswan.vici.tests.unit.module_runner import run_main
    from ansible_collections.strongswan.vici.plugins.modules import connection, pool, sa, shared_secret
    bad = "x" + b"\xff".decode("utf-8", "surrogateescape")
    for main, args, option in ((connection.main, {"name": bad, "state": "absent"}, "name"),
                               (pool.main, {"name": bad, "state": "absent"}, "name"),
                               (shared_secret.main, {"id": bad, "state": "absent"}, "id"),
                               (sa.main, {"ike": bad, "state": "down"}, "ike")):
        result = run_main(main, dict(args, socket="unix:///nonexistent/vici"), capsys)
        assert result["failed"] is True and result["msg"].startswith("%s: is not valid UTF-8 text" % option), result
        assert result["invocation"]["module_args"][option] == "<not valid UTF-8 text>"
