# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The ``site_to_site_tunnels`` and ``site_to_site_outcome`` filters: the site_to_site role's derivations in Python.

The role (roles/site_to_site) describes each tunnel once for both ends. Before it changes anything it checks
every tunnel, then derives this gateway's side; after the ``config`` task it works out what came up, what is gone
and which PSKs changed. At thousands of tunnels each of those steps took seconds as a Jinja pass over the tunnels
(issue 21: about eight passes of 2-6 s at 5000 tunnels, and a template rendering the tree); here each of the two
steps is one pass over plain data.

``site_to_site_tunnels`` (before the apply) returns the checks' findings, in the order the role fails on them
(unknown keys and a psk that is not a string; the documented types; this gateway's tunnels; unique names), and,
only when all pass, this gateway's side: the tree for ``strongswan.vici.config`` (with the PSKs, as JSON text,
which the config action reads: one value for Ansible to pass on instead of thousands), a small record of each
tunnel, where each peer is, the certificate tunnels with a revoked end and the forwarding settings.

``site_to_site_outcome`` (after the apply) returns the tunnels up after the apply, the connections and PSKs this
role applied before and no longer has, the tunnels whose PSK changed and the tunnels to bring up.

Neither returns a PSK outside ``tree``; the role sets the fact holding the tree with ``no_log``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, Dict, List

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

#: What the checks see instead of a tunnel's PSK (the type checks see the placeholder, never the PSK).
PSK_STRING = "(a string)"
PSK_NOT_STRING = "(not a string)"
_NAME = re.compile(r"^[A-Za-z0-9_-]+$")
_MISSING = object()


