# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The trusted file store: private directories, and files read and replaced safely. PRIVATE to the collection.

What the ledger and the persist record (and the persisted swanctl.conf) are kept with, in one place:

* directory policy: a directory holds trusted files only when it is a directory, owned by the running user,
  writable by nobody else (:func:`directory_problem`, :func:`prepare_directory`);
* a trusted reader (:func:`read_trusted`): never through a symbolic link, only a regular file of the running
  user that nobody else can write, optionally bounded in size; a file readable by others is tightened to 0600;
* a lock (:func:`locked`), for read-modify-write cycles, taken on ``<file>.lock`` with a bounded wait;
* an atomic writer (:func:`replace_file`, :func:`write_temporary` then :func:`commit_temporary`): the
  collection's one writer (``_files/atomic.py``) with mode 0600: a temporary file of that mode in the same
  directory, written, fsync'd, renamed over the target, so a reader sees the old content or the new, never a part.

Nothing here builds a message for the user: faults are enums with the facts, the callers say what they mean.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import stat
import time
from enum import Enum
from typing import Iterator, List, NamedTuple, Optional

from .._files import atomic
from .._files.atomic import CannotCreate, commit_temporary, discard_temporary

__all__ = [
    "CannotCreate", "DirectoryFault", "DirectoryProblem", "FileFault", "Reading", "commit_temporary",
    "directory_problem", "discard_temporary", "locked", "prepare_directory", "read_trusted", "replace_file",
    "write_temporary",
]

# How long to wait for another run holding a lock (it holds it for milliseconds).
LOCK_TIMEOUT = 60.0
#: The mode of every file the store writes: they may hold secrets (the persisted swanctl.conf does).
PRIVATE_MODE = 0o600


class DirectoryFault(Enum):
    """Why a directory cannot hold trusted files."""

    UNUSABLE = "unusable"  # cannot be created or looked at (the OS's words in the text)
    NOT_A_DIRECTORY = "not a directory"
    FOREIGN_OWNER = "owned by another user"
    SHARED = "writable by group or others"
    NOT_WRITABLE = "not writable"


class DirectoryProblem:
    """A :class:`DirectoryFault` and the sentence fragment that states it (``str()`` of the problem).

    Not a tuple, so that ``"... (%s)" % problem`` reads as the text.
    """

    __slots__ = ("fault", "text")

    def __init__(self, fault: DirectoryFault, text: str) -> None:
        self.fault = fault
        self.text = text

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return "DirectoryProblem(%s, %r)" % (self.fault, self.text)


def directory_problem(directory: str) -> Optional[DirectoryProblem]:
    """Why ``directory`` cannot hold trusted files, or None."""
    try:
        status = os.stat(directory)
    except OSError as error:
        return DirectoryProblem(DirectoryFault.UNUSABLE, error.strerror or str(error))
    if not stat.S_ISDIR(status.st_mode):
        return DirectoryProblem(DirectoryFault.NOT_A_DIRECTORY, "not a directory")
    if status.st_uid != os.geteuid():
        return DirectoryProblem(DirectoryFault.FOREIGN_OWNER, "owned by uid %d, not by the running user (uid %d)"
                                % (status.st_uid, os.geteuid()))
    if stat.S_IMODE(status.st_mode) & 0o022:
        return DirectoryProblem(DirectoryFault.SHARED, "writable by group or others (mode %04o)" % stat.S_IMODE(status.st_mode))
    if not os.access(directory, os.W_OK | os.X_OK):
        return DirectoryProblem(DirectoryFault.NOT_WRITABLE, "not writable")
    return None


def prepare_directory(directory: str, fix_mode: bool) -> Optional[DirectoryProblem]:
    """Create ``directory`` (mode 0700) if needed; why it cannot hold trusted files, or None.

    ``fix_mode`` tightens a directory of ours that is writable by others
    (only for the collection's own default directories: a directory the user
    named may be shared, such as /tmp, and is never changed).
    """
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
    except OSError as error:
        return DirectoryProblem(DirectoryFault.UNUSABLE, error.strerror or str(error))
    problem = directory_problem(directory)
    if problem is not None and fix_mode and problem.fault is DirectoryFault.SHARED:
        try:
            os.chmod(directory, 0o700)
        except OSError:
            return problem
        problem = directory_problem(directory)
    return problem


class FileFault(Enum):
    """Why a file that exists is not believed (:func:`read_trusted`)."""

    SYMLINK = "a symbolic link"  # never followed
    UNOPENABLE = "cannot be opened"  # ``reason`` has the OS's words
    NOT_REGULAR = "not a regular file"
    FOREIGN_OWNER = "owned by another user"  # ``uid`` is the owner
    SHARED = "writable by group or others"  # ``mode`` is its mode: anyone could have written it
    UNREADABLE = "cannot be read"  # ``reason`` has the OS's words
    TOO_LARGE = "larger than the limit"


