# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The sa module: SA matching, waiting, and the up/down/rekey/redirect operations. PRIVATE to the collection.

* **SA matching**: which IKE_SAs and CHILD_SAs of ``list-sas`` a module
  argument (``ike`` and/or ``child``) means, and whether they are up, still
  coming up, or gone. ``initiate`` is not idempotent at the daemon (a CHILD_SA
  being negotiated, or up in another IKE_SA, is duplicated), so every decision starts here.
* **Waiting** for an SA to come up or go away: the daemon's ``ike-updown`` /
  ``child-updown`` events wake the waiter, and ``list-sas`` is re-read after
  every event and at bounded intervals, because a negotiation that fails
  before the IKE_SA was ever up raises no event at all.
* The **operations** themselves, and :func:`run`, the sa module's body.
* **By identity**: ``state=down`` with ``remote_ids`` ends every IKE_SA whose peer
  authenticated as one of those identities (``remote-id``, ``remote-eap-id`` or
  ``remote-xauth-id``, exact), one ``terminate ike-id`` each: loading a CRL ends
  no SA, so a revocation ends them this way.

Why a negotiation failed is read from the control log by ``_control_log``.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterable, List, NamedTuple, NoReturn, Optional, Sequence, Set, Tuple

from .._text.control_log import failure_message, trim_log
from .._text.printable import printable
from ..vici.errors import ViciError, ViciEventUnknown
from ..vici.session import Session, is_success

if TYPE_CHECKING:
    from .._base import ViciModule

SA = Dict[str, Any]

# IKE_SA states (ike_sa_state_t). REKEYED is the old SA after a rekeying: its
# successor is (or will be) listed separately, so it does not count as "up".
IKE_UP = frozenset(("ESTABLISHED", "REKEYING"))
IKE_CONNECTING = frozenset(("CREATED", "CONNECTING"))
# CHILD_SA states (child_sa_state_t). ROUTED is a trap, not an SA.
CHILD_UP = frozenset(("INSTALLED", "UPDATING", "REKEYING"))
CHILD_CONNECTING = frozenset(("CREATED", "INSTALLING", "RETRYING"))

# Events that announce an SA going up or down.
UPDOWN_EVENTS = ("ike-updown", "child-updown")
# First and longest pause between two list-sas polls while waiting; the
# updown events usually wake the waiter long before.
POLL_FIRST = 0.1
POLL_MAX = 1.0


class Target(NamedTuple):
    """What an ``sa`` task names: an IKE_SA and/or a CHILD_SA by configuration name."""

    ike: Optional[str]
    child: Optional[str]

    def describe(self) -> str:
        if self.child and self.ike:
            return "CHILD_SA '%s' of connection '%s'" % (self.child, self.ike)
        if self.child:
            return "CHILD_SA '%s'" % self.child
        return "IKE_SA '%s'" % self.ike


class Match(NamedTuple):
    """The SAs a target matches, split by how far along they are."""

    sas: List[SA]          # the matching IKE_SAs, in info's format (name, ..., child_sas)
    up: List[str]          # uniqueids of the matching SAs that are established
    connecting: List[str]  # uniqueids of the matching SAs still being negotiated

    @property
    def present(self) -> bool:
        return bool(self.up or self.connecting)


def _child_matches(child: Mapping[str, Any], name: str) -> bool:
    return child.get("name") == name


def match_sas(sas: Sequence[SA], target: Target, child_conns: Optional[Iterable[str]] = None) -> Match:
    """Split ``sas`` (``ike_sa_list`` output) into the up and connecting SAs ``target`` names.

    For a CHILD_SA target the ids are CHILD_SA uniqueids, except that an IKE_SA
    of the target's connection (or of one of ``child_conns``, the connections
    that define the child) that is still connecting, or that runs a
    CHILD_CREATE task, counts as the child connecting, under the IKE_SA's id
    prefixed ``ike:``: until it is installed, the CHILD_SA is not listed.
    """
    conns = set(child_conns or ())
    matched: List[SA] = []
    up: List[str] = []
    connecting: List[str] = []
    for sa in sas:
        if target.ike is not None and sa.get("name") != target.ike:
            continue
        if target.child is None:
            hit = _ike_sa_ids(sa, up, connecting)
        else:
            ours = target.ike is not None or sa.get("name") in conns
            hit = _child_sa_ids(sa, target.child, ours, up, connecting)
        if hit:
            matched.append(sa)
    return Match(matched, up, connecting)


