# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Which daemon, and which run of it: socket and instance identities. PRIVATE to the collection.

The ledger and the persist record are kept per socket (:func:`socket_identity`) and are valid for one daemon
run (:func:`instance_identity`, compared with :func:`same_instance`). All take the socket as the session parsed
it (``Session.endpoint``, a :class:`..vici.transport.Endpoint`): the URI is parsed once per run.
"""

from __future__ import annotations

import os
import socket
import time
from typing import Optional, Tuple, cast

from ..vici.transport import Endpoint

_MONTHS = {name: number for number, name in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1)}
# The daemon derives "since" from its monotonic clock at every stats call, so
# the same daemon reports start times that differ by up to a second.
INSTANCE_TOLERANCE = 2


def socket_identity(endpoint: Endpoint) -> str:
    """One spelling per socket: unix:///var/run/x, /var/run/x and /run/x share a ledger."""
    family, address = endpoint
    if family == socket.AF_UNIX:
        return "unix://" + os.path.realpath(str(address))
    host, port = cast(Tuple[str, int], address)
    return "tcp://%s:%d" % (str(host).lower(), port)


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


def instance_identity(endpoint: Endpoint, since: str) -> str:
    """Who the daemon behind ``endpoint`` is: precise for UNIX sockets, approximate for TCP.

    charon creates its UNIX socket anew at every start, so the socket file's
    device, inode and modification time tell daemon runs apart exactly (the
    start time alone has one-second resolution and jitter). Over TCP only the
    start time is available.
    """
    family, address = endpoint
    if family != socket.AF_UNIX:
        return since
    try:
        status = os.stat(str(address))
    except OSError:
        return since
    return "socket:%d:%d:%d|%s" % (status.st_dev, status.st_ino, status.st_mtime_ns, since)
