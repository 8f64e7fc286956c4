# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""swanctl.conf in both directions: render(), and parse(render(tree)) == tree (examples, hypothesis, corpus)."""

from __future__ import annotations

import re
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.strongswan.vici.plugins.module_utils._swanctl import syntax as _swanctl_conf
from ansible_collections.strongswan.vici.plugins.module_utils._swanctl.syntax import (
    ConfError,
    parse_file,
    parse_text,
    read_file,
    render,
    render_value,
)

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _corpus():
    """strongSwan's test configurations (../shared/corpus/swanctl beside the repository), or None.

    ansible-test runs a staged copy below the repository, so every ancestor of this file is tried.
    """
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "shared" / "corpus" / "swanctl"
        if candidate.is_dir():
            return candidate
    return None


CORPUS = _corpus()


def test_render_layout_and_order():
    tree = {
        "connections": {
            "gw": {
                "version": 2,
                "remote_addrs": "192.0.2.2",
                "local": {"auth": "psk", "id": "moon"},
                "children": {"net": {"local_ts": ["10.1.0.0/16", "10.2.0.0/16"], "start_action": "none"}},
                "mobike": False,
            },
        },
        "secrets": {"ike-gw": {"secret": "s3cret", "id-a": "moon", "id-b": "sun"}},
    }
    assert render(tree) == (
        "connections {\n"
        "   gw {\n"
        "      version = 2\n"
        "      remote_addrs = 192.0.2.2\n"
        "      local {\n"
        "         auth = psk\n"
        "         id = moon\n"
        "      }\n"
        "      children {\n"
        "         net {\n"
        "            local_ts = 10.1.0.0/16, 10.2.0.0/16\n"
        "            start_action = none\n"
        "         }\n"
        "      }\n"
        "      mobike = no\n"
        "   }\n"
        "}\n"
        "secrets {\n"
        "   ike-gw {\n"
        "      secret = s3cret\n"
        "      id-a = moon\n"
        "      id-b = sun\n"
        "   }\n"
        "}\n"
    )
    assert render({}) == ""
    assert render({"empty": {}}) == "empty {\n}\n"


@pytest.mark.parametrize("value,text", [
    ("plain", "plain"),
    ("two words", "two words"),
    ("aes128-sha256, aes256-sha384", "aes128-sha256, aes256-sha384"),
    ("C=CH, O=strongSwan, CN=moon", "C=CH, O=strongSwan, CN=moon"),
    ("", '""'),
    (" lead", '" lead"'),
    ("trail ", '"trail "'),
    ("two  spaces", '"two  spaces"'),
    ("a # b", '"a # b"'),
    ("a}b", '"a}b"'),
    ("{x}", '"{x}"'),
    ('say "hi"', '"say \\"hi\\""'),
    ("back\\slash", '"back\\\\slash"'),
    ("line\nbreak", '"line\\nbreak"'),
    ("cr\rtab\t", '"cr\\rtab\\t"'),
    ("grüezi", "grüezi"),
    (True, "yes"),
    (False, "no"),
    (0, "0"),
    (-3, "-3"),
    (3600, "3600"),
    (b"\x00\xffA", "0x00ff41"),
    (["a", "b c", 1, True], "a, b c, 1, yes"),
    ([], '""'),
    (["x y", "a#b"], '"x y, a#b"'),
])
def test_render_value(value, text):
    assert render_value(value) == text
    if isinstance(value, str):
        assert parse_text("k = %s\n" % text) == {"k": value}


@pytest.mark.parametrize("tree,message", [
    ({"a b": "x"}, "connections|name 'a b'"),
    ({"connections": {"gw.1": {}}}, "connections: name 'gw.1'"),
    ({"connections": {"gw": {"": "x"}}}, "connections.gw: name ''"),
    ({"s": {"k:x": "v"}}, "s: name 'k:x'"),
    ({"s": {"a,b": "v"}}, "s: name 'a,b'"),
    ({"s": {"k": 1.5}}, "s.k: a value must be text"),
    ({"s": {"k": ["a,b"]}}, r"s.k\[0\]: list item 'a,b' contains a comma"),
    ({"s": {"k": [{"a": 1}]}}, r"s.k\[0\]: a list item must be a single value"),
    ({"s": {"k": "nul\0"}}, "s.k: a value cannot contain a NUL"),
    ({"s": {None: "v"}}, "s: a name must be text"),
])
def test_render_errors_name_the_path(tree, message):
    with pytest.raises(ConfError, match=message.replace("connections|", "")):
        render(tree)
    with pytest.raises(ConfError, match="expected a dictionary"):
        render(["not", "a", "tree"])


