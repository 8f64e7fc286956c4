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
    with pytest.raises(SourceError, match="cannot read .*latin.conf"):
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
