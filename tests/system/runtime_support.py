# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Helpers for the system tests of the runtime modules (sa, policy, settings, command) and the tunnel e2e.

* Connection bodies (swanctl.conf schema) for the two ends of the site-to-site
  tunnel between the namespaces of conftest's ``netns_pair``/``tunnel_pair``.
* Tasks that configure them with this collection's modules.
* :func:`play`: a one-play playbook from a list of tasks.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import os
import sys
from typing import Any, Dict, List, Optional, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
HARNESS_DIR = os.path.join(REPO, "tests", "integration", "targets", "setup_charon", "files")
if HARNESS_DIR not in sys.path:
    sys.path.insert(0, HARNESS_DIR)

import charon_harness  # noqa: E402  pylint: disable=wrong-import-position

udp_probe = charon_harness.udp_probe

PSK = "correct horse battery staple"


def site_conn(local: str, remote: str, local_id: str, remote_id: str, local_ts: str, remote_ts: str,
              auth: str = "psk", proposals: str = "aes128-sha256-x25519", esp: str = "aes128gcm16",
              child: str = "net", start_action: Optional[str] = None, certs: Optional[List[str]] = None) -> Dict[str, Any]:
    """A connections.<name> body of swanctl.conf for one end of the site-to-site tunnel."""
    local_auth: Dict[str, Any] = {"auth": auth, "id": local_id}
    if certs:
        local_auth["certs"] = certs
    child_body: Dict[str, Any] = {"local_ts": [local_ts], "remote_ts": [remote_ts], "esp_proposals": [esp]}
    if start_action:
        child_body["start_action"] = start_action
    return {
        "version": 2,
        "local_addrs": [local],
        "remote_addrs": [remote],
        "proposals": [proposals],
        "local": local_auth,
        "remote": {"auth": auth, "id": remote_id},
        "children": {child: child_body},
    }


def ends(tunnel: Any, **kwargs: Any) -> Tuple[Dict[str, Any], Dict[str, Any]]:
    """The connection bodies of A and B for the tunnel 198.51.100.0/24 === 203.0.113.0/24."""
    p = tunnel.pair
    a_kwargs = dict(kwargs)
    b_kwargs = dict(kwargs)
    for key in ("proposals", "esp", "certs"):
        if "b_" + key in kwargs:
            b_kwargs[key] = kwargs["b_" + key]
            del a_kwargs["b_" + key], b_kwargs["b_" + key]
    a_kwargs.pop("b_certs", None)
    a = site_conn(p.a_ip, p.b_ip, "a.example", "b.example", "198.51.100.0/24", "203.0.113.0/24", **a_kwargs)
    b = site_conn(p.b_ip, p.a_ip, "b.example", "a.example", "203.0.113.0/24", "198.51.100.0/24", **b_kwargs)
    return a, b


def load_conn_task(name: str, socket: str, conn_name: str, body: Dict[str, Any]) -> Dict[str, Any]:
    """Configure a connection with this collection: the connection module when it exists, else command/load-conn."""
    if os.path.exists(os.path.join(REPO, "plugins", "modules", "connection.py")):
        return {"name": name, "strongswan.vici.connection": {"socket": socket, "name": conn_name, "config": body}}
    return {"name": name, "strongswan.vici.command": {"socket": socket, "command": "load-conn", "request": {conn_name: body}}}


def psk_task(name: str, socket: str, secret: str = PSK) -> Dict[str, Any]:
    return {"name": name, "strongswan.vici.shared_secret": {
        "socket": socket, "id": "ike-site", "secret": secret, "owners": ["a.example", "b.example"]}}


def play(*tasks: Dict[str, Any]) -> List[Dict[str, Any]]:
    """A playbook (list of one play on localhost) running ``tasks``."""
    return [{"hosts": "localhost", "gather_facts": False, "tasks": list(tasks)}]


def module_exists(name: str) -> bool:
    """True once the collection has plugins/modules/<name>.py (the config modules land separately)."""
    return os.path.exists(os.path.join(REPO, "plugins", "modules", name + ".py"))


def configure_tasks(tunnel: Any, **kwargs: Any) -> List[Dict[str, Any]]:
    """Tasks that configure both ends of the PSK tunnel ``gw``/``net`` with this collection."""
    secret_b = kwargs.pop("b_secret", PSK)
    a_body, b_body = ends(tunnel, **kwargs)
    return [
        load_conn_task("configure A", tunnel.a.socket_uri, "gw", a_body),
        load_conn_task("configure B", tunnel.b.socket_uri, "gw", b_body),
        psk_task("PSK on A", tunnel.a.socket_uri),
        psk_task("PSK on B", tunnel.b.socket_uri, secret_b),
    ]


def sa_task(name: str, socket: str, **options: Any) -> Dict[str, Any]:
    """A strongswan.vici.sa task (ike gw, child net unless given)."""
    args: Dict[str, Any] = {"socket": socket, "ike": "gw", "child": "net"}
    args.update(options)
    return {"name": name, "strongswan.vici.sa": args}


def info_task(name: str, socket: str, gather: Optional[List[str]] = None) -> Dict[str, Any]:
    return {"name": name, "strongswan.vici.info": {"socket": socket, "gather": gather or ["sas"]}}


def children(info_result: Dict[str, Any], ike: str = "gw", child: str = "net") -> List[Dict[str, Any]]:
    """The CHILD_SAs named ``child`` under IKE_SAs named ``ike`` in an info (or sa) result."""
    return [c for sa in info_result.get("sas", []) if sa.get("name") == ike
            for c in sa.get("child_sas", []) if c.get("name") == child]


def run_module_in_process(name: str, args: Dict[str, Any], check: bool = False, diff: bool = False) -> Dict[str, Any]:
    """Run a module of this collection in this process (same code as under ansible-playbook, far faster).

    Returns the module's result (what exit_json/fail_json printed). ``configure_*`` tasks and
    ``task`` dicts from the helpers above can be passed through :func:`run_task`.
    """
    # Imported here: conftest puts the staged collection on sys.path first.
    from ansible.module_utils.testing import patch_module_args  # pylint: disable=import-outside-toplevel

    module = importlib.import_module("ansible_collections.strongswan.vici.plugins.modules." + name)
    module_args = dict(args)
    module_args.update({"_ansible_check_mode": check, "_ansible_diff": diff})
    out = io.StringIO()
    with patch_module_args(module_args), contextlib.redirect_stdout(out):
        try:
            module.main()
        except SystemExit:
            pass
    return json.loads(out.getvalue())


def run_task(task: Dict[str, Any], check: bool = False, diff: bool = False) -> Dict[str, Any]:
    """Run one task dict (``{"name": ..., "strongswan.vici.<module>": args}``) in-process."""
    for key, args in task.items():
        if key.startswith("strongswan.vici."):
            return run_module_in_process(key.rsplit(".", 1)[1], args, check=check or bool(task.get("check_mode")), diff=diff)
    raise ValueError("no strongswan.vici module in %r" % task)
