# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The ledger: what this collection loaded into one daemon instance. PRIVATE to the collection.

One JSON file per socket, mode 0600, in a directory owned by the running user
and writable by nobody else. For every object it holds a keyed fingerprint of
the exact message sent (HMAC-SHA256, random key kept in the same file), the
redacted message (secrets masked) for diffs, keyed fingerprints of each secret
value (to say which one changed) and, for kinds whose messages hold no secret,
a lossless copy that can be loaded back when a replacement fails.

Anything that cannot be trusted (unreadable, ill-formed, another daemon
instance, a symbolic link, another owner, writable by others) means
"unknown": the objects are reloaded and reported as changed, never skipped.
The file is only ever read and written under a lock, and replaced atomically.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import hmac
import json
import os
import secrets
import socket
import stat
import tempfile
import time
from collections.abc import Mapping
from typing import Any, Dict, Iterator, List, Optional, Tuple

from ..vici.errors import ViciError
from ..vici.transport import parse_uri

# What a secret looks like in diffs, results and the ledger.
MASK = "********"
# 2: fingerprints over canonical_text, which is also the restore copy (1 encoded messages twice).
LEDGER_VERSION = 2
LEDGER_DIR_ENV = "STRONGSWAN_VICI_LEDGER_DIR"
RUNTIME_DIR_ENV = "XDG_RUNTIME_DIR"
DEFAULT_LEDGER_DIRS = ("/var/lib/strongswan-vici", "~/.cache/strongswan-vici")
# How long to wait for another run holding the ledger's lock (it holds it for milliseconds).
LOCK_TIMEOUT = 60.0


class LedgerError(Exception):
    """No ledger can be kept: no usable directory. The message says what was tried."""


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
    try:
        return time.mktime((year, month, day, hour, minute, second, 0, 0, -1))
    except (OverflowError, ValueError):
        return None


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


def encode_message(message: Any) -> Any:
    """A message as JSON data, losslessly: sections keep their order, bytes stay bytes."""
    # Exact types first: this runs over every message of a tree, and ABC checks cost more than the rest.
    cls = message.__class__
    if cls is str:
        return message
    if cls is dict:
        return {"$map": [[key if key.__class__ is str else str(key), encode_message(value)] for key, value in message.items()]}
    if cls is list:
        return [encode_message(value) for value in message]
    if isinstance(message, bytes):
        return {"$bytes": message.hex()}
    if isinstance(message, Mapping):
        return {"$map": [[str(key), encode_message(value)] for key, value in message.items()]}
    if isinstance(message, (list, tuple)):
        return [encode_message(value) for value in message]
    return message


def canonical_text(message: Any) -> str:
    """The stable, lossless text of a message: what the ledger fingerprints, and keeps to load back.

    Order is kept (it matters to the daemon: auth rounds, proposals); bytes
    are tagged so that b"x" and "x" differ.
    """
    return json.dumps(encode_message(message), separators=(",", ":"))


def decode_message(data: Any) -> Any:
    """The inverse of :func:`encode_message`; ValueError (or TypeError) on anything it did not write."""
    if isinstance(data, dict):
        if set(data) == {"$bytes"}:
            return bytes.fromhex(data["$bytes"])
        if set(data) == {"$map"} and isinstance(data["$map"], list):
            out: Dict[str, Any] = {}
            for pair in data["$map"]:
                if not isinstance(pair, list) or len(pair) != 2 or not isinstance(pair[0], str):
                    raise ValueError("ill-formed section")
                out[pair[0]] = decode_message(pair[1])
            return out
        raise ValueError("ill-formed value")
    if isinstance(data, list):
        return [decode_message(value) for value in data]
    if isinstance(data, str):
        return data
    raise ValueError("ill-formed value")


def _directory_problem(directory: str) -> Optional[str]:
    """Why ``directory`` cannot hold a trusted ledger, or None."""
    try:
        status = os.stat(directory)
    except OSError as error:
        return error.strerror or str(error)
    if not stat.S_ISDIR(status.st_mode):
        return "not a directory"
    if status.st_uid != os.geteuid():
        return "owned by uid %d, not by the running user (uid %d)" % (status.st_uid, os.geteuid())
    if stat.S_IMODE(status.st_mode) & 0o022:
        return "writable by group or others (mode %04o)" % stat.S_IMODE(status.st_mode)
    if not os.access(directory, os.W_OK | os.X_OK):
        return "not writable"
    return None


def prepare_directory(directory: str, fix_mode: bool) -> Optional[str]:
    """Create ``directory`` (mode 0700) if needed; why it cannot hold a ledger, or None.

    ``fix_mode`` tightens a directory of ours that is writable by others
    (only for the collection's own default directories: a directory the user
    named may be shared, such as /tmp, and is never changed).
    """
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
    except OSError as error:
        return error.strerror or str(error)
    problem = _directory_problem(directory)
    if problem and fix_mode and problem.startswith("writable by group"):
        try:
            os.chmod(directory, 0o700)
        except OSError:
            return problem
        problem = _directory_problem(directory)
    return problem


