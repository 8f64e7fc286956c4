# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The glue every module of the collection shares. PRIVATE to the collection.

Connection options, one session per module run, client errors turned into one
clear ``fail_json``, and the result (``changed``, ``diff``) built in one place.
Modules describe their arguments and call into shared logic; they never touch
sockets or bytes.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Mapping, NoReturn, Optional, Sequence, Tuple

from ansible.module_utils.basic import AnsibleModule, env_fallback
from ansible.module_utils.common.validation import check_mutually_exclusive

from ._engine.kind import Change, Item, Kind, Outcome
from ._engine.ledger import Ledger, LedgerError
from ._engine.lock import GatewayBusy, GatewayLock, lock_path, lock_wait
from ._engine.probes import remove_stale_probes
from ._engine.plan import Group, GroupApplyError, apply_groups, failure_changed, plan_groups, state_after_failure
from ._text.diagnose import transport_problem
from ._text.input import UserError, check_request, check_text, without_invalid_text
from ._text.printable import NestingError
from ._text.secrets import MASK, SCRUB_MIN_CHARS, hide_exact, scrub
from .vici.errors import (
    ViciCommandFailed,
    ViciCommandUnknown,
    ViciEncodeError,
    ViciError,
    ViciEventUnknown,
    ViciMessageTooLarge,
    ViciProtocolError,
    ViciTimeoutError,
    ViciTransportError,
    ViciUriError,
    ViciValueError,
)
from .vici.session import Session
from .vici.transport import DEFAULT_URI, Endpoint, check_timeout, parse_uri

#: A module's own masking of its arguments: (arguments, option names) -> (the arguments to show, the secret values).
MaskArguments = Callable[[Mapping[str, Any], Sequence[str]], Tuple[Dict[str, Any], List[str]]]


def masked_by_spec(params: Mapping[str, Any], spec: Mapping[str, Any]) -> Dict[str, Any]:
    """``params`` with the value of every no_log option (and suboption) masked by its key, and unknown ones too."""
    shown: Dict[str, Any] = {}
    for name, value in params.items():
        option = spec.get(name)
        if value is None:
            shown[name] = None
        elif option is None or option.get("no_log"):
            shown[name] = MASK
        elif option.get("options") and isinstance(value, Mapping):
            shown[name] = masked_by_spec(value, option["options"])
        elif option.get("options") and isinstance(value, list):
            shown[name] = [masked_by_spec(item, option["options"]) if isinstance(item, Mapping) else item for item in value]
        else:
            shown[name] = value
    return shown


