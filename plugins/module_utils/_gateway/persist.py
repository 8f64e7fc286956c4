# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The tree as a swanctl.conf file, and what the ledger may conclude from it. PRIVATE to the collection.

The file makes the configuration survive what only files survive: a daemon
restart (the service runs ``swanctl --load-all``), ``systemctl reload`` and
``swanctl --load-all`` on a running daemon, which unload every connection,
pool, authority and credential that is not in the files.

After a restart the ledger is void (it is kept per daemon instance), and
swanctl's messages differ from ours byte for byte, so fingerprints cannot be
compared. What we can know is that *the daemon loaded exactly our file*: a
record beside the ledger keeps the file's digest and the daemon instance that
was running when it was written. When the file on disk still has that digest,
still matches the tree, and the daemon now running is another instance (so it
started after the file was written, and its start ran ``--load-all``), every
object of the tree that the daemon holds is taken as ours; presence and the
drift check still apply. A file edited by hand (digest differs from the
record) makes every object of the tree reload, and the file is written again.

The file and the record are written, and the record read, through the trusted
file store (:mod:`.._engine.store`), as the ledger is.
"""

from __future__ import annotations

import hashlib
import json
import os
from enum import Enum
from typing import Any, Dict, List, Mapping, Optional

from .._engine.identity import same_instance, socket_identity
from .._engine.ledger import Ledger, LedgerError
from .._engine.store import (
    CannotCreate,
    FileFault,
    commit_temporary,
    discard_temporary,
    read_trusted,
    replace_file,
    write_temporary,
)
from .._swanctl.syntax import MAX_TOTAL_BYTES, SWANCTL_SECTIONS, ConfError, render
from .._text.bounded import BoundError, loads_json, read_regular
from ..vici.transport import Endpoint

RECORD_VERSION = 1
#: A record is a few hundred bytes; a larger file is not one of ours.
RECORD_LIMIT = 1 << 20
#: A record is one flat object; deeper JSON is damage (and is never handed to the recursive decoder).
RECORD_DEPTH = 4


class PersistError(ValueError):
    """The file cannot be written; the message names the path."""


def file_text(tree: Mapping[str, Any]) -> str:
    header = ("# Written by the strongswan.vici.config module; changes made here are replaced on its next run.\n"
              "# It holds secrets: keep it mode 0600.\n")
    try:
        return header + render({key: value for key, value in tree.items() if value})
    except ConfError as error:
        raise PersistError("persist: cannot write the tree as swanctl.conf: %s" % error) from None


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def current_digest(path: str) -> Optional[str]:
    """The digest of the persisted file as it is on disk, or None when it does not exist."""
    try:
        return hashlib.sha256(read_regular(path, MAX_TOTAL_BYTES, "persist: ")).hexdigest()
    except FileNotFoundError:
        return None
    except BoundError as error:
        raise PersistError(str(error)) from None
    except OSError as error:
        raise PersistError("persist: cannot read '%s' (%s)" % (path, error.strerror or error)) from None


def record_path(endpoint: Endpoint, path: str) -> str:
    """Where the record for this file and daemon socket lives (beside the ledger, which a restart voids)."""
    ledger = Ledger.path_for(endpoint)
    key = hashlib.sha256(("%s|%s" % (socket_identity(endpoint), os.path.realpath(path))).encode("utf-8")).hexdigest()[:16]
    return os.path.join(os.path.dirname(ledger), "persist-%s.json" % key)


def read_record(endpoint: Endpoint, path: str, notes: Optional[List[str]] = None) -> Optional[Dict[str, Any]]:
    """The record for this file and daemon socket, or None (absent, untrusted, damaged: nothing is concluded).

    As the ledger does, a record that exists but is not believed or cannot be read is a note in NOTES (the
    caller warns), and the run goes on as without a record: the ledger decides, objects it does not vouch for
    are reloaded. A damaged record never fails the run, so it cannot fail every later run either.
    """
    notes = notes if notes is not None else []
    try:
        where = record_path(endpoint, path)
        reading = read_trusted(where, limit=RECORD_LIMIT, tighten=False)
    except LedgerError:
        return None
    if reading.data is None:
        if reading.fault is not None:
            detail = {FileFault.FOREIGN_OWNER: "owned by uid %d" % reading.uid,
                      FileFault.SHARED: "mode %04o" % reading.mode}.get(reading.fault, reading.reason)
            notes.append("persist: the record %s is %s%s and is not believed; nothing is concluded from it "
                         "(objects the ledger does not vouch for are reloaded)"
                         % (where, reading.fault.value, " (%s)" % detail if detail else ""))
        return None
    try:
        data = loads_json(reading.data.decode("utf-8"), max_depth=RECORD_DEPTH, unique_keys=False)
    except (ValueError, RecursionError) as error:  # UnicodeDecodeError is a ValueError
        notes.append("persist: the record %s is damaged (%s); it is ignored and replaced, and objects the "
                     "ledger does not vouch for are reloaded" % (where, str(error)[:200]))
        return None
    if not isinstance(data, dict) or data.get("version") != RECORD_VERSION:
        notes.append("persist: the record %s has an unknown format; it is ignored and replaced, and objects the "
                     "ledger does not vouch for are reloaded" % where)
        return None
    return data


def write_record(endpoint: Endpoint, path: str, text_digest: str, instance: str) -> None:
    try:
        target = record_path(endpoint, path)
    except LedgerError as error:
        raise PersistError("persist: the file was written, but no record of it could be kept (%s); the next run "
                           "after a restart reloads everything" % error) from None
    _atomic_write(target, json.dumps({"version": RECORD_VERSION, "path": os.path.realpath(path), "digest": text_digest,
                                      "instance": instance}).encode("utf-8"))


class FileTrust(str, Enum):
    """What the persisted file tells about the daemon (see :func:`trust`)."""

    LOADED = "loaded"  # the daemon loaded our unchanged file at its start: present objects are ours
    EDITED = "edited"  # the file changed since we wrote it: nothing of the tree is taken as up to date
    UNKNOWN = "unknown"  # the file says nothing: the ledger decides


def trust(record: Optional[Mapping[str, Any]], on_disk: Optional[str], wanted: str, instance: str) -> FileTrust:
    """What the file tells about the daemon: ``loaded`` (it loaded our file), ``edited`` or ``unknown``.

    ``loaded``: the file is ours, unchanged since we wrote it, equal to the
    tree, and the daemon is another instance than the one running when we
    wrote it, so it started later and its start loaded this very file.
    ``edited``: the file differs from what we wrote; someone may have loaded
    the edited file, so nothing of the tree is taken as up to date.
    """
    if record is None or on_disk is None:
        return FileTrust.UNKNOWN
    if on_disk != record.get("digest"):
        return FileTrust.EDITED
    recorded = str(record.get("instance") or "")
    if on_disk == wanted and recorded and not same_instance(recorded, instance):
        return FileTrust.LOADED
    return FileTrust.UNKNOWN


def _atomic_write(path: str, data: bytes) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise PersistError("persist: the directory '%s' does not exist" % directory)
    try:
        replace_file(path, data)
    except CannotCreate as error:
        raise PersistError("persist: cannot write in '%s' (%s)" % (directory, error.strerror or error)) from None
    except OSError as error:
        raise PersistError("persist: cannot write '%s' (%s)" % (path, error.strerror or error)) from None


def write(path: str, text: str) -> None:
    """Replace ``path`` with ``text`` atomically, mode 0600."""
    _atomic_write(path, text.encode("utf-8"))


def stage(path: str, text: str) -> str:
    """``text`` written beside ``path`` under a temporary name (mode 0600, flushed to disk); returns that name.

    The run calls it before its first mutating command: a directory that is read-only, full or missing fails
    here, while the daemon is still untouched. :func:`commit` renames it over ``path``, :func:`discard`
    removes it.
    """
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise PersistError("persist: the directory '%s' does not exist" % directory)
    try:
        return write_temporary(path, text.encode("utf-8"))
    except CannotCreate as error:
        raise PersistError("persist: cannot write in '%s' (%s)" % (directory, error.strerror or error)) from None
    except OSError as error:
        raise PersistError("persist: cannot write '%s' (%s)" % (path, error.strerror or error)) from None


def commit(temporary: str, path: str) -> None:
    """Put a file of :func:`stage` in place of ``path`` (atomic rename)."""
    try:
        commit_temporary(temporary, path)
    except OSError as error:
        raise PersistError("persist: cannot write '%s' (%s)" % (path, error.strerror or error)) from None


def discard(temporary: str) -> None:
    """Remove a file of :func:`stage`."""
    discard_temporary(temporary)


def file_mode(path: str) -> Optional[int]:
    """The permission bits of ``path`` (None: absent)."""
    try:
        return os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        return None
    except OSError as error:
        raise PersistError("persist: cannot read '%s' (%s)" % (path, error.strerror or error)) from None


def tighten(path: str) -> None:
    """Set ``path`` to mode 0600 (it holds secrets)."""
    try:
        os.chmod(path, 0o600)
    except OSError as error:
        raise PersistError("persist: '%s' is readable by others and its mode cannot be set to 0600 (%s)"
                           % (path, error.strerror or error)) from None


def persisted_tree(params: Mapping[str, Any]) -> Dict[str, Any]:
    """The swanctl.conf sections to write (certificates and private_keys options have no place there).

    swanctl.conf names certificate files; PEM text given inline cannot be written there.
    """
    tree = {name: params.get(name) for name in SWANCTL_SECTIONS if params.get(name)}
    for name, body in (tree.get("authorities") or {}).items():
        if isinstance(body, Mapping) and "-----BEGIN" in str(body.get("cacert", "")):
            raise PersistError("persist: authorities.%s.cacert is PEM text; swanctl.conf takes a file name (in x509ca/ "
                               "or absolute)" % name)
    for name, body in (tree.get("connections") or {}).items():
        for round_name, section in (body.items() if isinstance(body, Mapping) else []):
            if not isinstance(section, Mapping):
                continue
            for key in ("certs", "cacerts", "pubkeys"):
                if "-----BEGIN" in str(section.get(key, "")):
                    raise PersistError("persist: connections.%s.%s.%s holds PEM text; swanctl.conf takes file names "
                                       "(in swanctl's folders or absolute)" % (name, round_name, key))
    return tree


#: load_creds.c's order of prefixes: the first match wins ("ike" before "ikev2..." is the same).
SHARED_PREFIXES = ("eap", "xauth", "ntlm", "ike", "ppk")
KEY_PREFIXES = {"private": "private", "rsa": "rsa", "ecdsa": "ecdsa", "pkcs8": "pkcs8"}
SECRET_PREFIXES = ("eap", "xauth", "ntlm", "ike", "ppk", "private", "rsa", "ecdsa", "pkcs8", "pkcs12", "token")
#: Room for the packet header (type, command name) inside one segment.
_HEADER_ROOM = 2 + 255


# -- values ---------------------------------------------------------------------------------------