def test_render_none_leaves_the_key_out_and_int_names_are_text():
    assert parse_text(render({"pools": {"p": {"addrs": "10.0.0.0/24", "dns": None}, 7: {"addrs": "1.2.3.4"}}})) == {
        "pools": {"p": {"addrs": "10.0.0.0/24"}, "7": {"addrs": "1.2.3.4"}}}


def test_render_section_named_include():
    # 'include {' would be strongSwan's include statement; 'include{' is a section, and 'include = x' a key.
    text = render({"include": {"include": "x"}})
    assert text == "include{\n   include = x\n}\n"
    assert parse_text(text) == {"include": {"include": "x"}}


def test_typed_values_read_back_as_text():
    tree = {"c": {"v": 2, "b": True, "l": ["a", "b"], "n": {"x": b"\x01"}}}
    assert parse_text(render(tree)) == {"c": {"v": "2", "b": "yes", "l": "a, b", "n": {"x": "0x01"}}}


def test_parse_file_roundtrip(tmp_path):
    tree = {"connections": {"a": {"remote_addrs": "198.18.0.2", "local": {"auth": "psk"}}},
            "secrets": {"ike": {"secret": 'p#"{}=\n', "id": "a"}}}
    path = tmp_path / "swanctl.conf"
    path.write_text(render(tree), encoding="utf-8")
    assert parse_file(str(path)) == tree


@pytest.mark.parametrize("text,tree", [
    # strongSwan's NAME token stops at ':' (a reference may follow without a space)
    ("base { a = 1 }\ngw: base { b = 2 }\n", {"base": {"a": "1"}, "gw": {"b": "2", "a": "1"}}),
    ("base { a = 1\n b = 2 }\ngw : base { a =\n }\n", {"base": {"a": "1", "b": "2"}, "gw": {"b": "2"}}),
    ("s { k = # nothing\n k2 = \"\" }\n", {"s": {"k2": ""}}),
    ("s { k = 1\n k =\n }\n", {"s": {}}),
    ("include = x\n", {"include": "x"}),
    ("include{ a = b }\n", {"include": {"a": "b"}}),
    ("include # nothing to include\nx = 1\n", {"x": "1"}),
])
def test_parse_like_strongswan(text, tree):
    assert parse_text(text) == tree


@pytest.mark.parametrize("text,message", [
    ("a.b = 1\n", "'.' cannot be part of a name"),
    ("a,b { }\n", "',' cannot be part of a name"),
    ("include x.conf\n", "needs include_dir"),
    ("include\tx.conf\n", "needs include_dir"),
])
def test_parse_errors_like_strongswan(text, message):
    with pytest.raises(ConfError, match=message):
        parse_text(text)


# --- property: parse(render(tree)) == tree for any tree of text the syntax can hold ---------------------

# strongSwan's NAME token is [^#{}:.,="\r\n\t ]+; NUL cannot be in C strings; lone surrogates cannot be UTF-8.
NAME_CHARS = st.characters(blacklist_categories=("Cs",), blacklist_characters='#{}:.,="\r\n\t \0')
NAMES = st.one_of(st.text(alphabet=NAME_CHARS, min_size=1, max_size=10),
                  st.sampled_from(["include", "id", "secret", "children", "local", "remote", "x"]))
NASTY = st.sampled_from(["", " ", "  ", "#", "}", "{", "=", '"', "\\", "\\n", "\n", "\r", "\t", "\r\n", ",", ":",
                         "include", "a b", "a  b", " a", "a ", '\\"', "0x00", "#}\"", "\\\n", "\x0b", "\u2028"])
TEXT_CHARS = st.characters(blacklist_categories=("Cs",), blacklist_characters="\0")
VALUES = st.one_of(st.text(alphabet=TEXT_CHARS, max_size=30),
                   st.lists(st.one_of(NASTY, st.text(alphabet=TEXT_CHARS, max_size=5)), max_size=4).map("".join))
