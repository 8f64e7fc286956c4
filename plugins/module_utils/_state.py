# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Desired versus actual state of daemon objects. PRIVATE to the collection.

The daemon reports only part of what it was given (list-conns has no
proposals, get-shared only ids, get-pools no attributes), and re-sending an
unchanged object is not harmless on strongSwan 6. So "changed" is decided from
three sources, in this order:

1. presence, from the daemon (get-conns, get-shared, ...): a missing object is
   always loaded, never a false "ok";
2. a *ledger* on the managed host: for every object we loaded, a keyed
   fingerprint of the exact message we sent and a redacted copy of it, valid
   only for the daemon instance it was written for (a restart voids it);
3. a conservative comparison of what the daemon does report (kind.drift):
   a certain difference means the object changed behind our back.

The same plan serves one object (the modules) or thousands (one call of
:func:`plan` with many items), in check mode (plan only) or for real.
"""

from __future__ import annotations

import copy
import fcntl
import hashlib
import hmac
import json
import os
import secrets
import socket
import tempfile
import time
from typing import Any, Dict, Iterable, List, Mapping, NamedTuple, Optional, Tuple

from .vici.errors import ViciError
from .vici.session import Session
from .vici.transport import parse_uri

# What a secret looks like in diffs, results and the ledger.
MASK = "********"
LEDGER_VERSION = 1
LEDGER_DIR_ENV = "STRONGSWAN_VICI_LEDGER_DIR"
DEFAULT_LEDGER_DIRS = ("/var/lib/strongswan-vici", "~/.cache/strongswan-vici")


_MONTHS = {name: number for number, name in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1)}
# The daemon derives "since" from its monotonic clock at every stats call, so
# the same daemon reports start times that differ by up to a second.
INSTANCE_TOLERANCE = 2


def _start_time(since: str) -> Optional[float]:
    """Seconds since the epoch of a stats ``since`` value like ``Nov 23 20:44:47 2026``."""
    parts = since.split()
    try:
        month, day, clock, year = _MONTHS[parts[0]], int(parts[1]), parts[2], int(parts[3])
        hour, minute, second = (int(value) for value in clock.split(":"))
    except (IndexError, KeyError, ValueError):
        return None
    return time.mktime((year, month, day, hour, minute, second, 0, 0, -1))


def same_instance(first: str, second: str) -> bool:
    """Whether two daemon instance identities describe the same daemon run.

    An identity is ``<socket file identity>|<stats since>`` (see
    :func:`instance_identity`), or a bare ``since`` value. Socket parts must
    be equal; start times may differ by the daemon's jitter.
    """
    if first == second:
        return bool(first)
    first_socket, _sep, first_since = first.rpartition("|")
    second_socket, _sep, second_since = second.rpartition("|")
    if first_socket != second_socket:
        return False
    first_time, second_time = _start_time(first_since), _start_time(second_since)
    if first_time is None or second_time is None:
        return False
    return abs(first_time - second_time) <= INSTANCE_TOLERANCE


def instance_identity(socket_uri: str, since: str) -> str:
    """Who the daemon behind ``socket_uri`` is: precise for UNIX sockets, approximate for TCP.

    charon creates its UNIX socket anew at every start, so the socket file's
    device, inode and modification time tell daemon runs apart exactly (the
    start time alone has one-second resolution and jitter). Over TCP only the
    start time is available.
    """
    try:
        family, address = parse_uri(socket_uri)
    except ViciError:
        return since
    if family != socket.AF_UNIX:
        return since
    try:
        status = os.stat(str(address))
    except OSError:
        return since
    return "socket:%d:%d:%d|%s" % (status.st_dev, status.st_ino, status.st_mtime_ns, since)


def canonical_bytes(message: Any) -> bytes:
    """A stable byte form of a canonical message, for fingerprints.

    Order is kept (it matters to the daemon: auth rounds, proposals); bytes
    are tagged so that b"x" and "x" differ.
    """

    def encode(value: Any) -> Any:
        if isinstance(value, bytes):
            return {"$bytes": value.hex()}
        if isinstance(value, Mapping):
            return [[key, encode(item)] for key, item in value.items()]
        if isinstance(value, (list, tuple)):
            return [encode(item) for item in value]
        return value

    return json.dumps(encode(message), separators=(",", ":"), sort_keys=False).encode("utf-8")


def mask_paths(message: Mapping[str, Any], secret_paths: Iterable[Tuple[str, ...]]) -> Dict[str, Any]:
    """A deep copy of ``message`` with the values at ``secret_paths`` masked.

    A path element ``*`` matches every key at that level.
    """
    masked = copy.deepcopy(dict(message))

    def walk(node: Any, path: Tuple[str, ...]) -> None:
        if not path or not isinstance(node, dict):
            return
        head, rest = path[0], path[1:]
        keys = list(node) if head == "*" else [head] if head in node else []
        for key in keys:
            if rest:
                walk(node[key], rest)
            elif node[key] is not None:
                node[key] = MASK
    for path in secret_paths:
        walk(masked, tuple(path))
    return masked


def printable(message: Any) -> Any:
    """A redacted message as JSON-friendly data for diffs: bytes become a short description."""
    if isinstance(message, bytes):
        return "<%d bytes, sha256 %s>" % (len(message), hashlib.sha256(message).hexdigest()[:16])
    if isinstance(message, Mapping):
        return {key: printable(value) for key, value in message.items()}
    if isinstance(message, (list, tuple)):
        return [printable(value) for value in message]
    return message


class Kind:
    """How one kind of daemon object is observed, compared, loaded and unloaded.

    Subclasses fill in the daemon side; :func:`plan` and :func:`apply` do the rest.
    """

    #: Name used in messages and as the ledger namespace.
    label = "object"
    #: Paths (tuples of keys) in the canonical message that hold secrets.
    secret_paths: Tuple[Tuple[str, ...], ...] = ()
    #: Whether presence on the daemon proves equality (certificates, keys: the name is a digest).
    presence_is_identity = False

    def snapshot(self, session: Session) -> Dict[str, Any]:
        """Every object of this kind the daemon has, by name, with what it reports of it."""
        raise NotImplementedError

    def drift(self, name: str, message: Mapping[str, Any], reported: Any) -> Optional[str]:
        """Why the daemon's report certainly differs from ``message``, or None."""
        return None

    def needs_unload(self, previous: Mapping[str, Any], message: Mapping[str, Any]) -> bool:
        """Whether going from ``previous`` (redacted) to ``message`` needs unload before load."""
        return False

    def load(self, session: Session, name: str, message: Mapping[str, Any]) -> Dict[str, Any]:
        raise NotImplementedError

    def unload(self, session: Session, name: str) -> None:
        raise NotImplementedError

    def redact(self, message: Mapping[str, Any]) -> Dict[str, Any]:
        return mask_paths(message, self.secret_paths)

    def describe_reported(self, name: str, reported: Any) -> Dict[str, Any]:
        """The daemon's view of an object for a diff's "before" when the ledger has none."""
        return reported if isinstance(reported, dict) else {}


