# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""strongswan.vici.config against the real charon: converge, idempotence, purge, check mode, diff masking,
failure part-way, persistence across a restart and ``swanctl --load-all``."""

from __future__ import annotations

import functools
import json
import os
import stat

import pytest

from ansible_collections.strongswan.vici.plugins.module_utils.vici.session import READ_ONLY_COMMANDS, Session

from conftest import pki, playbook_steps, step_result
from vici_proxy import ViciProxy

PSK = "Zq8-very-secret-psk-17"
PSK2 = "Xk2-other-secret-psk-42"


def conn(number, **extra):
    body = {
        "local_addrs": ["127.0.0.1"],
        "remote_addrs": ["127.0.%d.2" % number],
        "local": {"auth": "psk", "id": "gw.example.com"},
        "remote": {"auth": "psk", "id": "peer%d.example.com" % number},
        "children": {"net": {"local_ts": ["10.1.0.0/16"], "remote_ts": ["10.%d.0.0/16" % (number + 10)]}},
    }
    body.update(extra)
    return body


def tree(count=3, psk=PSK):
    return {
        "connections": {"c%d" % number: conn(number) for number in range(1, count + 1)},
        "secrets": {"ike-c%d" % number: {"secret": psk, "id": "gw.example.com", "id-peer": "peer%d.example.com" % number}
                    for number in range(1, count + 1)},
        "pools": {"rw": {"addrs": "10.3.0.0/24", "dns": "10.9.8.7, 10.9.8.6"}},
    }


runs = functools.partial(playbook_steps, vici_module="config")
run = functools.partial(step_result, vici_module="config")


def daemon_state(uri):
    with Session(uri, timeout=10) as vici:
        return {"conns": sorted(vici.get_conns().get("conns", [])), "shared": sorted(vici.get_shared().get("keys", [])),
                "pools": sorted(vici.get_pools())}


def daemon_dump(uri):
    """Everything the daemon reports about connections and pools, to compare before and after a reload."""
    with Session(uri, timeout=10) as vici:
        return {"conns": vici.list_conns(), "pools": vici.get_pools(), "shared": sorted(vici.get_shared().get("keys", []))}


def test_check_real_rerun_through_proxy(charon, ledger, tmp_path):
    with ViciProxy(tmp_path / "p.vici", charon.socket_path) as proxy:
        check = run(proxy.uri, ledger, check=True, **tree())
        assert check["changed"] is True, check
        assert check["sections"]["connections"]["added"] == ["c1", "c2", "c3"]
        assert check["sections"]["secrets"]["added"] == ["ike-c1", "ike-c2", "ike-c3"]
        assert check["sections"]["pools"]["added"] == ["rw"]
        assert set(proxy.commands) <= READ_ONLY_COMMANDS, proxy.commands
        assert daemon_state(charon.socket_uri) == {"conns": [], "shared": [], "pools": []}
        # One read per kind, not per object.
        assert proxy.commands.count("list-conns") == 1 and proxy.commands.count("get-shared") == 1, proxy.commands

        proxy.clear()
        real = run(proxy.uri, ledger, **tree())
        assert real["changed"] is True and real["sections"] == check["sections"], real
        assert daemon_state(charon.socket_uri) == {"conns": ["c1", "c2", "c3"], "shared": ["ike-c1", "ike-c2", "ike-c3"],
                                                   "pools": ["rw"]}
        # Credentials and pools before the connections that use them.
        loads = [name for name in proxy.commands if name.startswith("load-")]
        assert loads == ["load-shared"] * 3 + ["load-pool"] + ["load-conn"] * 3, loads

        proxy.clear()
        again = run(proxy.uri, ledger, **tree())
        assert again["changed"] is False, again
        assert again["sections"]["connections"] == {"added": [], "changed": [], "removed": [], "unchanged": ["c1", "c2", "c3"]}
        assert set(proxy.commands) <= READ_ONLY_COMMANDS, proxy.commands

        # One secret changed: only that one is reloaded.
        changed_tree = tree()
        changed_tree["secrets"]["ike-c2"]["secret"] = PSK2
        proxy.clear()
        predicted = run(proxy.uri, ledger, check=True, **changed_tree)
        assert set(proxy.commands) <= READ_ONLY_COMMANDS
        done = run(proxy.uri, ledger, **changed_tree)
        for result in (predicted, done):
            assert result["changed"] is True
            assert result["sections"]["secrets"]["changed"] == ["ike-c2"], result
            assert result["sections"]["connections"]["changed"] == []
        assert [name for name in proxy.commands if name.startswith("load-")] == ["load-shared"], proxy.commands


def test_purge_named_kinds_only(charon, ledger, tmp_path):
    uri = charon.socket_uri
    assert run(uri, ledger, **tree(3))["changed"] is True
    # Another connection and secret, loaded behind our back.
    with Session(uri, timeout=10) as vici:
        vici.load_conn({"stray": conn(9)})
        vici.load_shared("IKE", "x" * 20, id_="ike-stray", owners=["stray"])
    smaller = tree(2)
    smaller.pop("pools")  # not named: the pool stays
    predicted = run(uri, ledger, check=True, purge=True, **smaller)
    assert predicted["changed"] is True
    assert predicted["sections"]["connections"]["removed"] == ["c3", "stray"]
    assert predicted["sections"]["secrets"]["removed"] == ["ike-c3", "ike-stray"]
    assert "pools" not in predicted["sections"]
    assert daemon_state(uri)["conns"] == ["c1", "c2", "c3", "stray"]
    done = run(uri, ledger, purge=True, **smaller)
    assert done["sections"] == predicted["sections"], done
    assert daemon_state(uri) == {"conns": ["c1", "c2"], "shared": ["ike-c1", "ike-c2"], "pools": ["rw"]}
    # Connections are unloaded before the pools they used: an empty pools section purges the pool last.
    with ViciProxy(tmp_path / "p.vici", charon.socket_path) as proxy:
        gone = run(proxy.uri, ledger, purge=True, connections={}, pools={})
    assert gone["sections"]["connections"]["removed"] == ["c1", "c2"] and gone["sections"]["pools"]["removed"] == ["rw"]
    assert [name for name in proxy.commands if name.startswith("unload-")] == ["unload-conn", "unload-conn", "unload-pool"]
    assert daemon_state(uri) == {"conns": [], "shared": ["ike-c1", "ike-c2"], "pools": []}
    assert run(uri, ledger, purge=True, connections={}, pools={})["changed"] is False


def test_diff_and_output_never_show_secrets(charon, ledger):
    private = tree(2)
    private["secrets"]["eap-carol"] = {"secret": "carol-password-881", "id": "carol"}
    result, tasks = runs(charon.socket_uri, ledger, dict(private, _diff=True), dict(private, _diff=True, _check=True),
                         verbose=True)
    first = tasks[0]
    assert first["changed"] is True
    after = first["diff"]["after"]
    assert after["secrets"]["ike-c1"]["data"] == "********"
    assert after["secrets"]["eap-carol"]["owners"] == ["carol"]
    assert after["connections"]["c1"]["remote"]["id"] == "peer1.example.com"
    for text in (result.stdout, result.stderr, json.dumps(tasks)):
        for secret in (PSK, "carol-password-881"):
            assert secret not in text
    assert tasks[0]["invocation"]["module_args"]["secrets"]["ike-c1"]["secret"] == "********"
    assert tasks[1]["changed"] is False


def test_vvv_never_shows_a_secret_whatever_its_spelling_and_short_ones_do_not_garble(charon, ledger):
    """ansible-playbook -vvv prints every task's invocation: a PSK misspelt, misplaced or in an unknown section is
    masked there (issue 17, item 11), and a one-letter secret leaves the module's messages whole (item 12)."""
    uri = charon.socket_uri
    misplaced = conn(1)
    misplaced["local"]["secret"] = PSK
    nested = {"id": "k1", "type": "IKE", "data": {"nested": PSK2}, "owners": ["gw.example.com"]}
    result, tasks = runs(uri, ledger,
                         {"secrets": {"ike-c1": {"secert": PSK, "id": "gw.example.com"}}},
                         {"connections": {"c1": misplaced}},
                         {"tree": {"conections": {"c1": {"local": {"auth": "psk", "secret": PSK}}}}},
                         {"secrets": {"ike-c1": {"secret": "a", "id": "gw.example.com", "pin": "x"}}},
                         {"_module": "command", "command": "load-shared", "request": nested},
                         {"_module": "shared_secret", "id": "k2", "secret": "a", "type": "bogus"},
                         verbose=True)
    for text in (result.stdout, result.stderr, json.dumps(tasks)):
        assert PSK not in text and PSK2 not in text
    assert tasks[0]["msg"] == "secrets.ike-c1.secert: unknown key; known are secret, id*", tasks[0]
    assert tasks[0]["invocation"]["module_args"]["secrets"]["ike-c1"] == {"secert": "********", "id": "gw.example.com"}
    assert tasks[1]["failed"] is True and tasks[1]["invocation"]["module_args"]["connections"]["c1"]["local"] == {
        "auth": "psk", "id": "gw.example.com", "secret": "********"}
    assert tasks[2]["failed"] is True and tasks[2]["invocation"]["module_args"]["tree"] == {"conections": "********"}
    # A one-letter secret: the message and the socket's path come back whole; the secret is masked where it is.
    assert tasks[3]["msg"] == "secrets.ike-c1.pin: unknown key; known are secret, id*", tasks[3]
    assert tasks[3]["invocation"]["module_args"]["socket"] == uri
    assert tasks[3]["invocation"]["module_args"]["secrets"]["ike-c1"] == {
        "secret": "********", "id": "gw.example.com", "pin": "********"}
    assert tasks[4]["invocation"]["module_args"]["request"]["data"] == "********"
    assert tasks[5]["failed"] is True and "type" in tasks[5]["msg"] and "bogus" in tasks[5]["msg"], tasks[5]
    assert "*" not in tasks[5]["msg"] and tasks[5]["invocation"]["module_args"]["secret"] == "********", tasks[5]
    assert tasks[5]["invocation"]["module_args"]["socket"] == uri
    assert daemon_state(uri)["conns"] == []