def _ike_sa_ids(sa: SA, up: List[str], connecting: List[str]) -> bool:
    """For an IKE_SA target: ``sa``'s uniqueid into ``up`` or ``connecting``; whether it went into either."""
    state = sa.get("state")
    if state in IKE_UP:
        up.append(str(sa.get("uniqueid")))
    elif state in IKE_CONNECTING:
        connecting.append(str(sa.get("uniqueid")))
    else:
        return False
    return True


def _child_sa_ids(sa: SA, child_name: str, ours: bool, up: List[str], connecting: List[str]) -> bool:
    """For a CHILD_SA target: the ids of ``sa``'s children named ``child_name`` into ``up`` or ``connecting``
    (or, for an IKE_SA of ``ours`` still creating the child, ``ike:<its id>``); whether any id went in."""
    state = sa.get("state")
    hit = False
    for child in sa.get("child_sas", []):
        if not _child_matches(child, child_name):
            continue
        if child.get("state") in CHILD_UP and state in IKE_UP:
            up.append(str(child.get("uniqueid")))
            hit = True
        elif child.get("state") in CHILD_CONNECTING:
            connecting.append(str(child.get("uniqueid")))
            hit = True
    tasks = list(sa.get("tasks-active") or []) + list(sa.get("tasks-queued") or [])
    if not hit and ours and (state in IKE_CONNECTING or (state in IKE_UP and "CHILD_CREATE" in tasks)):
        # IKE_AUTH, or a CREATE_CHILD_SA exchange on an established IKE_SA,
        # is under way: the CHILD_SA is listed only once it is installed.
        connecting.append("ike:%s" % sa.get("uniqueid"))
        hit = True
    return hit


def negotiated_proposal(child_sa: Mapping[str, Any]) -> str:
    """A CHILD_SA's negotiated proposal as list-sas shows it, e.g. ``AES_GCM_16/256/CURVE_25519``."""
    parts = [child_sa.get("encr-alg"), child_sa.get("encr-keysize"), child_sa.get("integ-alg"), child_sa.get("dh-group")]
    return "/".join(str(part) for part in parts if part)


