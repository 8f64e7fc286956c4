# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The ledger: what this collection loaded into one daemon instance. PRIVATE to the collection.

One file per socket, mode 0600, in a directory owned by the running user
and writable by nobody else: a JSON header line, then one line per object (its
key as a JSON string, a tab, the entry as JSON), so that a run that changes a
few objects of thousands neither parses nor encodes the others' entries.

For every object it holds a keyed fingerprint of the exact message sent
(HMAC-SHA256, random key kept in the same file), the redacted message (secrets
masked) for diffs, keyed fingerprints of each secret
value (to say which one changed) and, for kinds whose messages hold no secret,
a lossless copy that can be loaded back when a replacement fails.

Anything that cannot be trusted (unreadable, ill-formed, another daemon
instance, a symbolic link, another owner, writable by others) means
"unknown": the objects are reloaded and reported as changed, never skipped.
The file is only ever read and written under a lock, and replaced atomically.

This module is the entries API and the ledger's policy (where it lives, what a
damaged or untrusted file means). The pieces it stands on have their own homes:
the trusted file store (:mod:`.store`: directories, the trusted reader, the
lock, the atomic writer, shared with the persist record), the daemon's identity
(:mod:`.identity`) and the canonical JSON form of messages (:mod:`.canonical`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Mapping
from typing import Any, ContextManager, Dict, List, NamedTuple, Optional, Tuple

from .canonical import canonical_text, from_canonical_text
from .identity import instance_identity, same_instance, socket_identity
from .store import FileFault, Reading, directory_problem, locked, prepare_directory, read_trusted, replace_file
from ..vici.transport import Endpoint

# 2: fingerprints over canonical_text, which is also the restore copy (1 encoded messages twice).
# 3: the same entries, a line each (2 was one JSON document); 2 is still read, and written as 3 on the next save.
LEDGER_VERSION = 3
READABLE_VERSIONS = (2, 3)
LEDGER_DIR_ENV = "STRONGSWAN_VICI_LEDGER_DIR"
RUNTIME_DIR_ENV = "XDG_RUNTIME_DIR"
DEFAULT_LEDGER_DIRS = ("/var/lib/strongswan-vici", "~/.cache/strongswan-vici")


class LedgerError(Exception):
    """No ledger can be kept: no usable directory. The message says what was tried."""


def locate(endpoint: Endpoint, directory: Optional[str] = None) -> Tuple[str, List[str]]:
    """The ledger file for the socket ``endpoint`` and warnings about directories that could not be used.

    Tried in order: ``directory`` (or $STRONGSWAN_VICI_LEDGER_DIR), then
    /var/lib/strongswan-vici, ~/.cache/strongswan-vici and
    $XDG_RUNTIME_DIR/strongswan-vici. Never a shared directory such as /tmp:
    when none is usable, :class:`LedgerError`.
    """
    name = "ledger-%s.json" % hashlib.sha256(socket_identity(endpoint).encode("utf-8")).hexdigest()[:16]
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


# -- the file's format ----------------------------------------------------------------------------

class LedgerFormatError(ValueError):
    """The file is not a ledger of a format this build reads; the message completes "the ledger PATH ..."."""


class LedgerFile(NamedTuple):
    """A ledger file as read: its header (``version``, ``instance``, ``key``) and its entries by key.

    An entry is the JSON text of its line, parsed only when asked for (:meth:`Ledger.get`), or an entry
    already parsed (a file of version 2, or one this run recorded).
    """

    header: Dict[str, Any]
    entries: Dict[str, Any]


def _entry_key_of(text: str) -> Optional[str]:
    """The key a line starts with (a JSON string); None if it is none."""
    inner = text[1:-1]
    if len(text) >= 2 and text[0] == text[-1] == '"' and '"' not in inner and "\\" not in inner:
        return inner  # the common case, without the JSON decoder: thousands of lines
    try:
        key = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return key if isinstance(key, str) else None


def parse_ledger(content: bytes) -> LedgerFile:
    """The ledger file's ``content``; :class:`LedgerFormatError` if it is none this build reads."""
    try:
        lines = content.decode("utf-8").split("\n")
        header = json.loads(lines[0])
    except (ValueError, RecursionError) as error:
        raise LedgerFormatError("is unreadable or corrupt (%s)" % error.__class__.__name__) from None
    if not isinstance(header, dict) or header.get("version") not in READABLE_VERSIONS:
        raise LedgerFormatError("has an unknown format")
    if header["version"] == 2:
        entries = header.pop("entries", None)
        if not isinstance(entries, dict):
            raise LedgerFormatError("has no valid entries")
        return LedgerFile(header, entries)
    parsed: Dict[str, Any] = {}
    for line in lines[1:]:
        if not line:
            continue
        key_text, tab, body = line.partition("\t")
        key = _entry_key_of(key_text) if tab else None
        # A line without a key is ignored; a key whose entry is ill-formed is noted when it is read.
        if key is not None:
            parsed[key] = body
    return LedgerFile(header, parsed)


def _parsed_entry(text: str) -> Any:
    """An entry's line parsed (its text again if that is no JSON: ill-formed all the same)."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return text


#: One encoder for every line: json.dumps with options builds a new one per call (half the time of a big save).
_LINE_ENCODER = json.JSONEncoder(separators=(",", ":"), sort_keys=True)


def render_ledger(header: Mapping[str, Any], entries: Mapping[str, Any]) -> bytes:
    """The file for ``header`` and ``entries`` (as :class:`LedgerFile` holds them), in the current format."""
    lines = [_LINE_ENCODER.encode(dict(header, version=LEDGER_VERSION))]
    for key in sorted(entries):
        entry = entries[key]
        # The text it was read as, untouched (a line holds no line break), else the entry as JSON.
        text = entry if isinstance(entry, str) and "\n" not in entry else _LINE_ENCODER.encode(entry)
        lines.append("%s\t%s" % (json.dumps(key), text))
    lines.append("")
    return "\n".join(lines).encode("utf-8")


def load_document(content: bytes) -> Dict[str, Any]:
    """The file's content as one document, every entry parsed (to read or repair a ledger by hand; the tests)."""
    ledger = parse_ledger(content)
    entries = {key: _parsed_entry(entry) if isinstance(entry, str) else entry for key, entry in ledger.entries.items()}
    return dict(ledger.header, entries=entries)


def dump_document(document: Mapping[str, Any]) -> bytes:
    """The file for a document of :func:`load_document`'s form."""
    header = {key: value for key, value in document.items() if key != "entries"}
    return render_ledger(header, document.get("entries") or {})


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
        #: Entries by key: parsed, or the text of their line in the file until first asked for (:meth:`get`).
        self.entries: Dict[str, Any] = {}
        self.notes: List[str] = []
        for note in notes or []:
            self._note(note)
        self._updates: Dict[str, Optional[Dict[str, Any]]] = {}
        #: The SHA-256 of the file's content as this run read (or wrote) it: what the annex (:meth:`annex`) holds
        #: for. Any write of the file, by a run or by hand, changes it.
        self.generation = ""
        self._content_digest = ""
        #: The entries of the file whose content is :attr:`generation` (as read or written; never changed), as
        #: :class:`LedgerFile` holds them: a save writes those this run did not update back as they were.
        self._file_entries: Dict[str, Any] = {}
        self._usable = bool(path)
        if path:
            problem = directory_problem(os.path.dirname(path) or ".")
            if problem is not None:
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

    @classmethod
    def path_for(cls, endpoint: Endpoint, directory: Optional[str] = None) -> str:
        """The ledger file for the socket ``endpoint`` (see :func:`locate`; raises :class:`LedgerError`)."""
        return locate(endpoint, directory)[0]

    @classmethod
    def for_session(cls, session: Any, directory: Optional[str] = None, read_only: bool = False) -> "Ledger":
        """The ledger of the daemon behind ``session``, for this daemon instance."""
        instance = daemon_instance(session)
        path, notes = locate(session.endpoint, directory)
        return cls(path, instance, read_only=read_only, notes=notes)

    # -- the file ------------------------------------------------------------

    def _load_file(self) -> Optional[LedgerFile]:
        """The file's content if it exists and can be trusted, else None (with a note)."""
        return self._parse(self._file_bytes())

    def _file_bytes(self) -> Optional[bytes]:
        """The file's bytes if it exists and can be trusted, else None (with a note)."""
        if not self._usable or not self.path:
            return None
        reading = read_trusted(self.path)
        if reading.loosened is not None:
            # Readable by others exposes the fingerprint key (a low-entropy secret could be guessed).
            fixed = ("its mode could not be fixed (%s)" % reading.fix_error if reading.fix_error
                     else "its mode was set to 0600")
            self._note("the ledger %s was readable by group or others (mode %04o); %s" % (self.path, reading.loosened, fixed))
        if reading.data is None:
            if reading.fault is not None:
                self._note(self._untrusted(reading))
            return None
        self._content_digest = hashlib.sha256(reading.data).hexdigest()
        return reading.data

    def _parse(self, content: Optional[bytes]) -> Optional[LedgerFile]:
        """The file's ``content`` (:meth:`_file_bytes`) decoded, if well-formed (else None, with a note)."""
        if content is None:
            return None
        try:
            return parse_ledger(content)
        except LedgerFormatError as error:
            self._note("the ledger %s %s; objects are reloaded" % (self.path, error))
            return None

    def _untrusted(self, reading: Reading) -> str:
        """The note for a ledger file the store did not believe."""
        fault = reading.fault
        if fault is FileFault.SYMLINK:
            return "the ledger %s is a symbolic link, which is never followed; objects are reloaded" % self.path
        if fault is FileFault.UNOPENABLE:
            return "the ledger %s is unreadable (%s); objects are reloaded" % (self.path, reading.reason)
        if fault is FileFault.NOT_REGULAR:
            return "the ledger %s is not a regular file; objects are reloaded" % self.path
        if fault is FileFault.FOREIGN_OWNER:
            return ("the ledger %s is owned by uid %d, not by the running user (uid %d), and is not trusted; "
                    "objects are reloaded" % (self.path, reading.uid, os.geteuid()))
        if fault is FileFault.SHARED:
            # A real run replaces it with a fresh file of mode 0600 (new key, no entries).
            return ("the ledger %s is writable by group or others (mode %04o) and is not trusted; objects are "
                    "reloaded%s" % (self.path, reading.mode, "" if self.read_only else " and it is replaced by a private file"))
        return "the ledger %s is unreadable or corrupt (%s); objects are reloaded" % (self.path, reading.reason or fault)

    def _locked(self) -> ContextManager[None]:
        """The ledger file's lock (see :func:`.store.locked`)."""
        if not self.path:
            raise ValueError("the ledger has no file to lock")
        return locked(self.path)

    def _write(self, entries: Mapping[str, Any]) -> None:
        """Replace the file atomically (call with the lock held)."""
        if not self.path:
            raise ValueError("the ledger has no file to write")
        content = render_ledger({"instance": self.instance, "key": self.key.hex()}, entries)
        replace_file(self.path, content)
        self.generation = hashlib.sha256(content).hexdigest()
        self._file_entries = dict(entries)

    @staticmethod
    def _key_of(data: Optional[LedgerFile]) -> bytes:
        if data is None or not isinstance(data.header.get("key"), str):
            return b""
        try:
            key = bytes.fromhex(data.header["key"])
        except ValueError:
            return b""
        return key if len(key) >= 16 else b""

    def _adopt(self, data: Optional[LedgerFile]) -> bool:
        """Take the key (and, for this daemon instance, the entries) of ``data``; False if it has no valid key."""
        key = self._key_of(data)
        if not key:
            if data is not None:
                self._note("the ledger %s has no valid key; objects are reloaded" % self.path)
            return False
        if data is None:  # no key without data; says so to type checkers too
            return False
        self.key = key
        if same_instance(str(data.header.get("instance", "")), self.instance):
            # Keep the recorded start time: ours may be a second off.
            self.instance = str(data.header["instance"])
            self.generation = self._content_digest
            self._file_entries = data.entries
            self.entries = {**data.entries, **self.entries}  # what this run recorded meanwhile stays
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
        key = self._entry_key(kind, name)
        entry = self.entries.get(key)
        if isinstance(entry, str):  # the text of its line in the file: parsed once, when first asked for
            entry = self.entries[key] = _parsed_entry(entry)
        if entry is None or _valid_entry(entry):
            return entry
        self._note("the ledger %s has an ill-formed entry for %s, ignored: it is reloaded" % (self.path, key))
        return None

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
            message = from_canonical_text(entry["restore"])
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
                content = self._file_bytes()
                entries: Dict[str, Any] = {}
                if (content is not None and self.generation
                        and hashlib.sha256(content).hexdigest() == self.generation):
                    # The very bytes this run read or wrote (its key, its instance): their entries, not parsed again.
                    entries = dict(self._file_entries)
                else:
                    current = self._parse(content)
                    # Another daemon instance, or another key: entries there are void for us.
                    if (current is not None and self._key_of(current) == self.key
                            and same_instance(str(current.header.get("instance", "")), self.instance)):
                        entries = dict(current.entries)
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

    # -- the annex: records that hold only as long as the ledger's content -----------------------

    def annex_key(self) -> bytes:
        """The key of the annex's fingerprints, derived from the ledger's (the same for the key's life)."""
        if not self.key:
            self._create_key()
        return hmac.new(self.key, ANNEX_KEY_INFO, hashlib.sha256).digest()

    def annex(self) -> Optional[Annex]:
        """The annex (:func:`read_annex`) of this ledger, if it holds for the file's current content."""
        if not self._usable or not self.path:
            return None
        return read_annex(self.path, self.instance)

    def keep_annex(self, records: Mapping[str, Any]) -> bool:
        """Write the annex for the ledger's current content, under the lock; False if that cannot be (never raises).

        Not written when this run has unsaved entries, or when the file changed since this run read or wrote it.
        """
        if self.read_only or not self._usable or not self.path or self._updates or not self.generation:
            return False
        try:
            with self._locked():
                # The same bytes as this run read or wrote (its key, its instance): hashed, not parsed again.
                current = read_trusted(self.path).data
                if current is None or hashlib.sha256(current).hexdigest() != self.generation:
                    return False
                data = {"generation": self.generation, "instance": self.instance, "key": self.annex_key().hex(),
                        "records": dict(records)}
                replace_file(annex_path(self.path), json.dumps(data, separators=(",", ":"), sort_keys=True).encode("utf-8"))
        except OSError:
            return False
        return True


# -- the annex ------------------------------------------------------------------------------------
# A second file beside the ledger (mode 0600, same directory, same trust) for records that hold only as long as
# the ledger's content does: it names the SHA-256 of the ledger file it was written with, so that any write of
# the ledger (by a run, or by hand) voids it. Reading it never parses the ledger's entries (thousands of them):
# config's unchanged-rerun shortcut (_gateway/shortcut.py) reads it before anything else.

ANNEX_KEY_INFO = b"strongswan.vici ledger annex"


class Annex(NamedTuple):
    """The annex's key (for :meth:`fingerprint`), its records and the ledger content it holds for."""

    key: bytes
    records: Dict[str, Any]
    #: The SHA-256 of the ledger file it was written with (:attr:`Ledger.generation`).
    generation: str = ""

    def fingerprint(self, text: str) -> str:
        return annex_fingerprint(self.key, text)


def annex_fingerprint(key: bytes, text: str) -> str:
    """The keyed fingerprint of ``text`` under the annex ``key`` (:meth:`Ledger.annex_key`)."""
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()


def annex_path(path: str) -> str:
    """The annex of the ledger file ``path``."""
    return (path[:-5] if path.endswith(".json") else path) + ".annex.json"


def _private(reading: Reading, path: str) -> Optional[bytes]:
    """The content of a trusted file that only its owner can read (else None: the full run reports on it)."""
    if reading.data is None:
        return None
    try:
        if os.stat(path, follow_symlinks=False).st_mode & 0o077:
            return None
    except OSError:
        return None
    return reading.data


def read_annex(path: str, instance: str) -> Optional[Annex]:
    """The annex of the ledger file ``path``, if written for its current content and for the daemon ``instance``.

    Reads the ledger's bytes only to hash them. None when anything is missing, untrusted, readable by others
    or does not match: the caller then reads the ledger as always, which reports what is wrong with it.
    """
    where = annex_path(path)
    raw = _private(read_trusted(where, tighten=False), where)
    if raw is None:
        return None
    try:
        data = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError):
        return None
    if (not isinstance(data, dict) or not isinstance(data.get("records"), dict) or not isinstance(data.get("key"), str)
            or not same_instance(str(data.get("instance", "")), instance)):
        return None
    try:
        key = bytes.fromhex(data["key"])
    except ValueError:
        return None
    ledger = _private(read_trusted(path, tighten=False), path)
    if len(key) < 16 or ledger is None or hashlib.sha256(ledger).hexdigest() != data.get("generation"):
        return None
    return Annex(key, data["records"], str(data["generation"]))


def daemon_instance(session: Any) -> str:
    """The identity of the daemon instance behind ``session`` (one ``stats``), as the ledger records it."""
    return instance_identity(session.endpoint, str(session.stats().get("uptime", {}).get("since", "")))