def locate(socket_uri: str, directory: Optional[str] = None) -> Tuple[str, List[str]]:
    """The ledger file for ``socket_uri`` and warnings about directories that could not be used.

    Tried in order: ``directory`` (or $STRONGSWAN_VICI_LEDGER_DIR), then
    /var/lib/strongswan-vici, ~/.cache/strongswan-vici and
    $XDG_RUNTIME_DIR/strongswan-vici. Never a shared directory such as /tmp:
    when none is usable, :class:`LedgerError`.
    """
    name = "ledger-%s.json" % hashlib.sha256(Ledger.socket_identity(socket_uri).encode("utf-8")).hexdigest()[:16]
    notes: List[str] = []
    chosen = directory or os.environ.get(LEDGER_DIR_ENV)
    if chosen:
        chosen = os.path.expanduser(chosen)
        problem = prepare_directory(chosen, fix_mode=False)
        if problem is None:
            return os.path.join(chosen, name), notes
        source = "the ledger directory" if directory else LEDGER_DIR_ENV
        notes.append("%s %s cannot be used (%s); it should be a directory owned by the running user and writable only "
                     "by it. Using the default ledger directory instead" % (source, chosen, problem))
    candidates = [os.path.expanduser(candidate) for candidate in DEFAULT_LEDGER_DIRS]
    if os.environ.get(RUNTIME_DIR_ENV, "").startswith("/"):
        candidates.append(os.path.join(os.environ[RUNTIME_DIR_ENV], "strongswan-vici"))
    tried = []
    for candidate in candidates:
        problem = prepare_directory(candidate, fix_mode=True)
        if problem is None:
            return os.path.join(candidate, name), notes
        tried.append("%s (%s)" % (candidate, problem))
    raise LedgerError("no usable directory for the ledger (tried %s%s). Set %s to a directory owned by the running "
                      "user and writable only by it" % ("%s, " % chosen if chosen else "", ", ".join(tried), LEDGER_DIR_ENV))


def _valid_entry(entry: Any) -> bool:
    return (isinstance(entry, dict) and isinstance(entry.get("fingerprint"), str)
            and isinstance(entry.get("message"), dict) and isinstance(entry.get("secrets", {}), dict))


