# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Private keys: parsing and key ids. PRIVATE to the collection.

The daemon names every key it holds by its key id: the SHA-1 of the
subjectPublicKey BIT STRING contents (``KEYID_PUBKEY_SHA1``; for RSA the DER
RSAPublicKey, for EC the encoded point, for Ed25519/Ed448 the raw public key).

Computing the id needs the public key. RSA keys carry it (n, e); SEC1 and
PKCS#8 EC keys usually carry the point, and where a key does not carry its
public key, :mod:`.curves` derives it. Encrypted keys go through
:mod:`.decrypt` first. All of it runs on the managed host. Key material and
passphrases never appear in messages raised from here.
"""

from __future__ import annotations

import hashlib
from typing import List, NamedTuple, Optional, Tuple

from .._text.input import InputError
from . import pem
from .curves import NIST_CURVES, curve_name, ec_public_point, ed448_public_key, ed25519_public_key
from .decrypt import EncryptedKeyError, decrypt_private_key
from .der import DerError, children, decode_oid, encode_tlv, read_tlv
from .pkcs12 import unpack_pkcs12
from .source import blocks_of, naming_field

_OID_RSA = "1.2.840.113549.1.1.1"
_OID_EC = "1.2.840.10045.2.1"
_OID_ED25519 = "1.3.101.112"
_OID_ED448 = "1.3.101.113"

_SEQUENCE, _INTEGER, _BIT_STRING, _OCTET_STRING, _OID = 0x30, 0x02, 0x03, 0x04, 0x06


class PrivateKey(NamedTuple):
    """A parsed, unencrypted private key."""

    key_type: str  # rsa, ecdsa, ed25519 or ed448, as load-key's ``type``
    der: bytes  # unencrypted DER (PKCS#1, SEC1 or PKCS#8), what load-key gets
    public_key: bytes  # the subjectPublicKey bits
    size: str  # "2048" for RSA, the curve for EC, "" for EdDSA

    @property
    def key_id(self) -> str:
        return public_key_id(self.public_key)

    def describe(self) -> str:
        return " ".join(part for part in (self.key_type.upper(), self.size) if part)


def public_key_id(public_key: bytes) -> str:
    """The daemon's key id of a public key given as its subjectPublicKey bits (hex SHA-1)."""
    try:
        # Not a security measure but the daemon's naming, so FIPS-mode hosts must allow it.
        digest = hashlib.sha1(public_key, usedforsecurity=False)
    except TypeError:  # Python 3.8
        digest = hashlib.sha1(public_key)  # nosec
    return digest.hexdigest()


# -- small DER helpers ------------------------------------------------------