class _AnsibleModule(AnsibleModule):
    """AnsibleModule whose results hide secrets where they are, not inside prose.

    ansible-core replaces every no_log value wherever it occurs in any string of the result: a one-letter
    secret ``a`` turns the module's messages into ``is not v********lid UTF-8 text``. Here, from the very first
    argument error on (these methods also serve AnsibleModule's own failures):

    * ``invocation`` is the arguments masked by key (the module's ``mask_arguments``, else every no_log option);
    * a string or number of the result that *is* a secret value is masked, whatever its length;
    * only secret values of at least SCRUB_MIN_CHARS characters are also replaced inside text, by ansible-core;
      a module whose results are masked where they are built (``masked_results``: ``config``, whose results
      hold thousands of objects) has them replaced in the result's top-level texts (``msg``, ``vici_errmsg``)
      and warnings only.
    """

    def __init__(self, mask_arguments: Optional[MaskArguments] = None, masked_results: bool = False,
                 **kwargs: Any) -> None:
        self._mask_arguments = mask_arguments
        self._masked_results = masked_results
        self._masked_once: Optional[Tuple[Dict[str, Any], List[str]]] = None
        self._checked = False
        # untyped_calls_exclude (mypy.ini) does not reach ansible-core's methods called through this subclass.
        super().__init__(**kwargs)  # type: ignore[no-untyped-call]
        self._checked = True  # the arguments are final: mask them once (a walk of the whole tree for config)

    def _masked(self) -> Tuple[Dict[str, Any], List[str]]:
        if self._masked_once is not None:
            return self._masked_once
        spec = getattr(self, "argument_spec", {}) or {}
        params = getattr(self, "params", None) or {}
        if self._mask_arguments is not None:
            masked = self._mask_arguments(params, list(spec))
        else:
            masked = masked_by_spec(params, spec), [str(value) for value in self.no_log_values]
        if self._checked and self._mask_arguments is not None:
            self._masked_once = masked
        return masked

    def remask(self) -> None:
        """The arguments changed after the checks (:meth:`ViciModule.add_arguments`): mask them anew."""
        self._masked_once = None
        self._masked_once = self._masked()

    def _hidden(self, result: Dict[str, Any]) -> Dict[str, Any]:
        shown, values = self._masked()
        result.setdefault("invocation", {"module_args": shown})
        if self._masked_results:
            # Masked where built: keep the secrets out of the prose; ansible-core then scrubs nothing.
            self.no_log_values = set()
            for key, value in result.items():
                if isinstance(value, str):  # msg, vici_errmsg ...: the texts, not the objects
                    result[key] = scrub(value, values)
            return result
        invocation = result.pop("invocation")
        result = hide_exact(result, values)
        result["invocation"] = invocation
        self.no_log_values = {value for value in values if len(value) >= SCRUB_MIN_CHARS}
        return result

    def shown_arguments(self) -> Dict[str, Any]:
        """The arguments as ``invocation`` shows them: masked, and text that is not UTF-8 replaced."""
        shown: Dict[str, Any] = without_invalid_text(self._masked()[0])
        return shown

    def _log_invocation(self) -> None:
        # ansible-core logs every top-level option (syslog or journal) before the module runs, encoding each
        # text value as UTF-8: a lone surrogate (a byte such as 0xFF in ``name``) raised UnicodeEncodeError
        # there, a traceback naming no option. Such a run is logged without its values; ViciModule then refuses
        # it with a message that names the option (check_text).
        try:
            check_text(self.params)
        except UserError:
            self.log("Invoked with options that are not valid UTF-8 text (values not logged; the run is refused)")  # type: ignore[no-untyped-call]
            return
        super()._log_invocation()  # type: ignore[no-untyped-call]

    def warn(self, warning: str, **kwargs: Any) -> None:  # pylint: disable=arguments-differ
        if self._masked_results:
            warning = scrub(str(warning), self._masked()[1])
        super().warn(warning, **kwargs)

    def exit_json(self, **kwargs: Any) -> NoReturn:
        super().exit_json(**self._hidden(kwargs))

    def fail_json(self, msg: str, **kwargs: Any) -> NoReturn:  # pylint: disable=arguments-differ
        kwargs = self._hidden(dict(kwargs, msg=str(msg)))
        super().fail_json(kwargs.pop("msg"), **kwargs)


VICI_COMMON_ARGS: Dict[str, Dict[str, Any]] = {
    "socket": {"type": "str", "default": DEFAULT_URI, "fallback": (env_fallback, ["STRONGSWAN_VICI_SOCKET"])},
    "timeout": {"type": "float", "default": 30.0, "fallback": (env_fallback, ["STRONGSWAN_VICI_TIMEOUT"])},
}


def vici_argument_spec(**module_args: Any) -> Dict[str, Any]:
    """The module's own arguments plus the shared connection options."""
    spec = {key: dict(value) for key, value in VICI_COMMON_ARGS.items()}
    spec.update(module_args)
    return spec


