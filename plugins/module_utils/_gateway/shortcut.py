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
  get-shared, get-pools, ...) returned right after, hashed as the daemon encoded it, never decoded, each
  streamed event on its own and in any order (:meth:`.Session.listing_prints`). A listing the run read before
  its first mutating command is not read whole again: only the objects the run loaded or unloaded are
  (:meth:`DaemonDigest.after`);
* the run's ``sections`` (every object unchanged) and the tree's warnings.

The next run with the same inputs (:func:`shortcut`) reads only those listings. Same digest: the daemon holds
what it held when the tree was in place, and the ledger (same generation) says what it said then, so a full
run would find every object up to date; the recorded result is reported. Anything loaded, changed (in what the
daemon reports) or unloaded behind the module's back, by swanctl or over VICI, changes a listing, and the run
plans in full, reporting and repairing the drift as always. A listing that differs for another reason (a
reordering, a pool's lease counts) costs only the full run.

The same record serves the *delta path* (:mod:`.delta`) of a run whose tree changed: it also holds the run's
``shape`` (a keyed fingerprint of its arguments but the tree's content, :func:`shape_text`), which sections the
tree gives and a keyed fingerprint of each entry of its named sections, by name, as given
(:func:`entry_prints`). A run with the same shape whose daemon digest equals the record's plans only the
entries whose fingerprint differs, and the ones gone from the tree.

Not taken, the full run always: ``persist`` (the file is checked every run), ``src`` in swanctl.conf format
(includes are globbed), trees that read other files (certificates, keys, authorities' certificates,
connections naming certificate files), connections whose children start by themselves (the SA step looks at
their SAs every run), and when the ledger has no key or cannot be written.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from .._engine.kind import Action
from .._engine.ledger import Annex, Ledger, annex_fingerprint
from .._engine.plan import Group, Planned
from .._kinds.connection import ConnectionKind, starts_by_itself
from .._kinds.pool import PoolKind
from .._kinds.shared_secret import SharedSecretKind
from .._text.bounded import BoundError, read_regular
from ..vici.session import ListingPrints, Session
from .src import source_format
from .tree import NAMED_SECTIONS, valid_prints

#: Part of every inputs fingerprint: a new value voids every record (bump it when the messages built from
#: the same tree change).
SHORTCUT_FORMAT = 3
#: Records kept at most (one per distinct set of arguments that ran against this daemon).
RECORDS_KEPT = 8
#: Kinds whose messages come from the tree's text alone (others read files or tokens; they count when empty).
_SELF_CONTAINED = (ConnectionKind, SharedSecretKind, PoolKind)

#: The arguments that hold the tree (not part of a run's shape).
TREE_OPTIONS = NAMED_SECTIONS + ("certificates", "private_keys", "tree")

Listing = Tuple[str, Optional[str]]


def _excluded(params: Mapping[str, Any]) -> bool:
    """Whether the run's arguments rule the shortcut (and the delta path) out: persist, src in swanctl.conf format."""
    src = params.get("src")
    return bool(params.get("persist")) or bool(src and source_format(src, params.get("src_format") or "auto") == "swanctl_conf")


def _text(data: Any) -> str:
    # Sections keep their order (it matters to the daemon: children, auth rounds): only the arguments are sorted.
    return json.dumps(data, separators=(",", ":"), default=repr)


def inputs_text(params: Mapping[str, Any]) -> Optional[str]:
    """The run's arguments and ``src``'s bytes (by their SHA-256) as one text; None when the shortcut does not apply.

    Only its keyed fingerprint (:meth:`.Ledger.fingerprint_text`) is ever kept. The arguments are sorted by name;
    what they hold keeps its order.
    """
    if _excluded(params):
        return None
    src = params.get("src")
    source = ""
    if src:
        try:
            source = hashlib.sha256(read_regular(src)).hexdigest()
        except (OSError, BoundError):
            return None  # the full run says what is wrong
    try:
        return _text({"format": SHORTCUT_FORMAT, "params": [[key, params[key]] for key in sorted(params)], "src": source})
    except (TypeError, ValueError):  # a value that contains itself, for example: no shortcut
        return None


def shape_text(params: Mapping[str, Any]) -> Optional[str]:
    """The run's arguments but the tree's content as one text; None when the shortcut does not apply.

    Two runs of the same shape differ in their tree only, which :func:`entry_prints` compares entry by entry.
    """
    if _excluded(params):
        return None
    try:
        return _text({"format": SHORTCUT_FORMAT, "params": [[key, params[key]] for key in sorted(params)
                                                            if key not in TREE_OPTIONS]})
    except (TypeError, ValueError):
        return None


def entry_prints(key: bytes, texts: Mapping[str, Any]) -> Dict[str, Any]:
    """The tree's :func:`.tree.entry_texts` with each text replaced by its fingerprint keyed with ``key`` (the
    annex's: a PSK is in there)."""
    return {"sections": list(texts["sections"]), "entries": {
        section: [[name, hashlib.blake2b(text.encode("utf-8"), key=key, digest_size=16).hexdigest()] for name, text in listed]
        for section, listed in texts["entries"].items()}}


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


class DaemonDigest:
    """The digests of the daemon's listings, each listing read once per run (read-only commands only)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._read: Dict[Listing, ListingPrints] = {}

    def __call__(self, reads: Sequence[Listing]) -> str:
        for read in reads:
            if read not in self._read:
                self._read[read] = self.session.listing_prints(*read)
        return ",".join(self._read[read].digest() for read in reads)

    def after(self, reads: Sequence[Listing], planned: Sequence[Planned]) -> str:
        """The digests of the listings once ``planned`` was carried out (read-only commands only).

        A listing this run read before its first mutating command is not read whole again: it holds what it
        held then but for the objects the run loaded or unloaded, and those alone are listed again where their
        kind can list one object (:attr:`.Kind.listing_filter`: one list-conns per changed connection); a
        listing none of the run's actions touches is taken as read. Only where that cannot be is the listing
        read whole. Something changed behind the module's back meanwhile is then not in the record: the next
        run finds the listing differs and plans in full, as it should.
        """
        touched: Dict[Listing, List[Tuple[Optional[str], str]]] = {}
        for entry in planned:
            kind = entry.group.kind
            for change in entry.changes:
                if change.action:
                    for listing in kind.listing:
                        touched.setdefault(listing, []).append((kind.listing_filter, change.name))
        for read in reads:
            before = self._read.get(read)
            if before is not None and read not in touched:
                continue
            self._read[read] = self._again(read, before, touched.get(read, []))
        return ",".join(self._read[read].digest() for read in reads)

    def _again(self, read: Listing, before: Optional[ListingPrints],
               names: Sequence[Tuple[Optional[str], str]]) -> ListingPrints:
        """The listing ``read`` once the objects ``names`` (each with its kind's filter) changed."""
        command, event = read
        if before is None or event is None or any(key is None for key, _name in names):
            return self.session.listing_prints(command, event)
        current = before
        for key, name in dict.fromkeys(names):
            updated = current.with_objects([name], self.session.listing_prints(command, event, {str(key): name}))
            if updated is None:
                return self.session.listing_prints(command, event)
            current = updated
        return current


def daemon_digest(session: Session, reads: Sequence[Listing]) -> str:
    """The digests of the listings, one text (read-only commands only)."""
    return DaemonDigest(session)(reads)


def unchanged_sections(planned: Sequence[Planned]) -> Dict[str, Dict[str, List[str]]]:
    """The ``sections`` result of a rerun after ``planned`` was carried out: every object of the tree up to date."""
    result: Dict[str, Dict[str, List[str]]] = {}
    for entry in planned:
        lists = result.setdefault(entry.group.section, {"added": [], "changed": [], "removed": [], "unchanged": []})
        lists["unchanged"].extend(entry.group.label(change.name) for change in entry.changes
                                  if change.action != Action.UNLOAD)
    return result


def remember(session: Session, ledger: Ledger, inputs: Optional[str], params: Mapping[str, Any], planned: Sequence[Planned],
             files: Sequence[str], warnings: Sequence[str], shape: Optional[str] = None,
             texts: Optional[Mapping[str, Any]] = None, digest: Optional[DaemonDigest] = None,
             prints: Optional[Tuple[bytes, Mapping[str, Any]]] = None) -> bool:
    """After a run that left the daemon holding the tree: keep the record for the next run (False if not kept).

    ``inputs`` is :func:`inputs_text` as the run started; the record is not kept if ``src`` changed since.
    ``shape`` (:func:`shape_text`) and ``texts`` (:func:`.tree.entry_texts`) add what the delta path needs; only
    the newest record keeps it. ``digest`` is the run's (:class:`DaemonDigest`), holding the listings it read
    before its first mutating command (:meth:`DaemonDigest.after`); ``prints`` the key and :func:`entry_prints`
    of ``texts`` the run already made (used if the key is still the annex's).
    """
    if inputs is None or files or inputs_text(params) != inputs or not ledger.key:
        return False
    groups = [entry.group for entry in planned]
    reads = listings(groups)
    if reads is None:
        return False
    annex_key = ledger.annex_key()
    key = annex_fingerprint(annex_key, inputs)
    records = _older_records(ledger, key)
    delta = _delta_entry(annex_key, shape, texts, prints)
    after = digest.after(reads, planned) if digest is not None else daemon_digest(session, reads)
    record: Dict[str, Any] = {"daemon": after, "listings": [list(read) for read in reads],
                              "sections": list(unchanged_sections(planned).items()), "warnings": list(warnings)}
    if delta is not None:
        record["delta"] = delta
    records[key] = record
    return ledger.keep_annex(records)


def _older_records(ledger: Ledger, key: str) -> Dict[str, Any]:
    """The annex's records but the one of ``key``, without their delta parts (only the newest keeps one), room
    left for one more."""
    existing = ledger.annex()
    records = {name: {field: value for field, value in record.items() if field != "delta"}
               for name, record in (existing.records if existing is not None else {}).items() if isinstance(record, dict)}
    records.pop(key, None)
    while len(records) >= RECORDS_KEPT:
        records.pop(next(iter(records)))
    return records


def _delta_entry(annex_key: bytes, shape: Optional[str], texts: Optional[Mapping[str, Any]],
                 prints: Optional[Tuple[bytes, Mapping[str, Any]]]) -> Optional[Dict[str, Any]]:
    """What the delta path of the next run needs: the shape's fingerprint and each entry's (the run's own
    ``prints`` if made with this key), or None without a shape."""
    if shape is None or texts is None:
        return None
    objects = prints[1] if prints is not None and hmac.compare_digest(prints[0], annex_key) else None
    return {"shape": annex_fingerprint(annex_key, shape),
            "objects": objects if objects is not None else entry_prints(annex_key, texts)}


def _reads(record: Mapping[str, Any]) -> Optional[List[Listing]]:
    """The listings a record names (None if ill-formed)."""
    if not isinstance(record.get("listings"), list):
        return None
    try:
        reads = [(str(command), None if event is None else str(event)) for command, event in record["listings"]]
    except (TypeError, ValueError):
        return None
    return reads or None


def shortcut(session: Session, annex: Optional[Annex], inputs: Optional[str],
             digest: Optional[DaemonDigest] = None) -> Optional[Dict[str, Any]]:
    """The recorded result (``sections``, ``warnings``) if the daemon's listings are as recorded; else None.

    ``annex`` is the ledger's (:func:`.ledger.read_annex`), ``inputs`` :func:`inputs_text`. Sends read-only
    commands only (through ``digest``, if given).
    """
    if inputs is None or annex is None:
        return None
    record = annex.records.get(annex.fingerprint(inputs))
    if not isinstance(record, dict) or not isinstance(record.get("warnings"), list):
        return None
    reads = _reads(record)
    try:
        # A list of pairs: JSON keeps their order, the order of the full run's result.
        sections = {str(section): dict(lists) for section, lists in record["sections"]}
    except (TypeError, ValueError, KeyError):
        return None
    if reads is None or (digest or DaemonDigest(session))(reads) != record.get("daemon"):
        return None
    return {"sections": sections, "warnings": [str(warning) for warning in record["warnings"]]}


def delta_record(digest: DaemonDigest, annex: Optional[Annex], shape: Optional[str]) -> Optional[Dict[str, Any]]:
    """The tree's fingerprints (:func:`entry_prints`) of the newest recorded run of this ``shape``, if the
    daemon's listings are as that run left them; else None. Read-only commands only."""
    if annex is None or shape is None:
        return None
    wanted = annex.fingerprint(shape)
    for record in reversed(list(annex.records.values())):
        delta = record.get("delta") if isinstance(record, dict) else None
        if not isinstance(delta, dict) or delta.get("shape") != wanted:
            continue
        reads = _reads(record)
        objects = delta.get("objects")
        if reads is None or not valid_prints(objects) or digest(reads) != record.get("daemon"):
            return None
        return objects
    return None
