# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The health module: what runs against what was declared, per connection and child. PRIVATE to the collection.

The daemon's ``list-conns`` shows neither ``start_action`` nor proposals (5.9.8 and 6.0.1 alike), so the intent
of a child is the one declared: the load-conn message this collection last loaded, kept in the ledger, or, for a
connection the ledger has no entry for, the children of the swanctl.conf files named in ``swanctl_conf`` (read
by the module, in ``_gateway/config_info.py``: this layer imports no ``_swanctl``; after a restart the ledger is
void and the service's ``swanctl --load-all`` loaded such a file). Each entry says where its intent came from
(``declared_from``: ``ledger`` or ``file``). A connection declared by neither counts as ``trap`` when its trap
policy is installed, else ``none``, and its entry says ``declared: false``.

Per child (:func:`evaluate`), with the one definition of intent (:mod:`.intent`):

* ``start``: one INSTALLED CHILD_SA; ``trap``: the trap policy installed (or a CHILD_SA it triggered);
  ``none``: what runs is reported, and a child that :func:`.intent.should_be_up` (an IKE_SA of the connection
  without CHILD_SA) is down;
* problems: ``down``, ``connecting``, ``duplicate`` (2+ CHILD_SAs of one child), ``no_child`` (an established
  IKE_SA of the connection without any CHILD_SA), ``stale`` (a CHILD_SA on a proposal the declared
  ``esp_proposals`` no longer allow, :func:`.intent.runs_old_parameters`), ``not_loaded`` (a named connection the
  daemon does not hold).

With ``reinitiate``, every child that is down and not ``trap`` goes through :func:`.intent.reinitiate` (a fresh
``list-sas`` first: never a duplicate); check mode only says which it would initiate. The result, the summary and
the metrics (:mod:`.metrics`) describe the state after that.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence, Set, Tuple

from .._text.input import UserError
from ..vici.errors import ViciError
from ..vici.session import Session
from .intent import reinitiate, runs_old_parameters, should_be_up, start_action
from .metrics import MetricsError, render, write_metrics
from .sa import CHILD_CONNECTING, CHILD_UP, IKE_CONNECTING, IKE_UP, SA, ike_sa_list, negotiated_proposal

if TYPE_CHECKING:
    from .._base import ViciModule

#: Named connections above this many are read with one full list-conns/list-sas instead of one per name.
_PER_NAME = 8
#: The problem codes, in the order a result lists them.
PROBLEMS = ("not_loaded", "down", "connecting", "duplicate", "no_child", "stale")


class Daemon:
    """What one read of the daemon gives: connections (list-conns bodies), SAs, trap policies, pools."""

    def __init__(self, conns: Mapping[str, Mapping[str, Any]], sas: Sequence[SA], traps: Set[Tuple[str, str]],
                 pools: Optional[Mapping[str, Any]] = None) -> None:
        self.conns = conns
        self.sas = sas
        self.traps = traps
        self.pools = pools or {}


def _conn_children(body: Mapping[str, Any]) -> Dict[str, Mapping[str, Any]]:
    for key, value in body.items():
        if str(key).lower() == "children" and isinstance(value, Mapping):
            return {str(name): child if isinstance(child, Mapping) else {} for name, child in value.items()}
    return {}


def read_daemon(session: Session, names: Optional[Sequence[str]], pools: bool = False) -> Daemon:
    """list-conns, list-sas and list-policies (trap), narrowed to ``names`` where that is cheaper (read-only)."""
    per_name = names is not None and len(names) <= _PER_NAME
    events: List[Dict[str, Any]] = []
    if per_name and names is not None:
        for name in names:
            events.extend(session.list_conns(ike=name))
    else:
        events = session.list_conns()
    conns = {str(name): body if isinstance(body, Mapping) else {} for event in events for name, body in event.items()}
    if per_name and names is not None:
        sas = [sa for name in names for sa in ike_sa_list(session.list_sas(ike=name))]
    else:
        sas = ike_sa_list(session.list_sas())
    traps: Set[Tuple[str, str]] = set()
    for event in session.list_policies(trap=True):
        for key, body in event.items():
            body = body if isinstance(body, Mapping) else {}
            traps.add((str(body.get("ike", str(key).split("/", 1)[0])), str(body.get("child", str(key).rsplit("/", 1)[-1]))))
    listed = session.get_pools(leases=True) if pools else {}
    return Daemon(conns, sas, traps, listed if isinstance(listed, Mapping) else {})


def declared_intent(ledger: Any, name: str) -> Optional[Dict[str, Mapping[str, Any]]]:
    """The children of the load-conn message this collection last loaded for ``name`` (the ledger), or None."""
    message = ledger.restorable("connection", name)
    if message is None:
        entry = ledger.get("connection", name)
        message = entry.get("message") if entry is not None else None
    if not isinstance(message, Mapping):
        return None
    return _conn_children(message)


def _child_sas(sas: Sequence[SA], conn: str, child: str) -> List[Dict[str, Any]]:
    """The CHILD_SAs of ``conn``/``child`` under any IKE_SA of the connection, each with its IKE_SA's id and state."""
    found = []
    for sa in sas:
        if sa.get("name") != conn:
            continue
        for child_sa in sa.get("child_sas", []):
            if child_sa.get("name") == child:
                found.append(dict(child_sa, ike_uniqueid=str(sa.get("uniqueid")), ike_state=sa.get("state")))
    return found


def _shown(child_sa: Mapping[str, Any], stale: Optional[bool]) -> Dict[str, Any]:
    shown = {"uniqueid": str(child_sa.get("uniqueid")), "state": child_sa.get("state"),
             "ike_uniqueid": child_sa.get("ike_uniqueid"), "proposal": negotiated_proposal(child_sa)}
    if stale is not None:
        shown["old_parameters"] = stale
    return shown


def _status(intent: str, up: Sequence[Mapping[str, Any]], connecting: bool, trapped: bool, wanted: bool) -> str:
    if up:
        return "up"
    if connecting:
        return "connecting"
    if intent == "trap":
        return "trapped" if trapped else "down"
    return "down" if wanted else "idle"


def _orphans(sas: Sequence[SA], conn: str) -> List[str]:
    """Unique ids of the established IKE_SAs of ``conn`` without any CHILD_SA."""
    return [str(sa.get("uniqueid")) for sa in sas if sa.get("name") == conn and sa.get("state") in IKE_UP
            and not sa.get("child_sas")]


def _problems(entry: Dict[str, Any], up: Sequence[Mapping[str, Any]], orphans: Sequence[str]) -> List[str]:
    problems = []
    name = "%s/%s" % (entry["connection"], entry["child"])
    if entry["status"] == "down":
        problems.append("down: %s should run (%s) and %s" % (
            name, "start_action %s" % entry["intent"] if entry["intent"] != "none" else "an IKE_SA without CHILD_SA",
            "its trap policy is not installed" if entry["intent"] == "trap" else "no CHILD_SA is installed"))
    if entry["status"] == "connecting" and entry["intent"] != "none":
        problems.append("connecting: a CHILD_SA or IKE_SA of %s is being negotiated" % name)
    if len(up) > 1:
        problems.append("duplicate: %d CHILD_SAs of %s are installed (unique ids %s)" % (
            len(up), name, ", ".join(str(sa.get("uniqueid")) for sa in up)))
    if orphans:
        problems.append("no_child: IKE_SA %s of connection %s is established without any CHILD_SA" % (
            ", ".join(orphans), entry["connection"]))
    stale = [sa["uniqueid"] for sa in entry["child_sas"] if sa.get("old_parameters")]
    if stale:
        problems.append("stale: CHILD_SA %s of %s runs a proposal the declared esp_proposals no longer allow" % (
            ", ".join(stale), name))
    return problems


def evaluate_child(daemon: Daemon, conn: str, child: str, config: Mapping[str, Any], declared: bool,
                   source: Optional[str] = None) -> Dict[str, Any]:
    """One tunnel's entry: intent, status, its CHILD_SAs and its problems; ``source`` says where a declared
    intent came from (``ledger`` or ``file``)."""
    intent = start_action(config) if declared else ("trap" if (conn, child) in daemon.traps else "none")
    listed = _child_sas(daemon.sas, conn, child)
    up = [sa for sa in listed if sa.get("state") in CHILD_UP and sa.get("ike_state") in IKE_UP]
    connecting = any(sa.get("state") in CHILD_CONNECTING for sa in listed) or any(
        sa.get("state") in IKE_CONNECTING for sa in daemon.sas if sa.get("name") == conn)
    wanted = should_be_up(config, conn, child, daemon.sas) if declared else bool(_orphans(daemon.sas, conn))
    entry: Dict[str, Any] = {
        "connection": conn, "child": child, "intent": intent, "declared": declared,
        "declared_from": (source or "ledger") if declared else None,
        "status": _status(intent, up, connecting, (conn, child) in daemon.traps, wanted or intent == "start"),
        "trap_installed": (conn, child) in daemon.traps,
        "child_sas": [_shown(sa, runs_old_parameters(sa, config) if declared and sa in up else None) for sa in listed],
    }
    entry["problems"] = _problems(entry, up, _orphans(daemon.sas, conn))
    entry["healthy"] = not entry["problems"]
    return entry


def evaluate(daemon: Daemon, names: Optional[Sequence[str]], intents: Mapping[str, Optional[Mapping[str, Any]]],
             sources: Optional[Mapping[str, str]] = None) -> List[Dict[str, Any]]:
    """One entry per connection and child (the daemon's children; declared ones it lacks too), in name order.

    ``intents``: per connection the declared children (:func:`declared_intents`), or None when undeclared;
    ``sources``: per declared connection where its intent came from (``ledger``, the default, or ``file``).
    """
    sources = sources or {}
    entries = []
    for conn in sorted(names if names is not None else daemon.conns):
        if conn not in daemon.conns:
            named = intents.get(conn) is not None
            entries.append({"connection": conn, "child": "", "intent": "none", "declared": named,
                            "declared_from": sources.get(conn, "ledger") if named else None,
                            "status": "missing", "trap_installed": False, "child_sas": [], "healthy": False,
                            "problems": ["not_loaded: the daemon holds no connection named %s" % conn]})
            continue
        declared = intents.get(conn)
        children = dict(_conn_children(daemon.conns[conn]))
        for child in sorted(children):
            config = (declared or {}).get(child)
            entries.append(evaluate_child(daemon, conn, child, config or {}, config is not None, sources.get(conn)))
    return entries


def _code(problem: str) -> str:
    return problem.split(":", 1)[0]


def summarize(entries: Sequence[Mapping[str, Any]], daemon: Daemon) -> Dict[str, Any]:
    """Counts for ``assert``/``failed_when``: ``healthy`` is true when no tunnel has a problem."""
    codes = [_code(problem) for entry in entries for problem in entry["problems"]]
    conns = {entry["connection"] for entry in entries}
    intended = [entry for entry in entries if entry["intent"] in ("start", "trap")]
    return {
        "healthy": not codes,
        "tunnels": len(entries),
        "intended": len(intended),
        "up": sum(1 for entry in intended if entry["status"] in ("up", "trapped")),
        "down": codes.count("down"),
        "connecting": codes.count("connecting"),
        "duplicates": codes.count("duplicate"),
        "no_child": len({uid for conn in conns for uid in _orphans(daemon.sas, conn)}),
        "stale": sum(1 for entry in entries for sa in entry["child_sas"] if sa.get("old_parameters")),
        "not_loaded": codes.count("not_loaded"),
        "problems": sorted(set(codes), key=PROBLEMS.index),
    }


def _reinitiate(vici: ViciModule, entries: Sequence[Mapping[str, Any]]) -> List[Dict[str, Any]]:
    """Initiate every tunnel that is down and not trap (check mode: say it would); what was done, per tunnel."""
    done = []
    for entry in entries:
        if entry["status"] != "down" or entry["intent"] == "trap":
            continue
        name = "%s/%s" % (entry["connection"], entry["child"])
        if vici.check_mode:
            done.append({"tunnel": name, "outcome": "would initiate", "initiated": False, "child_sas": []})
            continue
        try:
            result = reinitiate(vici.session, entry["connection"], entry["child"], timeout=float(vici.params["timeout"]))
        except ViciError as error:  # list-sas failed: what was initiated before is still a change
            vici.fail_from(error, context="re-initiating %s" % name, reinitiated=done,
                           changed=any(item["initiated"] for item in done))
        outcome = "up" if result.ids else "already up" if not result.initiated else "failed"
        item: Dict[str, Any] = {"tunnel": name, "outcome": outcome, "initiated": result.initiated,
                                "child_sas": result.ids}
        if result.error:
            item["error"] = result.error
        if result.log:
            item["log"] = result.log
        done.append(item)
    return done


def check_names(names: Any) -> Optional[List[str]]:
    """``connections`` checked: None (every connection) or a list of non-empty names."""
    if names is None:
        return None
    bad = [name for name in names if not isinstance(name, str) or not name.strip()]
    if bad:
        raise UserError("connections: every item must be a connection name (a non-empty string), got %r" % bad[0])
    return sorted(set(names))


def declared_intents(ledger: Any, conns: Sequence[str], files: Optional[Mapping[str, Mapping[str, Any]]] = None
                     ) -> Tuple[Dict[str, Optional[Dict[str, Mapping[str, Any]]]], Dict[str, str]]:
    """Per connection of ``conns`` its declared children and where they came from: the ledger when it has an
    entry for the connection, else ``files`` (the children the swanctl.conf files declare, plain dicts), else
    None (undeclared)."""
    intents: Dict[str, Optional[Dict[str, Mapping[str, Any]]]] = {}
    sources: Dict[str, str] = {}
    for name in conns:
        intents[name] = declared_intent(ledger, name)
        if intents[name] is not None:
            sources[name] = "ledger"
        elif files is not None and isinstance(files.get(name), Mapping):
            intents[name] = {str(child): config for child, config in files[name].items() if isinstance(config, Mapping)}
            sources[name] = "file"
    return intents, sources


def assess(vici: ViciModule, names: Optional[Sequence[str]], metrics: bool,
           files: Optional[Mapping[str, Mapping[str, Any]]] = None) -> Tuple[Daemon, List[Dict[str, Any]]]:
    """Read the daemon and the declared intent (ledger, then ``files``); the entries."""
    daemon = read_daemon(vici.session, names, pools=metrics)
    ledger = vici.ledger  # read-only here: nothing is recorded, no key is made
    vici.warn_ledger(ledger)
    intents, sources = declared_intents(ledger, list(names if names is not None else daemon.conns), files)
    return daemon, evaluate(daemon, names, intents, sources)


def run(vici: ViciModule, files: Optional[Mapping[str, Mapping[str, Any]]] = None) -> None:
    """The health module's body, for ``ViciModule.run``; ``files``: the children the ``swanctl_conf`` files
    declare per connection (``_gateway/config_info.py``'s ``declared_children``), the fallback to the ledger."""
    params = vici.params
    names = check_names(params["connections"])
    path = params["metrics_path"]
    if params["reinitiate"]:
        vici.hold_gateway()  # no config run re-establishes tunnels under our feet
    daemon, entries = assess(vici, names, bool(path), files)
    reinitiated = _reinitiate(vici, entries) if params["reinitiate"] else []
    changed = bool(reinitiated) if vici.check_mode else any(item["initiated"] for item in reinitiated)
    if changed and not vici.check_mode:
        try:
            daemon, entries = assess(vici, names, bool(path), files)
        except ViciError as error:  # after initiations: still a change
            vici.fail_from(error, context="reading the tunnels after re-initiating", reinitiated=reinitiated,
                           changed=True)
    summary = summarize(entries, daemon)
    result: Dict[str, Any] = {"tunnels": entries, "summary": summary, "reinitiated": reinitiated}
    if path:
        result["metrics"] = {"path": path, "written": False}
        if not vici.check_mode:
            text = render(entries, summary, daemon.sas, daemon.pools, time.time())
            try:
                write_metrics(path, text)
            except MetricsError as error:
                vici.fail(str(error), changed=changed, **result)
            result["metrics"] = {"path": path, "written": True, "lines": text.count("\n")}
    vici.exit(changed=changed, **result)
