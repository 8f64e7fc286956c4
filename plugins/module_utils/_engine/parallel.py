# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Independent requests over a few sessions at once, stopping at the first error. PRIVATE to the collection.

charon works VICI requests on several threads, but one session carries one request at a time (the
protocol has no request ids). So loading thousands of new objects of one kind, which do not depend on each
other, goes faster over a few sessions side by side (issue 21): each thread has its own :class:`Session`
and takes every n-th item, in order.

The first error stops every thread before its next request; requests already sent complete. The result
says, per item, whether it was done (the reply), failed (the error) or not tried, so the caller reports
exactly what the daemon accepted, which may include items after the failed one in the original order.
Sessions beyond the caller's are opened here and closed on every path; one that cannot be opened is done
without. Each request is bounded by the session's timeout, so each thread ends.
"""

from __future__ import annotations

import threading
from typing import Any, Callable, List, Optional, Sequence, Tuple, TypeVar

from ..vici.errors import ViciError
from ..vici.session import Session

#: Sessions at once, the caller's included (charon's default thread pool is 16; more gave nothing measurable).
SESSIONS = 4
#: Fewer items than this go over the caller's session alone (opening sessions costs more than it saves).
MIN_ITEMS = 64

T = TypeVar("T")

#: Per item: ("done", reply), ("failed", the exception: a ViciError, or a bug the caller re-raises) or ("skipped", None).
Outcome = Tuple[str, Any]


def run_parallel(session: Session, items: Sequence[T], work: Callable[[Session, T], Any],
                 sessions: int = SESSIONS) -> List[Outcome]:
    """``work(session, item)`` for every item over up to SESSIONS sessions; the outcome of each, in item order."""
    outcomes: List[Outcome] = [("skipped", None)] * len(items)
    opened: List[Session] = []
    try:
        for _number in range(1, sessions):
            try:
                opened.append(Session(session.uri, session.timeout))
            except ViciError:
                break
        lanes = [session] + opened
        stop = threading.Event()

        def lane(own: Session, first: int) -> None:
            for index in range(first, len(items), len(lanes)):
                if stop.is_set():
                    return
                try:
                    outcomes[index] = ("done", work(own, items[index]))
                except Exception as error:  # pylint: disable=broad-exception-caught  # the caller re-raises it
                    outcomes[index] = ("failed", error)
                    stop.set()
                    return

        threads = [threading.Thread(target=lane, args=(own, first), daemon=True) for first, own in enumerate(lanes)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        for extra in opened:
            extra.close()
    return outcomes


def first_failure(outcomes: Sequence[Outcome]) -> Optional[int]:
    """The index of the first failed item in item order, or None."""
    return next((index for index, (state, _value) in enumerate(outcomes) if state == "failed"), None)
