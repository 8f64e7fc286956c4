# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The config module's src: a tree read from a file (swanctl.conf, JSON, YAML), and how it joins the arguments."""

from __future__ import annotations

import json
import os

import pytest

from ansible_collections.strongswan.vici.plugins.module_utils._gateway import report
from ansible_collections.strongswan.vici.plugins.module_utils._gateway import tree
from ansible_collections.strongswan.vici.plugins.module_utils._gateway.src import SourceError, read_source, source_format
from ansible_collections.strongswan.vici.plugins.module_utils._text.input import InputError

TREE = {"connections": {"gw": {"local_addrs": "127.0.0.1", "local": {"auth": "psk"}, "remote": {"auth": "psk"}}},
        "secrets": {"ike-gw": {"secret": "s3cret-value", "id": "gw.example.com"}}}
CONF = """connections {
   gw {
      local_addrs = 127.0.0.1
      local {
         auth = psk
      }
      remote {
         auth = psk
      }
   }
}
include secrets.conf
"""


@pytest.mark.parametrize("name, wanted, expected", [
    ("gw.json", "auto", "json"), ("gw.JSON", "auto", "json"), ("gw.yml", "auto", "yaml"), ("gw.yaml", "auto", "yaml"),
    ("swanctl.conf", "auto", "swanctl_conf"), ("gateway", "auto", "swanctl_conf"), ("gw.json", "yaml", "yaml"),
])
def test_source_format(name, wanted, expected):
    assert source_format("/etc/swanctl/" + name, wanted) == expected


def test_read_json_yaml_and_swanctl_conf_alike(tmp_path):
    (tmp_path / "gw.json").write_text(json.dumps(TREE))
    (tmp_path / "swanctl.conf").write_text(CONF)
    (tmp_path / "secrets.conf").write_text("secrets {\n   ike-gw {\n      secret = s3cret-value\n      id = gw.example.com\n   }\n}\n")
    assert read_source(str(tmp_path / "gw.json")) == TREE
    assert read_source(str(tmp_path / "swanctl.conf")) == TREE
    yaml = pytest.importorskip("yaml")
    (tmp_path / "gw.yaml").write_text(yaml.safe_dump(TREE))
    assert read_source(str(tmp_path / "gw.yaml")) == TREE


@pytest.mark.parametrize("name, text, fmt, message", [
    ("a.json", "[1, 2]", "auto", "must hold a dictionary of swanctl.conf sections, not list"),
    ("a.json", "{", "auto", "is not valid JSON"),
    ("a.yml", "a: [", "auto", "is not valid YAML"),
    ("a.conf", "connections {\n", "auto", "a.conf"),
    ("a.conf", "{}", "json", ""),
])
def test_bad_files_name_the_file(tmp_path, name, text, fmt, message):
    if name.endswith(".yml"):
        pytest.importorskip("yaml")
    path = tmp_path / name
    path.write_text(text)
    if fmt == "json":  # an empty document is an empty tree
        assert read_source(str(path), fmt) == {}
        return
    with pytest.raises(SourceError) as error:
        read_source(str(path), fmt)
    assert str(error.value).startswith("src: ") and message in str(error.value)


def test_missing_and_non_utf8_files(tmp_path):
    with pytest.raises(SourceError, match="cannot read .*missing.json"):
        read_source(str(tmp_path / "missing.json"))
    (tmp_path / "latin.conf").write_bytes(b"connections {\n   caf\xe9 {\n   }\n}\n")
    with pytest.raises(SourceError, match="latin.conf is not UTF-8 text"):
        read_source(str(tmp_path / "latin.conf"))


