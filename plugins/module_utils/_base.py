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

from typing import Any, Callable, Dict, Iterable, List, Mapping, NoReturn, Optional, Sequence, Tuple

from ansible.module_utils.basic import AnsibleModule, env_fallback

from ._engine.kind import Change, Item, Kind, Outcome
from ._engine.ledger import Ledger, LedgerError
from ._engine.plan import Group, GroupApplyError, apply_groups, plan_groups, state_after_failure
from ._text.diagnose import transport_problem
from ._text.input import UserError, check_request, check_text
from ._text.printable import NestingError
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
from .vici.transport import DEFAULT_URI, Endpoint, check_timeout

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
        return transport_problem(str(error), socket_uri, endpoint or error.endpoint)
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
    else happens. ``masks_own_secrets``: the module masks its secrets where it
    uses them (``no_log`` on its options then only keeps them out of the system
    log), so Ansible matches no value against the result; see :meth:`mask_exactly`.
    """

    def __init__(
        self,
        argument_spec: Mapping[str, Any],
        supports_check_mode: bool = True,
        seconds: Sequence[str] = (),
        masks_own_secrets: bool = False,
        **kwargs: Any
    ) -> None:
        self.module = AnsibleModule(
            argument_spec=vici_argument_spec(**argument_spec), supports_check_mode=supports_check_mode, **kwargs
        )
        self.params = self.module.params
        #: Whether this is a check-mode run (an attribute: read at every step of a run).
        self.check_mode: bool = self.module.check_mode
        self._session: Optional[Session] = None
        self._ledger: Optional[Ledger] = None
        self._warned: List[str] = []
        try:
            # Text that is not UTF-8 could neither be sent nor returned to the controller.
            check_text(self.params, [name for name, spec in self.module.argument_spec.items() if spec.get("no_log")])
        except UserError as error:
            self.fail(str(error))
        problems = [check_seconds(self.params, "timeout")]
        problems.extend(check_seconds(self.params, name, allow_zero=True) for name in seconds)
        found = [problem for problem in problems if problem]
        if found:
            self.module.fail_json(msg="; ".join(found))
        if masks_own_secrets:
            self.mask_exactly(())

    def mask_exactly(self, values: Iterable[str]) -> None:
        """Ansible masks exactly ``values`` in the result from now on, not every value of a ``no_log`` option.

        For modules whose ``no_log`` options hold more than secrets (a whole
        request, a whole tree): matching every such value against the result
        would mask names and numbers too, and take minutes for large trees.
        """
        self.module.no_log_values = set(values)

    @property
    def diff_mode(self) -> bool:
        return bool(self.module._diff)

    @property
    def session(self) -> Session:
        """The VICI session, opened on first use."""
        if self._session is None:
            self._session = Session(self.params["socket"], self.params["timeout"])
        return self._session

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
        if self._session is not None:
            self._session.close()
            self._session = None

    def fail(self, msg: str, **details: Any) -> NoReturn:
        self.close()
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
        self.module.exit_json(changed=changed, **result)

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
        raises UserError, in check mode too.
        """
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
        return str(self.module.backup_local(path))

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
