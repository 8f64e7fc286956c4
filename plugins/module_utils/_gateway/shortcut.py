# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""config's unchanged-rerun shortcut (issue 21). PRIVATE.

A full run reads every object of the tree's kinds from the daemon, decodes it and compares it with the tree:
seconds for thousands of connections. After a run that left the daemon holding the tree (everything applied,
or found up to date), :func:`remember` keeps a record in the ledger's annex (:meth:`.Ledger.keep_annex`, void
as soon as the ledger is written again):

* ``inputs``: a keyed fingerprint (the annex's key, derived from the ledger's) of the module's arguments and
  of the bytes of ``src``;
* ``daemon``: the SHA-256 of what each listing of the tree's kinds (:attr:`.Kind.listing`: list-conns,
  get-shared, get-pools, ...) returned right after, hashed as the daemon encoded it, never decoded
  (:meth:`.Session.listing_digest`);
* the run's ``sections`` (every object unchanged) and the tree's warnings.

The next run with the same inputs (:func:`shortcut`) reads only those listings. Same digest: the daemon holds
what it held when the tree was in place, and the ledger (same generation) says what it said then, so a full
run would find every object up to date; the recorded result is reported. Anything loaded, changed (in what the
daemon reports) or unloaded behind the module's back, by swanctl or over VICI, changes a listing, and the run
plans in full, reporting and repairing the drift as always. A listing that differs for another reason (a
reordering, a pool's lease counts) costs only the full run.

Not taken, the full run always: ``persist`` (the file is checked every run), ``src`` in swanctl.conf format
(includes are globbed), trees that read other files (certificates, keys, authorities' certificates,
connections naming certificate files), connections whose children start by themselves (the SA step looks at
their SAs every run), and when the ledger has no key or cannot be written.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from .._engine.ledger import Annex, Ledger, annex_fingerprint
from .._engine.plan import Group, Planned
from .._kinds.connection import ConnectionKind, starts_by_itself
from .._kinds.pool import PoolKind
from .._kinds.shared_secret import SharedSecretKind
from .._text.bounded import BoundError, read_regular
from ..vici.session import Session
from .src import source_format

#: Part of every inputs fingerprint: a new value voids every record (bump it when the messages built from
#: the same tree change).
SHORTCUT_FORMAT = 1
#: Records kept at most (one per distinct set of arguments that ran against this daemon).
RECORDS_KEPT = 8
#: Kinds whose messages come from the tree's text alone (others read files or tokens; they count when empty).
_SELF_CONTAINED = (ConnectionKind, SharedSecretKind, PoolKind)

Listing = Tuple[str, Optional[str]]


def inputs_text(params: Mapping[str, Any]) -> Optional[str]:
    """The run's arguments and ``src``'s bytes (by their SHA-256) as one text; None when the shortcut does not apply.

    Only its keyed fingerprint (:meth:`.Ledger.fingerprint_text`) is ever kept.
    """
    if params.get("persist"):
        return None
    src = params.get("src")
    source = ""
    if src:
        if source_format(src, params.get("src_format") or "auto") == "swanctl_conf":
            return None
        try:
            source = hashlib.sha256(read_regular(src)).hexdigest()
        except (OSError, BoundError):
            return None  # the full run says what is wrong
    try:
        return json.dumps({"format": SHORTCUT_FORMAT, "params": params, "src": source}, sort_keys=True,
                          separators=(",", ":"), default=repr)
    except (TypeError, ValueError):  # keys of mixed types, for example: no shortcut
        return None


def listings(groups: Sequence[Group]) -> Optional[List[Listing]]:
    """The listings that show every object of the groups' kinds, or None if one kind has none (or reads files)."""
    found: List[Listing] = []
    for group in groups:
        kind = group.kind
        if not kind.listing or (group.items and not isinstance(kind, _SELF_CONTAINED)):
            return None
        if isinstance(kind, ConnectionKind) and any(starts_by_itself(item.message or {}) for item in group.items):
            return None
        for listing in kind.listing:
            if listing not in found:
                found.append(listing)
    return found


def daemon_digest(session: Session, reads: Sequence[Listing]) -> str:
    """The digests of the listings, one text (read-only commands only)."""
    return ",".join(session.listing_digest(command, event) for command, event in reads)


def unchanged_sections(groups: Sequence[Group]) -> Dict[str, Dict[str, List[str]]]:
    """The ``sections`` result of a run that finds every object of the groups up to date."""
    result: Dict[str, Dict[str, List[str]]] = {}
    for group in groups:
        lists = result.setdefault(group.section, {"added": [], "changed": [], "removed": [], "unchanged": []})
        lists["unchanged"].extend(group.label(item.name) for item in group.items)
    return result


def remember(session: Session, ledger: Ledger, inputs: Optional[str], params: Mapping[str, Any], planned: Sequence[Planned],
             files: Sequence[str], warnings: Sequence[str]) -> bool:
    """After a run that left the daemon holding the tree: keep the record for the next run (False if not kept).

    ``inputs`` is :func:`inputs_text` as the run started; the record is not kept if ``src`` changed since.
    """
    if inputs is None or files or inputs_text(params) != inputs or not ledger.key:
        return False
    groups = [entry.group for entry in planned]
    reads = listings(groups)
    if reads is None:
        return False
    key = annex_fingerprint(ledger.annex_key(), inputs)
    existing = ledger.annex()
    records = dict(existing.records) if existing is not None else {}
    records.pop(key, None)
    while len(records) >= RECORDS_KEPT:
        records.pop(next(iter(records)))
    records[key] = {"daemon": daemon_digest(session, reads), "listings": [list(read) for read in reads],
                    "sections": list(unchanged_sections(groups).items()), "warnings": list(warnings)}
    return ledger.keep_annex(records)


def shortcut(session: Session, annex: Optional[Annex], inputs: Optional[str]) -> Optional[Dict[str, Any]]:
    """The recorded result (``sections``, ``warnings``) if the daemon's listings are as recorded; else None.

    ``annex`` is the ledger's (:func:`.ledger.read_annex`), ``inputs`` :func:`inputs_text`. Sends read-only
    commands only.
    """
    if inputs is None or annex is None:
        return None
    record = annex.records.get(annex.fingerprint(inputs))
    if not isinstance(record, dict) or not isinstance(record.get("listings"), list):
        return None
    if not isinstance(record.get("warnings"), list):
        return None
    try:
        reads = [(str(command), None if event is None else str(event)) for command, event in record["listings"]]
        # A list of pairs: JSON keeps their order, the order of the full run's result.
        sections = {str(section): dict(lists) for section, lists in record["sections"]}
    except (TypeError, ValueError, KeyError):
        return None
    if not reads or daemon_digest(session, reads) != record.get("daemon"):
        return None
    return {"sections": sections, "warnings": [str(warning) for warning in record["warnings"]]}
