# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Kind contract: how one kind of daemon object is observed, loaded, unloaded and hidden. PRIVATE.

A declarative module describes its objects as :class:`Item` values of a :class:`Kind`;
:mod:`.plan` decides a :class:`Change` for each and carries it out. A new kind of
daemon object is a Kind subclass in ``_kinds/`` and a thin module; nothing here changes.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from enum import Enum
from typing import Any, Callable, Dict, Iterable, List, NamedTuple, Optional, Sequence, Tuple

from .._text.secrets import MASK
from ..vici.errors import ViciCommandFailed
from ..vici.session import Session

# How a diff shows a secret whose value changed (the masked copies are equal).
CHANGED_SECRET = MASK + " (changed)"


class Action(str, Enum):
    """What a :class:`Change` does to the daemon (None in a Change: nothing to do)."""

    LOAD = "load"
    RELOAD = "reload"  # unload, then load: for changes the daemon applies only to new objects
    UNLOAD = "unload"


class Outcome(str, Enum):
    """What the daemon holds of an object after a failed change (``daemon_state`` in results)."""

    UNCHANGED = "unchanged"  # nothing of this object was changed
    RESTORED = "restored"  # it was unloaded for the change, and its previous message loaded back
    ABSENT = "absent"  # it was unloaded for the change and could not be loaded back
    UNKNOWN = "unknown"  # the connection to the daemon was lost (or timed out) during the change: nobody knows


class _AbsentOnDaemon:
    """What a snapshot says of a name it does not hold (distinct from None: "present, nothing reported")."""

    def __repr__(self) -> str:
        return "ABSENT_ON_DAEMON"


#: ``reported`` for an object the daemon does not hold (see :meth:`Kind.load`).
ABSENT_ON_DAEMON: Any = _AbsentOnDaemon()
#: ``reported`` when no snapshot says (the daemon is asked if it matters).
NOT_OBSERVED: Any = None


def _copy_tree(value: Any, memo: Optional[Dict[int, Any]] = None) -> Any:
    """A deep copy of message data, much faster than copy.deepcopy on big trees.

    Like deepcopy it keeps shared containers shared (masking one path masks every alias of it); types other
    than dict and list go through deepcopy.
    """
    kind = type(value)
    if kind in (str, bytes, int, bool, float) or value is None:
        return value
    if memo is None:
        memo = {}
    if id(value) in memo:
        return memo[id(value)]
    if kind is dict:
        copied: Any = {}
        memo[id(value)] = copied
        for key, item in value.items():
            copied[key] = _copy_tree(item, memo)
    elif kind is list:
        copied = []
        memo[id(value)] = copied
        copied.extend(_copy_tree(item, memo) for item in value)
    else:
        copied = copy.deepcopy(value)
        memo[id(value)] = copied
    return copied


def mask_paths(message: Mapping[str, Any], secret_paths: Iterable[Tuple[str, ...]]) -> Dict[str, Any]:
    """A deep copy of ``message`` with the values at ``secret_paths`` masked.

    A path element ``*`` matches every key at that level.
    """
    masked: Dict[str, Any] = _copy_tree(dict(message))
    for path, _value in secret_items(masked, secret_paths):
        _set(masked, path, MASK)
    return masked


def secret_items(message: Mapping[str, Any], secret_paths: Iterable[Tuple[str, ...]]) -> List[Tuple[Tuple[str, ...], Any]]:
    """Every (concrete path, value) of ``message`` at ``secret_paths`` (``*`` matches every key), values not None."""
    found: List[Tuple[Tuple[str, ...], Any]] = []

    def walk(node: Any, pattern: Tuple[str, ...], path: Tuple[str, ...]) -> None:
        if not pattern or not isinstance(node, Mapping):
            return
        head, rest = pattern[0], pattern[1:]
        keys = list(node) if head == "*" else [head] if head in node else []
        for key in keys:
            if rest:
                walk(node[key], rest, path + (key,))
            elif node[key] is not None:
                found.append((path + (key,), node[key]))
    for pattern in secret_paths:
        walk(message, tuple(pattern), ())
    return found


def _set(node: Dict[str, Any], path: Tuple[str, ...], value: Any) -> None:
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value


