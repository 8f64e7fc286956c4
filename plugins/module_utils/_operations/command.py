# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The command module: any VICI command, with its secrets masked. PRIVATE to the collection.

Which commands are read-only (check mode sends only those, and they report no
change), the secret values of a request and a masked copy of it for the result
(which keys are secret is decided in :mod:`.._text.secrets`), and sending the
command with its event.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Optional, Sequence, Tuple

from .._text.input import InputError, check_request
from .._text.printable import printable
from .._text.secrets import MASK, is_secret_message_key
from ..vici.errors import ViciCommandFailed
from ..vici.session import READ_ONLY_COMMANDS, STREAMED_COMMANDS, Session

if TYPE_CHECKING:
    from .._base import ViciModule


def is_read_only(command: str) -> bool:
    """True for commands that never change the daemon (version, stats, list-*, get-*)."""
    return command in READ_ONLY_COMMANDS


def default_event(command: str) -> Optional[str]:
    """The event a streamed command raises, if it is one the client knows."""
    return STREAMED_COMMANDS.get(command)


def _leaves(command: str, message: Any) -> Iterable[Tuple[bool, Any]]:
    """(secret?, value) of every scalar in ``message``. A scalar is secret when any key above it is a secret key
    (a dict or list under ``data`` is secret through and through); list items carry their list's key. Iterative."""
    stack: List[Tuple[bool, Optional[str], Any]] = [(False, None, message)]
    while stack:
        secret, key, node = stack.pop()
        secret = secret or is_secret_message_key(command, key)
        if isinstance(node, Mapping):
            stack.extend((secret, str(name), value) for name, value in reversed(list(node.items())))
        elif isinstance(node, (list, tuple)):
            stack.extend((secret, key, value) for value in reversed(node))
        else:
            yield secret, node


def secret_values(command: str, message: Any) -> List[str]:
    """Every value in ``message`` that must never be echoed back: each scalar under a secret key, at any depth."""
    found: List[str] = []
    for secret, node in _leaves(command, message):
        if secret and node is not None:
            text = node.decode("utf-8", "replace") if isinstance(node, bytes) else str(node)
            if text:
                found.append(text)
    return found


def masked_request(command: str, message: Any) -> Any:
    """A copy of ``message`` in which whatever sits under a secret key (see :func:`.secrets.is_secret_message_key`)
    is replaced by the mask, whole: a string, a list, or a dict nested inside ``data``.

    Iterative, so that any depth the decoder accepts is copied without recursion.
    """
    root: List[Any] = [None]
    # (node to copy, key it sits under, container to put the copy in, slot in that container)
    stack: List[Tuple[Any, Optional[str], Any, Any]] = [(message, None, root, 0)]
    while stack:
        node, key, parent, slot = stack.pop()
        if node is not None and is_secret_message_key(command, key):
            copy: Any = MASK
        elif isinstance(node, Mapping):
            copy = {}
            for name, value in node.items():
                copy[name] = None
                stack.append((value, str(name), copy, name))
        elif isinstance(node, (list, tuple)):
            copy = [None] * len(node)
            for index, value in enumerate(node):
                stack.append((value, key, copy, index))
        else:
            copy = node
        parent[slot] = copy
    return root[0]


def mask_arguments(params: Mapping[str, Any], options: Sequence[str]) -> Tuple[Dict[str, Any], List[str]]:
    """The command module's arguments for ``invocation``, and the secret values to keep out of its result.

    no_log made every value of the request a no_log value ("yes", "2", a connection name...), which would mask
    them wherever they appear in the reply: only the secrets are kept, and the result shows a masked copy of the
    request instead of nothing. A request that is no mapping (an argument error) and unknown arguments are
    masked whole.
    """
    command = str(params.get("command") or "")
    shown: Dict[str, Any] = {}
    values: List[str] = []
    for name, value in params.items():
        if name == "request" and isinstance(value, Mapping):
            shown[name] = masked_request(command, value)
            values.extend(secret_values(command, value))
        elif value is not None and (name == "request" or name not in options):
            shown[name] = MASK
            values.extend(secret_values(command, {"secret": value}))
        else:
            shown[name] = value
    return shown, values


def run_command(
    session: Session, command: str, message: Mapping[str, Any], event: Optional[str]
) -> Tuple[Dict[str, Any], List[Dict[str, Any]]]:
    """Send ``command``; return (reply, events). ``success = no`` raises ViciCommandFailed."""
    if event:
        result = session.stream(command, event, message)
        return result.response, result.events
    return session.call(command, message), []


def run(vici: ViciModule) -> None:
    """The command module's body, for ``ViciModule.run``."""
    command, message = vici.params["command"], vici.params["request"] or {}
    try:
        check_request(command, message, "request")
    except InputError as error:
        vici.fail(str(error))
    event = vici.params["event"]
    if event is None:
        event = default_event(command)
    read_only = is_read_only(command)
    if vici.check_mode and not read_only:
        vici.exit(changed=True, skipped_in_check_mode=True)
    try:
        response, events = run_command(vici.session, command, message, event or None)
    except ViciCommandFailed as error:
        vici.fail_from(error, response=printable(error.response), events=printable(error.events))
    result = {"response": printable(response), "events": printable(events)}
    if vici.check_mode:
        result["skipped_in_check_mode"] = False
    vici.exit(changed=not read_only, **result)
