# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Role inputs that cannot silently misconfigure (issue 18).

Each bad input fails before the role talks to the daemon, with a message naming the tunnel (or user) and the
key; a misspelled list variable changes nothing. The socket points nowhere: a role that reached for the daemon
would fail with a connection error instead of the expected message, and the PSK never shows, even at -vvv.
"""

from __future__ import annotations

import json

import pytest
from conftest import run_playbook

pytestmark = pytest.mark.timeout(300)

PSK = "role-inputs-psk-0123456789"
ENDS = {"localhost": {"address": "10.0.0.1", "subnets": ["10.1.0.0/24"]},
        "peer": {"address": "10.0.0.2", "subnets": ["10.2.0.0/24"]}}
NOWHERE = "/nonexistent/strongswan-vici-role-inputs/charon.vici"


def tunnel(**extra):
    item = {"name": "hq-branch", "auth": "psk", "psk": PSK, "ends": ENDS}
    item.update(extra)
    return item


def run_role(role, role_vars):
    """Run ROLE on localhost inside block/rescue; return (PlaybookResult, the failure message or None)."""
    play = {
        "hosts": "localhost",
        "gather_facts": False,
        "tasks": [
            {"block": [{"ansible.builtin.include_role": {"name": role}, "vars": role_vars}],
             "rescue": [{"ansible.builtin.set_fact": {"role_failure": "{{ ansible_failed_result | to_json }}"}}]},
            {"ansible.builtin.debug": {"var": "role_failure"}, "when": "role_failure is defined"},
        ],
    }
    result = run_playbook([play], extra_args=["-vvv"])
    assert result.rc == 0, result
    assert PSK not in result.stdout + result.stderr
    failure = None
    for _name, task in result.tasks:
        if "role_failure" in task:
            failure = task.get("role_failure")
    return result, failure


def failure_text(failure):
    return str(failure)


def s2s(tunnels):
    return {"strongswan_vici_socket": NOWHERE, "strongswan_vici_etc": "/nonexistent/etc", "strongswan_vici_tunnels": tunnels}


def test_unknown_key_in_a_tunnel_fails_naming_the_tunnel_and_the_key():
    _result, failure = run_role("strongswan.vici.site_to_site", s2s([tunnel(esp_proposal=["aes256-sha256"])]))
    assert failure is not None
    assert "tunnel 'hq-branch'" in failure_text(failure)
    assert 'unknown key \\"esp_proposal\\"' in failure_text(failure) or 'unknown key "esp_proposal"' in failure_text(failure)


def test_unknown_key_in_a_tunnel_end_fails_naming_the_tunnel_the_end_and_the_key():
    ends = {"localhost": dict(ENDS["localhost"], subnet="10.9.0.0/24"), "peer": ENDS["peer"]}
    _result, failure = run_role("strongswan.vici.site_to_site", s2s([tunnel(ends=ends)]))
    assert failure is not None
    assert "tunnel 'hq-branch'" in failure_text(failure) and "ends.localhost" in failure_text(failure)
    assert "subnet" in failure_text(failure)


def test_a_dict_psk_fails_without_showing_it():
    _result, failure = run_role("strongswan.vici.site_to_site", s2s([tunnel(psk={"secret": PSK})]))
    assert failure is not None
    assert "psk must be a string" in failure_text(failure)


def test_a_newline_in_dpd_delay_fails_instead_of_injecting_a_key():
    _result, failure = run_role("strongswan.vici.site_to_site",
                                s2s([tunnel(dpd_delay="30\nremote_addrs: [198.51.100.66]")]))
    assert failure is not None
    assert "dpd_delay" in failure_text(failure)


def test_a_newline_in_start_action_fails_instead_of_injecting_a_key():
    _result, failure = run_role("strongswan.vici.site_to_site",
                                s2s([tunnel(start_action="start\n        remote_addrs: [198.51.100.66]")]))
    assert failure is not None
    assert "start_action" in failure_text(failure)


def test_a_wrong_type_among_many_tunnels_fails_naming_that_tunnel_and_end():
    """All tunnels are first validated as one list (fast at thousands, issue 21); a failure still names the tunnel
    and the end, from the per-tunnel validation that runs only then."""
    good = [tunnel(name="t%d" % number) for number in range(3)]
    ends = {"localhost": ENDS["localhost"], "peer": dict(ENDS["peer"], subnets={"a": 1})}
    _result, failure = run_role("strongswan.vici.site_to_site", s2s(good + [tunnel(name="bad-delay", dpd_delay="soon"),
                                                                            tunnel(name="bad-end", ends=ends)]))
    assert failure is not None
    errors = " | ".join((json.loads(failure) if isinstance(failure, str) else failure)["argument_errors"])
    assert "tunnel bad-delay" in errors and "dpd_delay" in errors
    assert "tunnel bad-end, ends.peer" in errors and "subnets" in errors
    assert "tunnel t0" not in errors


def test_a_misspelled_tunnels_variable_changes_nothing():
    role_vars = {"strongswan_vici_socket": NOWHERE, "strongswan_vici_etc": "/nonexistent/etc",
                 "vpn_tunnel": [tunnel()]}
    result, failure = run_role("strongswan.vici.site_to_site", role_vars)
    assert failure is None
    assert result.stats.get("changed") == 0
    assert "Neither strongswan_vici_tunnels nor vpn_tunnels is set" in result.stdout


def test_a_misspelled_users_variable_changes_nothing():
    role_vars = {"strongswan_vici_socket": NOWHERE, "strongswan_vici_etc": "/nonexistent/etc",
                 "strongswan_vici_ra_user": [{"name": "alice", "password": PSK}]}
    result, failure = run_role("strongswan.vici.remote_access", role_vars)
    assert failure is None
    assert result.stats.get("changed") == 0
    assert "strongswan_vici_ra_users is not set" in result.stdout


def test_unknown_key_in_a_user_fails_naming_the_key():
    role_vars = {"strongswan_vici_socket": NOWHERE, "strongswan_vici_etc": "/nonexistent/etc",
                 "strongswan_vici_ra_users": [{"name": "alice", "pasword": PSK}]}
    _result, failure = run_role("strongswan.vici.remote_access", role_vars)
    assert failure is not None
    assert "pasword" in failure_text(failure)


def test_a_dict_password_fails():
    role_vars = {"strongswan_vici_socket": NOWHERE, "strongswan_vici_etc": "/nonexistent/etc",
                 "strongswan_vici_ra_users": [{"name": "alice", "password": {"value": PSK}}]}
    _result, failure = run_role("strongswan.vici.remote_access", role_vars)
    assert failure is not None
    assert "password a string" in failure_text(failure) and "alice" in failure_text(failure)
