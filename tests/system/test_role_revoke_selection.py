# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Which established SAs the remote_access role ends when it revokes a certificate (issue 19): the selection of
roles/remote_access/templates/revoked_sas.j2, rendered by ansible-playbook on list-sas data (no daemon)."""

from __future__ import annotations

import json

import pytest

from conftest import REPO, run_playbook

pytestmark = pytest.mark.timeout(120)

SAS = [
    {"name": "rw-cert", "uniqueid": "7", "remote-id": "carol", "remote-host": "198.18.0.7", "child_sas": []},
    {"name": "rw-cert", "uniqueid": "8", "remote-id": "CN=dave", "remote-host": "198.18.0.8", "child_sas": []},
    {"name": "rw", "uniqueid": "9", "remote-id": "198.18.0.9", "remote-eap-id": "frank", "remote-host": "198.18.0.9",
     "child_sas": []},
    {"name": "rw", "uniqueid": "12", "remote-id": "198.18.0.12", "remote-eap-id": "erin", "remote-host": "198.18.0.12",
     "child_sas": []},
    {"name": "rw-cert", "uniqueid": "13", "remote-id": "erin", "remote-host": "198.18.0.13", "child_sas": []},
    {"name": "rw-cert", "uniqueid": "10", "remote-id": "alice", "remote-host": "198.18.0.10", "child_sas": []},
    {"name": "s2s-hq", "uniqueid": "11", "remote-id": "carol", "remote-host": "198.18.0.11", "child_sas": []},
]


def test_revocation_selects_the_sas_of_revoked_users_by_remote_id_and_eap_id():
    """The SAs the role terminates after loading the CRL."""
    play = {"hosts": "localhost", "gather_facts": False, "tasks": [{
        "name": "select", "ansible.builtin.set_fact": {
            "selected": "{{ lookup('ansible.builtin.template', '%s') | from_json }}"
                        % (REPO / "roles" / "remote_access" / "templates" / "revoked_sas.j2")},
        "vars": {"strongswan_vici_ra_name": "rw", "strongswan_vici__ra_sas": SAS,
                 "strongswan_vici__ra_revoked_users": ["carol", "dave", "erin", "frank"],
                 "strongswan_vici__ra_listed_users": ["alice", "erin"]}}]}
    result = run_playbook([play])
    assert result.rc == 0, result
    selected = result.task("select")["ansible_facts"]["selected"]
    # carol by remote-id, dave by the certificate's subject, frank (no longer listed) by remote-eap-id, erin's
    # certificate SA; erin's password login (she is an EAP user now), alice (not revoked) and the site-to-site SA
    # of another role with the same identity are left alone.
    assert [(sa["ike_id"], sa["user"]) for sa in selected] == [("7", "carol"), ("8", "dave"), ("9", "frank"),
                                                               ("13", "erin")], \
        json.dumps(selected)
    assert selected[0] == {"ike_id": "7", "name": "rw-cert", "user": "carol", "remote_id": "carol",
                           "remote_eap_id": "", "remote_host": "198.18.0.7"}
