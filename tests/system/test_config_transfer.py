# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The config action plugin (issue 21): a tree from group_vars over 64 KiB reaches the module as one file in Ansible's
remote temporary directory, mode 0600, removed on every path; no secret in -vvv, the result or the invocation."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from ansible_collections.strongswan.vici.plugins.module_utils.vici.session import Session

from conftest import run_playbook

PSK = "Tq7-transfer-secret-psk-93"
COUNT = 200  # about 70 KiB of JSON: over the action plugin's inline limit


def group_vars(count=COUNT, broken=None):
    connections = {}
    for number in range(count):
        connections["t%d" % number] = {
            "local_addrs": ["127.0.0.1"], "remote_addrs": ["127.1.%d.%d" % (number // 250, number % 250 + 1)],
            "local": {"auth": "psk", "id": "gw.example.com"}, "remote": {"auth": "psk", "id": "peer%d.example.com" % number},
            "children": {"net": {"local_ts": ["10.0.0.0/16"], "remote_ts": ["10.%d.%d.0/24" % (100 + number // 250, number % 250)],
                                 "esp_proposals": ["aes128gcm16-x25519"]}}}
    if broken is not None:  # the daemon refuses it (no SELinux)
        connections["t%d" % broken]["children"]["net"]["label_mode"] = "selinux"
    # The secret comes from another variable (as from a vault): the action plugin templates it.
    secrets = {"ike-t%d" % number: {"secret": "{{ vpn_psk }}-%d" % number, "id": "gw.example.com",
                                    "id-peer": "peer%d.example.com" % number} for number in range(count)}
    return {"vpn_connections": connections, "vpn_secrets": secrets, "vpn_psk": PSK}


def run_gateway(workdir, socket, ledger, variables, task=None, env=None):
    """One config task with the tree from group_vars/all.json; the module runs through an interpreter that records
    the files of the remote temporary directory (mode and name) when the module starts."""
    (workdir / "group_vars").mkdir(exist_ok=True)
    (workdir / "group_vars" / "all.json").write_text(json.dumps(variables))
    remote_tmp = workdir / "remote-tmp"
    remote_tmp.mkdir(exist_ok=True)
    seen = workdir / "seen.txt"
    wrapper = workdir / "python"
    wrapper.write_text('#!/bin/sh\nstat -c "%%a %%n" "$(dirname "$1")"/* >> %s\nexec %s "$@"\n' % (seen, sys.executable))
    wrapper.chmod(0o755)
    options = task or {"connections": "{{ vpn_connections }}", "secrets": "{{ vpn_secrets }}"}
    play = {"hosts": "localhost", "gather_facts": False,
            "tasks": [{"name": "gateway", "ignore_errors": True, "strongswan.vici.config": dict(options, socket=socket)}]}
    result = run_playbook([play], extravars={"ansible_python_interpreter": str(wrapper)}, extra_args=["-vvv"], cwd=workdir,
                          env=dict({"STRONGSWAN_VICI_LEDGER_DIR": str(ledger), "ANSIBLE_REMOTE_TMP": str(remote_tmp)},
                                   **(env or {})))
    text = seen.read_text() if seen.exists() else ""
    seen.unlink(missing_ok=True)
    return result, result.task("gateway"), text, remote_tmp


def held(uri):
    with Session(uri, timeout=10) as vici:
        return sorted(vici.get_conns().get("conns", [])), sorted(vici.get_shared().get("keys", []))


def no_secret(result, task):
    for text in (result.stdout, result.stderr, json.dumps(task)):
        assert PSK not in text


def test_large_tree_from_group_vars_travels_as_a_private_file_removed_afterwards(charon, ledger, tmp_path):
    result, task, seen, remote_tmp = run_gateway(tmp_path, charon.socket_uri, ledger, group_vars())
    assert task.get("changed") is True and not task.get("failed"), result
    assert "600 " in seen and "strongswan-vici-tree.json" in seen, seen  # 0600 while the module ran
    assert [line for line in seen.splitlines() if "strongswan-vici-tree.json" in line][0].startswith("600 "), seen
    assert os.listdir(remote_tmp) == [], os.listdir(remote_tmp)
    no_secret(result, task)
    assert "_tree_file" not in task["invocation"]["module_args"], task["invocation"]
    conns, shared = held(charon.socket_uri)
    assert len(conns) == COUNT and len(shared) == COUNT
    # The templated secret reached the daemon: an unchanged rerun says so (the ledger's fingerprints match).
    again, task, _seen, remote_tmp = run_gateway(tmp_path, charon.socket_uri, ledger, group_vars())
    assert task.get("changed") is False and not task.get("failed"), again
    assert os.listdir(remote_tmp) == []


def test_tree_given_as_json_text_is_read_by_the_action_and_travels_as_a_private_file(charon, ledger, tmp_path):
    """The site_to_site role passes its tree as JSON text (one value for Ansible to template, issue 21)."""
    variables = group_vars()
    variables["vpn_tree"] = {"connections": variables.pop("vpn_connections"), "secrets": variables.pop("vpn_secrets")}
    task = {"tree": "{{ vpn_tree | to_json }}"}
    result, outcome, seen, remote_tmp = run_gateway(tmp_path, charon.socket_uri, ledger, variables, task=task)
    assert outcome.get("changed") is True and not outcome.get("failed"), result
    assert [line for line in seen.splitlines() if "strongswan-vici-tree.json" in line][0].startswith("600 "), seen
    assert os.listdir(remote_tmp) == []
    no_secret(result, outcome)
    assert "_tree_file" not in outcome["invocation"]["module_args"], outcome["invocation"]
    conns, shared = held(charon.socket_uri)
    assert len(conns) == COUNT and len(shared) == COUNT
    again, outcome, _seen, _remote_tmp = run_gateway(tmp_path, charon.socket_uri, ledger, variables, task=task)
    assert outcome.get("changed") is False and not outcome.get("failed"), again


def test_tree_file_removed_when_the_daemon_refuses_an_object_and_with_keep_remote_files(charon, ledger, tmp_path):
    result, task, seen, remote_tmp = run_gateway(tmp_path, charon.socket_uri, ledger, group_vars(broken=150),
                                                 env={"ANSIBLE_KEEP_REMOTE_FILES": "1"})
    assert task["failed"] is True and task["msg"].startswith("connections 't150': "), task
    assert "strongswan-vici-tree.json" in seen
    kept = [name for directory in os.listdir(remote_tmp) for name in os.listdir(remote_tmp / directory)]
    assert kept and "strongswan-vici-tree.json" not in kept, kept  # the module file kept, the tree file not
    no_secret(result, task)
    conns, _shared = held(charon.socket_uri)
    assert "t150" not in conns
    assert {entry["name"] for entry in task["applied"] if entry["section"] == "connections"} == set(conns)


def test_internal_option_refused_and_exclusive_options_checked_for_a_shipped_tree(charon, ledger, tmp_path):
    _result, task, _seen, _tmp = run_gateway(tmp_path, charon.socket_uri, ledger, group_vars(),
                                             task={"_tree_file": "/etc/passwd"})
    assert task["failed"] is True and "_tree_file is internal" in task["msg"], task
    result, task, _seen, remote_tmp = run_gateway(tmp_path, charon.socket_uri, ledger, group_vars(), task={
        "connections": "{{ vpn_connections }}", "tree": {"pools": {}}})
    assert task["failed"] is True and "mutually exclusive: tree|connections" in task["msg"], task
    assert os.listdir(remote_tmp) == []
    no_secret(result, task)
    assert held(charon.socket_uri) == ([], [])


def test_vaulted_secret_in_group_vars_is_decrypted_by_the_action_plugin(charon, ledger, tmp_path):
    """An inline ``!vault`` value (not a template) is decrypted on the controller, never shown."""
    password = tmp_path / "vault-pass"
    password.write_text("vault-password-for-the-test\n")
    encrypted = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-vault"), "encrypt_string",
                                "--vault-password-file", str(password), PSK, "--name", "vpn_psk_vaulted"],
                               capture_output=True, text=True, check=True, timeout=120).stdout
    (tmp_path / "group_vars").mkdir()
    (tmp_path / "group_vars" / "all.yml").write_text(
        encrypted + "vpn_secrets:\n  ike-v:\n    secret: !vault |\n" + "\n".join(
            "      " + line.strip() for line in encrypted.split("|", 1)[1].strip().splitlines()) + "\n    id: gw.example.com\n")
    play = {"hosts": "localhost", "gather_facts": False, "tasks": [{"name": "gateway", "ignore_errors": True,
            "strongswan.vici.config": {"socket": charon.socket_uri, "secrets": "{{ vpn_secrets }}"}}]}
    for changed in (True, False):
        result = run_playbook([play], extra_args=["-vvv", "--vault-password-file", str(password)], cwd=tmp_path,
                              env={"STRONGSWAN_VICI_LEDGER_DIR": str(ledger)})
        task = result.task("gateway")
        assert task.get("changed") is changed and not task.get("failed"), result
        no_secret(result, task)
    assert len(held(charon.socket_uri)[1]) == 1, held(charon.socket_uri)
    # The daemon got the plain PSK, not the vault text: the same secret given in clear is unchanged.
    plain = dict(play["tasks"][0], **{"strongswan.vici.config": {"socket": charon.socket_uri, "secrets": {
        "ike-v": {"secret": PSK, "id": "gw.example.com"}}}})
    result = run_playbook([dict(play, tasks=[plain])], extra_args=["--vault-password-file", str(password)], cwd=tmp_path,
                          env={"STRONGSWAN_VICI_LEDGER_DIR": str(ledger)})
    assert result.task("gateway").get("changed") is False, result


def test_omit_in_a_tree_option_or_inside_the_tree_leaves_it_out(charon, ledger, tmp_path):
    """``default(omit)`` keeps working with the action plugin: the option, or the key inside the tree, is left out."""
    variables = group_vars(count=2)
    variables["vpn_connections"]["t0"]["dpd_delay"] = "{{ no_such_variable | default(omit) }}"
    result, task, _seen, _tmp = run_gateway(tmp_path, charon.socket_uri, ledger, variables, task={
        "connections": "{{ vpn_connections }}", "secrets": "{{ vpn_secrets }}",
        "pools": "{{ no_such_pools | default(omit) }}"})
    assert task.get("changed") is True and not task.get("failed"), result
    assert "pools" not in task["sections"], task["sections"]
    assert held(charon.socket_uri)[0] == ["t0", "t1"]