def test_tree_params_from_src(tmp_path):
    (tmp_path / "swanctl.conf").write_text(CONF)
    (tmp_path / "secrets.conf").write_text("")
    (tmp_path / "gw.json").write_text(json.dumps(dict(TREE, pools={})))
    from_conf = tree.tree_params({"src": str(tmp_path / "swanctl.conf"), "src_format": "auto", "swanctl_dir": None})
    assert from_conf["connections"] == TREE["connections"] and "secrets" not in from_conf
    # Relative files of a swanctl.conf are beside it, as swanctl --file reads them; a given swanctl_dir wins.
    assert from_conf["swanctl_dir"] == str(tmp_path)
    assert tree.tree_params({"src": str(tmp_path / "swanctl.conf"), "swanctl_dir": "/x"})["swanctl_dir"] == "/x"
    from_json = tree.tree_params({"src": str(tmp_path / "gw.json"), "swanctl_dir": None})
    assert from_json["swanctl_dir"] is None and from_json["pools"] == {} and from_json["secrets"] == TREE["secrets"]
    # The secrets read are scrubbed from messages like those of arguments.
    assert "s3cret-value" in report.secret_values(from_json)


def test_src_errors(tmp_path):
    (tmp_path / "bad.json").write_text(json.dumps({"connections": {}, "conections": {}}))
    with pytest.raises(InputError, match=r"^src .*bad.json: conections: unknown top-level section"):
        tree.tree_params({"src": str(tmp_path / "bad.json")})
    with pytest.raises(InputError, match=r"^src: cannot read"):
        tree.tree_params({"src": os.path.join(str(tmp_path), "none.json")})


# -- bounded input (issue 17 item 7): never RecursionError, never unbounded memory, never a block ----------

@pytest.mark.parametrize("name", ["gw.json", "gw.yml", "swanctl.conf"])
def test_src_nested_100000_deep_is_refused_naming_the_file(tmp_path, name):
    path = tmp_path / name
    if name.endswith(".json"):
        path.write_text('{"connections": ' + "[" * 100000 + "]" * 100000 + "}")
    elif name.endswith(".yml"):
        pytest.importorskip("yaml")
        path.write_text("connections: " + "[" * 5000 + "]" * 5000 + "\n")  # deep enough for its recursive parser
    else:
        path.write_text("connections {\n" + "a {\n" * 100000 + "}\n" * 100001)
    with pytest.raises(SourceError, match=r"%s.*(nested|deep)" % name):
        read_source(str(path))


def test_src_200_deep_swanctl_conf_is_refused_as_too_deep_not_as_a_reference_loop(tmp_path):
    path = tmp_path / "deep.conf"
    path.write_text("connections {\n" + "a {\n" * 200 + "}\n" * 201)
    with pytest.raises(SourceError) as raised:
        read_source(str(path))
    assert "nested more than 64 levels deep" in str(raised.value) and "loop" not in str(raised.value)
    assert "deep.conf" in str(raised.value)


def test_src_60_deep_swanctl_conf_without_a_loop_is_read(tmp_path):
    path = tmp_path / "deep.conf"
    path.write_text("connections {\n" + "a {\n" * 60 + "k = v\n" + "}\n" * 61)
    node = read_source(str(path))["connections"]
    for _level in range(60):
        node = node["a"]
    assert node == {"k": "v"}


@pytest.mark.parametrize("text, cycle", [
    ("include swanctl.conf\n", "swanctl.conf -> swanctl.conf"),
    ("include conf.d/*.conf\n", "a.conf -> b.conf -> a.conf"),
    ("include conf.d/back.conf\n", "swanctl.conf -> back.conf -> swanctl.conf"),
])
def test_src_include_cycle_and_self_include_are_refused_naming_the_cycle(tmp_path, text, cycle):
    (tmp_path / "conf.d").mkdir()
    (tmp_path / "conf.d" / "a.conf").write_text("include b.conf\n")
    (tmp_path / "conf.d" / "b.conf").write_text("include a.conf\n")
    (tmp_path / "conf.d" / "back.conf").write_text("include ../swanctl.conf\n")
    (tmp_path / "swanctl.conf").write_text(text)
    with pytest.raises(SourceError, match="include cycle: %s" % cycle):
        read_source(str(tmp_path / "swanctl.conf"))