def _integer(value: int) -> bytes:
    return encode_tlv(_INTEGER, value.to_bytes(value.bit_length() // 8 + 1, "big", signed=True))


def _int_of(data: bytes, element: Tuple[int, int, int]) -> int:
    if element[0] != _INTEGER:
        raise DerError("expected an INTEGER")
    return int.from_bytes(data[element[1]:element[2]], "big", signed=True)


def _bit_string(data: bytes, start: int, end: int) -> bytes:
    if start >= end or data[start] != 0:
        raise DerError("unexpected BIT STRING padding")
    return data[start + 1:end]


def _sequence(data: bytes) -> List[Tuple[int, int, int]]:
    tag, start, end = read_tlv(data, 0)
    if tag != _SEQUENCE or end != len(data):
        raise DerError("not a single DER SEQUENCE")
    return children(data, start, end)


# -- parsing ------------------------------------------------------------------


def _rsa_key(der: bytes, inner: bytes) -> PrivateKey:
    """From a PKCS#1 RSAPrivateKey ``inner`` (``der`` is what load-key gets)."""
    fields = _sequence(inner)
    if len(fields) < 9 or _int_of(inner, fields[0]) not in (0, 1):
        raise DerError("not an RSAPrivateKey")
    modulus, exponent = _int_of(inner, fields[1]), _int_of(inner, fields[2])
    public = encode_tlv(_SEQUENCE, _integer(modulus) + _integer(exponent))
    return PrivateKey("rsa", der, public, str(modulus.bit_length()))


def _curve_oid(data: bytes, element: Tuple[int, int, int]) -> Optional[str]:
    if element[0] == _OID:
        return decode_oid(data[element[1]:element[2]])
    return None  # explicit parameters: only usable when the key carries its point


def _ec_key(der: bytes, inner: bytes, curve: Optional[str]) -> PrivateKey:
    """From a SEC1 ECPrivateKey ``inner``; ``curve`` is the PKCS#8 algorithm's curve OID, if any."""
    fields = _sequence(inner)
    if len(fields) < 2 or _int_of(inner, fields[0]) != 1 or fields[1][0] != _OCTET_STRING:
        raise DerError("not an ECPrivateKey")
    point = None
    for tag, start, end in fields[2:]:
        if tag == 0xA0:  # [0] parameters
            params = children(inner, start, end)
            curve = curve or (_curve_oid(inner, params[0]) if params else None)
        elif tag == 0xA1:  # [1] publicKey
            bits = children(inner, start, end)
            if bits and bits[0][0] == _BIT_STRING:
                point = _bit_string(inner, bits[0][1], bits[0][2])
    name = curve_name(curve)
    if point is None:
        if curve not in NIST_CURVES:
            raise InputError(
                "the EC private key carries no public key and its curve (%s) is not one of P-256, P-384, P-521, "
                "so its key id cannot be computed; write the key with its public key (openssl ec -in KEY -out KEY)"
                % (name or "explicit parameters"))
        point = ec_public_point(curve, int.from_bytes(inner[fields[1][1]:fields[1][2]], "big"))
    return PrivateKey("ecdsa", der, point, name)


def _pkcs8_key(der: bytes, fields: List[Tuple[int, int, int]]) -> PrivateKey:
    algorithm = children(der, fields[1][1], fields[1][2])
    if not algorithm or algorithm[0][0] != _OID:
        raise DerError("invalid PKCS#8 algorithm")
    oid = decode_oid(der[algorithm[0][1]:algorithm[0][2]])
    inner = der[fields[2][1]:fields[2][2]]
    if oid == _OID_RSA:
        return _rsa_key(der, inner)
    if oid == _OID_EC:
        return _ec_key(der, inner, _curve_oid(der, algorithm[1]) if len(algorithm) > 1 else None)
    if oid in (_OID_ED25519, _OID_ED448):
        tag, start, end = read_tlv(inner, 0)
        seed = inner[start:end]
        key_type, size = ("ed25519", 32) if oid == _OID_ED25519 else ("ed448", 57)
        if tag != _OCTET_STRING or len(seed) != size:
            raise DerError("invalid %s private key" % key_type)
        public = None
        for tag, start, end in fields[3:]:
            if tag == 0x81:  # OneAsymmetricKey [1] publicKey (RFC 5958)
                public = _bit_string(der, start, end)
        if public is None:
            public = ed25519_public_key(seed) if key_type == "ed25519" else ed448_public_key(seed)
        return PrivateKey(key_type, der, public, "")
    raise InputError("unsupported private key algorithm %s: the daemon loads RSA, ECDSA, Ed25519 and Ed448 keys" % oid)


def is_encrypted_der(der: bytes) -> bool:
    """Whether ``der`` is a PKCS#8 EncryptedPrivateKeyInfo."""
    try:
        fields = _sequence(der)
    except DerError:
        return False
    return len(fields) == 2 and fields[0][0] == _SEQUENCE and fields[1][0] == _OCTET_STRING


def parse_private_key_der(der: bytes) -> PrivateKey:
    """A PKCS#1, SEC1 or PKCS#8 (unencrypted) private key in DER."""
    try:
        fields = _sequence(der)
        if len(fields) >= 3 and fields[0][0] == _INTEGER and fields[1][0] == _SEQUENCE and fields[2][0] == _OCTET_STRING:
            return _pkcs8_key(der, fields)
        if len(fields) >= 9 and all(field[0] == _INTEGER for field in fields[:9]):
            return _rsa_key(der, der)
        if len(fields) >= 2 and fields[0][0] == _INTEGER and fields[1][0] == _OCTET_STRING:
            return _ec_key(der, der, None)
        if is_encrypted_der(der):
            raise EncryptedKeyError("the private key is encrypted (PKCS#8); set passphrase")
    except (DerError, IndexError, KeyError, ValueError) as error:
        if isinstance(error, InputError):
            raise
        raise InputError("not a valid private key (%s)" % error) from None
    raise InputError("not a private key in PKCS#1, SEC1 or PKCS#8 form")


# -- reading ------------------------------------------------------------------


def load_private_key(data: bytes, passphrase: Optional[str] = None, field: str = "content") -> PrivateKey:
    """Parse (and if needed decrypt) one private key given as PEM or DER."""
    try:
        encrypted, der, whole = _private_block(data)
        if encrypted or is_encrypted_der(der):
            if not passphrase:
                raise EncryptedKeyError("the private key is encrypted; set passphrase")
            der = decrypt_private_key(whole, passphrase)
        return parse_private_key_der(der)
    except InputError as error:
        raise naming_field(error, field, passphrase) from None


def _private_block(data: bytes) -> Tuple[bool, bytes, bytes]:
    """(legacy-encrypted?, DER of the key, the bytes to decrypt) of the one private key in ``data``."""
    if not pem.is_pem(data):
        return False, data, data
    found = blocks_of(data)
    blocks = [block for block in found if block.label in pem.PRIVATE_KEY]
    if len(blocks) != 1:
        labels = sorted({block.label for block in found})
        if not blocks:
            raise InputError("no PEM private key block (%s) found%s" % (
                ", ".join(pem.PRIVATE_KEY), "; found only %s" % ", ".join(labels) if labels else ""))
        raise InputError("%d private keys found; give one key per task" % len(blocks))
    block = blocks[0]
    try:
        der = block.der
    except DerError as error:
        raise InputError(str(error)) from None
    return block.encrypted, der, block.text.encode("utf-8")


def private_key_from_pkcs12(container: bytes, passphrase: Optional[str], field: str = "content") -> PrivateKey:
    """The one private key of a PKCS#12 container, as swanctl sends it (unencrypted, its real type)."""
    try:
        keys = unpack_pkcs12(container, passphrase).keys
        if len(keys) != 1:
            raise InputError("the PKCS#12 container holds %d private keys; exactly one is supported" % len(keys))
        return parse_private_key_der(keys[0])
    except InputError as error:
        raise naming_field(error, field, passphrase) from None