def test_daemon_unreachable_masks_secrets(tmp_path, ledger):
    """Client errors (here: no daemon) exit through the same masking as everything else."""
    result, tasks = runs("unix://%s" % (tmp_path / "none.vici"), ledger, tree(2), verbose=True)
    assert tasks[0]["failed"] is True and "cannot connect" in tasks[0]["msg"], tasks[0]
    assert tasks[0]["invocation"]["module_args"]["secrets"]["ike-c1"]["secret"] == "********"
    assert PSK not in result.stdout + result.stderr


def test_failure_part_way_then_rerun(charon, ledger):
    broken = tree(3)
    broken["connections"]["c2"]["children"]["net"]["label_mode"] = "selinux"  # the daemon refuses it without SELinux
    failed = run(charon.socket_uri, ledger, **broken)
    assert failed["failed"] is True
    assert failed["msg"].startswith("connections 'c2': "), failed["msg"]
    assert "label_mode" in failed["msg"], failed["msg"]
    assert failed["vici_errmsg"], failed
    assert failed["applied"] == [{"section": "secrets", "name": "ike-c%d" % n, "action": "load"} for n in (1, 2, 3)] + [
        {"section": "pools", "name": "rw", "action": "load"}, {"section": "connections", "name": "c1", "action": "load"}]
    assert daemon_state(charon.socket_uri)["conns"] == ["c1"]
    # The ledger matches what was applied: a rerun with the fixed input loads only the rest.
    fixed = run(charon.socket_uri, ledger, **tree(3))
    assert fixed["changed"] is True
    assert fixed["sections"]["connections"] == {"added": ["c2", "c3"], "changed": [], "removed": [], "unchanged": ["c1"]}
    assert fixed["sections"]["secrets"]["unchanged"] == ["ike-c1", "ike-c2", "ike-c3"]
    assert run(charon.socket_uri, ledger, **tree(3))["changed"] is False


