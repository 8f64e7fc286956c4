# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Proposal keywords against the algorithms the running daemon implements (``get-algorithms``). PRIVATE.

The daemon's proposal parser knows keywords for algorithms no loaded plugin implements (``serpent128``,
``twofish256``, ``ntru128`` load fine on a daemon without those plugins); such an IKE proposal can never be
negotiated. ESP and AH ciphers run in the kernel, which get-algorithms does not describe: of a child's
proposals only the key exchange (PFS group) is checked. ``get-algorithms`` is read-only, so check mode can ask it too. Only keywords whose algorithm is
certain are mapped; anything else is left alone (no warning is better than a wrong one).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Iterable, List, Optional, Set, Tuple

from ..vici.errors import ViciCommandUnknown
from ..vici.session import Session

# (keyword pattern, algorithm name as get-algorithms lists it); \1 etc. fill in the name.
_ICV = {"8": "8", "12": "12", "16": "16", "64": "8", "96": "12", "128": "16"}
_PLAIN = {
    "3des": "3DES_CBC", "des": "DES_CBC", "cast128": "CAST_CBC", "null": "NULL",
    "chacha20poly1305": "CHACHA20_POLY1305",
    "md5": "HMAC_MD5_96", "sha": "HMAC_SHA1_96", "sha1": "HMAC_SHA1_96",
    "sha256": "HMAC_SHA2_256_128", "sha2_256": "HMAC_SHA2_256_128",
    "sha384": "HMAC_SHA2_384_192", "sha2_384": "HMAC_SHA2_384_192",
    "sha512": "HMAC_SHA2_512_256", "sha2_512": "HMAC_SHA2_512_256",
    "aesxcbc": "AES_XCBC_96", "aescmac": "AES_CMAC_96", "camelliaxcbc": "CAMELLIA_XCBC_96",
    "prfmd5": "PRF_HMAC_MD5", "prfsha1": "PRF_HMAC_SHA1", "prfsha256": "PRF_HMAC_SHA2_256",
    "prfsha384": "PRF_HMAC_SHA2_384", "prfsha512": "PRF_HMAC_SHA2_512",
    "prfaesxcbc": "PRF_AES128_XCBC", "prfaescmac": "PRF_AES128_CMAC", "prfcamelliaxcbc": "PRF_CAMELLIA128_XCBC",
    "x25519": "CURVE_25519", "curve25519": "CURVE_25519", "x448": "CURVE_448", "curve448": "CURVE_448",
    "modp1024s160": "MODP_1024_160", "modp2048s224": "MODP_2048_224", "modp2048s256": "MODP_2048_256",
}
_CIPHER = re.compile(r"^(aes|camellia|serpent|twofish|blowfish)(128|192|256)?(ctr|gcm|ccm)?(\d+)?$")
_CIPHER_NAMES = {"aes": "AES", "camellia": "CAMELLIA", "serpent": "SERPENT", "twofish": "TWOFISH", "blowfish": "BLOWFISH"}
_MODP = re.compile(r"^modp(768|1024|1536|2048|3072|4096|6144|8192)$")
_ECP = re.compile(r"^ecp(192|224|256|384|521)$")
_ECP_BP = re.compile(r"^ecp(224|256|384|512)bp$")
_KEY_EXCHANGES = ("MODP_", "ECP_", "CURVE_")


def algorithm_name(keyword: str) -> Optional[str]:
    """The get-algorithms name of a proposal keyword (``aes128gcm16`` -> ``AES_GCM_16``), or None if unsure."""
    token = keyword.strip()
    if token in _PLAIN:
        return _PLAIN[token]
    match = _CIPHER.match(token)
    if match:
        family, _size, mode, icv = match.groups()
        name = _CIPHER_NAMES[family]
        if mode in ("gcm", "ccm"):
            if family not in ("aes", "camellia") or icv not in _ICV or (family == "camellia" and mode == "gcm"):
                return None
            return "%s_%s_%s" % (name, mode.upper(), _ICV[icv])
        if icv is not None:
            return None
        return "%s_%s" % (name, "CTR" if mode == "ctr" else "CBC")
    for pattern, fmt in ((_MODP, "MODP_%s"), (_ECP, "ECP_%s"), (_ECP_BP, "ECP_%s_BP")):
        match = pattern.match(token)
        if match:
            return fmt % match.group(1)
    return None


def implemented(reply: Mapping[str, Any]) -> Optional[Set[str]]:
    """Every algorithm name of a get-algorithms reply (all types), or None if the reply is not usable."""
    names: Set[str] = set()
    for group in reply.values():
        if isinstance(group, Mapping):
            names.update(str(name) for name in group)
    # Without ciphers listed, the reply is not one we understand: say nothing.
    return names if "AES_CBC" in names or "NULL" in names else None


def _proposals(message: Mapping[str, Any]) -> Iterable[Tuple[str, str]]:
    for index, value in enumerate(message.get("proposals") or []):
        yield "proposals.%d" % index, value
    children = message.get("children")
    if isinstance(children, Mapping):
        for child, body in children.items():
            if not isinstance(body, Mapping):
                continue
            for key in ("esp_proposals", "ah_proposals"):
                for index, value in enumerate(body.get(key) or []):
                    yield "children.%s.%s.%d" % (child, key, index), value


def missing_algorithms(message: Mapping[str, Any], names: Set[str]) -> List[str]:
    """One line per proposal of a canonical connection that uses an algorithm the daemon does not implement."""
    lines = []
    for path, proposal in _proposals(message):
        if not isinstance(proposal, str) or proposal == "default":
            continue
        missing = []
        ike = path.startswith("proposals.")
        for token in proposal.split("-"):
            name = algorithm_name(token)
            # ESP/AH ciphers and integrity run in the kernel (or kernel-libipsec), not in charon's plugins:
            # only a child's key exchange (PFS) is charon's.
            if name is not None and not ike and not name.startswith(_KEY_EXCHANGES):
                continue
            if name is not None and name not in names:
                missing.append("%s (%s)" % (token, name))
        if missing:
            lines.append("%s '%s': the daemon implements no %s (no plugin for it is loaded; see get-algorithms), "
                         "so this proposal cannot be negotiated" % (path, proposal, ", ".join(missing)))
    return lines


def unavailable_algorithms(session: Session, message: Mapping[str, Any]) -> List[str]:
    """:func:`missing_algorithms` against the running daemon; asks it (read-only) only when there are proposals."""
    if not any(value != "default" for _path, value in _proposals(message)):
        return []
    try:
        names = implemented(session.get_algorithms())
    except ViciCommandUnknown:
        return []
    return missing_algorithms(message, names) if names is not None else []
