# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One writer per gateway: the lock a run holds over its whole read, plan, apply and persist window. PRIVATE.

Two runs that change one daemon at the same time each plan against a state the other is changing: both report
success and the daemon ends holding neither tree. So every run of a module that can change the daemon's
objects holds this lock from before its first read until its ledger and persisted file are written (the end of
the module's run).

* **Per socket**, keyed by :func:`.identity.socket_identity`: ``unix:///var/run/charon.vici``, its bare path
  and ``/run/charon.vici`` are one lock. Not per daemon instance: a run and its successor must exclude each
  other across a daemon restart.
* **On the host where the module runs**: an ``flock`` on a file beside the ledger (same trusted directory).
  A ``tcp://`` socket reached from several hosts is NOT covered: runs on different hosts do not see each
  other's lock. Serialise those in the playbook (``throttle: 1``, ``run_once``, one controller).
* **Bounded wait**: a second run waits up to :data:`DEFAULT_WAIT` seconds (or
  ``$STRONGSWAN_VICI_LOCK_TIMEOUT``), then fails naming the holder: its PID, its module and when it took the
  lock. Ansible gives a module no task name, so the task cannot be named.
* The kernel drops an ``flock`` when its holder dies, also by SIGKILL: a killed run never leaves the gateway
  locked. What it wrote into the file (its PID) is only the name of the last holder.

Standard library only; nothing here builds a module result.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import stat
import time
from typing import Any, Dict, Optional

from .identity import socket_identity
from ..vici.transport import Endpoint

#: Seconds a run waits for another run on the same socket. Longer than any window a run may spend inside the
#: lock retrying (the module's ``timeout`` per request, 30 s by default, a config run of thousands of objects
#: a minute or two).
DEFAULT_WAIT = 600.0
LOCK_WAIT_ENV = "STRONGSWAN_VICI_LOCK_TIMEOUT"
#: What a holder writes into the lock file is a few dozen bytes; more is not ours.
_HOLDER_LIMIT = 4096


class GatewayBusy(Exception):
    """Another run held the gateway's lock for the whole wait; the message names it."""


def lock_path(ledger_path: str, endpoint: Endpoint) -> str:
    """The lock file of the socket ``endpoint``, in the ledger's (trusted) directory."""
    key = hashlib.sha256(socket_identity(endpoint).encode("utf-8")).hexdigest()[:16]
    return os.path.join(os.path.dirname(ledger_path), "gateway-%s.lock" % key)


def lock_wait(default: float = DEFAULT_WAIT) -> float:
    """The wait from ``$STRONGSWAN_VICI_LOCK_TIMEOUT`` (seconds, 0 to 86400), else ``default``.

    ValueError naming the variable for anything else.
    """
    text = os.environ.get(LOCK_WAIT_ENV, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 86400:  # also false for nan
        raise ValueError("%s: '%s' is not a number of seconds between 0 and 86400" % (LOCK_WAIT_ENV, text))
    return value


class GatewayLock:
    """The lock of one gateway (see the module docstring), held from :meth:`acquire` to :meth:`release`."""

    def __init__(self, path: str, socket_name: str) -> None:
        self.path = path
        self.socket_name = socket_name
        self._handle: Optional[int] = None
        #: Seconds spent waiting for another run.
        self.waited = 0.0

    @property
    def held(self) -> bool:
        return self._handle is not None

    def acquire(self, module: str, wait: float) -> None:
        """Take the lock, waiting up to ``wait`` seconds; :class:`GatewayBusy` naming the holder, or OSError."""
        if self._handle is not None:
            return
        flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
        handle = os.open(self.path, flags, 0o600)
        try:
            status = os.fstat(handle)
            if not stat.S_ISREG(status.st_mode) or status.st_uid != os.geteuid():
                raise OSError(errno.EPERM, "the lock file %s is not a regular file of the running user" % self.path)
            start = time.monotonic()
            pause = 0.005
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() - start >= wait:
                        raise GatewayBusy(self._busy(handle, wait)) from None
                    time.sleep(pause)
                    pause = min(pause * 2, 0.1)
            self.waited = time.monotonic() - start
            holder = json.dumps({"pid": os.getpid(), "module": module, "since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})
            os.ftruncate(handle, 0)
            os.pwrite(handle, holder.encode("utf-8"), 0)
        except BaseException:
            os.close(handle)
            raise
        self._handle = handle

    def release(self) -> None:
        """Let the next run in (closing the file drops the ``flock``)."""
        if self._handle is not None:
            handle, self._handle = self._handle, None
            os.close(handle)

    def _busy(self, handle: int, wait: float) -> str:
        holder = self.holder(handle)
        if holder:
            who = "process %s (module %s, holding it since %s)" % (
                holder.get("pid", "?"), holder.get("module") or "unknown", holder.get("since", "?"))
        else:
            who = "another process"
        return ("another run is changing the daemon at %s: %s holds the gateway lock %s, and it was not released "
                "within %g s. Ansible names no task to a module, so find the task by that process; runs on one "
                "gateway wait for each other (set %s to wait longer)" % (self.socket_name, who, self.path, wait, LOCK_WAIT_ENV))

    @staticmethod
    def holder(handle: int) -> Dict[str, Any]:
        """What the current holder wrote into the lock file ({} if nothing readable)."""
        try:
            data = os.pread(handle, _HOLDER_LIMIT, 0)
            value = json.loads(data.decode("utf-8"))
        except (OSError, ValueError):
            return {}
        return value if isinstance(value, dict) else {}