def ike_sa_list(events: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """list-sa events as a list of IKE_SAs, each with its ``name`` and a ``child_sas`` list.

    Parts that are not sections where the daemon sends sections (a broken or
    hostile peer) are left out rather than crash the conversion.
    """
    sas = []
    for event in events:
        for name, body in event.items():
            sa: Dict[str, Any] = {"name": name}
            if not isinstance(body, dict):
                body = {}
            sa.update((key, printable(value)) for key, value in body.items() if key != "child-sas")
            children = body.get("child-sas")
            if not isinstance(children, dict):
                children = {}
            sa["child_sas"] = [printable(child) for child in children.values() if isinstance(child, dict)]
            sas.append(sa)
    return sas


def read_sas(session: Session, target: Target) -> List[SA]:
    """list-sas, narrowed at the daemon where it can (IKE name), as info's list."""
    return ike_sa_list(session.list_sas(ike=target.ike))


def conns_with_child(session: Session, child: str) -> List[str]:
    """Names of the loaded connections (all backends) that define a child ``child``."""
    names = []
    for event in session.list_conns():
        for name, body in event.items():
            children = body.get("children") if isinstance(body, dict) else None
            if isinstance(children, dict) and child in children:
                names.append(name)
    return names


def config_problem(session: Session, target: Target) -> Optional[str]:
    """Why ``target`` cannot be initiated, installed or rekeyed from the loaded config, or None."""
    conns: Dict[str, Any] = {}
    for event in session.list_conns():
        for name, body in event.items():
            conns.setdefault(name, body if isinstance(body, dict) else {})
    if target.ike is not None and target.ike not in conns:
        return "no connection named '%s' is loaded (loaded: %s)" % (target.ike, ", ".join(sorted(conns)) or "none")
    if target.child is not None:
        scope = [target.ike] if target.ike is not None else list(conns)
        if not any(target.child in (conns[name].get("children") or {}) for name in scope):
            if target.ike is not None:
                return "connection '%s' has no child named '%s'" % (target.ike, target.child)
            return "no loaded connection has a child named '%s'" % target.child
    return None


# ---------------------------------------------------------------------------
# Waiting
# ---------------------------------------------------------------------------


class Waiter:
    """Wait, bounded, until ``done(list-sas)`` holds, woken by updown events.

    The events only *wake* the waiter; the decision is always taken from a
    fresh ``list-sas``, so a missed or unrelated event cannot cause a wrong
    answer, and a failure that raises no event is still seen by the polls.
    ``log`` events of the target's IKE_SAs are collected on the way: they
    explain a failure of a negotiation this module did not start.
    """

    def __init__(self, session: Session, target: Target, collect_log: bool = True) -> None:
        self.session = session
        self.target = target
        self.log: List[Dict[str, Any]] = []
        self._events: List[str] = []
        for event in UPDOWN_EVENTS + (("log",) if collect_log else ()):
            try:
                session.register(event)
                self._events.append(event)
            except ViciEventUnknown:
                # An old daemon without the event: the polls alone still decide.
                pass

    def close(self) -> None:
        for event in self._events:
            if not self.session.closed:
                try:
                    self.session.unregister(event)
                except ViciError:
                    pass
        self._events = []

    def _take_events(self) -> None:
        for name, message in self.session.pending_events():
            if name == "log":
                self._keep_log(message)

    def _keep_log(self, message: Mapping[str, Any]) -> None:
        # Only lines about IKE_SAs of the target's connection (when we know it).
        if self.target.ike is not None and message.get("ikesa-name") not in (None, self.target.ike):
            return
        self.log.append(dict(message))

    def wait(self, done: Callable[[List[SA]], bool], timeout: float) -> Tuple[bool, List[SA]]:
        """Return (whether ``done`` became true, the last list-sas) within ``timeout`` seconds."""
        deadline = time.monotonic() + max(0.0, timeout)
        pause = POLL_FIRST
        while True:
            sas = read_sas(self.session, self.target)
            self._take_events()
            if done(sas):
                return True, sas
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False, sas
            # Sleep until an updown event arrives or the poll interval ends.
            for name, message in self.session.listen(self._events, timeout=min(pause, remaining)):
                if name == "log":
                    self._keep_log(message)
                    continue
                break
            pause = min(pause * 2, POLL_MAX)


# ---------------------------------------------------------------------------
# The sa operations
# ---------------------------------------------------------------------------


class SaFailure(Exception):
    """A module-level failure with the daemon's explanation attached."""

    def __init__(self, msg: str, log: Optional[List[str]] = None, errmsg: str = "", sas: Optional[List[SA]] = None,
                 **extra: Any) -> None:
        super().__init__(msg)
        self.msg = msg
        self.log = list(log or [])
        self.errmsg = errmsg
        self.sas = sas
        #: More of the failure result (``changed`` when something was done before the failure, ...).
        self.extra = extra


def all_ids(sas: Sequence[SA], target: Target) -> Set[str]:
    """Uniqueids of every SA ``target`` names, whatever its state (CHILD_SAs for a child target, else IKE_SAs)."""
    ids: Set[str] = set()
    for sa in sas:
        if target.ike is not None and sa.get("name") != target.ike:
            continue
        if target.child is None:
            ids.add(str(sa.get("uniqueid")))
        else:
            ids.update(str(child.get("uniqueid")) for child in sa.get("child_sas", []) if _child_matches(child, target.child))
    return ids


def summarize(sas: Sequence[SA], target: Target) -> List[str]:
    """One line per SA the target is about, for diffs: ``gw[1] ESTABLISHED, net{1} INSTALLED``."""
    lines = []
    for sa in sas:
        line = "%s[%s] %s" % (sa.get("name"), sa.get("uniqueid"), sa.get("state"))
        for child in sa.get("child_sas", []):
            if target.child is None or _child_matches(child, target.child):
                line += ", %s{%s} %s" % (child.get("name"), child.get("uniqueid"), child.get("state"))
        lines.append(line)
    return lines


def sa_snapshot(session: Session, target: Target) -> List[str]:
    """What a diff shows as "before": the SAs of the target's connection (read-only)."""
    if target.ike is None and target.child is None:
        return []
    sas = read_sas(session, target)
    if target.child is not None:
        sas = [sa for sa in sas if any(_child_matches(c, target.child) for c in sa.get("child_sas", []))
               or sa.get("state") in IKE_CONNECTING]
    return summarize(sas, target)


def sa_result(action: str, changed: bool, sas: List[SA], log: Optional[List[str]] = None, **extra: Any) -> Dict[str, Any]:
    result: Dict[str, Any] = {"changed": changed, "action": action, "sas": sas}
    if log is not None:
        result["log"] = log
    result.update(extra)
    return result


def sa_up(session: Session, target: Target, wait_timeout: float, check_mode: bool) -> Dict[str, Any]:
    """Bring ``target`` up unless it is established or connecting; wait if asked."""
    child_conns = conns_with_child(session, target.child) if target.child and not target.ike else None
    sas = read_sas(session, target)
    match = match_sas(sas, target, child_conns)
    if match.up:
        return sa_result("none", False, match.sas)
    deadline = time.monotonic() + wait_timeout
    if match.connecting:
        # Someone (a trap, a start_action, an earlier fire-and-forget task) is
        # already negotiating it: initiating again would make a second SA.
        if check_mode or wait_timeout <= 0:
            return sa_result("none", False, match.sas)
        waited = _wait_established(session, target, wait_timeout, child_conns)
        if waited is not None:
            return waited
        # That negotiation ended without an SA: start our own with the time
        # left, so that a failure comes with the daemon's explanation.
        wait_timeout = max(1.0, deadline - time.monotonic())
    problem = config_problem(session, target)
    if problem:
        raise SaFailure(failure_message("initiating", target.describe(), problem, []), errmsg=problem)
    if check_mode:
        return sa_result("initiate", True, [])
    if wait_timeout <= 0:
        # Fire and forget: the daemon answers at once and streams no log.
        reply = session.initiate(child=target.child, ike=target.ike, timeout=-1, check=False).response
        if not is_success(reply):
            errmsg = str(reply.get("errmsg", ""))
            raise SaFailure(failure_message("initiating", target.describe(), errmsg, []), errmsg=errmsg)
        return sa_result("initiate", True, match_sas(read_sas(session, target), target, child_conns).sas)
    timeout_ms = max(1, int(round(wait_timeout * 1000)))
    result = session.initiate(child=target.child, ike=target.ike, timeout=timeout_ms, check=False)
    lines = trim_log(result.events)
    sas = match_sas(read_sas(session, target), target, child_conns).sas
    if not is_success(result.response):
        errmsg = str(result.response.get("errmsg", ""))
        if "not established after" in errmsg:
            errmsg += "; the daemon keeps trying in the background"
        raise SaFailure(failure_message("initiating", target.describe(), errmsg, lines), lines, errmsg, sas)
    return sa_result("initiate", True, sas, lines)


def _wait_established(
    session: Session, target: Target, wait_timeout: float, child_conns: Optional[List[str]]
) -> Optional[Dict[str, Any]]:
    """Wait for the negotiation in progress: its result if established, None if it ended without SA.

    Fails (SaFailure) when it is still going on after ``wait_timeout``.
    """
    waiter = Waiter(session, target)
    try:
        state: Dict[str, Match] = {}

        def settled(sas: List[SA]) -> bool:
            state["match"] = match_sas(sas, target, child_conns)
            # Done when up, or when nothing is left negotiating (it failed).
            return bool(state["match"].up) or not state["match"].connecting

        ok, _last = waiter.wait(settled, wait_timeout)
        match = state["match"]
        lines = trim_log(waiter.log)
    finally:
        waiter.close()
    if match.up:
        return sa_result("none", False, match.sas, lines)
    if ok:
        return None
    errmsg = "not established after %s s of waiting for the negotiation in progress" % _seconds(wait_timeout)
    raise SaFailure(failure_message("waiting for", target.describe(), errmsg, lines), lines, errmsg, match.sas)


def _seconds(value: float) -> str:
    return ("%g" % value)


def sa_down(session: Session, target: Target, wait_timeout: float, force: bool, check_mode: bool) -> Dict[str, Any]:
    """Terminate what ``target`` matches (established or connecting); absent is no change."""
    sas = read_sas(session, target)
    match = match_sas(sas, target)
    if not match.sas:
        return sa_result("none", False, [])
    if check_mode:
        return sa_result("terminate", True, match.sas)
    timeout_ms = -1 if wait_timeout <= 0 else max(1, int(round(wait_timeout * 1000)))
    result = session.terminate(
        child=target.child, ike=target.ike, force=True if force else None, timeout=timeout_ms, check=False
    )
    lines = trim_log(result.events)
    reply = result.response
    remaining = match_sas(read_sas(session, target), target)
    if not is_success(reply):
        errmsg = str(reply.get("errmsg", ""))
        if str(reply.get("matches", "")) == "0":
            # Gone between our list-sas and the terminate: already absent.
            return sa_result("none", False, remaining.sas, lines)
        raise SaFailure(failure_message("terminating", target.describe(), errmsg, lines), lines, errmsg, remaining.sas)
    return sa_result("terminate", True, remaining.sas, lines, matches=_int(reply.get("matches")),
                     terminated=_int(reply.get("terminated")))


def _int(value: Any) -> Optional[int]:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def sa_rekey(session: Session, target: Target, reauth: bool, wait_timeout: float, check_mode: bool) -> Dict[str, Any]:
    """Rekey (or reauthenticate) the established SAs ``target`` names; fail if there are none."""
    sas = read_sas(session, target)
    match = match_sas(sas, target)
    if not match.up:
        raise SaFailure(
            "rekeying %s failed: no established SA matches; bring it up first (state=up)" % target.describe(),
            errmsg="no established SA", sas=match.sas,
        )
    if check_mode:
        return sa_result("rekey", True, match.sas)
    old = set(match.up)
    reply = session.rekey(child=target.child, ike=target.ike, reauth=True if reauth else None, check=False)
    if not is_success(reply):
        errmsg = str(reply.get("errmsg", ""))
        raise SaFailure(failure_message("rekeying", target.describe(), errmsg, []), errmsg=errmsg, sas=match.sas)
    matches = _int(reply.get("matches"))
    if wait_timeout <= 0:
        return sa_result("rekey", True, match_sas(read_sas(session, target), target).sas, matches=matches)
    # The daemon queues the rekeying: wait until a successor with a new id is
    # established and the old SAs are gone, so that the next task (another rekey,
    # a reauth) does not meet an exchange still in progress.

    def replaced(listed: List[SA]) -> bool:
        return bool(set(match_sas(listed, target).up) - old) and not all_ids(listed, target) & old

    waiter = Waiter(session, target)
    try:
        ok, sas = waiter.wait(replaced, wait_timeout)
        lines = trim_log(waiter.log)
    finally:
        waiter.close()
    after = match_sas(sas, target).sas
    if not ok:
        errmsg = "no new SA established within %s s after the rekeying started" % _seconds(wait_timeout)
        raise SaFailure(failure_message("rekeying", target.describe(), errmsg, lines), lines, errmsg, after)
    return sa_result("rekey", True, after, lines, matches=matches)


def _peer_ip_matches(spec: str, address: str) -> bool:
    """The daemon's peer-ip filter: a single address, a CIDR subnet or a ``from-to`` range."""
    try:
        host = ipaddress.ip_address(address)
        if "-" in spec:
            low, high = (ipaddress.ip_address(part.strip()) for part in spec.split("-", 1))
            return low.version == host.version and int(low) <= int(host) <= int(high)
        return host in ipaddress.ip_network(spec, strict=False)
    except ValueError:
        return False


def redirect_candidates(sas: Sequence[SA], ike: Optional[str], peer_ip: Optional[str], peer_id: Optional[str]) -> List[SA]:
    """The established IKEv2 SAs a redirect with these filters would move (the daemon decides the count)."""
    found = []
    for sa in sas:
        if ike is not None and sa.get("name") != ike:
            continue
        if sa.get("state") not in IKE_UP or str(sa.get("version", "2")) != "2":
            continue
        if peer_ip is not None and not _peer_ip_matches(peer_ip, str(sa.get("remote-host", ""))):
            continue
        if peer_id is not None and not fnmatch.fnmatchcase(str(sa.get("remote-id", "")), peer_id):
            continue
        found.append(sa)
    return found


def sa_redirect(
    session: Session, ike: Optional[str], peer_ip: Optional[str], peer_id: Optional[str], gateway: str, check_mode: bool
) -> Dict[str, Any]:
    """Redirect the matching IKE_SAs to ``gateway``; nothing matching is no change."""
    candidates = redirect_candidates(ike_sa_list(session.list_sas(ike=ike)), ike, peer_ip, peer_id)
    if not candidates:
        return sa_result("none", False, [])
    if check_mode:
        return sa_result("redirect", True, candidates)
    reply = session.redirect(gateway=gateway, ike=ike, peer_ip=peer_ip, peer_id=peer_id, check=False)
    matches = _int(reply.get("matches"))
    if not is_success(reply):
        if matches == 0:
            return sa_result("none", False, [], matches=0)
        errmsg = str(reply.get("errmsg", ""))
        target = Target(ike or "*", None)
        raise SaFailure(failure_message("redirecting", target.describe(), errmsg, []), errmsg=errmsg, sas=candidates)
    return sa_result("redirect", True, candidates, matches=matches)


# ---------------------------------------------------------------------------
# By identity (revocation)
# ---------------------------------------------------------------------------

#: The list-sas keys of the identities a peer authenticated with (IKE, EAP, XAuth).
IDENTITY_KEYS = ("remote-id", "remote-eap-id", "remote-xauth-id")


def identity_matches(sas: Sequence[SA], remote_ids: Iterable[str], ike: Optional[str] = None) -> List[SA]:
    """The IKE_SAs (established or being negotiated) of connection ``ike`` (any when None) whose remote-id,
    remote-eap-id or remote-xauth-id equals one of ``remote_ids`` (exact: no wildcards, case as given)."""
    wanted = set(remote_ids)
    found = []
    for sa in sas:
        if ike is not None and sa.get("name") != ike:
            continue
        if sa.get("state") not in IKE_UP | IKE_CONNECTING:
            continue
        if any(str(sa.get(key)) in wanted for key in IDENTITY_KEYS if sa.get(key) is not None):
            found.append(sa)
    return found


def identity_entry(sa: SA, remote_ids: Iterable[str]) -> Dict[str, Any]:
    """What the result says of one IKE_SA ended (or to be ended) by identity."""
    wanted = set(remote_ids)
    matched = next((str(sa.get(key)) for key in IDENTITY_KEYS if sa.get(key) is not None and str(sa.get(key)) in wanted), "")
    return {"name": sa.get("name"), "uniqueid": str(sa.get("uniqueid")), "state": sa.get("state"),
            "remote_id": sa.get("remote-id", ""), "remote_host": sa.get("remote-host", ""), "identity": matched,
            "child_sas": [str(child.get("uniqueid")) for child in sa.get("child_sas", [])]}


def describe_identities(ike: Optional[str], remote_ids: Sequence[str]) -> str:
    scope = "IKE_SAs of connection '%s'" % ike if ike is not None else "IKE_SAs"
    return "%s of remote identities %s" % (scope, ", ".join("'%s'" % rid for rid in remote_ids))


def sa_down_by_identity(session: Session, ike: Optional[str], remote_ids: Sequence[str], wait_timeout: float,
                        force: bool, check_mode: bool) -> Dict[str, Any]:
    """Terminate every IKE_SA of ``remote_ids`` (of connection ``ike`` when given), one ``terminate ike-id`` each.

    The result's ``terminated_sas`` names each (in check mode: each it would terminate); nothing matching is no
    change. A failure after some were terminated is a change and names those.
    """
    found = identity_matches(ike_sa_list(session.list_sas(ike=ike)), remote_ids, ike)
    if not found:
        return sa_result("none", False, [], terminated_sas=[])
    entries = [identity_entry(sa, remote_ids) for sa in found]
    if check_mode:
        return sa_result("terminate", True, found, terminated_sas=entries)
    timeout_ms = -1 if wait_timeout <= 0 else max(1, int(round(wait_timeout * 1000)))
    lines: List[str] = []
    done: List[Dict[str, Any]] = []
    for entry in entries:
        ike_id = _int(entry["uniqueid"])
        if ike_id is None:
            continue
        result = session.terminate(ike_id=ike_id, force=True if force else None, timeout=timeout_ms, check=False)
        lines.extend(trim_log(result.events))
        reply = result.response
        if is_success(reply):
            done.append(entry)
            continue
        if str(reply.get("matches", "")) == "0":
            continue  # gone between our list-sas and the terminate
        errmsg = str(reply.get("errmsg", ""))
        what = "IKE_SA %s[%s] (remote identity '%s')" % (entry["name"], entry["uniqueid"], entry["identity"])
        remaining = identity_matches(ike_sa_list(session.list_sas(ike=ike)), remote_ids, ike)
        raise SaFailure(failure_message("terminating", what, errmsg, lines), lines, errmsg, remaining,
                        changed=bool(done), terminated_sas=done)
    remaining = identity_matches(ike_sa_list(session.list_sas(ike=ike)), remote_ids, ike)
    return sa_result("terminate" if done else "none", bool(done), remaining, lines, terminated=len(done),
                     terminated_sas=done)


def check_remote_ids(params: Mapping[str, Any]) -> Optional[str]:
    """What is wrong with ``remote_ids`` in these arguments, or None."""
    remote_ids = params.get("remote_ids")
    if remote_ids is None:
        return None
    if params.get("state") != "down":
        return ("option 'remote_ids' selects IKE_SAs to terminate: it needs state=down (state is '%s')"
                % params.get("state"))
    if not remote_ids:
        return "option 'remote_ids' is empty: name at least one identity (an empty list would select nothing)"
    if any(not str(rid).strip() for rid in remote_ids):
        return "option 'remote_ids' holds an empty identity"
    return None


# ---------------------------------------------------------------------------
# The module
# ---------------------------------------------------------------------------


def run(vici: ViciModule) -> None:
    """The sa module's body, for ``ViciModule.run``: the operation of ``state``, its diff and its failure."""
    params = vici.params
    state = params["state"]
    target = Target(params["ike"], params["child"])
    problem = check_remote_ids(params)
    if problem:
        vici.fail(problem)
    remote_ids = params.get("remote_ids")
    if remote_ids is not None:
        _run_by_identity(vici, params["ike"], list(remote_ids))
    if state != "redirected" and not (target.ike or target.child):
        vici.fail("one of the following is required: ike, child, remote_ids")
    before = sa_snapshot(vici.session, target) if vici.diff_mode else []
    try:
        if state == "up":
            result = sa_up(vici.session, target, params["wait_timeout"], vici.check_mode)
        elif state == "down":
            result = sa_down(vici.session, target, params["wait_timeout"], params["force"], vici.check_mode)
        elif state == "rekeyed":
            result = sa_rekey(vici.session, target, params["reauth"], params["wait_timeout"], vici.check_mode)
        else:
            result = sa_redirect(vici.session, params["ike"], params["peer_ip"], params["peer_id"],
                                 params["gateway"], vici.check_mode)
    except SaFailure as failure:
        _fail(vici, failure)
    _exit(vici, result, target, target.describe(), before)


def _exit(vici: ViciModule, result: Dict[str, Any], target: Target, header: str, before: List[str]) -> NoReturn:
    """The module's result, with its diff: the SAs as "name[id] state, child{id} state" lines before and after
    (in check mode the action still to come)."""
    changed = result.pop("changed")
    diff: Optional[Dict[str, Any]] = None
    if vici.diff_mode:
        after = summarize(result["sas"], target) if not vici.check_mode else before
        diff = {"before_header": header, "after_header": header, "before": {"sas": before}, "after": {"sas": after}}
        if vici.check_mode and changed:
            diff["after"]["would"] = result["action"]
    vici.exit(changed=changed, diff=diff, **result)


def _fail(vici: ViciModule, failure: SaFailure) -> NoReturn:
    details: Dict[str, Any] = {"log": failure.log, "vici_errmsg": failure.errmsg}
    if failure.sas is not None:
        details["sas"] = failure.sas
    details.update(failure.extra)
    vici.fail(failure.msg, **details)


def _run_by_identity(vici: ViciModule, ike: Optional[str], remote_ids: List[str]) -> NoReturn:
    """state=down with remote_ids: the IKE_SAs of those identities, terminated; their diff and their failure."""
    before: List[str] = []
    header = describe_identities(ike, remote_ids)
    if vici.diff_mode:
        before = summarize(identity_matches(ike_sa_list(vici.session.list_sas(ike=ike)), remote_ids, ike),
                           Target(ike, None))
    try:
        result = sa_down_by_identity(vici.session, ike, remote_ids, vici.params["wait_timeout"], vici.params["force"],
                                     vici.check_mode)
    except SaFailure as failure:
        _fail(vici, failure)
    _exit(vici, result, Target(ike, None), header, before)