class Ledger:
    """What this collection loaded into one daemon instance (see the module docstring).

    ``read_only`` (check mode) never writes: a ledger without a key gets a
    throw-away one. ``notes`` are warnings for the user (untrusted or damaged
    files, a directory that could not be used, a save that failed).
    """

    def __init__(self, path: Optional[str], instance: str, read_only: bool = False, notes: Optional[List[str]] = None) -> None:
        self.path = path
        self.instance = instance
        self.read_only = read_only
        self.key = b""
        self.entries: Dict[str, Dict[str, Any]] = {}
        self.notes: List[str] = []
        for note in notes or []:
            self._note(note)
        self._updates: Dict[str, Optional[Dict[str, Any]]] = {}
        self._usable = bool(path)
        if path:
            problem = _directory_problem(os.path.dirname(path) or ".")
            if problem:
                self._usable = False
                self._note("the ledger directory %s is not trusted (%s); objects are reloaded and nothing is recorded"
                           % (os.path.dirname(path) or ".", problem))
        self._read()

    @property
    def note(self) -> str:
        """All notes in one string ('' if none)."""
        return " ".join(self.notes)

    def _note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

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
        """The ledger file for ``socket_uri`` (see :func:`locate`; raises :class:`LedgerError`)."""
        return locate(socket_uri, directory)[0]

    @classmethod
    def for_session(cls, session: Any, directory: Optional[str] = None, read_only: bool = False) -> "Ledger":
        """The ledger of the daemon behind ``session``, for this daemon instance."""
        uptime = session.stats().get("uptime", {})
        path, notes = locate(session.uri, directory)
        return cls(path, instance_identity(session.uri, str(uptime.get("since", ""))), read_only=read_only, notes=notes)

    # -- the file ------------------------------------------------------------

    def _load_file(self) -> Optional[Dict[str, Any]]:
        """The file's content if it exists and can be trusted, else None (with a note)."""
        if not self._usable or not self.path:
            return None
        flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
        try:
            handle = os.open(self.path, flags)
        except FileNotFoundError:
            return None
        except OSError as error:
            if error.errno == errno.ELOOP:
                self._note("the ledger %s is a symbolic link, which is never followed; objects are reloaded" % self.path)
            else:
                self._note("the ledger %s is unreadable (%s); objects are reloaded" % (self.path, error.strerror or error))
            return None
        try:
            if not self._trusted(handle):
                return None
            with os.fdopen(handle, "r", encoding="utf-8") as stream:
                handle = -1
                data = json.load(stream)
        except (OSError, ValueError, RecursionError) as error:
            self._note("the ledger %s is unreadable or corrupt (%s); objects are reloaded"
                       % (self.path, getattr(error, "strerror", None) or error.__class__.__name__))
            return None
        finally:
            if handle >= 0:
                os.close(handle)
        if not isinstance(data, dict) or data.get("version") != LEDGER_VERSION:
            self._note("the ledger %s has an unknown format; objects are reloaded" % self.path)
            return None
        return data

    def _trusted(self, handle: int) -> bool:
        """Whether the open ledger file can be believed; tightens its mode when it is ours."""
        status = os.fstat(handle)
        if not stat.S_ISREG(status.st_mode):
            self._note("the ledger %s is not a regular file; objects are reloaded" % self.path)
            return False
        if status.st_uid != os.geteuid():
            self._note("the ledger %s is owned by uid %d, not by the running user (uid %d), and is not trusted; "
                       "objects are reloaded" % (self.path, status.st_uid, os.geteuid()))
            return False
        mode = stat.S_IMODE(status.st_mode)
        if mode & 0o022:
            # Anyone could have written it: its content is never believed, not even after a
            # chmod. A real run replaces it with a fresh file of mode 0600 (new key, no entries).
            self._note("the ledger %s is writable by group or others (mode %04o) and is not trusted; objects are "
                       "reloaded%s" % (self.path, mode, "" if self.read_only else " and it is replaced by a private file"))
            return False
        if mode & 0o077:
            # Readable by others exposes the fingerprint key (a low-entropy secret could be guessed).
            try:
                os.fchmod(handle, 0o600)
                fixed = "its mode was set to 0600"
            except OSError as error:
                fixed = "its mode could not be fixed (%s)" % (error.strerror or error)
            self._note("the ledger %s was readable by group or others (mode %04o); %s" % (self.path, mode, fixed))
        return True

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Hold the ledger's lock file (never through a symbolic link), waiting a bounded time."""
        flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
        handle = os.open("%s.lock" % self.path, flags, 0o600)
        try:
            status = os.fstat(handle)
            if not stat.S_ISREG(status.st_mode) or status.st_uid != os.geteuid():
                raise OSError(errno.EPERM, "the lock file is not a regular file of the running user")
            deadline = time.monotonic() + LOCK_TIMEOUT
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise OSError(errno.ETIMEDOUT, "timed out waiting for the lock") from None
                    time.sleep(0.01)
            yield
        finally:
            os.close(handle)

    def _write(self, entries: Mapping[str, Any]) -> None:
        """Replace the file atomically (call with the lock held)."""
        if not self.path:
            raise ValueError("the ledger has no file to write")
        data = {"version": LEDGER_VERSION, "instance": self.instance, "key": self.key.hex(), "entries": entries}
        handle, temporary = tempfile.mkstemp(dir=os.path.dirname(self.path) or ".", prefix=".ledger-")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                # json.dumps, not json.dump: only the one-shot form uses the C encoder (10x faster on big ledgers).
                out.write(json.dumps(data, separators=(",", ":"), sort_keys=True))
            os.chmod(temporary, 0o600)
            os.replace(temporary, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise

    @staticmethod
    def _key_of(data: Optional[Mapping[str, Any]]) -> bytes:
        if not data or not isinstance(data.get("key"), str):
            return b""
        try:
            key = bytes.fromhex(data["key"])
        except ValueError:
            return b""
        return key if len(key) >= 16 else b""

    def _entries_of(self, data: Mapping[str, Any]) -> Dict[str, Dict[str, Any]]:
        entries = data.get("entries")
        if not isinstance(entries, dict):
            self._note("the ledger %s has no valid entries; objects are reloaded" % self.path)
            return {}
        valid = {name: entry for name, entry in entries.items() if _valid_entry(entry)}
        if len(valid) != len(entries):
            self._note("the ledger %s has %d ill-formed entr%s, ignored: those objects are reloaded"
                       % (self.path, len(entries) - len(valid), "y" if len(entries) - len(valid) == 1 else "ies"))
        return valid

    def _adopt(self, data: Optional[Mapping[str, Any]]) -> bool:
        """Take the key (and, for this daemon instance, the entries) of ``data``; False if it has no valid key."""
        key = self._key_of(data)
        if not key:
            if data is not None:
                self._note("the ledger %s has no valid key; objects are reloaded" % self.path)
            return False
        if data is None:  # no key without data; says so to type checkers too
            return False
        self.key = key
        if same_instance(str(data.get("instance", "")), self.instance):
            # Keep the recorded start time: ours may be a second off.
            self.instance = str(data["instance"])
            for name, entry in self._entries_of(data).items():
                self.entries.setdefault(name, entry)
        return True

    def _read(self) -> None:
        self._adopt(self._load_file())

    def _create_key(self) -> None:
        """Make the ledger's key, or adopt the one another run made meanwhile, under the lock.

        Concurrent first runs must share one key: fingerprints under another
        key are void, and the last writer would drop everyone else's entries.
        """
        if self.read_only or not self._usable:
            self.key = secrets.token_bytes(32)
            return
        try:
            with self._locked():
                if self._adopt(self._load_file()):
                    return
                self.key = secrets.token_bytes(32)
                self._write({})
        except OSError as error:
            self.key = self.key or secrets.token_bytes(32)
            self._usable = False
            self._note("the ledger %s cannot be written (%s); objects are reloaded and nothing is recorded"
                       % (self.path, error.strerror or error))

    # -- entries ---------------------------------------------------------------

    @staticmethod
    def _entry_key(kind: str, name: str) -> str:
        return "%s/%s" % (kind, name)

    def fingerprint(self, message: Any) -> str:
        return self.fingerprint_text(canonical_text(message))

    def fingerprint_text(self, text: str) -> str:
        """The keyed fingerprint of a message's :func:`canonical_text` (computed once, kept for :meth:`record`)."""
        if not self.key:
            self._create_key()
        return hmac.new(self.key, text.encode("utf-8"), hashlib.sha256).hexdigest()

    def get(self, kind: str, name: str) -> Optional[Dict[str, Any]]:
        entry = self.entries.get(self._entry_key(kind, name))
        return entry if _valid_entry(entry) else None

    def record(self, kind: str, name: str, fingerprint: str, redacted: Mapping[str, Any],
               secret_fingerprints: Optional[Mapping[str, str]] = None, restore_text: Optional[str] = None) -> None:
        """Note that ``name`` was loaded with a message of ``fingerprint``.

        ``redacted`` is the message with secrets masked and blobs summarized
        (:func:`_text.blobs_summarized`; shown in diffs), stored as it is;
        ``secret_fingerprints`` the keyed fingerprint of each secret value by
        path; ``restore_text`` the full message as :func:`canonical_text`, only for messages without secrets.
        """
        entry: Dict[str, Any] = {"fingerprint": fingerprint, "message": dict(redacted)}
        if secret_fingerprints:
            entry["secrets"] = dict(secret_fingerprints)
        if restore_text is not None:
            # One JSON string, parsed only when needed: a ledger of thousands of connections loads fast.
            entry["restore"] = restore_text
        self.put(kind, name, entry)

    def put(self, kind: str, name: str, entry: Dict[str, Any]) -> None:
        """Store an entry as it is (for example one read earlier with :meth:`get`)."""
        self.entries[self._entry_key(kind, name)] = entry
        self._updates[self._entry_key(kind, name)] = entry

    def forget(self, kind: str, name: str) -> None:
        self.entries.pop(self._entry_key(kind, name), None)
        self._updates[self._entry_key(kind, name)] = None

    def restorable(self, kind: str, name: str) -> Optional[Dict[str, Any]]:
        """The full message last loaded for ``name``, if the ledger kept one and it is intact."""
        entry = self.get(kind, name)
        if entry is None or not isinstance(entry.get("restore"), str):
            return None
        try:
            message = decode_message(json.loads(entry["restore"]))
        except (ValueError, TypeError, RecursionError):
            return None
        if not isinstance(message, dict) or not hmac.compare_digest(self.fingerprint_text(entry["restore"]), entry["fingerprint"]):
            return None
        return message

    def save(self) -> bool:
        """Merge our updates into the file under the lock, and replace it atomically.

        Never raises: a failure is a note (the caller warns), and False.
        """
        if not self._updates:
            return True
        if self.read_only:
            return True
        if not self._usable:
            self._note("this run's changes could not be recorded in the ledger: the next run reloads them")
            return False
        try:
            with self._locked():
                current = self._load_file()
                if (current is None or self._key_of(current) != self.key
                        or not same_instance(str(current.get("instance", "")), self.instance)):
                    # Another daemon instance, or another key: entries there are void for us.
                    entries: Dict[str, Any] = {}
                else:
                    entries = self._entries_of(current)
                for key, entry in self._updates.items():
                    if entry is None:
                        entries.pop(key, None)
                    else:
                        entries[key] = entry
                self._write(entries)
        except OSError as error:
            self._note("the ledger %s could not be saved (%s): the next run reloads what this run changed"
                       % (self.path, error.strerror or error))
            return False
        self._updates.clear()
        return True