def test_bad_input_names_the_path(charon, ledger):
    uri = charon.socket_uri
    _result, tasks = runs(uri, ledger,
                          {"tree": {"connections": {}, "conections": {}}},
                          {"secrets": {"ike-x": {"secret": "abcdef"}}},
                          {"secrets": {"foo": {"secret": "abcdef", "id": "x"}}},
                          {"pools": {"rw": {"addrs": "10.3.0.0/24", "dnss": "1.1.1.1"}}},
                          {"connections": {"gw": conn(1, pools="nowhere")}, "pools": {}, "_check": True})
    assert tasks[0]["failed"] and tasks[0]["msg"].startswith("tree.conections: unknown top-level section"), tasks[0]
    assert tasks[1]["failed"] and tasks[1]["msg"].startswith("secrets.ike-x: no owners"), tasks[1]
    assert tasks[2]["failed"] and "secrets.foo" in tasks[2]["msg"], tasks[2]
    assert tasks[3]["failed"] and tasks[3]["msg"].startswith("pools.rw.dnss: unknown pool key"), tasks[3]
    assert not tasks[4].get("failed"), tasks[4]
    assert any("connections.gw.pools: pool 'nowhere'" in warning for warning in tasks[4].get("warnings", [])), tasks[4]
    assert "abcdef" not in json.dumps(tasks)
    assert daemon_state(uri) == {"conns": [], "shared": [], "pools": []}


