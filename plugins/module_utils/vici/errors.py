# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Exceptions raised by the VICI client.

Every error the client raises derives from :class:`ViciError`, so callers
can catch one type. The subclasses separate the failure classes a caller
handles differently: the daemon could not be reached, it did not answer in
time, it sent something the protocol does not allow, it does not know the
command or event, or it ran the command and reported a failure.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, List, Optional

if TYPE_CHECKING:
    from .transport import Endpoint


class ViciError(Exception):
    """Base class of every error raised by this package."""


class ViciEncodeError(ViciError, ValueError):
    """A message cannot be encoded; nothing was sent.

    ``path`` names the offending element, e.g. ``gw.children.net.local_ts[1]``.
    """

    def __init__(self, message: str, path: str = "") -> None:
        self.path = path
        super().__init__("%s: %s" % (path, message) if path else message)


class ViciValueError(ViciError, ValueError):
    """An argument of the client is out of range (a timeout that is negative, NaN, infinite, too large).

    ``field`` names the argument, e.g. ``timeout``.
    """

    def __init__(self, message: str, field: str = "") -> None:
        self.field = field
        super().__init__(message)


class ViciProtocolError(ViciError):
    """The peer sent bytes the VICI protocol does not allow.

    ``offset`` is the byte offset in the message where decoding stopped, if known.
    """

    def __init__(self, message: str, offset: Optional[int] = None) -> None:
        self.offset = offset
        super().__init__(message if offset is None else "%s (at byte %d)" % (message, offset))


class ViciLimitError(ViciProtocolError):
    """The peer sent more than a local safety limit allows.

    Sections nested deeper than the decoder accepts, or more unsolicited
    event bytes than the session keeps while a reply is owed. Nothing the
    real daemon sends comes near these limits; a peer that does is broken or
    hostile, and the session is closed.
    """


class ViciMessageTooLarge(ViciProtocolError):
    """A request is larger than a VICI segment may be; it was refused before anything was sent.

    A local limit (``limit`` bytes, the daemon's own), not something the peer did: ``size`` is the encoded
    request's size.
    """

    def __init__(self, size: int, limit: int) -> None:
        self.size = size
        self.limit = limit
        super().__init__("message of %d bytes exceeds the VICI segment limit of %d bytes" % (size, limit))


class ViciTransportError(ViciError):
    """The socket could not be opened, or broke while in use.

    ``endpoint`` is the socket URI as it was parsed (a ``transport.Endpoint``), when the error concerns
    connecting to it: a caller that has no session can look at the socket without parsing the URI again.
    """

    def __init__(self, message: str, uri: str = "", endpoint: Optional[Endpoint] = None,
                 error_number: Optional[int] = None) -> None:
        self.uri = uri
        self.endpoint = endpoint
        #: The operating system's errno when a system call failed (EACCES, ECONNREFUSED, ...), else None.
        self.error_number = error_number
        super().__init__(message)


class ViciUriError(ViciTransportError):
    """The socket URI cannot be parsed (no scheme, an unsupported one, no path, a bad host or port)."""


class ViciTimeoutError(ViciTransportError):
    """An operation did not complete before its deadline.

    ``partial`` is true when part of a segment had been read: the stream is
    then out of sync and the session must not be used again.
    """

    def __init__(self, message: str, uri: str = "", partial: bool = False) -> None:
        self.partial = partial
        super().__init__(message, uri)


class ViciCommandUnknown(ViciError):
    """The daemon answered CMD_UNKNOWN: it does not implement the command."""

    def __init__(self, command: str) -> None:
        self.command = command
        super().__init__(
            "the daemon does not know the VICI command '%s' "
            "(it may be older than the strongSwan release that added it)" % command
        )


class ViciEventUnknown(ViciError):
    """The daemon answered EVENT_UNKNOWN to a (un)registration."""

    def __init__(self, event: str) -> None:
        self.event = event
        super().__init__(
            "the daemon does not know the VICI event '%s' "
            "(it may be older than the strongSwan release that added it)" % event
        )


class ViciCommandFailed(ViciError):
    """The daemon ran the command and answered ``success = no``.

    ``errmsg`` is the daemon's own explanation, ``response`` the full reply
    (it can carry fields such as ``matches``) and ``events`` the stream or
    log events that came with it (e.g. the control-log of an initiate).
    """

    def __init__(
        self,
        command: str,
        response: Dict[str, Any],
        events: Optional[List[Dict[str, Any]]] = None,
    ) -> None:
        self.command = command
        self.response = response
        self.events = list(events or [])
        errmsg = response.get("errmsg", "")
        if isinstance(errmsg, bytes):
            errmsg = errmsg.decode("utf-8", "replace")
        self.errmsg = str(errmsg)
        super().__init__(
            "VICI command '%s' failed: %s" % (command, self.errmsg or "(the daemon gave no errmsg)")
        )
