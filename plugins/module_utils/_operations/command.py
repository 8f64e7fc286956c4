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
from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Optional, Tuple

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


def _leaves(message: Any) -> Iterable[Tuple[Optional[str], Any]]:
    """(key, value) of every scalar in ``message``; list items carry their list's key. Iterative (any depth)."""
    stack: List[Tuple[Optional[str], Any]] = [(None, message)]
    while stack:
        key, node = stack.pop()
        if isinstance(node, Mapping):
            stack.extend((str(name), value) for name, value in reversed(list(node.items())))
        elif isinstance(node, (list, tuple)):
            stack.extend((key, value) for value in reversed(node))
        else:
            yield key, node


def secret_values(command: str, message: Any) -> List[str]:
    """Every value in ``message`` that must never be echoed back (for Ansible's no_log_values)."""
    found: List[str] = []
    for key, node in _leaves(message):
        if node is not None and is_secret_message_key(command, key):
            text = node.decode("utf-8", "replace") if isinstance(node, bytes) else str(node)
            if text:
                found.append(text)
    return found


def masked_request(command: str, message: Any) -> Any:
    """A copy of ``message`` with every secret value (see :func:`.secrets.is_secret_message_key`) replaced by the mask.

    Iterative, so that any depth the decoder accepts is copied without recursion.
    """
    root: List[Any] = [None]
    # (node to copy, key it sits under, container to put the copy in, slot in that container)
    stack: List[Tuple[Any, Optional[str], Any, Any]] = [(message, None, root, 0)]
    while stack:
        node, key, parent, slot = stack.pop()
        if isinstance(node, Mapping):
            copy: Any = {}
            for name, value in node.items():
                copy[name] = None
                stack.append((value, str(name), copy, name))
        elif isinstance(node, (list, tuple)):
            copy = [None] * len(node)
            for index, value in enumerate(node):
                stack.append((value, key, copy, index))
        elif node is not None and is_secret_message_key(command, key):
            copy = MASK
        else:
            copy = node
        parent[slot] = copy
    return root[0]


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
    # no_log made every value of the request a no_log value ("yes", "2", a connection name...), which would
    # mask them wherever they appear in the reply. Keep only the secrets, and show a masked copy of the
    # request in the result (invocation) instead of nothing.
    vici.mask_exactly(secret_values(command, message))
    vici.params["request"] = masked_request(command, message)
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