class Reading(NamedTuple):
    """What :func:`read_trusted` found.

    ``data`` is the content, or None: the file is absent (``fault`` None) or not believed (``fault`` says why,
    with ``reason``, ``uid`` or ``mode``). ``loosened`` is the mode of a file that was readable by group or
    others (then tightened to 0600; ``fix_error`` says why not, if it could not be).
    """

    data: Optional[bytes]
    fault: Optional[FileFault] = None
    reason: str = ""
    uid: int = -1
    mode: int = -1
    loosened: Optional[int] = None
    fix_error: str = ""


def read_trusted(path: str, limit: Optional[int] = None, tighten: bool = True) -> Reading:
    """The content of ``path`` if it exists and can be trusted (see :class:`Reading`).

    Never follows a symbolic link, and never blocks on a FIFO. ``limit`` bounds the bytes read (a longer file
    is :attr:`FileFault.TOO_LARGE`). ``tighten`` sets a file of the running user that others can read to 0600.
    """
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    try:
        handle = os.open(path, flags)
    except FileNotFoundError:
        return Reading(None)
    except OSError as error:
        if error.errno == errno.ELOOP:
            return Reading(None, FileFault.SYMLINK)
        return Reading(None, FileFault.UNOPENABLE, str(error.strerror or error))
    try:
        try:
            status = os.fstat(handle)
        except OSError as error:
            return Reading(None, FileFault.UNREADABLE, str(error.strerror or error))
        if not stat.S_ISREG(status.st_mode):
            return Reading(None, FileFault.NOT_REGULAR)
        if status.st_uid != os.geteuid():
            return Reading(None, FileFault.FOREIGN_OWNER, uid=status.st_uid)
        mode = stat.S_IMODE(status.st_mode)
        if mode & 0o022:
            # Anyone could have written it: its content is never believed, not even after a chmod.
            return Reading(None, FileFault.SHARED, mode=mode)
        loosened, fix_error = None, ""
        if tighten and mode & 0o077:
            loosened = mode
            try:
                os.fchmod(handle, 0o600)
            except OSError as error:
                fix_error = str(error.strerror or error)
        try:
            data = _read_all(handle, limit)
        except OSError as error:
            return Reading(None, FileFault.UNREADABLE, str(error.strerror or error), loosened=loosened, fix_error=fix_error)
        if data is None:
            return Reading(None, FileFault.TOO_LARGE, loosened=loosened, fix_error=fix_error)
        return Reading(data, loosened=loosened, fix_error=fix_error)
    finally:
        os.close(handle)


def _read_all(handle: int, limit: Optional[int]) -> Optional[bytes]:
    """Every byte of the open file, or None when there are more than ``limit``."""
    chunks: List[bytes] = []
    size = 0
    while True:
        chunk = os.read(handle, 1 << 20 if limit is None else min(1 << 20, limit + 1 - size))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        size += len(chunk)
        if limit is not None and size > limit:
            return None


@contextlib.contextmanager
def locked(path: str, timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
    """Hold the lock of ``path`` (the file ``<path>.lock``, never through a symbolic link), waiting ``timeout`` s.

    OSError when the lock file cannot be opened, is not a regular file of the running user, or stays locked.
    """
    flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    handle = os.open("%s.lock" % path, flags, 0o600)
    try:
        status = os.fstat(handle)
        if not stat.S_ISREG(status.st_mode) or status.st_uid != os.geteuid():
            raise OSError(errno.EPERM, "the lock file is not a regular file of the running user")
        deadline = time.monotonic() + timeout
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


def write_temporary(path: str, data: bytes) -> str:
    """``data`` in a new temporary file of mode 0600 beside ``path``, flushed to disk; returns its name.

    The first half of :func:`replace_file`, for a caller that must know the write succeeds before it changes
    anything else: :func:`commit_temporary` renames it over ``path``, :func:`discard_temporary` removes it.
    :class:`CannotCreate` when the directory refuses a new file, OSError when the write fails (nothing is left).
    """
    return atomic.write_temporary(path, data, PRIVATE_MODE)


def replace_file(path: str, data: bytes) -> None:
    """Replace ``path`` atomically with ``data``, mode 0600 (OSError on failure; ``path`` is then unchanged).

    Through the collection's one atomic writer (``_files/atomic.py``): a temporary file in the same directory
    (mode 0600 from the start), flushed to disk, renamed over ``path``. Hold :func:`locked` around a
    read-modify-write.
    """
    atomic.replace_file(path, data, PRIVATE_MODE)
