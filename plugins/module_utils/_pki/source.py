# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Where PKI data comes from: the one reader. PRIVATE to the collection.

Keys, certificates, CRLs and public keys reach the modules as ``content``
(PEM text, or base64 of DER as ``slurp`` returns it) or as a ``path`` on the
managed host, in swanctl.conf values as PEM text, ``0x``/``0s`` blobs or file
names, and on PKCS#11 tokens as a handle. Each of these is read here, once;
which PEM labels mean what is :mod:`.pem`'s table.
"""

from __future__ import annotations

import base64
import binascii
import os
from typing import Any, Dict, List, NamedTuple, Optional

from .._text.input import InputError
from .._text.secrets import MASK
from .pem import PemBlock, pem_blocks


class Source(NamedTuple):
    """Raw bytes (PEM text or DER) and the option they came from, for messages."""

    data: bytes
    field: str


class BlobError(InputError):
    """A ``0x``/``0s`` value whose hex or base64 is broken (the message never shows the value)."""

    def __init__(self, prefix: str, encoding: str) -> None:
        super().__init__("'%s...' is not valid %s" % (prefix, encoding))
        self.prefix = prefix
        self.encoding = encoding


#: AnsibleModule's keyword arguments for an object given by exactly one of ``content`` and ``path`` (the
#: certificate module, and the items of the config module's ``certificates`` and ``private_keys``).
CONTENT_OR_PATH: Dict[str, Any] = {"mutually_exclusive": [("content", "path")], "required_one_of": [("content", "path")]}


def read_managed_file(path: str) -> bytes:
    """The bytes of ``path`` on the managed host (``~`` expanded); raises OSError."""
    with open(os.path.expanduser(path), "rb") as handle:
        return handle.read()


def unreadable(error: OSError) -> str:
    """Why a file could not be read, for a message."""
    return error.strerror or type(error).__name__


def read_source(content: Optional[str], path: Optional[str]) -> Source:
    """The bytes of ``path`` on the managed host, or of ``content`` (PEM text, or base64-encoded DER)."""
    if path:
        try:
            return Source(read_managed_file(path), "path")
        except OSError as error:
            raise InputError("path: cannot read '%s' on the managed host (%s)" % (path, unreadable(error))) from None
    text = (content or "").strip()
    if not text:
        raise InputError("content: empty")
    if "-----BEGIN" in text:
        return Source(text.encode("utf-8"), "content")
    try:
        return Source(base64.b64decode("".join(text.split()), validate=True), "content")
    except (binascii.Error, ValueError):
        raise InputError("content: neither PEM text nor base64-encoded DER") from None


def naming_field(error: InputError, field: str, passphrase: Optional[str] = None) -> InputError:
    """``error`` (of its own type) prefixed with the option it concerns, ``passphrase`` masked should it show."""
    message = str(error)
    if passphrase and passphrase in message:  # belt and braces: no message may carry it
        message = message.replace(passphrase, MASK)
    return type(error)("%s: %s" % (field, message))


def blocks_of(data: bytes) -> List[PemBlock]:
    """The PEM blocks in ``data`` (bytes that are not UTF-8 cannot be part of one)."""
    return pem_blocks(data.decode("utf-8", "replace"))


def decode_prefixed(text: str) -> Optional[bytes]:
    """The bytes of a ``0x`` (hex) or ``0s`` (base64) value as swanctl reads it (either case); None without a prefix."""
    prefix = text[:2]
    if prefix.lower() not in ("0x", "0s"):
        return None
    hexadecimal = prefix.lower() == "0x"
    try:
        return binascii.unhexlify(text[2:]) if hexadecimal else base64.b64decode(text[2:], validate=True)
    except (binascii.Error, ValueError):
        raise BlobError(prefix, "hex" if hexadecimal else "base64") from None


def token_reference(handle: str, slot: Optional[int], module: Optional[str]) -> Dict[str, Any]:
    """An object on a PKCS#11 token as load-token and load-authority take it: hex handle, slot, module."""
    text = str(handle).strip()
    if text.lower().startswith("0x"):
        text = text[2:]
    try:
        if not text:
            raise ValueError
        bytes.fromhex(text)
    except ValueError:
        raise InputError("handle: '%s' is not hex (the CKA_ID of the object on the token)" % handle) from None
    reference: Dict[str, Any] = {"handle": text.lower()}
    if slot is not None:
        if slot < 0:
            raise InputError("slot: must not be negative")
        reference["slot"] = slot
    if module:
        reference["module"] = module
    return reference