def _swanctl_dir(tmp_path):
    directory = tmp_path / "swanctl"
    (directory / "conf.d").mkdir(parents=True)
    (directory / "swanctl.conf").write_text("include conf.d/*.conf\n")
    return directory


def test_persist_restart_load_all(charon, ledger, tmp_path):
    directory = _swanctl_dir(tmp_path)
    target = directory / "conf.d" / "gateway.conf"
    proxy_path = tmp_path / "p.vici"
    with ViciProxy(proxy_path, charon.socket_path) as proxy:
        first = run(proxy.uri, ledger, persist=str(target), **tree(3))
        assert first["changed"] is True and first["persist"] == {"path": str(target), "changed": True}
        assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
        text = target.read_text()
        assert PSK in text  # the file is the only place the secret is written
        assert run(proxy.uri, ledger, persist=str(target), **tree(3))["changed"] is False

    # The service's start: a new daemon, then swanctl --load-all of the files.
    charon.restart()
    loaded = charon.swanctl("--load-all", "--file", str(directory / "swanctl.conf"))
    assert "loaded 3 connections" in loaded.stdout, loaded.stdout
    with ViciProxy(proxy_path, charon.socket_path) as proxy:
        rerun = run(proxy.uri, ledger, persist=str(target), **tree(3))
        assert rerun["changed"] is False, rerun
        assert rerun["sections"]["connections"]["unchanged"] == ["c1", "c2", "c3"]
        assert set(proxy.commands) <= READ_ONLY_COMMANDS, proxy.commands

        # systemctl reload of strongswan.service runs its two ExecReload lines: swanctl --reload, then
        # swanctl --load-all --noprompt. Neither unloads nor changes anything of ours.
        before = daemon_dump(charon.socket_uri)
        charon.swanctl("--reload")
        reload = charon.swanctl("--load-all", "--noprompt", "--file", str(directory / "swanctl.conf"))
        assert "0 unloaded" in reload.stdout or "unloaded" not in reload.stdout, reload.stdout
        assert daemon_state(charon.socket_uri) == {"conns": ["c1", "c2", "c3"], "shared": ["ike-c1", "ike-c2", "ike-c3"],
                                                   "pools": ["rw"]}
        assert daemon_dump(charon.socket_uri) == before
        proxy.clear()
        assert run(proxy.uri, ledger, persist=str(target), **tree(3))["changed"] is False
        assert set(proxy.commands) <= READ_ONLY_COMMANDS, proxy.commands

        # A hand-edited file: conservative, everything reloads and the file is rewritten.
        target.write_text(text.replace("10.9.8.7", "10.9.8.1"))
        proxy.clear()
        edited = run(proxy.uri, ledger, persist=str(target), backup=True, **tree(3))
        assert edited["changed"] is True and edited["persist"]["changed"] is True
        assert edited["sections"]["connections"]["changed"] == ["c1", "c2", "c3"], edited
        assert "backup_file" in edited["persist"] and os.path.exists(edited["persist"]["backup_file"])
        assert target.read_text() == text
        assert run(proxy.uri, ledger, persist=str(target), **tree(3))["changed"] is False


