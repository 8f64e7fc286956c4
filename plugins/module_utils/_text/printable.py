# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Decoded messages made printable for a module result. PRIVATE to the collection.

The decoder leaves values that are not UTF-8 as ``bytes``; a module result
must be text, so :func:`printable` hex-encodes them. No Ansible import, so the
SA and policy logic can use it without depending on ``AnsibleModule``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any, Iterable, List, Tuple

# The deepest nesting of dicts and lists printable() converts. A decoded message is at most
# MAX_DEPTH (64) sections deep; the margin covers lists of messages and the lists inside them.
MAX_TEXT_DEPTH = 100


class NestingError(ValueError):
    """A value nests deeper than the walkers of the collection accept."""


def printable(value: Any, max_depth: int = MAX_TEXT_DEPTH) -> Any:
    """A decoded message as text only: values that are not UTF-8 (left as bytes by the decoder) become hex.

    Iterative, and refuses (:class:`NestingError`) dicts and lists nested
    deeper than ``max_depth``: the result is later serialised by code that
    recurses (``json``), so a depth bound keeps every later step safe too.
    """
    if not isinstance(value, (bytes, dict, list)):
        return value
    if isinstance(value, bytes):
        return value.hex()
    root: Any = {} if isinstance(value, dict) else []
    # (source container, converted container, depth of the source)
    pending: List[Tuple[Any, Any, int]] = [(value, root, 1)]
    while pending:
        source, target, depth = pending.pop()
        if depth > max_depth:
            raise NestingError("the value nests more than %d levels deep" % max_depth)
        entries: Iterable[Tuple[Any, Any]] = source.items() if isinstance(source, dict) else enumerate(source)
        for key, item in entries:
            if isinstance(item, bytes):
                item = item.hex()
            elif isinstance(item, dict):
                child: Any = {}
                pending.append((item, child, depth + 1))
                item = child
            elif isinstance(item, list):
                child = []
                pending.append((item, child, depth + 1))
                item = child
            if isinstance(target, dict):
                target[key] = item
            else:
                target.append(item)
    return root


def blobs_summarized(message: Any) -> Any:
    """A redacted message as JSON-friendly data for diffs and the ledger: bytes become a short description
    (length and digest), so that a certificate or key blob is recognisable without being shown."""
    # Exact types first: this runs over every message of a tree, and ABC checks cost more than the copy.
    cls = message.__class__
    if cls is str:
        return message
    if cls is dict:
        return {key: blobs_summarized(value) for key, value in message.items()}
    if cls is list:
        return [blobs_summarized(value) for value in message]
    if isinstance(message, bytes):
        return "<%d bytes, sha256 %s>" % (len(message), hashlib.sha256(message).hexdigest()[:16])
    if isinstance(message, Mapping):
        return {key: blobs_summarized(value) for key, value in message.items()}
    if isinstance(message, (list, tuple)):
        return [blobs_summarized(value) for value in message]
    return message
