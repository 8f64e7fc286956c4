# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What a change of connections does to their running SAs: the SA report, ``sa_update``, convergence. PRIVATE.

A connection change reaches the daemon's configuration, not the SAs it runs (measured, docs/operating-tunnels.md):
with ``start_action`` none or trap the CHILD_SA keeps its old proposals and lifetimes through rekeyings; with
start the daemon itself closes and re-creates the SAs (the whole IKE_SA on 5.9, only the CHILD_SA for a child
change on 6.0). An unloaded connection's SAs stay up unless its ``start_action`` was start.

A run (``config``, ``connection``) hands :func:`before` the connections it changes or removes (and the unchanged
ones that should be up, to say when they are down), then, after its apply, :func:`settle`; in check mode
:func:`predict` says what would happen instead. ``sa_update`` per connection:

* ``reestablish``: replace SAs that run old parameters, make-before-break (the new CHILD_SA is initiated before
  the old one is terminated; an IKE_SA left without CHILD_SA then is closed); close those of a removed
  connection; bring up a tunnel that should be up (:func:`.intent.should_be_up`) within the retry window.
* ``report``: touch nothing, but count the CHILD_SAs still on old parameters.
* ``never``: touch nothing; reported as "still runs the old parameters".
* ``auto`` (the default) is reestablish for a connection with a fixed peer and report for remote access
  (``remote_addrs`` %any, a range or a subnet, or ``pools``).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, Dict, List, NamedTuple, Optional, Sequence, Tuple

from .._text.input import InputError
from ..vici.errors import ViciError
from ..vici.session import Session
from .intent import children_of, reinitiate, should_be_up, start_action
from .sa import CHILD_CONNECTING, IKE_CONNECTING, SA, Target, ike_sa_list, negotiated_proposal, read_sas

MODES = ("auto", "reestablish", "report", "never")
#: The longest retry window: well inside the gateway lock's default wait (600 s) for the runs queued behind.
MAX_WINDOW = 300
# Seconds between two initiations of a tunnel that stays down, within the retry window.
RETRY_PAUSE = 2.0


class Subject(NamedTuple):
    """One connection a run looks at: ``change`` is changed, removed or unchanged; ``config`` its load-conn body
    (the new one; for a removed connection what list-conns reported); ``mode`` its sa_update (resolved)."""

    name: str
    change: str
    config: Mapping[str, Any]
    mode: str


def remote_access(config: Mapping[str, Any]) -> bool:
    """Whether the connection serves peers it does not name: remote_addrs %any, a range or a subnet, or pools."""
    if config.get("pools"):
        return True
    addrs = config.get("remote_addrs") or ["%any"]
    if isinstance(addrs, str):
        addrs = [part.strip() for part in addrs.split(",")]
    return any(str(addr).startswith("%any") or "/" in str(addr) or "-" in str(addr) for addr in addrs)


def resolve_mode(mode: str, config: Mapping[str, Any]) -> str:
    """``auto`` as reestablish (fixed peer) or report (remote access); other modes as given."""
    if mode != "auto":
        return mode
    return "report" if remote_access(config) else "reestablish"


def children(config: Mapping[str, Any]) -> Dict[str, Mapping[str, Any]]:
    for key, value in config.items():
        if key.lower() == "children" and isinstance(value, Mapping):
            return {str(name): body if isinstance(body, Mapping) else {} for name, body in value.items()}
    return {}


def describe(sas: Sequence[SA]) -> List[Dict[str, Any]]:
    """The SAs as the report lists them: IKE_SA unique id and state, its CHILD_SAs with SPIs and proposal."""
    return [{"uniqueid": str(sa.get("uniqueid")), "state": sa.get("state"), "remote_host": sa.get("remote-host"),
             "child_sas": [{"name": c.get("name"), "uniqueid": str(c.get("uniqueid")), "state": c.get("state"),
                            "spi_in": c.get("spi-in"), "spi_out": c.get("spi-out"), "proposal": negotiated_proposal(c)}
                           for c in sa.get("child_sas", [])]} for sa in sas]