def test_persist_stale_file_after_restart_reloads(charon, ledger, tmp_path):
    """The tree changed but the daemon restarted from the old file: the changed objects are loaded."""
    directory = _swanctl_dir(tmp_path)
    target = directory / "conf.d" / "gateway.conf"
    assert run(charon.socket_uri, ledger, persist=str(target), **tree(2))["changed"] is True
    charon.restart()
    charon.swanctl("--load-all", "--file", str(directory / "swanctl.conf"))
    newer = tree(2, psk=PSK2)
    result = run(charon.socket_uri, ledger, persist=str(target), **newer)
    assert result["changed"] is True and result["persist"]["changed"] is True
    assert sorted(result["sections"]["secrets"]["changed"]) == ["ike-c1", "ike-c2"], result


def test_persist_damaged_record_warns_reloads_and_is_replaced(charon, ledger, tmp_path):
    """A persist record nested 100 000 deep (or otherwise damaged) fails no run: a warning, the objects reload
    as without a record, and the record is written anew, so the next run is quiet again."""
    directory = _swanctl_dir(tmp_path)
    target = directory / "conf.d" / "gateway.conf"
    assert run(charon.socket_uri, ledger, persist=str(target), **tree(2))["changed"] is True
    records = list(ledger.glob("persist-*.json"))
    assert len(records) == 1
    record = records[0]
    good = record.read_text()
    record.write_text("[" * 100000 + "]" * 100000)
    charon.restart()
    charon.swanctl("--load-all", "--file", str(directory / "swanctl.conf"))
    result = run(charon.socket_uri, ledger, persist=str(target), **tree(2))
    assert "failed" not in result or not result["failed"], result
    assert any("the record %s is damaged (nested 100000 levels deep" % record in warning
               for warning in result["warnings"]), result["warnings"]
    # as without a record after a restart: the daemon's objects are not taken as ours, they are reloaded
    assert result["changed"] is True and result["sections"]["connections"]["changed"] == ["c1", "c2"], result
    assert json.loads(record.read_text())["digest"] == json.loads(good)["digest"]
    again = run(charon.socket_uri, ledger, persist=str(target), **tree(2))
    assert again["changed"] is False and not again.get("warnings"), again


def test_purge_with_a_null_tree_section_keeps_its_objects(charon, ledger):
    """tree: {connections: null} with purge: the null section is not managed (as a section left out), so no
    connection is removed; the named pools section is purged."""
    uri = charon.socket_uri
    assert run(uri, ledger, **tree(2))["changed"] is True
    result = run(uri, ledger, purge=True, tree={"connections": None, "pools": {}})
    assert result["changed"] is True and "connections" not in result["sections"], result
    assert daemon_state(uri) == {"conns": ["c1", "c2"], "shared": ["ike-c1", "ike-c2"], "pools": []}


