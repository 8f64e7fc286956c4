# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one atomic file writer of the collection. PRIVATE to the collection; standard library only.

A file is replaced so that a reader sees the old content or the new, never a part, and so that a failure leaves
the old file as it was and nothing beside it:

1. a new temporary file ``.<name>.<random>`` in the target's directory, created exclusively (never through a
   symbolic link) with the final ``mode`` (the umask may only narrow it; the mode is set again on the empty file,
   so it is never wider than ``mode`` and never changed after a byte is written);
2. the data written in full, then flushed to disk (``fsync``);
3. renamed over the target (``os.replace``), and the directory flushed to disk, so that the rename survives a
   crash (best effort: a file system that cannot flush a directory does not undo a rename that happened).

The temporary file is removed on every failure path. :func:`replace_file` does all of it; a caller that must
know the write succeeds before it changes anything else calls :func:`write_temporary` first, then
:func:`commit_temporary` or :func:`discard_temporary`. Errors are OSError (:class:`CannotCreate` when the
directory refuses a new file); the callers say what they mean to the user. Who may read the file, and which
directory may hold it, is the callers' policy (the trusted store, ``_engine/store.py``: 0600 in a private
directory; the metrics file: 0644).
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
from typing import Tuple

#: How many random names (32 bits each) to try while the one drawn exists already.
_ATTEMPTS = 100


class CannotCreate(OSError):
    """The directory refuses a new file (missing, read-only, full, not ours): nothing was changed."""


def _create(path: str, mode: int) -> Tuple[int, str]:
    """A new file beside ``path``, open for writing, created with ``mode``: (descriptor, name)."""
    directory = os.path.dirname(os.path.abspath(path))
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    error: OSError = FileExistsError(errno.EEXIST, "no unused temporary name")
    for _attempt in range(_ATTEMPTS):
        name = os.path.join(directory, ".%s.%s" % (os.path.basename(path), secrets.token_hex(4)))
        try:
            return os.open(name, flags, mode), name
        except FileExistsError as exists:
            error = exists
        except OSError as refused:
            raise CannotCreate(refused.errno, refused.strerror or str(refused)) from None
    raise CannotCreate(error.errno, error.strerror or str(error))


def write_temporary(path: str, data: bytes, mode: int) -> str:
    """``data`` in a new temporary file of ``mode`` beside ``path``, flushed to disk; returns its name.

    :class:`CannotCreate` when the directory refuses a new file, OSError when the write fails (nothing is left).
    """
    handle, temporary = _create(path, mode)
    try:
        try:
            os.fchmod(handle, mode)  # what the umask took away, before the first byte
            view = memoryview(data)
            while view:
                view = view[os.write(handle, view):]
            os.fsync(handle)
        finally:
            os.close(handle)
    except BaseException:
        discard_temporary(temporary)
        raise
    return temporary


def commit_temporary(temporary: str, path: str) -> None:
    """Rename a file of :func:`write_temporary` over ``path`` and flush the directory (OSError on failure: the
    temporary file is removed and ``path`` is unchanged)."""
    try:
        os.replace(temporary, path)
    except BaseException:
        discard_temporary(temporary)
        raise
    _sync_directory(os.path.dirname(os.path.abspath(path)))


def discard_temporary(temporary: str) -> None:
    """Remove a file of :func:`write_temporary` (gone already is fine)."""
    with contextlib.suppress(OSError):
        os.unlink(temporary)


def replace_file(path: str, data: bytes, mode: int) -> None:
    """Replace ``path`` atomically with ``data``, mode ``mode`` (OSError on failure; ``path`` is then unchanged)."""
    commit_temporary(write_temporary(path, data, mode), path)


def _sync_directory(directory: str) -> None:
    """Flush ``directory``'s entries to disk (the rename); a directory that cannot be flushed is left as it is."""
    try:
        handle = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass  # some file systems refuse fsync on a directory (EINVAL); the rename stands
    finally:
        os.close(handle)