def describe_error(error: ViciError, socket_uri: str, endpoint: Optional[Endpoint] = None) -> str:
    """One sentence a user can act on, for any client error (``endpoint``: the open session's, if any)."""
    if isinstance(error, ViciTimeoutError):
        return "%s. Raise the 'timeout' option if the daemon is just slow." % error
    if isinstance(error, ViciUriError):
        # A syntax error in the option: the daemon has nothing to do with it.
        return "socket: %s" % error
    if isinstance(error, ViciTransportError):
        # Without a session (connecting failed), the error carries the URI as the session parsed it.
        return transport_problem(str(error), socket_uri, endpoint or error.endpoint, error.error_number)
    if isinstance(error, ViciMessageTooLarge):
        # Raised before sending (transport.send_segment): our own limit, not something the daemon did.
        return "the request is too large to send: %s (a local limit; nothing was sent)" % error
    if isinstance(error, ViciProtocolError):
        return "VICI protocol error talking to %s: %s" % (socket_uri, error)
    if isinstance(error, ViciEncodeError):
        return "cannot encode the request: %s" % error
    if isinstance(error, ViciValueError):
        return "invalid argument: %s" % error
    if isinstance(error, (ViciCommandFailed, ViciCommandUnknown, ViciEventUnknown)):
        return str(error)
    return "VICI error: %s" % error


def check_seconds(params: Mapping[str, Any], name: str, allow_zero: bool = False) -> Optional[str]:
    """An error message naming option ``name`` if its value is not a usable number of seconds, else None.

    The argument spec has no range check: this one rule (finite, above 0 or
    0 with ``allow_zero``, at most a day) serves every option in seconds.
    """
    value = params.get(name)
    if value is None:
        return None
    try:
        check_timeout(value, name, allow_zero=allow_zero)
    except ViciValueError as error:
        return "option '%s': %s" % (name, error)
    return None


