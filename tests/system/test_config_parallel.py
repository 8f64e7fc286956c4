# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""config's first apply loads many new objects of one kind over several sessions at once (issue 21): kind order
kept, the first error stops it, and ``applied`` lists exactly what the daemon holds afterwards."""

from __future__ import annotations

import functools
import json

from ansible_collections.strongswan.vici.plugins.module_utils._engine.parallel import SESSIONS
from ansible_collections.strongswan.vici.plugins.module_utils.vici.session import Session

from conftest import step_result

run = functools.partial(step_result, vici_module="config")
COUNT = 300
BROKEN = 200


def gateway(broken=None):
    connections = {"p%d" % number: {
        "local_addrs": ["127.0.0.1"], "remote_addrs": ["127.2.%d.%d" % (number // 250, number % 250 + 1)],
        "local": {"auth": "psk", "id": "gw.example.com"}, "remote": {"auth": "psk", "id": "peer%d.example.com" % number},
        "children": {"net": {"local_ts": ["10.0.0.0/16"], "remote_ts": ["10.%d.%d.0/24" % (150 + number // 250, number % 250)]}}}
        for number in range(COUNT)}
    if broken is not None:  # the daemon refuses it (no SELinux)
        connections["p%d" % broken]["children"]["net"]["label_mode"] = "selinux"
    secrets = {"ike-p%d" % number: {"secret": "parallel-psk-%04d-secret" % number, "id": "gw.example.com",
                                    "id-peer": "peer%d.example.com" % number} for number in range(COUNT)}
    return {"connections": connections, "secrets": secrets}


def held(uri):
    with Session(uri, timeout=10) as vici:
        return set(vici.get_conns().get("conns", [])), set(vici.get_shared().get("keys", []))


def test_parallel_first_apply_reports_exactly_what_the_daemon_holds_after_a_rejected_object(charon, ledger, tmp_path):
    src = tmp_path / "gateway.json"
    src.write_text(json.dumps(gateway(broken=BROKEN)))
    failed = run(charon.socket_uri, ledger, src=str(src))
    assert failed["failed"] is True and failed["msg"].startswith("connections 'p%d': " % BROKEN), failed
    assert failed["changed"] is True
    conns, shared = held(charon.socket_uri)
    applied = failed["applied"]
    # Kind order: every secret before any connection.
    sections = [entry["section"] for entry in applied]
    assert sections == ["secrets"] * COUNT + ["connections"] * (len(applied) - COUNT), sections
    assert len(shared) == COUNT
    assert {entry["name"] for entry in applied if entry["section"] == "connections"} == conns
    # The lane that met the rejected object had loaded every object before it in its share (lanes take every
    # SESSIONS-th object); how far the other lanes got depends on scheduling, and ``applied`` says it exactly.
    assert "p%d" % BROKEN not in conns and conns >= {"p%d" % n for n in range(BROKEN % SESSIONS, BROKEN, SESSIONS)}
    # The ledger matches: after the fix, the rerun loads exactly the connections the daemon lacks.
    src.write_text(json.dumps(gateway()))
    fixed = run(charon.socket_uri, ledger, src=str(src))
    assert fixed["changed"] is True and not fixed.get("failed"), fixed
    assert len(fixed["sections"]["connections"]["added"]) == COUNT - len(conns), fixed["sections"]
    assert held(charon.socket_uri) == ({"p%d" % number for number in range(COUNT)}, shared)
    again = run(charon.socket_uri, ledger, src=str(src))
    assert again["changed"] is False, again