class Ledger:
    """What this collection loaded into one daemon instance.

    One JSON file per socket, mode 0600, holding per object a keyed
    fingerprint (HMAC-SHA256 with a random key kept in the same file) and the
    redacted message. No secret is ever written: secret values are masked
    before anything is stored, and fingerprints are keyed so that they do not
    reveal low-entropy secrets to anyone without the file.
    """

    def __init__(self, path: str, instance: str) -> None:
        self.path = path
        self.instance = instance
        self.key = b""
        self.entries: Dict[str, Dict[str, Any]] = {}
        self.note = ""
        self._updates: Dict[str, Optional[Dict[str, Any]]] = {}
        self._read()

    @staticmethod
    def socket_identity(socket_uri: str) -> str:
        """One spelling per socket: unix:///var/run/x, /var/run/x and /run/x share a ledger."""
        try:
            family, address = parse_uri(socket_uri)
        except ViciError:
            return socket_uri
        if family == socket.AF_UNIX:
            return "unix://" + os.path.realpath(str(address))
        host, port = address  # type: ignore[misc]
        return "tcp://%s:%d" % (str(host).lower(), port)

    @classmethod
    def path_for(cls, socket_uri: str, directory: Optional[str] = None) -> str:
        candidates = [directory or os.environ.get(LEDGER_DIR_ENV) or ""] + list(DEFAULT_LEDGER_DIRS)
        identity = cls.socket_identity(socket_uri)
        name = "ledger-%s.json" % hashlib.sha256(identity.encode("utf-8")).hexdigest()[:16]
        for candidate in candidates:
            if not candidate:
                continue
            candidate = os.path.expanduser(candidate)
            try:
                os.makedirs(candidate, mode=0o700, exist_ok=True)
            except OSError:
                continue
            if os.access(candidate, os.W_OK):
                return os.path.join(candidate, name)
        return os.path.join(tempfile.gettempdir(), name)

    @classmethod
    def for_session(cls, session: Session, directory: Optional[str] = None) -> "Ledger":
        """The ledger of the daemon behind ``session``, for this daemon instance."""
        uptime = session.stats().get("uptime", {})
        return cls(cls.path_for(session.uri, directory), instance_identity(session.uri, str(uptime.get("since", ""))))

    def _load_file(self) -> Optional[Dict[str, Any]]:
        try:
            with open(self.path, "r", encoding="utf-8") as handle:
                data = json.load(handle)
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            self.note = "the ledger %s is unreadable or corrupt; objects are reloaded" % self.path
            return None
        if not isinstance(data, dict) or data.get("version") != LEDGER_VERSION:
            self.note = "the ledger %s has an unknown format; objects are reloaded" % self.path
            return None
        return data

    def _read(self) -> None:
        data = self._load_file()
        if data is None:
            return
        try:
            self.key = bytes.fromhex(data.get("key", ""))
        except ValueError:
            self.key = b""
        if same_instance(str(data.get("instance", "")), self.instance) and self.key:
            # Keep the recorded start time: ours may be a second off.
            self.instance = str(data["instance"])
            entries = data.get("entries", {})
            self.entries = entries if isinstance(entries, dict) else {}

    @staticmethod
    def _entry_key(kind: str, name: str) -> str:
        return "%s/%s" % (kind, name)

    def fingerprint(self, message: Mapping[str, Any]) -> str:
        if not self.key:
            self.key = secrets.token_bytes(32)
        return hmac.new(self.key, canonical_bytes(message), hashlib.sha256).hexdigest()

    def get(self, kind: str, name: str) -> Optional[Dict[str, Any]]:
        entry = self.entries.get(self._entry_key(kind, name))
        return entry if isinstance(entry, dict) else None

    def record(self, kind: str, name: str, fingerprint: str, redacted: Mapping[str, Any]) -> None:
        entry = {"fingerprint": fingerprint, "message": printable(redacted)}
        self.entries[self._entry_key(kind, name)] = entry
        self._updates[self._entry_key(kind, name)] = entry

    def forget(self, kind: str, name: str) -> None:
        self.entries.pop(self._entry_key(kind, name), None)
        self._updates[self._entry_key(kind, name)] = None

    def save(self) -> None:
        """Merge our updates into the file under a lock, and replace it atomically."""
        if not self._updates:
            return
        directory = os.path.dirname(self.path) or "."
        with open(self.path + ".lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            current = self._load_file() or {}
            if not same_instance(str(current.get("instance", "")), self.instance) or current.get("key") != self.key.hex():
                # Another daemon instance, or another key: entries there are void for us.
                current = {"entries": {}}
            entries = current.get("entries", {})
            for key, entry in self._updates.items():
                if entry is None:
                    entries.pop(key, None)
                else:
                    entries[key] = entry
            data = {"version": LEDGER_VERSION, "instance": self.instance, "key": self.key.hex(), "entries": entries}
            handle, temporary = tempfile.mkstemp(dir=directory, prefix=".ledger-")
            try:
                with os.fdopen(handle, "w", encoding="utf-8") as out:
                    json.dump(data, out, indent=1, sort_keys=True)
                os.chmod(temporary, 0o600)
                os.replace(temporary, self.path)
            except BaseException:
                try:
                    os.unlink(temporary)
                except OSError:
                    pass
                raise
        self._updates.clear()


class Item(NamedTuple):
    """One object as the user wants it: ``message`` is None for state=absent."""

    name: str
    message: Optional[Dict[str, Any]]


class Change(NamedTuple):
    """What :func:`plan` decided for one object."""

    name: str
    action: Optional[str]  # None (nothing to do), "load", "reload" (unload, then load) or "unload"
    reason: str
    before: Dict[str, Any]
    after: Dict[str, Any]
    fingerprint: str


class ApplyError(Exception):
    """Applying failed part-way: ``applied`` lists what was done before ``error``."""

    def __init__(self, change: Change, error: ViciError, applied: List[Change]) -> None:
        self.change = change
        self.error = error
        self.applied = applied
        super().__init__(str(error))


def plan(kind: Kind, items: Iterable[Item], snapshot: Mapping[str, Any], ledger: Ledger) -> List[Change]:
    """Decide, without touching the daemon, what each item needs."""
    changes = []
    for item in items:
        present = item.name in snapshot
        entry = None if kind.presence_is_identity else ledger.get(kind.label, item.name)
        # "before" is what the daemon has: nothing if the object is missing (whatever
        # the ledger says), else our last load if we know it, else the daemon's report.
        if not present:
            before: Dict[str, Any] = {}
        elif entry is not None:
            before = entry.get("message", {})
        else:
            before = printable(kind.describe_reported(item.name, snapshot[item.name]))
        if item.message is None:
            action = "unload" if present else None
            changes.append(Change(item.name, action, "present" if present else "already absent", before, {}, ""))
            continue
        redacted = kind.redact(item.message)
        after = printable(redacted)
        fingerprint = "" if kind.presence_is_identity else ledger.fingerprint(item.message)
        action: Optional[str] = "load"
        if not present:
            reason = "not loaded"
        elif kind.presence_is_identity:
            action, reason = None, "loaded"
        elif entry is None:
            reason = "loaded, but not by this collection into this daemon instance"
        elif entry.get("fingerprint") != fingerprint:
            reason = "configuration differs"
            if kind.needs_unload(before, redacted):
                action = "reload"
        else:
            why = kind.drift(item.name, item.message, snapshot[item.name])
            if why:
                reason = "changed on the daemon: %s" % why
                before = printable(kind.describe_reported(item.name, snapshot[item.name]))
            else:
                action, reason = None, "up to date"
        changes.append(Change(item.name, action, reason, before, after, fingerprint))
    return changes


def apply(kind: Kind, session: Session, changes: Iterable[Change], items: Mapping[str, Item], ledger: Ledger) -> List[Dict[str, Any]]:
    """Carry out planned changes in order, keeping the ledger in step.

    Returns the daemon's replies to the loads. On the first failure the ledger
    keeps what was applied and :class:`ApplyError` says what that was.
    """
    applied: List[Change] = []
    replies: List[Dict[str, Any]] = []
    try:
        for change in changes:
            if change.action is None:
                continue
            try:
                if change.action in ("unload", "reload"):
                    kind.unload(session, change.name)
                    ledger.forget(kind.label, change.name)
                if change.action in ("load", "reload"):
                    message = items[change.name].message or {}
                    replies.append(kind.load(session, change.name, message))
                    if not kind.presence_is_identity:
                        ledger.record(kind.label, change.name, change.fingerprint, kind.redact(message))
            except ViciError as error:
                raise ApplyError(change, error, applied) from None
            applied.append(change)
    finally:
        ledger.save()
    return replies