class ViciModule:
    """An AnsibleModule with a lazily opened VICI session, one ledger per run and shared error handling.

    ``seconds`` names the module's own options that hold seconds and may be 0
    (``wait_timeout``); they and ``timeout`` are range-checked before anything
    else happens. ``mask_arguments`` is the module's own masking of its arguments
    for ``invocation`` (``config``, ``command``); without it every no_log option
    is masked by its key. ``masked_results``: the module masks its results where
    it builds them (see :class:`_AnsibleModule`).

    ``locks_gateway``: the module can change the daemon's objects, so it holds the gateway lock
    (:mod:`._engine.lock`) from before its first read (the session is opened under it) until it exits, after
    the ledger and the persisted file are written. Check mode takes it too: a plan read while another run is
    half-way through its apply would predict from a state that is neither before nor after. :meth:`converge`
    takes it in any case.
    """

    def __init__(
        self,
        argument_spec: Mapping[str, Any],
        supports_check_mode: bool = True,
        seconds: Sequence[str] = (),
        mask_arguments: Optional[MaskArguments] = None,
        masked_results: bool = False,
        locks_gateway: bool = False,
        **kwargs: Any
    ) -> None:
        self.module = _AnsibleModule(
            mask_arguments=mask_arguments, masked_results=masked_results,
            argument_spec=vici_argument_spec(**argument_spec), supports_check_mode=supports_check_mode, **kwargs
        )
        self.params = self.module.params
        #: Whether this is a check-mode run (an attribute: read at every step of a run).
        self.check_mode: bool = self.module.check_mode
        self._session: Optional[Session] = None
        self._ledger: Optional[Ledger] = None
        self._warned: List[str] = []
        self.locks_gateway = locks_gateway
        self._lock: Optional[GatewayLock] = None
        #: Reload probes of killed runs this run unloaded (or, in check mode, would unload): a change.
        self.stale_probes: List[str] = []
        try:
            # Text that is not UTF-8 could neither be sent nor returned to the controller.
            check_text(self.params, [name for name, spec in self.module.argument_spec.items() if spec.get("no_log")])
        except UserError as error:
            # The result echoes the options (invocation): the controller refuses text that is not UTF-8.
            self.fail(str(error), invocation={"module_args": self.module.shown_arguments()})
        problems = [check_seconds(self.params, "timeout")]
        problems.extend(check_seconds(self.params, name, allow_zero=True) for name in seconds)
        found = [problem for problem in problems if problem]
        if found:
            self.module.fail_json(msg="; ".join(found))

    def add_arguments(self, values: Mapping[str, Any]) -> None:
        """Arguments that reach the module another way than as task arguments (config's tree file), taken as given.

        Checked as those are (text that is not UTF-8, the module's mutually exclusive options) and masked with
        them in ``invocation`` and the results. ansible-core logged the invocation before they were added.
        """
        self.params.update(values)
        self.module.remask()
        try:
            check_text(values, list(values))
            check_mutually_exclusive(self.module.mutually_exclusive,
                                     {name: value for name, value in self.params.items() if value is not None})
        except UserError as error:
            self.fail(str(error), invocation={"module_args": self.module.shown_arguments()})
        except TypeError as error:  # ansible-core's message: "parameters are mutually exclusive: tree|connections"
            self.fail(str(error))

    @property
    def diff_mode(self) -> bool:
        return bool(self.module._diff)

    @property
    def session(self) -> Session:
        """The VICI session, opened on first use (under the gateway lock for a module that locks it)."""
        if self._session is None:
            if self.locks_gateway:
                self.hold_gateway()
            self._session = Session(self.params["socket"], self.params["timeout"])
            if self.locks_gateway:
                self._remove_stale_probes(self._session)
        return self._session

    def _remove_stale_probes(self, session: Session) -> None:
        """Unload reload probes a killed run left behind (check mode: say they would be); a change and a warning."""
        self.stale_probes = remove_stale_probes(session, self.check_mode)
        for name in self.stale_probes:
            self.warn("connection '%s' is a reload probe left behind by a run that was killed (a full copy of a "
                      "connection that can still match as a responder); it %s unloaded"
                      % (name, "would be" if self.check_mode else "was"))

    def hold_gateway(self) -> None:
        """Take the gateway lock of this run's socket (once; released by :meth:`close`, at exit or failure).

        Fails the module naming the holder when another run holds it for the whole wait.
        """
        if self._lock is not None and self._lock.held:
            return
        endpoint = parse_uri(self.params["socket"])
        try:
            wait = lock_wait()
        except ValueError as error:
            self.fail(str(error))
        lock = GatewayLock(lock_path(Ledger.path_for(endpoint), endpoint), self.params["socket"])
        try:
            lock.acquire(str(getattr(self.module, "_name", "") or "unknown"), wait)
        except GatewayBusy as error:
            self.fail(str(error))
        except OSError as error:
            self.fail("cannot take the gateway lock %s (%s)" % (lock.path, error.strerror or error))
        self._lock = lock

    @property
    def gateway_locked(self) -> bool:
        """Whether this run holds the gateway lock."""
        return self._lock is not None and self._lock.held

    @property
    def ledger(self) -> Ledger:
        """The ledger of the daemon instance behind the session, opened on first use (one ``stats`` per run).

        Read-only in check mode: nothing is written, not even a new key.
        """
        if self._ledger is None:
            self._ledger = Ledger.for_session(self.session, read_only=self.check_mode)
        return self._ledger

    @property
    def has_ledger(self) -> bool:
        """Whether this run opened the ledger (its notes are worth reporting)."""
        return self._ledger is not None

    def close(self) -> None:
        """Close the session and let the next run on this gateway in."""
        if self._session is not None:
            self._session.close()
            self._session = None
        if self._lock is not None:
            self._lock.release()

    def fail(self, msg: str, **details: Any) -> NoReturn:
        self.close()
        if self.stale_probes:
            details["changed"] = True
        self.module.fail_json(msg=msg, **details)

    def fail_from(self, error: ViciError, context: str = "", suffix: str = "", **details: Any) -> NoReturn:
        """Fail with a message for ``error``, prefixed with what we were doing (and ``suffix`` appended)."""
        msg = describe_error(error, self.params["socket"], self._session.endpoint if self._session is not None else None)
        if context:
            msg = "%s: %s" % (context, msg)
        msg += suffix
        if isinstance(error, ViciCommandFailed):
            details.setdefault("vici_command", error.command)
            details.setdefault("vici_errmsg", error.errmsg)
        self.fail(msg, **details)

    def exit(self, changed: bool = False, diff: Optional[Mapping[str, Any]] = None, **result: Any) -> NoReturn:
        """Exit with ``changed`` and, in diff mode, the ``diff``."""
        self.close()
        if diff is not None and self.diff_mode:
            result["diff"] = diff
        self.module.exit_json(changed=changed or bool(self.stale_probes), **result)

    def run(self, main: Callable[["ViciModule"], None]) -> None:
        """Call ``main(self)``; any client error or wrong input (UserError) becomes a clean module failure."""
        try:
            main(self)
        except UserError as error:
            self.fail(str(error))
        except ViciError as error:
            self.fail_from(error)
        except NestingError as error:
            self.fail("the daemon's reply cannot be returned: %s" % error)
        except LedgerError as error:
            self.fail(str(error))

    # -- declarative objects ----------------------------------------------

    def converge(self, kind: Kind, items: Sequence[Item]) -> Tuple[List[Change], List[Dict[str, Any]]]:
        """Plan ``items`` against the daemon and, outside check mode, apply the plan.

        Check mode sends only read-only commands and writes no ledger. A
        failure part-way fails the module with the daemon's errmsg, the
        object's name, what was applied and what the daemon holds of the
        failed object (``daemon_state``). Ledger problems are warnings: they
        make objects reload, and a change applied but not recorded is still
        reported as changed. Input the daemon would refuse (kind.preflight)
        raises UserError, in check mode too. Runs under the gateway lock.
        """
        self.hold_gateway()
        for item in items:
            if item.message is not None:
                # Validate first, in check mode too: a value over 65535 bytes or a message over 512 KiB fails
                # here, before anything is sent, not half-way through the real run.
                check_request("load", item.message, "%s '%s'" % (kind.label, item.name))
        group = Group(kind.label, kind, list(items), {})
        planned = plan_groups(self.session, [group], self.ledger)[0]
        replies: List[Dict[str, Any]] = []
        if not self.check_mode and any(change.action for change in planned.changes):
            try:
                done = apply_groups(self.session, [planned], self.ledger)
            except GroupApplyError as failure:
                self.warn_ledger(self.ledger)
                self.fail_from(
                    failure.failure.error,
                    context=failure.where,
                    suffix=state_after_failure(failure.where, failure.failure),
                    applied=[applied.as_result(with_section=False) for applied in failure.done],
                    daemon_state=Outcome(failure.failure.outcome).value,
                    changed=failure_changed(failure),
                )
            replies = [applied.reply for applied in done if applied.reply is not None]
        self.warn_ledger(self.ledger)
        return planned.changes, replies

    def converge_one(self, kind: Kind, item: Item, **result: Any) -> NoReturn:
        """Converge one object and exit with its change and ``result``."""
        changes, _replies = self.converge(kind, [item])
        self.exit_change(kind, changes[0], **result)

    def warn(self, message: str) -> None:
        """A warning for the task's result, given once however often it is raised."""
        if message not in self._warned:
            self._warned.append(message)
            self.module.warn(message)

    def backup(self, path: str) -> str:
        """A timestamped copy of ``path`` beside it (Ansible's ``backup`` convention); returns its name."""
        return str(self.module.backup_local(path))  # type: ignore[no-untyped-call]

    def warn_ledger(self, ledger: Ledger) -> None:
        """The ledger's notes (unusable directory, unreadable file, ...) as warnings."""
        for note in ledger.notes:
            self.warn(note)

    def exit_change(self, kind: Kind, change: Change, **result: Any) -> NoReturn:
        """Exit for a module that manages one object."""
        diff = {
            "before_header": "%s %s" % (kind.label, change.name),
            "after_header": "%s %s" % (kind.label, change.name),
            "before": change.before,
            "after": change.after,
        }
        result.setdefault("reason", change.reason)
        self.exit(changed=change.action is not None, diff=diff, action=change.action or "none", **result)