def before(session: Session, subjects: Sequence[Subject]) -> Dict[str, List[SA]]:
    """The SAs of every subject's connection, read once (read-only)."""
    names = {subject.name for subject in subjects}
    if not names:
        return {}
    sas = ike_sa_list(session.list_sas()) if len(names) > 8 else [
        sa for name in sorted(names) for sa in read_sas(session, Target(name, None))]
    found: Dict[str, List[SA]] = {name: [] for name in names}
    for sa in sas:
        if sa.get("name") in found:
            found[str(sa.get("name"))].append(sa)
    return found


def watched(subject: Subject, sas: Sequence[SA]) -> bool:
    """Whether a run reports on this connection: it should be up, or it changed (added, removed) and had SAs.

    A connection with no SA before and none expected has nothing to report, and costs no command: a first load
    of thousands of connections reads list-sas once.
    """
    wanted = any(should_be_up(body, subject.name, child, sas) for child, body in children(subject.config).items())
    return wanted or (subject.change != "unchanged" and bool(sas))


# -- the outcome of one child -----------------------------------------------------------------------------------


def outcome(subject: Subject, child: str, old: Sequence[str], now: Sequence[str], up_wanted: bool) -> str:
    """kept, re-established, up, closed, down or none, from the CHILD_SA ids before and after."""
    if set(old) & set(now):
        return "kept"
    if now:
        return "re-established" if old else "up"
    if up_wanted and subject.change != "removed":
        return "down"
    return "closed" if old else "none"


def _entry(subject: Subject, old_sas: Sequence[SA], new_sas: Sequence[SA], outcomes: Dict[str, Any],
           note: str = "") -> Dict[str, Any]:
    entry: Dict[str, Any] = {"change": subject.change, "sa_update": subject.mode, "before": describe(old_sas),
                             "after": describe(new_sas), "children": outcomes}
    stale = sum(1 for child in outcomes.values() if child.get("old_parameters"))
    if subject.change == "changed" and stale:
        entry["old_parameters"] = stale
        note = note or "still runs the old parameters"
    if note:
        entry["note"] = note
    return entry


# -- check mode ------------------------------------------------------------------------------------------------


def _predicted(subject: Subject, body: Mapping[str, Any], old: List[str], wanted: bool) -> Tuple[str, bool]:
    """(outcome, old parameters) a change would have, from the daemon's measured behaviour per release."""
    if subject.change == "removed":
        closes = start_action(body) == "start" or subject.mode == "reestablish"
        return ("closed" if old else "none") if closes else ("kept" if old else "none"), False
    if subject.change == "unchanged":
        return ("kept" if old else "down" if wanted else "none"), False
    if start_action(body) == "start":
        return ("re-established" if old else "up"), False  # the daemon re-creates it (5.9: the whole IKE_SA)
    if subject.mode == "reestablish" and wanted:
        return ("re-established" if old else "up"), False
    return ("kept" if old else "down" if wanted else "none"), bool(old)


def daemon_note(major: int) -> str:
    """What the release does by itself when a connection with start_action start changes (measured)."""
    if major >= 6:
        return ("the daemon restarts the CHILD_SA of a changed child and re-creates the IKE_SA for a changed IKE "
                "configuration (start_action start)")
    return "the daemon closes and re-creates the whole IKE_SA (start_action start)"


def predict(subjects: Sequence[Subject], sas_before: Mapping[str, List[SA]], major: int) -> Dict[str, Any]:
    """The SA report a run would give (check mode), from list-sas and the release's known reload behaviour."""
    report: Dict[str, Any] = {}
    for subject in subjects:
        sas = sas_before.get(subject.name, [])
        if not watched(subject, sas):
            continue
        outcomes = {}
        for child, body in children(subject.config).items():
            old = children_of(sas, subject.name, child)
            wanted = should_be_up(body, subject.name, child, sas)
            predicted, stale = _predicted(subject, body, old, wanted)
            outcomes[child] = {"outcome": predicted, "should_be_up": wanted, "old_parameters": stale}
        restarts = subject.change == "changed" and any(
            start_action(body) == "start" and children_of(sas, subject.name, child)
            for child, body in children(subject.config).items())
        report[subject.name] = _entry(subject, sas, sas, outcomes, daemon_note(major) if restarts else "")
    return report