def test_credentials_authorities_and_key_purge(charon, ledger, tmp_path):
    """Private keys from secrets sections and private_keys, certificates, authorities: converge, rerun, purge."""
    directory = tmp_path / "swanctl"
    for folder in ("private", "x509ca"):
        (directory / folder).mkdir(parents=True)
    pki("--gen", "--type", "ecdsa", "--outform", "pem", out=directory / "private" / "gw.pem")
    pki("--gen", "--type", "ecdsa", "--outform", "pem", out=tmp_path / "other.pem")
    pki("--gen", "--type", "ecdsa", "--outform", "pem", out=tmp_path / "ca.key")
    pki("--self", "--in", str(tmp_path / "ca.key"), "--type", "ecdsa", "--ca", "--dn", "C=CH, O=test, CN=Test CA",
        "--outform", "pem", out=directory / "x509ca" / "ca.pem")
    wanted = {
        "swanctl_dir": str(directory),
        "secrets": {"private-gw": {"file": "gw.pem"}, "ike-x": {"secret": PSK, "id": "%any"}},
        "private_keys": [{"path": str(tmp_path / "other.pem")}],
        "certificates": [{"path": str(directory / "x509ca" / "ca.pem"), "flag": "ca"}],
        "authorities": {"test-ca": {"cacert": "ca.pem", "crl_uris": "http://crl.example.com/ca.crl"}},
    }
    first = run(charon.socket_uri, ledger, **wanted)
    assert first["changed"] is True, first
    assert first["sections"]["private_keys"]["added"] == ["secrets.private-gw", "private_keys[0]"]
    assert first["sections"]["certificates"]["added"] == ["certificates[0]"]
    assert first["sections"]["authorities"]["added"] == ["test-ca"]
    with Session(charon.socket_uri, timeout=10) as vici:
        assert len(vici.get_keys()["keys"]) == 2
        assert vici.get_authorities()["authorities"] == ["test-ca"]
    again = run(charon.socket_uri, ledger, **wanted)
    assert again["changed"] is False, again
    # Drop the second key and the authority: purge unloads them; the certificate stays (VICI cannot unload it).
    smaller = dict(wanted)
    smaller.update({"private_keys": [], "authorities": {}, "certificates": []})
    purged = run(charon.socket_uri, ledger, purge=True, **smaller)
    assert purged["sections"]["private_keys"]["removed"] and purged["sections"]["authorities"]["removed"] == ["test-ca"]
    assert "certificates" not in purged["sections"] or not purged["sections"]["certificates"]["removed"]
    with Session(charon.socket_uri, timeout=10) as vici:
        assert len(vici.get_keys()["keys"]) == 1
        assert vici.get_authorities()["authorities"] == []
    assert run(charon.socket_uri, ledger, purge=True, **smaller)["changed"] is False


def _render(data):
    from ansible_collections.strongswan.vici.plugins.module_utils._swanctl.syntax import render  # pylint: disable=import-outside-toplevel
    return render(data)


def test_src_file_instead_of_arguments(charon, ledger, tmp_path):
    """src: the tree read on the managed host (JSON, swanctl.conf, YAML) converges as the inline tree does."""
    as_json = tmp_path / "gateway.json"
    as_json.write_text(json.dumps(tree()))
    conf_dir = tmp_path / "swanctl"
    conf_dir.mkdir()
    (conf_dir / "swanctl.conf").write_text("include conf.d/*.conf\n")
    (conf_dir / "conf.d").mkdir()
    (conf_dir / "conf.d" / "gw.conf").write_text(_render(tree()))
    with ViciProxy(tmp_path / "p.vici", charon.socket_path) as proxy:
        check = run(proxy.uri, ledger, check=True, src=str(as_json))
        assert check["changed"] is True and check["sections"]["connections"]["added"] == ["c1", "c2", "c3"], check
        assert set(proxy.commands) <= READ_ONLY_COMMANDS, proxy.commands
        assert daemon_state(charon.socket_uri) == {"conns": [], "shared": [], "pools": []}

        proxy.clear()
        real = run(proxy.uri, ledger, src=str(as_json))
        assert real["changed"] is True and real["sections"] == check["sections"], real
        assert daemon_state(charon.socket_uri) == {"conns": ["c1", "c2", "c3"], "shared": ["ike-c1", "ike-c2", "ike-c3"],
                                                   "pools": ["rw"]}
        assert [name for name in proxy.commands if name.startswith("load-")] == (
            ["load-shared"] * 3 + ["load-pool"] + ["load-conn"] * 3), proxy.commands

        # The same tree as swanctl.conf (with an include) and as the inline tree: nothing to do, nothing sent.
        proxy.clear()
        _result, again = runs(proxy.uri, ledger, {"src": str(as_json)}, {"src": str(conf_dir / "swanctl.conf")},
                              {"tree": tree()})
        for result in again:
            assert result["changed"] is False, result
            assert result["sections"]["connections"]["unchanged"] == ["c1", "c2", "c3"], result
        assert set(proxy.commands) <= READ_ONLY_COMMANDS, proxy.commands
    assert PSK not in json.dumps([check, real, again])
    assert "src" in real["invocation"]["module_args"]


