# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A VICI message as JSON, losslessly: what the ledger fingerprints and keeps. PRIVATE to the collection.

Not the wire format (that is :mod:`..vici.wire`): a JSON form in which sections keep their order
(``{"$map": [[key, value], ...]}``) and bytes stay bytes (``{"$bytes": hex}``), so that the text of a
message is stable (one message, one text) and can be turned back into the message.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Dict


def to_canonical_data(message: Any) -> Any:
    """A message as JSON data, losslessly: sections keep their order, bytes stay bytes."""
    # Exact types first: this runs over every message of a tree, and ABC checks cost more than the rest.
    cls = message.__class__
    if cls is str:
        return message
    if cls is dict:
        return {"$map": [[key if key.__class__ is str else str(key), to_canonical_data(value)] for key, value in message.items()]}
    if cls is list:
        return [to_canonical_data(value) for value in message]
    if isinstance(message, bytes):
        return {"$bytes": message.hex()}
    if isinstance(message, Mapping):
        return {"$map": [[str(key), to_canonical_data(value)] for key, value in message.items()]}
    if isinstance(message, (list, tuple)):
        return [to_canonical_data(value) for value in message]
    return message


def canonical_text(message: Any) -> str:
    """The stable, lossless text of a message: what the ledger fingerprints, and keeps to load back.

    Order is kept (it matters to the daemon: auth rounds, proposals); bytes
    are tagged so that b"x" and "x" differ.
    """
    return json.dumps(to_canonical_data(message), separators=(",", ":"))


def from_canonical_data(data: Any) -> Any:
    """The inverse of :func:`to_canonical_data`; ValueError (or TypeError) on anything it did not write."""
    if isinstance(data, dict):
        if set(data) == {"$bytes"}:
            return bytes.fromhex(data["$bytes"])
        if set(data) == {"$map"} and isinstance(data["$map"], list):
            out: Dict[str, Any] = {}
            for pair in data["$map"]:
                if not isinstance(pair, list) or len(pair) != 2 or not isinstance(pair[0], str):
                    raise ValueError("ill-formed section")
                out[pair[0]] = from_canonical_data(pair[1])
            return out
        raise ValueError("ill-formed value")
    if isinstance(data, list):
        return [from_canonical_data(value) for value in data]
    if isinstance(data, str):
        return data
    raise ValueError("ill-formed value")


def from_canonical_text(text: str) -> Any:
    """The message of a :func:`canonical_text`; ValueError, TypeError or RecursionError on anything else."""
    return from_canonical_data(json.loads(text))
