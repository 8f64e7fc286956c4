# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Key ids: how the daemon names keys. PRIVATE to the collection.

The daemon names every key it holds by its key id: the SHA-1 of the
subjectPublicKey BIT STRING contents (``KEYID_PUBKEY_SHA1``; for RSA the DER
RSAPublicKey, for EC the encoded point, for Ed25519/Ed448 the raw public key).
"""

from __future__ import annotations

import hashlib


def public_key_id(public_key: bytes) -> str:
    """The daemon's key id of a public key given as its subjectPublicKey bits (hex SHA-1)."""
    try:
        # Not a security measure but the daemon's naming, so FIPS-mode hosts must allow it.
        digest = hashlib.sha1(public_key, usedforsecurity=False)  # type: ignore[call-arg]
    except TypeError:  # Python 3.8
        digest = hashlib.sha1(public_key)  # nosec
    return digest.hexdigest()
