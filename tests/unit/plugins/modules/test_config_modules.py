# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The config module (a whole tree) and config_info (a swanctl.conf file) against the fake charon."""

from __future__ import annotations

import json

from ansible_collections.strongswan.vici.tests.unit.plugins.modules.connection_config import CONFIG

SECRET = "a very secret key"
SECRETS = {"ike-gw": {"secret": SECRET, "id-a": "gw.example.com", "id-b": "peer.example.com"}}
POOLS = {"rw-pool": {"addrs": "10.3.0.0/24"}}


def tree_args(charon, tmp_path, **extra):
    args = {"socket": charon.uri, "connections": {"gw": CONFIG}, "secrets": SECRETS, "pools": POOLS,
            "swanctl_dir": str(tmp_path)}
    args.update(extra)
    return args


def test_config_check_mode_sends_nothing_and_masks_secrets(charon, run_in_process, tmp_path):
    planned = run_in_process("config", tree_args(charon, tmp_path), check=True, diff=True)
    assert planned["changed"] is True and charon.mutating() == []
    assert SECRET not in json.dumps(planned)


def test_config_loads_in_order_then_is_unchanged_then_purges(charon, run_in_process, tmp_path):
    loaded = run_in_process("config", tree_args(charon, tmp_path))
    assert loaded["changed"] is True and SECRET not in json.dumps(loaded)
    assert charon.mutating() == ["load-shared", "load-pool", "load-conn"]
    sections = loaded["sections"]
    assert sections["connections"]["added"] == ["gw"] and sections["pools"]["added"] == ["rw-pool"]
    assert sections["secrets"]["added"] == ["ike-gw"]
    again = run_in_process("config", tree_args(charon, tmp_path))
    assert again["changed"] is False and again["sections"]["connections"]["unchanged"] == ["gw"]
    purged = run_in_process("config", tree_args(charon, tmp_path, connections={}, pools={}, purge=True))
    assert purged["changed"] is True and purged["sections"]["connections"]["removed"] == ["gw"]
    assert charon.conns == {} and charon.pools == {} and list(charon.shared) == ["ike-gw"]


def test_config_failure_part_way_lists_what_was_applied(charon, run_in_process, tmp_path):
    charon.refuse("load-conn", "invalid proposal string: nonsense")
    result = run_in_process("config", tree_args(charon, tmp_path))
    assert result["failed"] is True and "invalid proposal string: nonsense" in result["msg"] and "gw" in result["msg"]
    assert [(step["section"], step["name"]) for step in result["applied"]] == [("secrets", "ike-gw"), ("pools", "rw-pool")]
    assert SECRET not in json.dumps(result)


def test_config_bad_arguments(charon, run_in_process, tmp_path):
    both = run_in_process("config", {"socket": charon.uri, "tree": {}, "connections": {}})
    assert both["failed"] is True and "tree" in both["msg"] and "connections" in both["msg"]
    bad_pool = run_in_process("config", tree_args(charon, tmp_path, pools={"p": {"addrs": "garbage"}}))
    assert bad_pool["failed"] is True and "garbage" in bad_pool["msg"] and charon.mutating() == []


def test_config_src_with_an_object_defined_twice_names_both_files(charon, run_in_process, tmp_path):
    (tmp_path / "conf.d").mkdir()
    (tmp_path / "conf.d" / "a.conf").write_text("secrets { ike-gw { secret = %s } }\n" % SECRET)
    (tmp_path / "conf.d" / "b.conf").write_text("secrets { ike-gw { id = gw.example.com } }\n")
    (tmp_path / "swanctl.conf").write_text("include conf.d/*.conf\n")
    result = run_in_process("config", {"socket": charon.uri, "src": str(tmp_path / "swanctl.conf")})
    assert result["failed"] is True
    assert "secrets.ike-gw: defined in %s and again in %s" % (tmp_path / "conf.d" / "a.conf",
                                                              tmp_path / "conf.d" / "b.conf") in result["msg"]
    assert charon.mutating() == [] and SECRET not in json.dumps(result)


def test_config_info_reads_a_file_and_masks_secrets(run_in_process, tmp_path):
    (tmp_path / "swanctl.conf").write_text(
        "connections { gw { remote_addrs = 192.0.2.2\n children { net { local_ts = 10.1.0.0/16 } } } }\n"
        "secrets { ike-gw { secret = \"%s\"\n id = gw.example.com } }\n" % SECRET)
    result = run_in_process("config_info", {"path": str(tmp_path / "swanctl.conf")})
    assert result["changed"] is False and result["connections"]["gw"]["remote_addrs"] == "192.0.2.2"
    assert SECRET not in json.dumps(result) and result["secret_values_left_out"] == 1
    missing = run_in_process("config_info", {"path": str(tmp_path / "none.conf")})
    assert missing["failed"] is True and "none.conf" in missing["msg"]


def _argument_spec(module, monkeypatch):
    """(argument_spec, keyword arguments) that ``module.main()`` gives ViciModule."""
    seen = []

    def record(spec, **kwargs):
        seen.append((spec, kwargs))
        raise SystemExit(0)

    monkeypatch.setattr(module, "ViciModule", record)
    try:
        module.main()
    except SystemExit:
        pass
    return seen[0]


def test_config_items_take_the_certificate_and_private_key_modules_options_typed_once(monkeypatch):
    from ansible_collections.strongswan.vici.plugins.modules import certificate, config, private_key

    config_spec, _kwargs = _argument_spec(config, monkeypatch)
    certificate_spec, certificate_kwargs = _argument_spec(certificate, monkeypatch)
    key_spec, _kwargs = _argument_spec(private_key, monkeypatch)
    certificates, keys = config_spec["certificates"], config_spec["private_keys"]
    assert certificates["options"] == {name: certificate_spec[name] for name in ("type", "flag", "content", "path")}
    assert keys["options"] == {name: key_spec[name] for name in ("content", "path", "passphrase")}
    assert keys["options"]["content"]["no_log"] and keys["options"]["passphrase"]["no_log"]
    for items in (certificates, keys):
        assert items["mutually_exclusive"] == certificate_kwargs["mutually_exclusive"] == [("content", "path")]
        assert items["required_one_of"] == certificate_kwargs["required_one_of"] == [("content", "path")]


def test_config_runs_without_the_cyclic_collector_and_switches_it_back_on(charon, run_in_process, tmp_path, monkeypatch):
    import gc  # pylint: disable=import-outside-toplevel
    from ansible_collections.strongswan.vici.plugins.modules import config  # pylint: disable=import-outside-toplevel

    during = []
    real_run = config.run

    def spy(vici):
        during.append(gc.isenabled())
        real_run(vici)

    monkeypatch.setattr(config, "run", spy)
    assert gc.isenabled()
    loaded = run_in_process("config", tree_args(charon, tmp_path))
    assert loaded["changed"] is True and during == [False] and gc.isenabled()
    failed = run_in_process("config", {"socket": charon.uri, "tree": {}, "connections": {}})
    assert failed["failed"] is True and gc.isenabled()