def _plain(value: Any) -> Any:
    """A plain copy of VALUE: dicts, lists, text (tags dropped), numbers; one walk over Ansible's lazy containers."""
    if isinstance(value, Mapping):
        return {(str(key) if isinstance(key, str) else key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, str):
        return str(value)
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return str(value)  # a vaulted value (decrypted on access by Ansible) or another scalar


def _text(value: Any) -> str:
    """VALUE as Jinja's ``~`` writes it."""
    if value is None:
        return "None"
    if isinstance(value, bool):
        return "True" if value else "False"
    return str(value)


def _sorted(keys) -> List[Any]:
    try:
        return sorted(keys)
    except TypeError:
        return sorted(keys, key=_text)


def _tunnel_label(item: Any) -> str:
    if not isinstance(item, Mapping):
        return "(not a mapping)"
    return _text(item["name"]) if "name" in item else "(no name)"


def _masked(tunnel: Any) -> Any:
    """TUNNEL as the checks see it: a psk only as whether it is a string."""
    if isinstance(tunnel, dict) and "psk" in tunnel:
        return dict(tunnel, psk=PSK_STRING if isinstance(tunnel["psk"], str) else PSK_NOT_STRING)
    return tunnel


def _without_psk(tunnel: Dict[str, Any]) -> Dict[str, Any]:
    return {key: value for key, value in tunnel.items() if key != "psk"}


def _key_problems(items: List[Any], tunnel_keys: List[str], end_keys: List[str]) -> List[str]:
    """Every tunnel and every end has only the keys the role knows, and a string psk."""
    known_tunnel = ", ".join(sorted(tunnel_keys))
    known_end = ", ".join(sorted(end_keys))
    lines = []
    for item in items:
        found = []
        if not isinstance(item, Mapping):
            found.append("a tunnel must be a mapping")
        else:
            for key in _sorted(set(item) - set(tunnel_keys)):
                found.append("unknown key %s (known: %s)" % (json.dumps(key), known_tunnel))
            if item.get("psk", "") == PSK_NOT_STRING:
                found.append("psk must be a string")
            ends = item.get("ends")
            if isinstance(ends, Mapping):
                for end_name, end in ends.items():
                    if not isinstance(end, Mapping):
                        found.append("ends.%s must be a mapping" % _text(end_name))
                        continue
                    for key in _sorted(set(end) - set(end_keys)):
                        found.append("ends.%s: unknown key %s (known: %s)" % (_text(end_name), json.dumps(key), known_end))
        if found:
            lines.append("vpn_tunnels: tunnel '%s': %s" % (_tunnel_label(item), "; ".join(found)))
    return lines


def _types_ok(items: List[Dict[str, Any]], spec: Mapping) -> bool:
    """All tunnels as one list and all ends as another against the tunnel and tunnel_end options (a small spec)."""
    ends = [end for item in items if isinstance(item.get("ends"), Mapping) for end in item["ends"].values()]
    validator = ArgumentSpecValidator({
        "tunnels": {"type": "list", "elements": "dict", "options": spec["tunnel"]["options"]},
        "ends": {"type": "list", "elements": "dict", "options": spec["tunnel_end"]["options"]},
    })
    result = validator.validate({"tunnels": items, "ends": ends}, validate_role_argument_spec=True)
    return not result.error_messages


def _per_tunnel_spec(items: List[Dict[str, Any]], spec: Mapping) -> Dict[str, Any]:
    """One option per tunnel ("tunnel NAME") and per end ("tunnel NAME, ends.GATEWAY"), without the psk."""
    tunnel_options = {key: value for key, value in spec["tunnel"]["options"].items() if key != "psk"}
    options: Dict[str, Any] = {}
    values: Dict[str, Any] = {}
    for item in items:
        key = "tunnel " + (_text(item["name"]) if "name" in item else "(no name)")
        options[key] = {"type": "dict", "options": tunnel_options}
        values[key] = _without_psk(item)
        ends = item.get("ends")
        for end_name, end in (ends.items() if isinstance(ends, Mapping) else ()):
            options[key + ", ends." + _text(end_name)] = {"type": "dict", "options": spec["tunnel_end"]["options"]}
            values[key + ", ends." + _text(end_name)] = end
    return {"spec": options, "values": values}


def _peer_place(peer: Any, hostvars: Any, batch: List[Any]) -> str:
    if hostvars is None or peer is None or peer not in hostvars:
        return "external"
    if peer in batch:
        return "beside"
    try:
        converged = hostvars[peer].get("strongswan_vici__s2s_converged", False)
    except Exception:  # pylint: disable=broad-exception-caught  # an undefined or failing variable: not converged
        converged = False
    return "before" if converged else "later"


def _other_end(ends: Mapping, gateway: str) -> Any:
    return next((name for name in ends if name != gateway), None)


def _gateway_problems(public: List[Dict[str, Any]], weak: List[Any]) -> List[str]:
    """The checks of the tunnels that name this gateway."""
    lines = []
    for item in public:
        name = item.get("name", _MISSING)
        ends = item.get("ends", _MISSING)
        ends_ok = isinstance(ends, Mapping) and len(ends) == 2
        found = []
        if not (isinstance(name, str) and _NAME.match(name)):
            found.append("name: letters, digits, - and _ only")
        if not ends_ok:
            found.append("ends: exactly two gateways (inventory host names)")
        else:
            if any("address" not in end for end in ends.values()):
                found.append("ends: every gateway needs an address")
            if any("subnets" not in end for end in ends.values()):
                found.append("ends: every gateway needs subnets (a list)")
        if item.get("auth", "") not in ("psk", "pubkey"):
            found.append("auth: psk or pubkey")
        if (name if name is not _MISSING else "") in weak:
            found.append("psk: missing or shorter than 16 characters")
        if found:
            label = _text(name) if name is not _MISSING else "(no name)"
            lines.append("vpn_tunnels: tunnel '%s': %s" % (label, "; ".join(found)))
    return lines


def _unique_names(tunnels: List[Any]) -> bool:
    names = [json.dumps(tunnel.get("name"), sort_keys=True, default=str) if isinstance(tunnel, Mapping) else None
             for tunnel in tunnels]
    return len(set(names)) == len(names)


def _tree(mine: List[Dict[str, Any]], gateway: str, prefix: str) -> Dict[str, Any]:
    """This gateway's connections and secrets (what roles/site_to_site wrote in Jinja before, value for value)."""
    connections: Dict[str, Any] = {}
    secrets: Dict[str, Any] = {}
    for tunnel in mine:
        ends = tunnel["ends"]
        me = ends[gateway]
        peer = ends[_other_end(ends, gateway)]
        initiator = _sorted(ends)[0] == gateway
        my_id = me["id"] if "id" in me else me["address"]
        peer_id = peer["id"] if "id" in peer else peer["address"]
        name = _text(tunnel["name"])
        local = {"auth": tunnel["auth"], "id": my_id}
        remote = {"auth": tunnel["auth"], "id": peer_id}
        if tunnel["auth"] == "pubkey":
            # Pinned to the role's CA: a certificate for the peer's identity from any other CA charon trusts is
            # refused. No local.certs: charon takes the certificate of local.id whose private key it holds.
            remote["cacerts"] = [prefix + "ca.crt"]
        connections[prefix + name] = {
            "version": 2,
            "local_addrs": [me["address"]],
            "remote_addrs": [peer["address"]],
            "proposals": tunnel.get("proposals", ["default"]),
            "keyingtries": 0,
            "dpd_delay": tunnel.get("dpd_delay", 30),
            "local": local,
            "remote": remote,
            "children": {name: {
                "local_ts": me["subnets"],
                "remote_ts": peer["subnets"],
                "esp_proposals": tunnel.get("esp_proposals", ["default"]),
                "start_action": tunnel.get("start_action", "start" if initiator else "none"),
                "dpd_action": "restart" if initiator else "clear"}}}
        if tunnel["auth"] == "psk":
            secrets["ike-" + prefix + name] = {"secret": tunnel["psk"], "id-local": my_id, "id-remote": peer_id}
    return {"connections": connections, "secrets": secrets}


def _input_problems(items: List[Any], spec: Mapping) -> Dict[str, Any]:
    """The checks every tunnel must pass, whichever gateways it names: known keys, a string psk, the types."""
    result: Dict[str, Any] = {"key_problems": _key_problems(items, list(spec["tunnel"]["options"]),
                                                            list(spec["tunnel_end"]["options"])),
                              "types": None, "problems": [], "unique": True, "ok": False}
    if not result["key_problems"] and not _types_ok(items, spec):
        # Only then one option per tunnel and end, which names the failing ones (the role's validate_argument_spec
        # task reports them from result.types: what ansible-core says, as before).
        typed = _per_tunnel_spec(items, spec)
        if ArgumentSpecValidator(typed["spec"]).validate(typed["values"], validate_role_argument_spec=True).error_messages:
            result["types"] = typed
    return result


def _places_and_revoked(public: List[Dict[str, Any]], gateway: str, hostvars: Any, batch: List[Any],
                        revoked_gateways: List[Any]) -> Any:
    """Where each tunnel's peer is in this run, and the certificate tunnels with a revoked end."""
    places: Dict[str, str] = {}
    peer: Dict[str, str] = {}
    revoked: Dict[str, Any] = {}
    for tunnel in public:
        other = _other_end(tunnel["ends"], gateway)
        if other not in places:
            places[other] = _peer_place(other, hostvars, batch)
        peer[tunnel["name"]] = places[other]
        if tunnel["auth"] != "pubkey":
            continue
        end = tunnel["ends"][other]
        if other in revoked_gateways:
            revoked[tunnel["name"]] = {"revoked": other, "peer_id": _text(end["id"] if "id" in end else end["address"])}
        elif gateway in revoked_gateways:
            revoked[tunnel["name"]] = {"revoked": gateway, "peer_id": ""}
    return peer, revoked


def _forward_keys(public: List[Dict[str, Any]]) -> List[str]:
    """The forwarding sysctls: IPv6's too where a subnet is IPv6."""
    ipv6 = any(":" in _text(subnet) for tunnel in public for end in tunnel["ends"].values()
               for subnet in (end["subnets"] if isinstance(end["subnets"], list) else [end["subnets"]]))
    return ["net.ipv4.ip_forward"] + (["net.ipv6.conf.all.forwarding"] if ipv6 else [])


def _side(mine: List[Dict[str, Any]], public: List[Dict[str, Any]], gateway: str, prefix: str, peer: Dict[str, str],
          revoked: Dict[str, Any]) -> Dict[str, Any]:
    """This gateway's side of its checked tunnels: the tree, a brief record of each, the peers' places."""
    pubkey = [tunnel for tunnel in public if tunnel["auth"] == "pubkey"]
    my_end = pubkey[0]["ends"][gateway] if pubkey else {}
    return {
        "ok": True,
        "count": len(public),
        # What the steps after the apply need of each tunnel (a small record: a result of thousands of full
        # tunnels takes seconds to hand back through Ansible's templating).
        "tunnels": [{"name": tunnel["name"], "auth": tunnel["auth"], "initiator": _sorted(tunnel["ends"])[0] == gateway,
                     "start_action": tunnel.get("start_action", "start")} for tunnel in public],
        "peer": peer,
        "any_later": "later" in peer.values(),
        "later": [name for name, place in peer.items() if place == "later"],
        "revoked": revoked,
        "pubkey": bool(pubkey),
        "pubkey_id": (my_end["id"] if "id" in my_end else my_end.get("address", "")) if pubkey else "",
        "forward_keys": _forward_keys(public),
        # As JSON text: one value instead of thousands for Ansible to walk; the config action reads a tree given
        # as JSON text (plugins/action/config.py).
        "tree": json.dumps(_tree(mine, gateway, prefix), separators=(",", ":")),
    }


def site_to_site_tunnels(tunnels: Any, gateway: str, prefix: str, spec: Mapping, revoked_gateways: Any = None,
                         hostvars: Any = None, batch: Any = None) -> Dict[str, Any]:
    """Filter: the role's checks of TUNNELS and this GATEWAY's side of them, in one pass."""
    if not isinstance(tunnels, list):
        raise AnsibleFilterError("site_to_site_tunnels expects a list of tunnels, got %s" % type(tunnels).__name__)
    if not isinstance(spec, Mapping) or "tunnel" not in spec or "tunnel_end" not in spec:
        raise AnsibleFilterError("site_to_site_tunnels: spec must be the role's argument_specs (tunnel and tunnel_end)")
    gateway = _text(gateway)
    tunnels = _plain(tunnels)
    result = _input_problems([_masked(tunnel) for tunnel in tunnels], _plain(spec))
    if result["key_problems"] or result["types"]:
        return result
    mine = [tunnel for tunnel in tunnels if "ends" in tunnel and gateway in tunnel["ends"]]
    public = [_without_psk(tunnel) for tunnel in mine]
    weak = [tunnel.get("name") for tunnel in mine
            if tunnel.get("auth") == "psk" and ("psk" not in tunnel or len(_text(tunnel["psk"])) < 16)]
    result["problems"] = _gateway_problems(public, weak)
    result["unique"] = _unique_names(tunnels)
    if result["problems"] or not result["unique"]:
        return result
    peer, revoked = _places_and_revoked(public, gateway, hostvars, list(_plain(batch or [])),
                                        list(_plain(revoked_gateways or [])))
    result.update(_side(mine, public, gateway, _text(prefix), peer, revoked))
    return result


def _installed(sas: Any, names: Any) -> set:
    """The CHILD_SA names with an INSTALLED state among SAS (the info or sa_report form: a list of IKE_SAs)."""
    found = set()
    for sa in sas if isinstance(sas, list) else []:
        if not isinstance(sa, Mapping) or (names is not None and sa.get("name") not in names):
            continue
        for child in sa.get("child_sas") or []:
            if isinstance(child, Mapping) and child.get("state") == "INSTALLED":
                found.add(child.get("name"))
    return found


def _up_now(brief: List[Dict[str, Any]], applied: Mapping, prefix: str) -> List[str]:
    """The tunnels config's ``sa_report`` shows with an INSTALLED CHILD_SA after the apply."""
    report = applied.get("sa_report") or {}
    up_now = []
    for tunnel in brief:
        entry = report.get(prefix + tunnel["name"]) if isinstance(report, Mapping) else None
        if isinstance(entry, Mapping) and tunnel["name"] in _installed(entry.get("after") or [], None):
            up_now.append(tunnel["name"])
    return up_now


def _psk_changed(brief: List[Dict[str, Any]], applied: Mapping, prefix: str) -> List[str]:
    """The PSK tunnels whose secret config changed."""
    changed = set()
    sections = applied.get("sections")
    if isinstance(sections, Mapping) and isinstance(sections.get("secrets"), Mapping):
        changed = {_text(name) for name in sections["secrets"].get("changed") or []}
    return [tunnel["name"] for tunnel in brief if tunnel["auth"] == "psk" and "ike-" + prefix + tunnel["name"] in changed]


def _bring_up(brief: List[Dict[str, Any]], up_set: set, revoked: Mapping, peer: Mapping) -> List[Dict[str, Any]]:
    """The tunnels this end brings up: not up, not revoked, not trap-only, and this end initiates or its peer
    applied before it."""
    return [tunnel for tunnel in brief
            if tunnel["name"] not in up_set and tunnel["name"] not in revoked and tunnel["start_action"] != "trap"
            and (tunnel["initiator"] or peer.get(tunnel["name"]) == "before")]


def site_to_site_outcome(tunnels: Any, prefix: str, applied: Any = None, previous: Any = None, check_mode: bool = False,
                         up: bool = True) -> Dict[str, Any]:
    """Filter: after the config task, what came up, what is gone, which PSKs changed and what to bring up.

    TUNNELS is the ``site_to_site_tunnels`` result (its ``tunnels``, ``peer`` and ``revoked``).
    """
    if not isinstance(tunnels, Mapping) or not tunnels.get("ok"):
        raise AnsibleFilterError("site_to_site_outcome expects the result of site_to_site_tunnels for valid tunnels")
    prefix = _text(prefix)
    brief = _plain(tunnels["tunnels"])
    applied = applied if isinstance(applied, Mapping) else {}
    previous = previous if isinstance(previous, Mapping) else {}
    up_now = [] if check_mode else _up_now(brief, applied, prefix)
    conns = {prefix + tunnel["name"] for tunnel in brief}
    secrets = {"ike-" + prefix + tunnel["name"] for tunnel in brief if tunnel["auth"] == "psk"}
    psk_changed = _psk_changed(brief, applied, prefix)
    up_set = set(up_now)
    changed_set = set(psk_changed)
    return {
        "up_now": up_now,
        "not_up": [tunnel["name"] for tunnel in brief if tunnel["name"] not in up_set],
        "gone_conns": [_text(name) for name in (previous.get("connections") or {}) if name not in conns],
        "gone_secrets": [_text(name) for name in (previous.get("secrets") or {}) if name not in secrets],
        "psk_changed": psk_changed,
        "psk_reauth": [tunnel for tunnel in brief if tunnel["name"] in changed_set],
        "bring_up": _bring_up(brief, up_set, _plain(tunnels["revoked"]), _plain(tunnels["peer"])) if up else [],
    }


class FilterModule:
    def filters(self):
        return {"site_to_site_tunnels": site_to_site_tunnels, "site_to_site_outcome": site_to_site_outcome}
