# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the info module gathers, one read-only function per subject. PRIVATE to the collection.

Results keep the daemon's own key names (as in the VICI README), with three
structural changes that make them usable in playbooks: streamed listings
become lists or name-keyed dicts, SAs carry their ``name`` inside, and binary
values (certificate DER) become text (PEM).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Dict, List

from .._pki.pem import der_to_pem
from .._pki.x509 import describe_certificate
from .sa import ike_sa_list
from .._text.printable import printable
from ..vici.errors import ViciCommandFailed
from ..vici.session import Session

if TYPE_CHECKING:
    from .._base import ViciModule

Result = Dict[str, Any]


def _named(events: List[Dict[str, Any]]) -> Dict[str, Any]:
    """Merge ``{name: body}`` stream events into one dict; the first of a repeated name wins."""
    merged: Dict[str, Any] = {}
    for event in events:
        for name, body in event.items():
            merged.setdefault(name, printable(body))
    return merged


def certificate_entry(event: Dict[str, Any]) -> Dict[str, Any]:
    """A list-cert event with its DER as PEM, plus names and validity where readable."""
    entry = {key: printable(value) for key, value in event.items() if key != "data"}
    data = event.get("data", b"")
    der = data.encode("utf-8") if isinstance(data, str) else data
    cert_type = str(event.get("type", ""))
    if cert_type == "X509":
        entry["pem"] = der_to_pem(der, "CERTIFICATE")
        description = describe_certificate(der)
        if description:
            entry.update(description)
    elif cert_type == "X509_CRL":
        entry["pem"] = der_to_pem(der, "X509 CRL")
    elif cert_type == "PUBKEY":
        entry["pem"] = der_to_pem(der, "PUBLIC KEY")
    else:
        entry["der_hex"] = der.hex()
    return entry


def gather_version(session: Session, options: Dict[str, Any]) -> Result:
    return {"version": printable(session.version())}


def gather_stats(session: Session, options: Dict[str, Any]) -> Result:
    return {"stats": printable(session.stats())}


def gather_conns(session: Session, options: Dict[str, Any]) -> Result:
    return {"conns": _named(session.list_conns()), "vici_conns": list(session.get_conns().get("conns", []))}


def gather_sas(session: Session, options: Dict[str, Any]) -> Result:
    return {"sas": ike_sa_list(session.list_sas())}


def gather_policies(session: Session, options: Dict[str, Any]) -> Result:
    return {"policies": _named(session.list_policies(trap=True, drop=True, pass_=True))}


def gather_certs(session: Session, options: Dict[str, Any]) -> Result:
    return {"certs": [certificate_entry(event) for event in session.list_certs()]}


def gather_authorities(session: Session, options: Dict[str, Any]) -> Result:
    return {"authorities": _named(session.list_authorities())}


def gather_pools(session: Session, options: Dict[str, Any]) -> Result:
    return {"pools": printable(session.get_pools(leases=options.get("pool_leases", False)))}


def gather_keys(session: Session, options: Dict[str, Any]) -> Result:
    return {"keys": list(session.get_keys().get("keys", []))}


def gather_shared(session: Session, options: Dict[str, Any]) -> Result:
    return {"shared": list(session.get_shared().get("keys", []))}


def gather_algorithms(session: Session, options: Dict[str, Any]) -> Result:
    return {"algorithms": printable(session.get_algorithms())}


def gather_counters(session: Session, options: Dict[str, Any]) -> Result:
    try:
        reply = session.get_counters(all_=True)
    except ViciCommandFailed as error:
        # Without the counters plugin the daemon answers success=no: report, don't fail.
        return {"counters": {}, "warnings": ["counters are not available: %s" % error.errmsg]}
    return {"counters": printable(reply.get("counters", {}))}


GATHERERS: Dict[str, Callable[[Session, Dict[str, Any]], Result]] = {
    "version": gather_version,
    "stats": gather_stats,
    "conns": gather_conns,
    "sas": gather_sas,
    "policies": gather_policies,
    "certs": gather_certs,
    "authorities": gather_authorities,
    "pools": gather_pools,
    "keys": gather_keys,
    "shared": gather_shared,
    "algorithms": gather_algorithms,
    "counters": gather_counters,
}


def gather(session: Session, subjects: List[str], options: Dict[str, Any]) -> Result:
    """Run the gatherers for ``subjects`` (``all`` for every one), in a fixed order."""
    wanted = set(GATHERERS) if "all" in subjects else set(subjects)
    result: Result = {"warnings": []}
    for name, gatherer in GATHERERS.items():
        if name in wanted:
            part = gatherer(session, options)
            result["warnings"].extend(part.pop("warnings", []))
            result.update(part)
    return result


def run(vici: ViciModule) -> None:
    """The info module's body, for ``ViciModule.run``: gather, warn, exit without change."""
    result = gather(vici.session, vici.params["gather"], vici.params)
    for warning in result.pop("warnings"):
        vici.warn(warning)
    vici.exit(changed=False, **result)
