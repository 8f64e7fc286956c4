# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the daemon by itself does to an established tunnel when one end's configuration changes (issue 19).

Two charons in network namespaces (the test harness), one tunnel ``gw``/``net`` brought up from A; then on A
alone a child change (esp_proposals), an IKE change (proposals), an unload-conn or a new PSK, over VICI
directly (not the collection), and A's SAs four seconds later. B accepts both the old and the new proposals,
so only the daemon's reload behaviour shows. Run as root from the repository, after
``bash scripts/stage_collection.sh``; ``STRONGSWAN_VICI_CHARON_ROOT=$(bash scripts/strongswan6_root.sh)`` for
strongSwan 6::

    python tests/tools/reload_behaviour.py start,none,trap child,ike,remove,psk

docs/operating-tunnels.md's table "what a change does to a running tunnel" is its output.
"""

import json
import os
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "tests", "integration", "targets", "setup_charon", "files"))
sys.path.insert(0, os.path.join(REPO, ".tmp"))
import charon_harness as h  # noqa: E402  pylint: disable=wrong-import-position,import-error
from ansible_collections.strongswan.vici.plugins.module_utils._operations.sa import ike_sa_list  # noqa: E402
from ansible_collections.strongswan.vici.plugins.module_utils.vici.session import Session  # noqa: E402

PSK = "correct horse battery staple"


def conn(local, remote, ids, selectors, esp, action, ike=("aes128-sha256-x25519",)):
    """A connection body: ``ids`` (local, remote), ``selectors`` (local_ts, remote_ts)."""
    return {"version": "2", "local_addrs": [local], "remote_addrs": [remote], "proposals": list(ike),
            "local-1": {"auth": "psk", "id": ids[0]}, "remote-1": {"auth": "psk", "id": ids[1]},
            "children": {"net": {"local_ts": [selectors[0]], "remote_ts": [selectors[1]], "esp_proposals": esp,
                                 "start_action": action}}}


def show(session):
    """One line per IKE_SA: name[id] state | child{id} state algorithm spi-in/key size."""
    lines = []
    for sa in ike_sa_list(session.list_sas()):
        children = ", ".join(
            "%s{%s} %s %s %s/%s" % (child["name"], child["uniqueid"], child["state"], child.get("encr-alg"),
                                    child.get("spi-in"), child.get("encr-keysize"))
            for child in sa["child_sas"])
        lines.append("%s[%s] %s %s | %s" % (sa["name"], sa["uniqueid"], sa["state"], sa.get("encr-alg"), children))
    return lines


def change_a(session, body, change):
    """Apply ``change`` on A over VICI."""
    if change == "child":
        body["children"]["net"]["esp_proposals"] = ["aes256gcm16"]
        session.load_conn({"gw": body})
    elif change == "ike":
        body["proposals"] = ["aes256-sha256-x25519"]
        session.load_conn({"gw": body})
    elif change == "remove":
        session.unload_conn("gw")
    elif change == "psk":
        session.load_shared("IKE", "new secret value 1234", id_="k", owners=["a.example", "b.example"])


def run(tmp, change, action):
    pair = h.NetnsPair().create()
    daemons = []
    try:
        daemons.append(h.Charon(tmp + "/a", name="a", netns=pair.a.name, tunnel=True).start())
        daemons.append(h.Charon(tmp + "/b", name="b", netns=pair.b.name, tunnel=True).start())
        on_a, on_b = Session(daemons[0].socket_uri), Session(daemons[1].socket_uri)
        body_a = conn(pair.a_ip, pair.b_ip, ("a.example", "b.example"), ("198.51.100.0/24", "203.0.113.0/24"),
                      ["aes128gcm16"], action)
        body_b = conn(pair.b_ip, pair.a_ip, ("b.example", "a.example"), ("203.0.113.0/24", "198.51.100.0/24"),
                      ["aes128gcm16", "aes256gcm16"], "none", ike=("aes128-sha256-x25519", "aes256-sha256-x25519"))
        for session in (on_a, on_b):
            session.load_shared("IKE", PSK, id_="k", owners=["a.example", "b.example"])
        on_b.load_conn({"gw": body_b})
        on_a.load_conn({"gw": body_a})
        if action != "start":
            on_a.initiate(child="net", ike="gw", timeout=10000)
        time.sleep(2)
        before = show(on_a)
        change_a(on_a, body_a, change)
        time.sleep(4)
        print(json.dumps({"change": change, "start_action": action, "before": before, "after": show(on_a)}), flush=True)
    finally:
        for daemon in daemons:
            daemon.stop()
        pair.delete()


if __name__ == "__main__":
    for each_change in sys.argv[2].split(","):
        for each_action in sys.argv[1].split(","):
            run(tempfile.mkdtemp(prefix="svm", dir="/tmp"), each_change, each_action)
