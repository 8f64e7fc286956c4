# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Reload probes: the temporary connections a connection's reload check loads and unloads at once.

A probe is named after its connection plus :data:`PROBE_MARK` and 8 hex digits. Runs that can load one hold
the gateway lock (:mod:`.lock`), so under the lock every probe the daemon holds is a killed run's leftover: a
full copy of a connection that can still match as a responder. It lives here, below the kinds, because
``_base`` removes leftovers when it opens a locked session, before any kind is involved.
"""

from __future__ import annotations

import re
import secrets
from typing import List

from ..vici.errors import ViciCommandFailed
from ..vici.session import Session

#: What the reload probe adds to a connection's name.
PROBE_MARK = ".vici-probe-"
_PROBE = re.compile(r"\.vici-probe-[0-9a-f]{8}$")


def probe_name(name: str) -> str:
    """A fresh probe name for connection ``name``."""
    return "%s%s%s" % (name, PROBE_MARK, secrets.token_hex(4))


def is_probe(name: str) -> bool:
    """Whether ``name`` is a reload probe's."""
    return bool(_PROBE.search(name))


def _probes(session: Session) -> List[str]:
    return sorted(str(name) for name in session.get_conns().get("conns", []) or [] if is_probe(str(name)))


def remove_stale_probes(session: Session, check_mode: bool) -> List[str]:
    """Unload every reload probe the daemon holds (not in check mode); their names.

    Call with the gateway lock held: no other run is probing then.
    """
    stale = _probes(session)
    if not check_mode:
        for name in stale:
            try:
                session.unload_conn(name)
            except ViciCommandFailed:
                if name in _probes(session):  # gone meanwhile is what the unload wanted
                    raise
    return stale
