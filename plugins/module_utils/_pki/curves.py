# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Public keys derived from private keys: NIST P curves and Ed25519/Ed448. PRIVATE to the collection.

A key id needs the public key, and some private keys do not carry it: SEC1
and PKCS#8 EC keys without their point, and every Ed25519/Ed448 key. It is
derived here by plain scalar multiplication (P-256, P-384, P-521) and as
RFC 8032 says (Ed25519, Ed448), with the standard library only.
"""

from __future__ import annotations

import hashlib
from typing import Dict, Optional, Tuple

from .der import DerError

# Short Weierstrass curves y^2 = x^3 - 3x + b: name, field prime, generator.
NIST_CURVES: Dict[str, Tuple[str, int, int, int]] = {
    "1.2.840.10045.3.1.7": (
        "P-256",
        2**256 - 2**224 + 2**192 + 2**96 - 1,
        0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296,
        0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5,
    ),
    "1.3.132.0.34": (
        "P-384",
        2**384 - 2**128 - 2**96 + 2**32 - 1,
        0xAA87CA22BE8B05378EB1C71EF320AD746E1D3B628BA79B9859F741E082542A385502F25DBF55296C3A545E3872760AB7,
        0x3617DE4A96262C6F5D9E98BF9292DC29F8F41DBD289A147CE9DA3113B5F0B8C00A60B1CE1D7E819D7A431D7C90EA0E5F,
    ),
    "1.3.132.0.35": (
        "P-521",
        2**521 - 1,
        0xC6858E06B70404E9CD9E3ECB662395B4429C648139053FB521F828AF606B4D3DBAA14B5E77EFE75928FE1DC127A2FFA8DE3348B3C1856A429BF97E7E31C2E5BD66,
        0x11839296A789A3BC0045C8A5FB42C7D1BD998F54449579B446817AFBD17273E662C97EE72995EF42640C550B9013FAD0761353C7086A272C24088BE94769FD16650,
    ),
}
_OTHER_CURVES = {"1.3.132.0.10": "secp256k1", "1.3.36.3.3.2.8.1.1.7": "brainpoolP256r1",
                 "1.3.36.3.3.2.8.1.1.11": "brainpoolP384r1", "1.3.36.3.3.2.8.1.1.13": "brainpoolP512r1"}


def ec_public_point(curve_oid: str, secret: int) -> bytes:
    """The uncompressed SEC1 point ``secret * G`` (what OpenSSL writes when it derives it)."""
    _name, p, gx, gy = NIST_CURVES[curve_oid]
    a = p - 3
    result: Optional[Tuple[int, int]] = None
    addend: Optional[Tuple[int, int]] = (gx, gy)

    def add(first: Optional[Tuple[int, int]], second: Optional[Tuple[int, int]]) -> Optional[Tuple[int, int]]:
        if first is None:
            return second
        if second is None:
            return first
        (x1, y1), (x2, y2) = first, second
        if x1 == x2:
            if (y1 + y2) % p == 0:
                return None
            slope = (3 * x1 * x1 + a) * pow(2 * y1, -1, p) % p
        else:
            slope = (y2 - y1) * pow(x2 - x1, -1, p) % p
        x3 = (slope * slope - x1 - x2) % p
        return x3, (slope * (x1 - x3) - y1) % p

    while secret:
        if secret & 1:
            result = add(result, addend)
        addend = add(addend, addend)
        secret >>= 1
    if result is None:
        raise DerError("the EC private key is zero")
    size = (p.bit_length() + 7) // 8
    return b"\x04" + result[0].to_bytes(size, "big") + result[1].to_bytes(size, "big")


def _edwards_multiply(scalar: int, p: int, a: int, d: int, base: Tuple[int, int]) -> Tuple[int, int]:
    """``scalar * base`` on the twisted Edwards curve a*x^2 + y^2 = 1 + d*x^2*y^2 (RFC 8032 formulas)."""

    def add(first: Tuple[int, int, int], second: Tuple[int, int, int]) -> Tuple[int, int, int]:
        x1, y1, z1 = first
        x2, y2, z2 = second
        zz = z1 * z2 % p
        zz2 = zz * zz % p
        xx = x1 * x2 % p
        yy = y1 * y2 % p
        e = d * xx * yy % p
        f = (zz2 - e) % p
        g = (zz2 + e) % p
        h = (x1 + y1) * (x2 + y2) % p
        return zz * f * (h - xx - yy) % p, zz * g * (yy - a * xx) % p, f * g % p

    result = (0, 1, 1)
    addend = (base[0], base[1], 1)
    while scalar:
        if scalar & 1:
            result = add(result, addend)
        addend = add(addend, addend)
        scalar >>= 1
    inverse = pow(result[2], p - 2, p)
    return result[0] * inverse % p, result[1] * inverse % p


def ed25519_public_key(seed: bytes) -> bytes:
    """The Ed25519 public key of a 32-byte private key (RFC 8032 5.1.5)."""
    p = 2**255 - 19
    digest = hashlib.sha512(seed).digest()
    scalar = int.from_bytes(digest[:32], "little")
    scalar &= (1 << 254) - 8
    scalar |= 1 << 254
    d = -121665 * pow(121666, p - 2, p) % p
    base = (15112221349535400772501151409588531511454012693041857206046113283949847762202,
            46316835694926478169428394003475163141307993866256225615783033603165251855960)
    x, y = _edwards_multiply(scalar, p, -1, d, base)
    return (y | (x & 1) << 255).to_bytes(32, "little")


def ed448_public_key(seed: bytes) -> bytes:
    """The Ed448 public key of a 57-byte private key (RFC 8032 5.2.5)."""
    p = 2**448 - 2**224 - 1
    digest = bytearray(hashlib.shake_256(seed).digest(114)[:57])
    digest[0] &= 0xFC
    digest[55] |= 0x80
    digest[56] = 0
    scalar = int.from_bytes(bytes(digest), "little")
    base = (224580040295924300187604334099896036246789641632564134246125461686950415467406032909029192869357953282578032075146446173674602635247710,
            298819210078481492676017930443930673437544040154080242095928241372331506189835876003536878655418784733982303233503462500531545062832660)
    x, y = _edwards_multiply(scalar, p, 1, p - 39081, base)
    return (y | (x & 1) << 455).to_bytes(57, "little")


def curve_name(curve_oid: Optional[str]) -> str:
    """The name of a named curve (its OID when unknown, "" for explicit parameters)."""
    if curve_oid in NIST_CURVES:
        return NIST_CURVES[curve_oid][0]
    return _OTHER_CURVES.get(curve_oid or "", curve_oid or "")
