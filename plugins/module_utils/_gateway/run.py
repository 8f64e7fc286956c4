# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One ``config`` run: read the tree, plan it against the daemon, apply it, persist it, report. PRIVATE.

Each step is a method of :class:`GatewayRun`; a step that cannot go on raises :class:`RunFailure`, which
:meth:`GatewayRun.execute` turns into the one failure of the module. Every exit carries ``invocation`` with
secrets masked: the module disables Ansible's value scrubbing, which would take minutes on thousands of
objects. The ``invocation`` is added by the module (:func:`.report.mask_arguments`, given to ViciModule), so
that failures before this run starts (argument errors) carry the same masked arguments.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Dict, List, Mapping, NamedTuple, NoReturn, Optional

from .._engine.identity import instance_identity, same_instance
from .._engine.kind import Outcome
from .._engine.ledger import Annex, Ledger, LedgerError, annex_path, daemon_instance, locate, read_annex
from .._engine.plan import (
    Adoption,
    GroupApplyError,
    Planned,
    apply_groups,
    failure_changed,
    plan_groups,
    state_after_failure,
)
from .._kinds.connection import (
    SA_UPDATE_MODES,
    ConnectionKind,
    Subject,
    retry_window,
    sa_step,
    sa_step_names,
    sas_before,
    tunnel_subjects,
    tunnels_down,
)
from .._kinds.psk_proof import changed_psks, ike_sa_mark, psk_proof
from .._swanctl.schema import ConfigError
from .._text.input import UserError
from .._text.secrets import scrub
from ..vici.errors import ViciError
from ..vici.session import Session
from ..vici.transport import parse_uri
from .persist import (
    FileTrust,
    PersistError,
    commit,
    current_digest,
    digest,
    discard,
    file_mode,
    file_text,
    persisted_tree,
    read_record,
    stage,
    tighten,
    trust,
    write_record,
)
from .delta import changed_names, delta_plan, plannable
from .report import gateway_diff, secret_values, summary
from .shortcut import DaemonDigest, delta_record, entry_prints, inputs_text, remember, shape_text, shortcut
from .tree import Desired, desired_tree, entry_texts, tree_params

if TYPE_CHECKING:
    from .._base import ViciModule


class RunFailure(Exception):
    """The run stops: ``msg`` (or the client ``error`` described in context) and the result's details."""

    def __init__(self, msg: str = "", error: Optional[ViciError] = None, context: str = "", suffix: str = "",
                 **details: Any) -> None:
        super().__init__(msg or str(error))
        self.msg = msg
        self.error = error
        self.context = context
        self.suffix = suffix
        self.details = details


class PersistPlan(NamedTuple):
    """The swanctl.conf file a run keeps in step with the daemon, and what it tells about the daemon."""

    path: str
    text: str
    text_digest: str
    on_disk: Optional[str]
    trust: FileTrust
    mode: Optional[int]  # the file's permission bits (None: absent)

    @property
    def file_changed(self) -> bool:
        return self.on_disk != self.text_digest

    @property
    def loose(self) -> bool:
        """Unchanged content, but readable (or writable) by group or others: it holds secrets."""
        return not self.file_changed and self.mode is not None and bool(self.mode & 0o077)


