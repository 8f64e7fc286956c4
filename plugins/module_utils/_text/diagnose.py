# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Why the daemon's socket could not be reached, in words a user can act on. PRIVATE to the collection.

"Is charon running?" is the right question only when nothing is at the socket's path. A socket the user may not
open, a path that is not a socket, a stale socket nobody listens on and a socket URI that cannot be parsed each
get their own answer; the facts come from the file system (lstat), not from guessing at the error text alone.
"""

from __future__ import annotations

import errno
import grp
import os
import pwd
import socket
import stat
from typing import Optional

from ..vici.errors import ViciUriError
from ..vici.transport import Endpoint, parse_uri

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISREG, "a regular file"),
    (stat.S_ISLNK, "a symbolic link"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


def _user(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def _group(gid: int) -> str:
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


def _kind(mode: int) -> str:
    for test, name in _KINDS:
        if test(mode):
            return name
    return "not a socket"


def transport_problem(message: str, socket_uri: str, endpoint: Optional[Endpoint] = None,
                      error_number: Optional[int] = None) -> str:
    """The sentence for a ViciTransportError with text ``message`` while using ``socket_uri``.

    ``error_number`` is the error's errno (``ViciTransportError.error_number``): it, not the text, tells a
    socket this user may not open (EACCES, EPERM) from a stale one (ECONNREFUSED).

    ``endpoint`` is the URI as the session parsed it: ``Session.endpoint``, or, when connecting failed, the
    error's ``endpoint`` (modules always have one, so the URI is parsed once per run). Only a caller that
    has neither gets the URI parsed here.
    """
    generic = "%s. Is charon running with the vici plugin, and is 'socket' (%s) right?" % (message, socket_uri)
    if endpoint is None:
        try:
            endpoint = parse_uri(socket_uri)
        except ViciUriError:
            # A syntax error in the option: the daemon has nothing to do with it.
            return "socket: %s" % message
    family, address = endpoint
    if family != socket.AF_UNIX or not isinstance(address, str):
        return generic
    path = address
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return "%s. No socket at '%s'. Is charon running with the vici plugin, and is 'socket' (%s) right?" % (
            message, path, socket_uri)
    except PermissionError:
        return ("%s. '%s' cannot be looked up by this user (uid %d): a directory on the way is not accessible; run "
                "the task with become: true" % (message, path, os.geteuid()))
    except OSError:
        return generic
    if not stat.S_ISSOCK(info.st_mode):
        return "%s. '%s' is not a socket but %s: is 'socket' (%s) right? charon's default is %s" % (
            message, path, _kind(info.st_mode), socket_uri, "unix:///var/run/charon.vici")
    owner, group = _user(info.st_uid), _group(info.st_gid)
    if error_number in (errno.EACCES, errno.EPERM):
        return ("%s. The socket '%s' is owned by %s:%s with mode %04o and this task runs as %s (uid %d): run it with "
                "become: true, or as a member of the group '%s' (charon's vici socket group, set in strongswan.conf "
                "with charon.group or by its service)" % (
                    message, path, owner, group, stat.S_IMODE(info.st_mode), _user(os.geteuid()), os.geteuid(), group))
    if error_number == errno.ECONNREFUSED:
        return ("%s. '%s' is a socket, but no process listens on it (left by a charon that stopped). Is charon "
                "running with the vici plugin, and is 'socket' (%s) right?" % (message, path, socket_uri))
    return generic
