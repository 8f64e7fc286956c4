# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the daemon's control log says about a failed negotiation. PRIVATE to the collection.

An ``initiate`` streams 15-30 log lines; the two or three that say *why* it
failed (a notify error, a missing credential, retransmits) are what the user
needs in the failure message. This file formats those lines as swanctl
prints them, keeps the ones that explain, recognises known causes (hints)
and builds the failure message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, List, Optional, Sequence, Tuple

# Lines that say why a negotiation failed. Matched case-insensitively.
_EXPLAINS = re.compile(
    r"fail|error|not found|no trusted|no private key|no shared key|no matching|no acceptable|mismatch|"
    r"unable|giving up|not responding|retransmit|no proposal|NO_PROPOSAL|AUTHENTICATION_FAILED|"
    r"TS_UNACCEPTABLE|INVALID_|unacceptable|rejected|constraint|expired|not yet valid|"
    r"received DELETE|deleting IKE_SA|closing CHILD_SA|timeout|timed out|peer|trap|acquire",
    re.IGNORECASE,
)
# Lines that are protocol chatter even when a word above appears in them.
_CHATTER = re.compile(r"^(generating|parsed|sending packet|received packet)\b|^peer supports", re.IGNORECASE)

# Known causes, as (pattern in the log or errmsg, explanation for the user).
HINTS = (
    (re.compile(r"AUTHENTICATION_FAILED|MAC mismatched|authentication of .* failed|no shared key", re.I),
     "authentication failed: the peers do not agree on the pre-shared key, identities or certificates"),
    (re.compile(r"no trusted .* public key|no issuer certificate|constraint check failed|certificate .* (expired|not yet valid)", re.I),
     "authentication failed: the peer's certificate is not trusted (missing CA, wrong identity, or validity)"),
    (re.compile(r"no private key found", re.I),
     "no private key is loaded for the local certificate"),
    (re.compile(r"NO_PROPOSAL_CHOSEN|no acceptable proposal|no proposal", re.I),
     "no proposal chosen: the peers have no algorithm proposal in common (check proposals/esp_proposals)"),
    (re.compile(r"TS_UNACCEPTABLE|traffic selectors .* unacceptable", re.I),
     "the peer does not accept the traffic selectors (check local_ts/remote_ts on both sides)"),
    (re.compile(r"giving up after .* retransmits|retransmit|not established after|peer not responding", re.I),
     "the peer is not responding (is it running, reachable, and listening on the right address and port?)"),
    (re.compile(r"config '.*' not found|no connection named|has no child named|has a child named", re.I),
     "unknown connection: load it first (strongswan.vici.connection) and check the ike/child names"),
)


def format_log_line(event: Mapping[str, Any]) -> str:
    """One control-log or log event as swanctl prints it: ``[IKE] <gw|1> message``."""
    group = str(event.get("group", "")).strip()
    name = event.get("ikesa-name")
    uid = event.get("ikesa-uniqueid")
    prefix = "[%s] " % group if group else ""
    if name:
        prefix += "<%s|%s> " % (name, uid) if uid else "<%s> " % name
    return prefix + str(event.get("msg", "")).strip()


def trim_log(events: Sequence[Mapping[str, Any]], limit: int = 8) -> List[str]:
    """The lines of a control-log that help explain its outcome, at most ``limit``.

    Keeps the milestones (log level 0: "initiating IKE_SA ...", "establishing
    CHILD_SA ...") and every line that names a failure; drops packet chatter.
    When nothing explains anything and nothing was established (e.g. the peer
    never answered), the last packet sent is kept: it says where the daemon
    was sending to.
    """
    kept: List[Tuple[int, Mapping[str, Any]]] = []
    last_sent: Optional[Tuple[int, Mapping[str, Any]]] = None
    explained = False
    for index, event in enumerate(events):
        msg = str(event.get("msg", ""))
        if msg.lower().startswith("sending packet"):
            last_sent = (index, event)
        if _CHATTER.search(msg):
            continue
        if _EXPLAINS.search(msg):
            kept.append((index, event))
            explained = explained or str(event.get("level", "1")) != "0" or "fail" in msg.lower()
        elif str(event.get("level", "")) == "0":
            kept.append((index, event))
    succeeded = any("established" in str(event.get("msg", "")) and str(event.get("level", "")) == "0" for event in events)
    if not explained and not succeeded and last_sent is not None and last_sent not in kept:
        kept.append(last_sent)
        kept.sort(key=lambda item: item[0])
    lines = [format_log_line(event) for _index, event in kept]
    if len(lines) > limit:
        # The end of a failed negotiation says more than its beginning.
        lines = lines[:2] + lines[-(limit - 2):]
    # Repeated retransmit lines say the same thing.
    unique: List[str] = []
    for line in lines:
        if line not in unique:
            unique.append(line)
    return unique


def hints_for(errmsg: str, lines: Sequence[str]) -> List[str]:
    """Plain-language causes recognised in the errmsg and the trimmed log, most specific first."""
    text = "\n".join([errmsg] + list(lines))
    found: List[str] = []
    for pattern, hint in HINTS:
        if pattern.search(text) and hint not in found:
            found.append(hint)
    return found


def failure_message(action: str, what: str, errmsg: str, lines: Sequence[str]) -> str:
    """``<action> <what> failed: <errmsg>. Likely cause: <hint>. Daemon log: <lines>``."""
    msg = "%s %s failed: %s" % (action, what, errmsg or "the daemon gave no reason")
    hints = hints_for(errmsg, lines)
    if hints:
        msg += ". Likely cause: %s" % hints[0]
    if lines:
        msg += ". Daemon log: " + " | ".join(lines)
    return msg
