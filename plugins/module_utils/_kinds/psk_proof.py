# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""When a PSK that ``config`` or ``shared_secret`` loaded is proven (issue 19): the ``psk_proof`` result. PRIVATE.

A new IKE PSK is used at the next authentication of an IKE_SA only: a new IKE_SA or a reauthentication. IKE
rekeying does not authenticate (IKEv2), so an IKE_SA established before the change keeps running on the old
PSK's authentication until then (docs/operating-tunnels.md, "Rotating credentials live").

For every shared secret of type IKE a run loads (added or changed; also in check mode), :func:`psk_proof` lists
the established IKE_SAs it may authenticate: those of a connection with a pre-shared key round (list-conns
``local-N``/``remote-N`` ``class``) whose ``local-id`` or ``remote-id`` one of the secret's owners matches.
That is strongSwan's rule (the credential manager's shared-key lookup, ``mem_cred``'s ``has_owner``) for
identities as list-sas prints them; a secret loaded without owners has the owner ``%any`` (vici's load-shared),
which matches every identity. Wildcard owners (``*.example.com``) are matched as shell patterns, an
approximation of the daemon's identity matching; the daemon may also prefer another secret with a better match.

Read-only commands only (list-sas; list-conns when an IKE_SA may use the secret), after the apply, and only when
a PSK changed. The secret's value is never read: the entries name the secret by its section and its owners.
config's unchanged-rerun shortcut (``_gateway/shortcut.py``) changes no secret: it records and replays no ``psk_proof``.
"""

from __future__ import annotations

import fnmatch
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Set

from .._engine.kind import Action, Change
from .._engine.plan import Planned
from .._text.printable import printable
from ..vici.session import Session

#: The authentication class list-conns shows for ``auth = psk``.
PSK_CLASS = "pre-shared key"
#: An owner that matches every identity (what vici makes of a secret loaded without owners).
ANY = "%any"

__all__ = ["changed_psks", "ike_sa_mark", "loaded_psk", "psk_proof", "psk_connections", "matches_owner", "sa_proof"]


def loaded_psk(label: str, change: Change) -> Optional[Dict[str, Any]]:
    """``{secret: label, owners: [...]}`` if ``change`` loads an IKE shared secret (added or changed), else None."""
    message = change.message or {}
    if change.action != Action.LOAD or str(message.get("type", "")).upper() != "IKE":
        return None
    return {"secret": label, "owners": [str(owner) for owner in message.get("owners") or []] or [ANY]}


def changed_psks(planned: Sequence[Planned]) -> List[Dict[str, Any]]:
    """The IKE shared secrets a plan loads (added or changed), as :func:`psk_proof` takes them."""
    # By the kind's label: shared_secret.py imports this module (its module reports psk_proof too).
    found = [loaded_psk(entry.group.label(change.name), change) for entry in planned
             if entry.group.kind.label == "shared_secret" for change in entry.changes]
    return [secret for secret in found if secret is not None]


def psk_connections(conns: Iterable[Mapping[str, Any]]) -> Set[str]:
    """The names of the connections (list-conn events) with a pre-shared key round on either side."""
    names: Set[str] = set()
    for event in conns:
        for name, body in event.items():
            if isinstance(body, Mapping) and any(
                    isinstance(value, Mapping) and printable(value.get("class")) == PSK_CLASS
                    for key, value in body.items() if str(key).startswith(("local-", "remote-"))):
                names.add(str(name))
    return names


def _identity(value: str) -> str:
    """An identity as list-sas prints it: an FQDN's leading ``@`` (not ``@#`` key ids) dropped, case folded."""
    text = value.strip()
    if text.startswith("@") and not text.startswith("@#"):
        text = text.lstrip("@")
    return text.casefold()


def matches_owner(identity: str, owners: Sequence[str]) -> bool:
    """Whether one of the secret's owners matches ``identity`` (%any matches all; ``*`` as a shell pattern)."""
    wanted = _identity(identity)
    for owner in owners:
        pattern = _identity(owner)
        if pattern in (ANY, "") or pattern == wanted or ("*" in pattern and fnmatch.fnmatchcase(wanted, pattern)):
            return True
    return False


def _number(value: Any) -> Optional[int]:
    try:
        return int(str(printable(value)))
    except ValueError:
        return None


def ike_sa_mark(session: Session) -> int:
    """The highest IKE_SA unique id right after the apply loaded the secrets (0: none). charon numbers IKE_SAs
    from one counter: a higher id is an IKE_SA made, and so authenticated, after the load."""
    ids = [_number(body.get("uniqueid")) for event in session.list_sas() for body in event.values()
           if isinstance(body, Mapping)]
    return max([found for found in ids if found is not None], default=0)


def _proven(body: Mapping[str, Any], mark: Optional[int]) -> bool:
    unique = _number(body.get("uniqueid"))
    return mark is not None and unique is not None and unique > mark


def _scheduled(body: Mapping[str, Any]) -> Optional[int]:
    """Seconds to the IKE_SA's scheduled reauthentication (None: none). IKEv1 rekeying reauthenticates too."""
    reauth = _number(body.get("reauth-time"))
    if str(printable(body.get("version"))) == "1":
        times = [seconds for seconds in (reauth, _number(body.get("rekey-time"))) if seconds is not None]
        reauth = min(times) if times else None
    return reauth


def sa_proof(name: str, body: Mapping[str, Any], mark: Optional[int] = None) -> Dict[str, Any]:
    """One established IKE_SA: proven (made after the load), or when it will be and how to prove it now.

    ``mark``: :func:`ike_sa_mark` after the load (None in check mode: nothing loaded).
    """
    shown: Dict[str, Any] = {"name": name, "uniqueid": str(printable(body.get("uniqueid", "")))}
    if _proven(body, mark):
        return dict(shown, proven=True, when="proven: the IKE_SA was made after the new PSK was loaded")
    reauth = _scheduled(body)
    if reauth is not None:
        when = "at its scheduled reauthentication in about %d s" % max(reauth, 0)
    else:
        when = "when a new IKE_SA is made (no reauthentication scheduled; rekeying does not authenticate)"
    return dict(shown, proven=False, when=when, reauth_in=reauth,
                prove_now="strongswan.vici.sa: ike=%s state=rekeyed reauth=true (once the peer has the new PSK too)"
                          % name)


def _uses(body: Mapping[str, Any], owners: Sequence[str]) -> bool:
    return any(matches_owner(str(printable(body.get(key, ""))), owners) for key in ("local-id", "remote-id"))


def _established(sas: Iterable[Mapping[str, Any]], secrets: Sequence[Dict[str, Any]]) -> List[Any]:
    """(name, body) of every established IKE_SA whose identities an owner of one of the secrets matches."""
    return [(str(name), body) for event in sas for name, body in event.items()
            if isinstance(body, Mapping) and printable(body.get("state")) == "ESTABLISHED"
            and any(_uses(body, secret["owners"]) for secret in secrets)]


def _entry(secret: Dict[str, Any], established: Sequence[Any], mark: Optional[int]) -> Dict[str, Any]:
    ike_sas = [sa_proof(name, body, mark) for name, body in established if _uses(body, secret["owners"])]
    if not ike_sas:
        when = "at the next IKE_SA made with it (no established IKE_SA uses it)"
    elif all(sa["proven"] for sa in ike_sas):
        when = "proven by every IKE_SA that uses it"
    else:
        when = "at each listed IKE_SA's next authentication (see ike_sas)"
    return dict(secret, ike_sas=ike_sas, proven=bool(ike_sas) and all(sa["proven"] for sa in ike_sas), when=when)


def psk_proof(session: Session, secrets: Sequence[Dict[str, Any]], mark: Optional[int] = None) -> List[Dict[str, Any]]:
    """``psk_proof``: one entry per IKE PSK loaded (``secrets`` as :func:`loaded_psk` gives them; none: no command
    sent). Read-only commands only.

    ``mark``: :func:`ike_sa_mark` right after the load (None: every IKE_SA is taken for older, check mode included).
    """
    if not secrets:
        return []
    established = _established(session.list_sas(), secrets)
    if established:  # list-conns (every connection) only when an IKE_SA may use one of them
        psk_conns = psk_connections(session.list_conns())
        established = [(name, body) for name, body in established if name in psk_conns]
    return [_entry(secret, established, mark) for secret in secrets]