class GatewayRun:
    """The config module's run over one session: read, plan, apply, persist, report."""

    def __init__(self, vici: ViciModule) -> None:
        self.vici = vici
        self.params: Mapping[str, Any] = vici.params
        self.check_mode: bool = vici.check_mode
        self.merged: Dict[str, Any] = {}
        self.desired = Desired()
        #: Whether read() opened the run's session and ledger (a failure before that opens nothing).
        self.opened = False
        self.persisted: Optional[PersistPlan] = None
        self.planned: List[Planned] = []
        self.diff: Dict[str, Any] = {}
        self.changed = False
        self.result: Dict[str, Any] = {}
        #: What apply carried out (``applied`` of a failure after it).
        self.applied: List[Dict[str, Any]] = []
        #: The new persisted file under its temporary name, between :meth:`stage` and :meth:`persist`.
        self.staged: Optional[str] = None
        #: The connections whose SAs the run reports on, and their SAs before the apply (read by :meth:`plan`).
        self.subjects: List[Subject] = []
        self.sas_before: Dict[str, List[Dict[str, Any]]] = {}
        self.window = 0.0
        #: The run's arguments and src as :mod:`.shortcut` fingerprints them (None: no shortcut for this run).
        self.inputs: Optional[str] = None
        #: The IKE PSKs the plan loads (:func:`.changed_psks`), and the highest IKE_SA unique id right after the
        #: apply loaded them (None: none loaded, check mode included).
        self.psks: List[Dict[str, Any]] = []
        self.psk_mark: Optional[int] = None
        #: The ledger's annex as the run found it (None: none that holds), and the listings' digests read.
        self.annex: Optional[Annex] = None
        self.digest: Optional[DaemonDigest] = None
        #: The run's shape (:func:`.shortcut.shape_text`), its tree's entries (:func:`.tree.entry_texts`) and their
        #: fingerprints under the annex's key, for the delta path (:mod:`.delta`) and the record of the next run.
        self.shape: Optional[str] = None
        self.texts: Optional[Dict[str, Any]] = None
        self.prints: Optional[Dict[str, Any]] = None
        #: The recorded run's fingerprints when this run takes the delta path (None: the full path).
        self.previous: Optional[Dict[str, Any]] = None

    @property
    def session(self) -> Session:
        """The run's one session (the module's: opened by :meth:`read`, once the arguments are usable)."""
        return self.vici.session

    @property
    def ledger(self) -> Ledger:
        """The run's one ledger (the module's: opened by :meth:`read`)."""
        return self.vici.ledger

    # -- the steps --------------------------------------------------------------------------------

    def unchanged(self) -> bool:
        """The unchanged-rerun shortcut (:mod:`.shortcut`): True if the daemon's listings are as a recorded run
        left them, with the same arguments and src; the recorded result is then this run's. Read-only commands.

        Opens the session only when a record may exist (the ledger's annex file), so that a run without one fails
        on bad input exactly as before, daemon or not; never opens the ledger (thousands of entries to parse): the
        annex holds for the ledger's content it names only.
        """
        self.inputs = inputs_text(self.params)
        self.shape = shape_text(self.params)
        if self.inputs is None:
            return False
        try:
            path, notes = locate(parse_uri(self.params["socket"]))
        except (LedgerError, ViciError):
            return False
        if notes or not os.path.exists(annex_path(path)):
            return False  # a ledger directory that needs a warning: the full run gives it
        self.annex = read_annex(path, daemon_instance(self.session))
        self.digest = DaemonDigest(self.session)
        record = shortcut(self.session, self.annex, self.inputs, self.digest)
        if record is None:
            return False
        for warning in record["warnings"]:
            self.vici.warn(str(warning))
        self.result["sections"] = record["sections"]
        self.diff = gateway_diff([])
        return True

    def remember(self) -> None:
        """After a run that left the daemon holding the tree, the record for the next run's shortcut."""
        if self.check_mode or self.persisted is not None:
            return
        remember(self.session, self.ledger, self.inputs, self.params, self.planned, self.desired.files,
                 self.desired.warnings, self.shape, self.texts, self.digest,
                 (self.annex.key, self.prints) if self.annex is not None and self.prints is not None else None)

    def _delta_path(self) -> Optional[Dict[str, Any]]:
        """The entries the delta path builds (:mod:`.delta`), per section; None for the full path.

        Taken when a record of a run of the same shape holds (the daemon's listings as that run left them) and
        the ledger this run opened is the one that run left. Read-only commands only.
        """
        self.texts = entry_texts(self.merged) if self.shape is not None else None
        if self.annex is None or self.digest is None or self.texts is None:
            return None
        previous = delta_record(self.digest, self.annex, self.shape)
        if previous is None or self.ledger.generation != self.annex.generation:
            return None
        self.prints = entry_prints(self.annex.key, self.texts)
        only = changed_names(previous, self.prints)
        if only is not None:
            self.previous = previous
        return only

    def _full_path(self) -> None:
        """Leave the delta path: every entry of the tree built, and (in :meth:`plan`) every object planned."""
        self.previous = None
        self.desired = desired_tree(self.merged, self.ledger)

    def read(self) -> None:
        """The tree from the arguments or ``src``, checked into groups; what the persisted file says."""
        params = self.params
        self.merged = tree_params(params)
        # One session and one ledger for the run, opened once the arguments are known to be usable.
        self.opened = True
        try:
            only = self._delta_path()
            self.desired = desired_tree(self.merged, self.ledger, only)
            if only is not None and self.prints is not None and not plannable(self.desired.groups, self.prints):
                self._full_path()
        except UserError as error:
            where = "src %s: " % params["src"] if params.get("src") else ""
            raise RunFailure(where + str(error)) from None
        for warning in self.desired.warnings:
            self.vici.warn(warning)
        persist = params.get("persist")
        if persist:
            self.persisted = self._read_persisted(persist)

    def _read_persisted(self, path: str) -> PersistPlan:
        if self.params.get("src") and os.path.realpath(path) == os.path.realpath(self.params["src"]):
            raise RunFailure("persist: %s is the src file itself; persist writes the tree rendered anew (comments and "
                             "includes lost), so name another file (typically in conf.d/)" % path)
        text = file_text(persisted_tree(self.merged))
        text_digest = digest(text)
        on_disk = current_digest(path)
        notes: List[str] = []
        file_trust = trust(read_record(self.session.endpoint, path, notes), on_disk, text_digest, self.ledger.instance)
        for note in notes:
            self.vici.warn(note)
        if self.merged.get("certificates") or self.merged.get("private_keys"):
            self.vici.warn("persist: the certificates and private_keys options are loaded, but not written to %s "
                           "(swanctl.conf cannot hold them; put the files in swanctl's x509/ and private/ folders, or "
                           "use secrets.private-* sections)" % path)
        return PersistPlan(path, text, text_digest, on_disk, file_trust, file_mode(path) if on_disk is not None else None)

    @property
    def file_trust(self) -> FileTrust:
        return self.persisted.trust if self.persisted is not None else FileTrust.UNKNOWN

    def plan(self) -> None:
        """Every group planned against one snapshot of its kind; sends read-only commands only."""
        adoption = {FileTrust.LOADED: Adoption.ADOPT_PRESENT, FileTrust.EDITED: Adoption.FORGET_RECORDED}
        purge = bool(self.params.get("purge"))
        try:
            planned = None
            if self.previous is not None and self.prints is not None:
                planned = delta_plan(self.session, self.desired.groups, self.previous, self.prints, self.ledger, purge)
                if planned is None:  # the tree holds what the delta path does not plan: every object, as always
                    self._full_path()
            self.planned = planned if planned is not None else plan_groups(
                self.session, self.desired.groups, self.ledger, purge, adoption.get(self.file_trust, Adoption.NONE))
        except ConfigError as error:  # a connection the running release refuses (ConnectionKind.preflight)
            raise RunFailure("connections.%s: %s" % (error.connection, error.detail)) from None
        self.result["sections"] = summary(self.planned)
        self.diff = gateway_diff(self.planned)
        self.changed = any(change.action for entry in self.planned for change in entry.changes)
        self.psks = changed_psks(self.planned)
        # The SAs before the apply, of every connection the SA step may look at (by name: which ones it reports on
        # is decided after the apply, see :meth:`tunnels`).
        self.window = retry_window(self.params.get("sa_timeout", 20))
        self.sas_before = sas_before(self.session, [Subject(name, "", {}, "") for name in self._connection_names()])
        if self.file_trust is FileTrust.EDITED and self.persisted is not None:
            self.vici.warn("persist: %s was changed since this module wrote it; every object of the tree is loaded "
                           "again and the file is rewritten" % self.persisted.path)

    def _connection_names(self) -> List[str]:
        return [name for entry in self.planned if isinstance(entry.group.kind, ConnectionKind)
                for name in sa_step_names(entry.changes)]

    def _subjects(self) -> List[Subject]:
        mode = self.params.get("sa_update") or "auto"
        per_connection = self.params.get("sa_update_connections") or {}
        for name, value in per_connection.items():
            if value not in SA_UPDATE_MODES:
                raise RunFailure("sa_update_connections.%s: must be one of %s, got %r" % (name, ", ".join(SA_UPDATE_MODES), value))
        return [subject for entry in self.planned if isinstance(entry.group.kind, ConnectionKind)
                for subject in tunnel_subjects(entry.changes, mode, per_connection)]

    def stage(self) -> None:
        """Before the first mutating command: the new persisted file written under its temporary name.

        A directory that is read-only, full or missing fails here, with the daemon untouched. Check mode
        makes the same write and removes the file at once.
        """
        persisted = self.persisted
        if persisted is None or not persisted.file_changed:
            return
        temporary = stage(persisted.path, persisted.text)
        if self.check_mode:
            discard(temporary)
        else:
            self.staged = temporary

    def apply(self) -> None:
        """Carry out the plan (not in check mode); stops at the first daemon error, saying what was applied."""
        if self.check_mode:
            return
        ledger = self.ledger
        if not self.changed:
            if self.file_trust is FileTrust.LOADED:
                ledger.save()  # remember the adopted objects for this daemon instance
            return
        try:
            done = apply_groups(self.session, self.planned, ledger)
        except GroupApplyError as failure:
            applied = [entry.as_result() for entry in failure.done]
            self.result["applied"] = applied
            raise RunFailure(error=failure.failure.error, context=failure.where,
                             suffix=state_after_failure(failure.where, failure.failure), applied=applied,
                             daemon_state=Outcome(failure.failure.outcome).value, sections=self.result["sections"],
                             changed=failure_changed(failure)) from None
        self.applied = [entry.as_result() for entry in done]
        if self.psks:  # which IKE_SAs existed when the new PSKs were loaded (see proof)
            self.psk_mark = ike_sa_mark(self.session)

    def persist(self) -> None:
        """Put the staged file in place and write its record (not in check mode); keep the file 0600.

        A failure here comes after the apply: it reports ``changed`` and ``applied``.
        """
        if self.persisted is None:
            return
        persisted = self.persisted
        self.result["persist"] = {"path": persisted.path, "changed": persisted.file_changed or persisted.loose}
        self.changed = self.changed or persisted.file_changed or persisted.loose
        if persisted.loose:
            # It holds secrets: a wider mode is a change of the file's state, corrected (and reported) as one.
            mode = persisted.mode or 0  # loose: the file exists, with wider bits
            self.result["persist"]["mode"] = "%04o" % mode
            self.vici.warn("persist: %s had mode %04o, readable by others while it holds secrets; its mode %s 0600"
                           % (persisted.path, mode, "would be set to" if self.check_mode else "was set to"))
        if self.check_mode:
            return
        file_done = False
        try:
            if persisted.file_changed:
                if self.params.get("backup") and persisted.on_disk is not None:
                    self.result["persist"]["backup_file"] = self.vici.backup(persisted.path)
                staged, self.staged = self.staged, None
                commit(staged or stage(persisted.path, persisted.text), persisted.path)
                file_done = True
            elif persisted.loose:
                tighten(persisted.path)
                file_done = True
            if persisted.file_changed or persisted.trust is not FileTrust.LOADED:
                self._write_record(persisted)
        except PersistError as error:
            raise RunFailure(str(error), sections=self.result["sections"], applied=self.applied,
                             changed=bool(self.applied) or file_done) from None

    def tunnels(self) -> None:
        """After the apply: each changed connection's SAs per ``sa_update``, the SA report, tunnels left down."""
        self.subjects = self._subjects()
        settled = sa_step(self.session, self.subjects, self.sas_before, self.check_mode, self.window)
        if settled.report:
            self.result["sa_report"] = settled.report
        if not settled.down:
            return
        self.result["down"] = settled.down
        message = tunnels_down(settled.down, self.check_mode)
        if self.params.get("down_fails"):
            raise RunFailure(message, sections=self.result["sections"], changed=self.changed, **{
                key: self.result[key] for key in ("sa_report", "down", "persist") if key in self.result})
        self.vici.warn(message)

    def proof(self) -> None:
        """``psk_proof``: for each IKE PSK the run loads (or would), the IKE_SAs still on the old authentication
        (:mod:`.._kinds.psk_proof`; read-only commands, none when no PSK changed)."""
        if self.psks:
            self.result["psk_proof"] = psk_proof(self.session, self.psks, self.psk_mark)

    def _write_record(self, persisted: PersistPlan) -> None:
        # Which daemon was running when the file got this content; a restart meanwhile makes it unknown.
        session, ledger = self.session, self.ledger
        now = instance_identity(session.endpoint, str(session.stats().get("uptime", {}).get("since", "")))
        write_record(session.endpoint, persisted.path, persisted.text_digest,
                     ledger.instance if same_instance(now, ledger.instance) else "")

    def report(self) -> NoReturn:
        if self.vici.has_ledger:  # the shortcut does not open it
            self.vici.warn_ledger(self.ledger)
        self.vici.exit(changed=self.changed, diff=self.diff, **self.result)

    # -- the one way out on failure ---------------------------------------------------------------

    def execute(self) -> NoReturn:
        try:
            try:
                if self.unchanged():
                    self.report()
                self.read()
                self.plan()
                self.stage()
                self.apply()
                self.persist()
                self.tunnels()
                self.proof()
                self.remember()
            finally:
                if self.staged is not None:  # the run stopped between stage and persist
                    discard(self.staged)
                    self.staged = None
        except RunFailure as failure:
            self.fail(failure)
        except (UserError, PersistError) as error:
            self.fail(RunFailure(str(error), **self._after_apply()))
        except ViciError as error:
            self.fail(RunFailure(error=error, **self._after_apply()))
        self.report()

    def _after_apply(self) -> Dict[str, Any]:
        """``changed`` and ``applied`` for a failure after the apply carried something out (else nothing)."""
        return {"changed": True, "applied": self.applied} if self.applied else {}

    def fail(self, failure: RunFailure) -> NoReturn:
        if self.opened:
            self.vici.warn_ledger(self.ledger)
        details = dict(failure.details)
        if failure.error is not None:
            self.vici.fail_from(failure.error, context=failure.context, suffix=failure.suffix, **details)
        # Belt and braces: no secret value of a tree read from src in the message (those of the arguments are
        # scrubbed with every message of the module, see _base), long ones only: a short one would garble it.
        self.vici.fail(scrub(failure.msg, secret_values(self.merged)), **details)


def run(vici: ViciModule) -> None:
    """The config module: plan the tree against the daemon, apply it, persist it, report per section."""
    GatewayRun(vici).execute()