def test_src_reference_loop_is_named_a_loop(tmp_path):
    path = tmp_path / "swanctl.conf"
    path.write_text("connections {\n a : connections.b {\n }\n b : connections.a {\n }\n}\n")
    with pytest.raises(SourceError, match="section connections.b references connections.a, which contains or references it \\(a loop\\)"):
        read_source(str(path))


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
@pytest.mark.parametrize("how", ["src", "include"])
def test_src_device_is_refused_before_reading(tmp_path, device, how):
    path = device
    if how == "include":
        path = str(tmp_path / "swanctl.conf")
        (tmp_path / "swanctl.conf").write_text("include %s\n" % device)
    with pytest.raises(SourceError, match="%s is not a regular file \\(a character device\\)" % device):
        read_source(path, "swanctl_conf" if how == "include" else "json")


@pytest.mark.parametrize("how", ["src", "include"])
def test_src_fifo_is_refused_without_blocking(tmp_path, how):
    fifo = tmp_path / "fifo.conf"
    os.mkfifo(str(fifo))
    path = str(fifo)
    if how == "include":
        path = str(tmp_path / "swanctl.conf")
        (tmp_path / "swanctl.conf").write_text("include fifo.conf\n")
    with pytest.raises(SourceError, match="fifo.conf is not a regular file \\(a FIFO\\)"):
        read_source(path)


def test_src_larger_than_the_limit_is_refused_before_reading(tmp_path, monkeypatch):
    from ansible_collections.strongswan.vici.plugins.module_utils._text import bounded
    path = tmp_path / "big.json"
    path.write_text(json.dumps({"connections": {}}) + " " * 100)
    reads = []
    real_read = os.read
    monkeypatch.setattr(bounded.os, "read", lambda fd, size: reads.append(size) or real_read(fd, size))
    monkeypatch.setattr(bounded, "MAX_FILE_BYTES", 50)
    monkeypatch.setattr(bounded.read_text, "__defaults__", (50, ""))
    with pytest.raises(SourceError, match="big.json is larger than the limit of 50 bytes"):
        read_source(str(path))
    assert not reads  # refused by its size before a byte is read


def test_src_growing_file_is_read_at_most_limit_plus_one_bytes(tmp_path, monkeypatch):
    from ansible_collections.strongswan.vici.plugins.module_utils._text import bounded
    path = tmp_path / "grow.conf"
    path.write_text("x" * 1000)
    real_fstat = os.fstat

    class Small:  # the size at open time says 10 bytes: the file grows while it is read
        def __init__(self, status):
            self.st_mode, self.st_size = status.st_mode, 10
    monkeypatch.setattr(bounded.os, "fstat", lambda fd: Small(real_fstat(fd)))
    reads = []
    real_read = os.read
    monkeypatch.setattr(bounded.os, "read", lambda fd, size: reads.append(size) or real_read(fd, size))
    with pytest.raises(bounded.BoundError, match="grow.conf is larger than the limit of 100 bytes"):
        bounded.read_regular(str(path), 100)
    assert sum(reads) <= 101


def test_src_json_duplicate_keys_are_refused_naming_the_key(tmp_path):
    path = tmp_path / "dup.json"
    path.write_text('{"connections": {"gw": {"version": "2"}, "gw": {"version": "1"}}}')
    with pytest.raises(SourceError, match="dup.json is not valid JSON: the key 'gw' appears twice"):
        read_source(str(path))


def test_src_yaml_alias_bomb_is_refused(tmp_path):
    pytest.importorskip("yaml")
    lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    for level in range(1, 9):
        lines.append("a%d: &a%d [%s]" % (level, level, ", ".join(["*a%d" % (level - 1)] * 10)))
    lines.append("connections: {c: *a8}")
    (tmp_path / "bomb.yml").write_text("\n".join(lines) + "\n")
    with pytest.raises(SourceError, match="bomb.yml is not valid YAML: .* values once aliases are expanded"):
        read_source(str(tmp_path / "bomb.yml"))


def test_src_yaml_that_contains_itself_is_refused(tmp_path):
    pytest.importorskip("yaml")
    (tmp_path / "loop.yml").write_text("connections: &c {gw: *c}\n")
    with pytest.raises(SourceError, match="loop.yml is not valid YAML: a dictionary or list contains itself"):
        read_source(str(tmp_path / "loop.yml"))