TREES = st.recursive(
    VALUES,
    lambda children: st.dictionaries(NAMES, children, max_size=5),
    max_leaves=30,
).filter(lambda tree: isinstance(tree, dict))


@SETTINGS
@given(TREES)
def test_roundtrip_property(tree):
    assert parse_text(render(tree)) == tree


@SETTINGS
@given(st.dictionaries(NAMES, st.dictionaries(NAMES, VALUES, max_size=6), max_size=4))
def test_render_is_stable(tree):
    """render(parse(render(x))) == render(x) when sections come after keys (the parser's order)."""
    ordered = {name: dict(sorted(body.items(), key=lambda item: isinstance(item[1], dict)))
               for name, body in tree.items()}
    assert render(parse_text(render(ordered))) == render(ordered)


# --- the parser's fast paths read exactly what its general path reads --------------------------------------

TOKENS = st.sampled_from(["a", "b", "key", "include", "x1", " ", "  ", "\t", "=", "{", "}", "\n", "\r", "\r\n", "#",
                          '"', "\\", ":", ".", ",", "w o", "a=b", "0x1", "grüezi", "\\n", "c {", "k = v\n", "}\n"])


def _outcome(text):
    try:
        return parse_text(text)
    except ConfError:
        return "error"


@SETTINGS
@given(st.lists(TOKENS, max_size=40).map("".join))
def test_fast_paths_agree_with_the_general_path(text):
    fast = _outcome(text)
    never = re.compile(r"(?!)")
    with mock.patch.object(_swanctl_conf, "_KEY_LINE", never), mock.patch.object(_swanctl_conf, "_SECTION_OPEN", never):
        slow = _outcome(text)
    assert fast == slow


# --- every corpus file: parse -> render -> parse gives the same tree --------------------------------------

@pytest.mark.skipif(CORPUS is None, reason="corpus (shared/corpus/swanctl beside the repository) not present")
def test_corpus_roundtrip():
    files = sorted(CORPUS.glob("*.conf"))
    assert files, "corpus directory has no .conf files: %s" % CORPUS
    for path in files:
        # read as swanctl does: a few files include a swanctl_base.conf the corpus does not have (skipped)
        tree, _read, _missing = read_file(str(path))
        assert parse_text(render(tree), str(path)) == tree, path.name


def test_object_defined_twice_names_both_places(tmp_path):
    (tmp_path / "conf.d").mkdir()
    (tmp_path / "conf.d" / "a.conf").write_text("connections { gw { version = 2 } }\n")
    (tmp_path / "conf.d" / "b.conf").write_text("connections { gw { mobike = no } }\n")
    (tmp_path / "swanctl.conf").write_text("include conf.d/*.conf\n")
    with pytest.raises(ConfError, match=r"connections\.gw: defined in .*/conf\.d/a\.conf and again in "
                                        r".*/conf\.d/b\.conf \(swanctl would silently merge"):
        parse_file(str(tmp_path / "swanctl.conf"))
    merged = []
    tree = parse_file_merging(tmp_path / "swanctl.conf", merged)
    assert tree == {"connections": {"gw": {"version": "2", "mobike": "no"}}}
    places = (tmp_path / "conf.d" / "a.conf", tmp_path / "conf.d" / "b.conf")
    assert merged == ["connections.gw: defined in %s and again in %s" % places]


@pytest.mark.parametrize("text", [
    "connections { gw { local { auth = psk } } }\nconnections { other { } }\n",  # the top-level section twice
    "connections { gw { local { auth = psk }\nlocal { id = a } } }\n",  # a sub-section of one object twice
    "pools { } pools { p { addrs = 10.0.0.0/24 } }\n",
])
def test_merging_below_and_above_objects_is_fine(text):
    assert parse_text(text)


def test_object_defined_twice_in_one_text():
    with pytest.raises(ConfError, match=r"^secrets\.ike-a: defined in <swanctl\.conf> and again in <swanctl\.conf>"):
        parse_text("secrets { ike-a { secret = x } }\nsecrets { ike-a { id = y } }\n")


def parse_file_merging(path, merged):
    return read_file(str(path), merged)[0]