def test_src_purge_yaml_and_bad_files(charon, ledger, tmp_path):
    uri = charon.socket_uri
    yaml = pytest.importorskip("yaml")
    whole, smaller = tmp_path / "whole.yml", tmp_path / "smaller.yaml"
    whole.write_text(yaml.safe_dump(tree(3)))
    small = tree(2)
    small.pop("pools")  # not in the file: not managed, the pool stays
    smaller.write_text(yaml.safe_dump(small))
    bad_section, broken, persisted = tmp_path / "bad.json", tmp_path / "broken.conf", tmp_path / "gw.conf"
    bad_section.write_text(json.dumps({"connections": {}, "conections": {}}))
    broken.write_text("connections {\n  c1 {\n")
    persisted.write_text("")
    _result, tasks = runs(uri, ledger,
                          {"src": str(whole)},
                          {"src": str(smaller), "purge": True, "_check": True},
                          {"src": str(smaller), "purge": True},
                          {"src": str(bad_section)},
                          {"src": str(broken)},
                          {"src": str(tmp_path / "missing.json")},
                          {"src": str(whole), "connections": {}},
                          {"src": str(persisted), "persist": str(persisted)},
                          {"src": str(whole), "src_format": "json"})
    assert tasks[0]["changed"] is True, tasks[0]
    assert tasks[1]["sections"]["connections"]["removed"] == ["c3"], tasks[1]
    assert tasks[2]["sections"] == tasks[1]["sections"], tasks[2]
    assert "pools" not in tasks[2]["sections"]
    assert tasks[3]["failed"] and tasks[3]["msg"].startswith("src %s: conections: unknown top-level section" % bad_section), tasks[3]
    assert tasks[4]["failed"] and str(broken) in tasks[4]["msg"], tasks[4]
    assert tasks[5]["failed"] and "missing.json" in tasks[5]["msg"], tasks[5]
    assert tasks[6]["failed"] and "mutually exclusive" in tasks[6]["msg"], tasks[6]
    assert tasks[7]["failed"] and "is the src file itself" in tasks[7]["msg"], tasks[7]
    assert tasks[8]["failed"] and "not valid JSON" in tasks[8]["msg"], tasks[8]
    assert daemon_state(uri) == {"conns": ["c1", "c2"], "shared": ["ike-c1", "ike-c2"], "pools": ["rw"]}
    assert PSK not in json.dumps(tasks)


def test_src_swanctl_conf_files_relative_to_it(charon, ledger, tmp_path):
    """A relative file in a swanctl.conf src is in the folders beside it, as swanctl --file reads it."""
    directory = tmp_path / "swanctl"
    (directory / "x509ca").mkdir(parents=True)
    pki("--gen", "--type", "ecdsa", "--size", "256", "--outform", "pem", out=directory / "ca.key")
    pki("--self", "--ca", "--in", directory / "ca.key", "--type", "ecdsa", "--dn", "CN=src test CA", "--outform", "pem",
        out=directory / "x509ca" / "ca.pem")
    (directory / "swanctl.conf").write_text("authorities {\n   ca {\n      cacert = ca.pem\n   }\n}\n")
    done = run(charon.socket_uri, ledger, src=str(directory / "swanctl.conf"))
    assert done["changed"] is True and done["sections"]["authorities"]["added"] == ["ca"], done
    assert run(charon.socket_uri, ledger, src=str(directory / "swanctl.conf"))["changed"] is False
