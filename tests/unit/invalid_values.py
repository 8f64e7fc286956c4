# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One invalid value for every key of swanctl.conf's connection schema, generated from the schema (issue 17, item 13).

Shared by the unit test (canonical_connection refuses each, naming the key) and the system test (check mode
through the connection and config modules refuses each and sends nothing mutating; the daemon refuses each too).
A key is typed when its schema kind is not plain text or values.CHECKERS has a checker for it: it gets the
invalid value of its kind or its own; every other key takes any printable ASCII text, so it gets non-ASCII text.
"""

from __future__ import annotations

from typing import Any, Dict, Iterator, List, NamedTuple, Tuple

from ansible_collections.strongswan.vici.plugins.module_utils._swanctl.schema import (
    AUTH_KEYS, BOOL, BYTES, CERT_KEYS, CHILD_KEYS, FILES, INT, LIST, PEER_KEYS, SCALAR, TIME,
)
from ansible_collections.strongswan.vici.plugins.module_utils._swanctl.values import CHECKERS

SCHEMAS = {"peer": PEER_KEYS, "auth": AUTH_KEYS, "cert": CERT_KEYS, "child": CHILD_KEYS}

#: Invalid for every key of the kind (when the key has no checker of its own below).
BY_KIND = {BOOL: "maybe", INT: "12abc", TIME: "abc", BYTES: "1x"}

#: Invalid values of the keys with a checker of their own (values.CHECKERS), by key.
BY_KEY = {
    "proposals": "aes128-sha256-foo", "esp_proposals": "aes128-AES256", "ah_proposals": "sha256-bogus",
    "vips": "10.0.0.300", "dscp": "102", "version": "abc", "keyingtries": "3x", "local_port": "port",
    "remote_port": "-", "round": "first", "slot": "0x", "if_id_in": "zzz", "if_id_out": "0x1/2",
    "fragmentation": "maybe", "childless": "bogus", "send_cert": "sometimes", "ocsp": "bogus", "unique": "bogus",
    "auth": "foo", "revocation": "bogus",
    "local_ts": "10.0.0.0/8[foo]", "remote_ts": "10.0.0.0/8[tcp/99999]", "mode": "bogus",
    "dpd_action": "bogus", "start_action": "explode", "close_action": "trap|hold",
    "mark_in": "0xzz", "mark_out": "%same", "set_mark_in": "%unique", "set_mark_out": "1/x",
    "tfc_padding": "MTU", "hw_offload": "bogus", "copy_dscp": "bogus", "label_mode": "bogus",
    "per_cpu_sas": "bogus", "label": "",
}

#: Every other key: free text, which the daemon takes if it is printable ASCII.
FREE_TEXT = "caf\u00e9"
#: Certificates and public keys: a PEM block of another kind.
WRONG_PEM = "-----BEGIN FOO-----\nAAAA\n-----END FOO-----\n"


class Case(NamedTuple):
    level: str
    key: str
    value: Any
    body: Dict[str, Any]      # a connection body as a user writes it
    raw: Dict[str, Any]       # the same as a load-conn message, without the module's checks
    path: str                 # the key's path in the module's message (with the item's index for lists)


def invalid_value(level: str, key: str) -> Tuple[Any, bool]:
    """(an invalid value of KEY at LEVEL, whether the key is typed)."""
    kind = SCHEMAS[level][key]
    if kind == FILES:
        return WRONG_PEM, True
    if key in BY_KEY and (level, key) in CHECKERS:
        return BY_KEY[key], True
    if kind in BY_KIND:
        return BY_KIND[kind], True
    if (level, key) in CHECKERS:
        raise AssertionError("%s.%s has a checker but no invalid example in BY_KEY" % (level, key))
    return FREE_TEXT, False


def _nest(level: str, key: str, value: Any) -> Tuple[Dict[str, Any], List[str]]:
    if level == "peer":
        return {key: value}, [key]
    if level == "auth":
        return {"local": {key: value}}, ["local", key]
    if level == "cert":
        return {"local": {"cert-hsm": {key: value}}}, ["local", "cert-hsm", key]
    return {"children": {"c": {key: value}}}, ["children", "c", key]


def cases() -> Iterator[Case]:
    """One case per key of every level of the schema."""
    for level, schema in SCHEMAS.items():
        for key, kind in schema.items():
            value, _typed = invalid_value(level, key)
            body, path = _nest(level, key, value)
            raw, _path = _nest(level, key, [value] if kind in (LIST, FILES) else value)
            yield Case(level, key, value, body, raw, ".".join(path + (["0"] if kind in (LIST, FILES) else [])))


def typed_keys() -> List[Tuple[str, str]]:
    """The enumerated or typed keys: those the daemon parses as more than printable text."""
    return [(level, key) for level, schema in SCHEMAS.items() for key, kind in schema.items()
            if invalid_value(level, key)[1]]


def case_id(case: Case) -> str:
    return "%s.%s" % (case.level, case.key)


__all__ = ["SCALAR", "Case", "cases", "case_id", "typed_keys", "invalid_value", "BY_KEY", "SCHEMAS"]
