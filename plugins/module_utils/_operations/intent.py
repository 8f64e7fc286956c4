# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Whether a tunnel should be up, and the one way to bring it back. PRIVATE to the collection.

Two functions every caller shares (the ``config`` and ``connection`` runs, and later the health checks):

* :func:`should_be_up`: a CHILD_SA of a connection should be up when its ``start_action`` is ``start``, or when
  it had SAs before the change: a CHILD_SA of that name, or an established IKE_SA of the connection with no
  CHILD_SA at all (a child the peer refused, for example with NO_PROPOSAL_CHOSEN while it still ran the old
  proposals: nothing retries that by itself, the IKE_SA being alive).
* :func:`reinitiate`: initiate the CHILD_SA, only after ``list-sas`` shows no installed or negotiating CHILD_SA
  of that name apart from the ``stale`` ones (SAs known to run old parameters, which a make-before-break
  replaces): ``initiate`` is not idempotent at the daemon, a second call makes a duplicate CHILD_SA.
* :func:`runs_old_parameters`: whether a CHILD_SA runs a proposal none of its child's configured ``esp_proposals``
  allows (the daemon's list-conns does not show proposals: the configuration is the declared one), or None when
  that cannot be told.
"""

from __future__ import annotations

import re

from collections.abc import Mapping
from typing import Any, FrozenSet, Iterable, List, NamedTuple, Optional, Sequence, Tuple

from .._text.control_log import trim_log
from .algorithms import algorithm_name
from ..vici.errors import ViciError
from ..vici.session import Session, is_success
from .sa import CHILD_CONNECTING, CHILD_UP, IKE_UP, SA, Target, read_sas

# swanctl.conf's start_action values and the names older releases print, as one of start, trap, none.
_START_ACTIONS = {"start": "start", "restart": "start", "trap": "trap", "route": "trap", "hold": "trap",
                  "trap|start": "start", "start|trap": "start", "none": "none", "clear": "none"}


def start_action(child_config: Mapping[str, Any]) -> str:
    """The child's ``start_action`` as ``start``, ``trap`` or ``none`` (its default)."""
    value = str(child_config.get("start_action", "none") or "none").lower().replace(" ", "")
    return _START_ACTIONS.get(value, "start" if "start" in value else "trap" if "trap" in value else "none")


def children_of(sas: Sequence[SA], conn: str, child: str, states: Iterable[str] = CHILD_UP) -> List[str]:
    """Uniqueids of the CHILD_SAs named ``child`` under established IKE_SAs named ``conn``, in ``states``."""
    wanted = frozenset(states)
    return [str(c.get("uniqueid")) for sa in sas if sa.get("name") == conn and sa.get("state") in IKE_UP
            for c in sa.get("child_sas", []) if c.get("name") == child and c.get("state") in wanted]


def should_be_up(child_config: Mapping[str, Any], conn: str, child: str, before: Sequence[SA]) -> bool:
    """Whether the tunnel ``conn``/``child`` should be up after a run, given the SAs ``before`` it.

    ``start_action`` start, or a CHILD_SA of the child before the change, or an established IKE_SA of the
    connection without any CHILD_SA (a tunnel whose child failed: the peer had not converged yet).
    """
    if start_action(child_config) == "start":
        return True
    for sa in before:
        if sa.get("name") != conn:
            continue
        if any(c.get("name") == child for c in sa.get("child_sas", [])):
            return True
        if sa.get("state") in IKE_UP and not sa.get("child_sas"):
            return True
    return False


class Reinitiated(NamedTuple):
    """What :func:`reinitiate` did: ``initiated`` (sent), ``ids`` the CHILD_SAs up after it, ``error`` if it failed."""

    initiated: bool
    ids: List[str]
    error: str
    log: List[str]


def reinitiate(session: Session, conn: str, child: str, stale: Iterable[str] = (), timeout: float = 10.0) -> Reinitiated:
    """Bring ``conn``/``child`` up unless a CHILD_SA of it, other than the ``stale`` ones, is up or negotiating.

    Waits at most ``timeout`` seconds for the daemon's answer. Never makes a duplicate CHILD_SA: the decision is
    taken from a fresh ``list-sas``.
    """
    old = set(stale)
    sas = read_sas(session, Target(conn, None))
    present = [uid for uid in children_of(sas, conn, child, CHILD_UP | CHILD_CONNECTING) if uid not in old]
    if present:
        return Reinitiated(False, [uid for uid in children_of(sas, conn, child) if uid not in old], "", [])
    try:
        result = session.initiate(child=child, ike=conn, timeout=max(1, int(timeout * 1000)), check=False)
    except ViciError as error:  # a timeout of ours: the daemon may still be negotiating
        return Reinitiated(True, [], str(error), [])
    try:
        after = [uid for uid in children_of(read_sas(session, Target(conn, None)), conn, child) if uid not in old]
    except ViciError as error:  # sent all the same: the caller must count it as a change
        return Reinitiated(True, [], "initiated, but list-sas failed after it: %s" % error, trim_log(result.events))
    errmsg = "" if is_success(result.response) else str(result.response.get("errmsg", "initiate failed"))
    return Reinitiated(True, after, errmsg if not after else "", trim_log(result.events))


# -- old parameters ------------------------------------------------------------------------------------------------

# Proposal keywords that name no algorithm the SA reports (extended sequence numbers).
_NO_ALGORITHM = frozenset(("esn", "noesn"))
_KEY_EXCHANGE_PREFIXES = ("MODP_", "ECP_", "CURVE_")
_SIZED_CIPHER = re.compile(r"^(aes|camellia|serpent|twofish|blowfish)(128|192|256)?")


class _Proposal(NamedTuple):
    """One configured proposal as the algorithm names list-sas prints: (cipher, key size or None), integrity, KE."""

    ciphers: FrozenSet[Tuple[str, Optional[str]]]
    integrity: FrozenSet[str]
    groups: FrozenSet[str]


def _key_size(token: str) -> Optional[str]:
    """The key size a cipher keyword names (``aes256gcm16`` -> 256, ``aes`` -> 128), None for a fixed-size one."""
    match = _SIZED_CIPHER.match(token)
    return (match.group(2) or "128") if match else None


def parse_proposal(text: str) -> Optional[_Proposal]:
    """A configured ESP proposal (``aes128gcm16-x25519``) as algorithm names, None if any keyword is unknown."""
    ciphers, integrity, groups = set(), set(), set()
    for token in str(text).lower().split("-"):
        if token in _NO_ALGORITHM:
            continue
        name = algorithm_name(token)
        if name is None:
            return None
        if name.startswith(_KEY_EXCHANGE_PREFIXES):
            groups.add(name)
        elif name.startswith(("HMAC_", "AES_XCBC", "AES_CMAC", "CAMELLIA_XCBC")):
            integrity.add(name)
        elif not name.startswith("PRF_"):
            ciphers.add((name, _key_size(token)))
    return _Proposal(frozenset(ciphers), frozenset(integrity), frozenset(groups)) if ciphers else None


def _allows(proposal: _Proposal, child_sa: Mapping[str, Any]) -> bool:
    cipher, size = str(child_sa.get("encr-alg", "")), child_sa.get("encr-keysize")
    if not any(name == cipher and (want is None or size is None or str(size) == want)
               for name, want in proposal.ciphers):
        return False
    integ = child_sa.get("integ-alg")
    if integ and proposal.integrity and str(integ) not in proposal.integrity:
        return False
    group = child_sa.get("dh-group")
    return not (group and proposal.groups and str(group) not in proposal.groups)


def runs_old_parameters(child_sa: Mapping[str, Any], child_config: Mapping[str, Any]) -> Optional[bool]:
    """Whether ``child_sa`` (a list-sas CHILD_SA) runs a proposal no configured ``esp_proposals`` allows.

    None when it cannot be told: no configured proposals, ``default``, a keyword this collection does not map,
    or an SA that reports no cipher.
    """
    configured = child_config.get("esp_proposals")
    if isinstance(configured, str):
        configured = [configured]
    if not configured or not child_sa.get("encr-alg") or not isinstance(configured, (list, tuple)):
        return None
    proposals = [parse_proposal(str(text)) for text in configured]
    if any(proposal is None for proposal in proposals):
        return None
    return not any(_allows(proposal, child_sa) for proposal in proposals if proposal is not None)