# -- the real run ----------------------------------------------------------------------------------------------


class Settled(NamedTuple):
    """The SA report, the tunnels left down (``conn/child``), and whether the run changed SAs itself."""

    report: Dict[str, Any]
    down: List[str]
    acted: bool


class _Settler:
    """Carries out sa_update for the subjects after the apply, within one retry window."""

    def __init__(self, session: Session, window: float) -> None:
        self.session = session
        self.deadline = time.monotonic() + max(0.0, window)
        self.acted = False

    def remaining(self) -> float:
        return max(0.0, self.deadline - time.monotonic())

    def sas(self, name: str) -> List[SA]:
        return read_sas(self.session, Target(name, None))

    def wait_for(self, name: str, child: str, exclude: Sequence[str], limit: float, grace: float = 0.0) -> List[str]:
        """Poll (bounded) while a CHILD_SA or IKE_SA of the connection is negotiating (at least ``grace``
        seconds: the daemon's own start action may not have begun); the new ids up."""
        start = time.monotonic()
        end = start + min(limit, self.remaining())
        while True:
            sas = self.sas(name)
            fresh = [uid for uid in children_of(sas, name, child) if uid not in exclude]
            busy = children_of(sas, name, child, CHILD_CONNECTING) or any(
                sa.get("state") in IKE_CONNECTING for sa in sas)
            now = time.monotonic()
            if fresh or (not busy and now >= start + grace) or now >= end:
                return fresh
            time.sleep(0.2)

    def bring_up(self, name: str, child: str, stale: Sequence[str]) -> Tuple[List[str], str]:
        """Re-initiate until a CHILD_SA other than ``stale`` is installed or the window ends."""
        error = ""
        while True:
            fresh = self.wait_for(name, child, stale, 5.0)
            if fresh:
                return fresh, ""
            if self.remaining() < 1.0:
                return [], error or "not up when the retry window ended"
            done = reinitiate(self.session, name, child, stale, timeout=min(10.0, self.remaining()))
            self.acted = self.acted or done.initiated
            if done.ids:
                return done.ids, ""
            error = done.error or error
            time.sleep(min(RETRY_PAUSE, self.remaining()))

    def close(self, ids: Sequence[str], ike_ids: Sequence[str] = ()) -> None:
        for uid in ids:
            self._terminate(child_id=int(uid))
        for uid in ike_ids:
            self._terminate(ike_id=int(uid))

    def _terminate(self, child_id: Optional[int] = None, ike_id: Optional[int] = None) -> None:
        try:
            self.session.terminate(child_id=child_id, ike_id=ike_id, timeout=min(5000, int(self.remaining() * 1000) or 1),
                                   check=False)
            self.acted = True
        except ViciError:
            pass  # reported from the next list-sas

    def settle_child(self, subject: Subject, child: str, body: Mapping[str, Any], old: List[str],
                     wanted: bool) -> Dict[str, Any]:
        mode = subject.mode
        if subject.change == "removed":
            if mode == "reestablish":
                self.close(old)
            return {"should_be_up": False}
        if subject.change == "unchanged" or mode == "never":
            return {"should_be_up": wanted, "old_parameters": subject.change == "changed" and bool(old)}
        fresh = self.wait_for(subject.name, child, old, 5.0, 2.0 if start_action(body) == "start" else 0.0)
        still = [uid for uid in children_of(self.sas(subject.name), subject.name, child) if uid in old]
        if mode == "report" or not wanted:
            return {"should_be_up": wanted, "old_parameters": bool(still)}
        error = ""
        if not fresh:  # make before break: the replacement first
            fresh, error = self.bring_up(subject.name, child, still)
        if fresh and still:
            self.close(still)
        result: Dict[str, Any] = {"should_be_up": wanted, "old_parameters": bool(still) and not fresh}
        if error:
            result["error"] = error
        return result

    def orphans(self, name: str, old_ike: Sequence[str]) -> None:
        """Close the old IKE_SAs of a connection left without any CHILD_SA by a replacement."""
        left = [str(sa.get("uniqueid")) for sa in self.sas(name)
                if str(sa.get("uniqueid")) in old_ike and not sa.get("child_sas")]
        self.close((), left)