def _get(node: Any, path: Tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(node, Mapping) or key not in node:
            return None
        node = node[key]
    return node


def with_hint(error: ViciCommandFailed, hint: str) -> ViciCommandFailed:
    """``error`` with ``hint`` appended to the daemon's errmsg (``error`` itself when there is no hint)."""
    if not hint:
        return error
    return ViciCommandFailed(error.command, dict(error.response, errmsg=error.errmsg + hint), error.events)


class Kind:
    """How one kind of daemon object is observed, compared, loaded and unloaded.

    Subclasses fill in the daemon side (snapshot, send_load, send_unload and
    the optional hooks); :func:`plan` and :func:`apply` do the rest. Every
    load and unload goes through the engine's :func:`.plan.load_object` and
    :func:`.plan.unload_object`, which add the kind's :meth:`hint` to a refusal
    and treat :attr:`not_found` as done. Optional hooks are None when a kind has none.
    """

    #: Name used in messages and as the ledger namespace.
    label = "object"
    #: Paths (tuples of keys) in the canonical message that hold secrets.
    secret_paths: Tuple[Tuple[str, ...], ...] = ()
    #: Whether presence on the daemon proves equality (certificates, keys: the name is a digest).
    presence_is_identity = False
    #: Whether the ledger keeps the full message, to load it back when a replacement fails
    #: (only for kinds whose messages hold no secret: secret_paths must be empty).
    restorable = False
    #: An optional hook, ``preflight(session, items)``: raise a UserError (see _text/input) if the daemon will
    #: certainly refuse ``items``. Read-only commands only; check mode runs it too, so it fails where the real
    #: run would.
    preflight: Optional[Callable[[Session, Sequence["Item"]], None]] = None
    #: An optional hook, ``kept_old_values(session, name, message, reported) -> bool``: whether the daemon, having
    #: just accepted ``message``, kept older values that only a reload replaces. ``reported`` is what the plan's
    #: snapshot held of ``name`` (ABSENT_ON_DAEMON, or NOT_OBSERVED when no snapshot says); the engine then
    #: unloads and loads once more.
    kept_old_values: Optional[Callable[[Session, str, Mapping[str, Any], Any], bool]] = None
    #: An optional hook, ``after_load(change, reply) -> Optional[str]``, called after each successful load of
    #: a plan with the daemon's reply; it returns the name the daemon knows the object by, if that is new.
    #: Names returned are never purged in the same run (a key loaded under a placeholder name, for example).
    after_load: Optional[Callable[["Change", Mapping[str, Any]], Optional[str]]] = None
    #: Whether ``purge`` may unload objects of this kind that the tree does not name (VICI cannot unload
    #: one certificate, for example).
    purgeable = True
    #: The read-only listings that show every object of this kind the daemon holds, as (command, streamed event
    #: or None): their replies, hashed undecoded (Session.listing_digest), change when one of these objects is
    #: loaded, unloaded or changed in what the daemon reports. Empty: no such listing (config's unchanged-rerun
    #: shortcut, _gateway/shortcut.py, is then not taken).
    listing: Tuple[Tuple[str, Optional[str]], ...] = ()
    #: The key of a message that narrows the kind's streamed listing to the one object it names (list-conns:
    #: ``ike``), so that after a change only the changed objects are listed again; None: none.
    listing_filter: Optional[str] = None
    #: The daemon's errmsg for unloading ``{name}`` when it has no such object ("" if it never says so).
    #: The object is gone, which is what an unload wants: not an error.
    not_found = ""

    def snapshot(self, session: Session) -> Dict[str, Any]:
        """Every object of this kind the daemon has, by name, with what it reports of it."""
        raise NotImplementedError

    def drift(self, name: str, message: Mapping[str, Any], reported: Any) -> Optional[str]:
        """Why the daemon's report certainly differs from ``message``, or None."""
        return None

    def needs_unload(self, previous: Mapping[str, Any], message: Mapping[str, Any]) -> bool:
        """Whether going from ``previous`` (redacted) to ``message`` needs unload before load."""
        return False

    def validate(self, session: Session, name: str, message: Mapping[str, Any]) -> None:
        """Raise the daemon's error if it would reject ``message``, without touching ``name``.

        Called before an unload that a load must follow (action "reload"), so
        that nothing is unloaded which cannot be replaced.
        """

    def exists(self, session: Session, name: str) -> Optional[bool]:
        """Whether the daemon has ``name`` now (None: not cheaply known). Used to report state after a failure."""
        return None

    def send_load(self, session: Session, name: str, message: Mapping[str, Any]) -> Dict[str, Any]:
        """The kind's load command (the typed Session method); raises ViciCommandFailed on a refusal."""
        raise NotImplementedError

    def send_unload(self, session: Session, name: str) -> None:
        """The kind's unload command (the typed Session method); raises ViciCommandFailed on a refusal."""
        raise NotImplementedError

    def hint(self, session: Session, name: str, message: Optional[Mapping[str, Any]], error: ViciCommandFailed) -> str:
        """Text to append to the daemon's errmsg for a refused load (``message``) or unload (None), or ""."""
        return ""

    def redact(self, message: Mapping[str, Any]) -> Dict[str, Any]:
        return mask_paths(message, self.secret_paths)

    def describe_reported(self, name: str, reported: Any) -> Dict[str, Any]:
        """The daemon's view of an object for a diff's "before" when the ledger has none."""
        return reported if isinstance(reported, dict) else {}


class Item(NamedTuple):
    """One object as the user wants it: ``message`` is None for state=absent."""

    name: str
    message: Optional[Dict[str, Any]]


class Change(NamedTuple):
    """What :func:`plan` decided for one object, with what :func:`apply` needs to carry it out.

    ``message`` is the message to load (None for unloads and for nothing to
    do); ``recorded`` its redacted form with blobs summarized, as the ledger keeps it
    (``after`` may mark changed secrets, ``recorded`` never does); ``canonical``
    its :func:`_ledger.canonical_text`, which the fingerprint was computed from.
    """

    name: str
    action: Optional[Action]  # None: nothing to do
    reason: str
    before: Dict[str, Any]
    after: Dict[str, Any]
    fingerprint: str
    message: Optional[Dict[str, Any]] = None
    recorded: Optional[Dict[str, Any]] = None
    canonical: str = ""
    #: What the plan's snapshot held of the object (ABSENT_ON_DAEMON if nothing), for Kind.load.
    reported: Any = ABSENT_ON_DAEMON

    @property
    def was_present(self) -> bool:
        """Whether the daemon held the object when the plan was made."""
        return self.reported is not ABSENT_ON_DAEMON