def settle(session: Session, subjects: Sequence[Subject], sas_before: Mapping[str, List[SA]],
           window: float) -> Settled:
    """After the apply: carry out each subject's sa_update within ``window`` seconds; the report and the down list.

    Only the subjects it acts on are read one by one; the state after the run is read once for all (one list-sas
    beyond a few connections), so an unchanged run over thousands of connections stays one read.
    """
    settler = _Settler(session, window)
    done: List[Tuple[Subject, Dict[str, List[str]], Dict[str, Dict[str, Any]]]] = []
    for subject in subjects:
        sas = sas_before.get(subject.name, [])
        if not watched(subject, sas):
            continue
        notes: Dict[str, Dict[str, Any]] = {}
        olds: Dict[str, List[str]] = {}
        for child, body in children(subject.config).items():
            olds[child] = children_of(sas, subject.name, child)
            wanted = should_be_up(body, subject.name, child, sas)
            notes[child] = settler.settle_child(subject, child, body, olds[child], wanted)
        # An old IKE_SA left without CHILD_SA is closed only once every replaced child runs elsewhere: an IKE_SA
        # whose child the peer refused is the one thing that tells the peer's run the tunnel should be up.
        replaced = [child for child in olds if olds[child] and not notes[child].get("old_parameters")]
        if subject.mode == "reestablish" and (subject.change == "removed" or replaced):
            now = settler.sas(subject.name)
            if subject.change == "removed" or all(children_of(now, subject.name, child) for child in replaced):
                settler.orphans(subject.name, [str(sa.get("uniqueid")) for sa in sas])
        done.append((subject, olds, notes))
    after_all = before(session, [Subject(subject.name, "", {}, "") for subject, _olds, _notes in done])
    report: Dict[str, Any] = {}
    down: List[str] = []
    for subject, olds, notes in done:
        after = after_all.get(subject.name, [])
        for child, note in notes.items():
            note["outcome"] = outcome(subject, child, olds[child], children_of(after, subject.name, child),
                                      bool(note.get("should_be_up")))
            if note["outcome"] == "down":
                down.append("%s/%s" % (subject.name, child))
        report[subject.name] = _entry(subject, sas_before.get(subject.name, []), after, notes)
    return Settled(report, down, settler.acted)


def warning(down: Sequence[str], check_mode: bool) -> str:
    """The warning for tunnels that should be up and are not."""
    return ("%s %s down: %s (should be up: start_action start, or SAs before the change); the peer may not have "
            "converged yet: a run on it brings the tunnel up, or see the sa_report" % (
                "tunnel" if len(down) == 1 else "tunnels", "would stay" if check_mode else "left", ", ".join(down)))


def retry_window(value: Any) -> float:
    """``sa_timeout`` checked: seconds from 0 to :data:`MAX_WINDOW`."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= MAX_WINDOW:
        raise InputError("sa_timeout: must be a number of seconds from 0 to %d (the gateway lock is held meanwhile), "
                         "got %r" % (MAX_WINDOW, value))
    return float(value)


def after_apply(session: Session, subjects: Sequence[Subject], sas_before: Mapping[str, List[SA]], check_mode: bool,
                window: float) -> Settled:
    """The SA step of a run, after its apply: predicted in check mode (read-only), else carried out."""
    if not check_mode:
        return settle(session, subjects, sas_before, window)
    if not any(watched(subject, sas_before.get(subject.name, [])) for subject in subjects):
        return Settled({}, [], False)
    version = str(session.version().get("version", ""))
    head = version.split(".", 1)[0]
    major = int(head) if head.isdigit() else 5
    report = predict(subjects, sas_before, major)
    down = ["%s/%s" % (name, child) for name, entry in report.items()
            for child, note in entry["children"].items() if note["outcome"] == "down"]
    return Settled(report, down, False)
