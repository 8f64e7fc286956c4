# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Private keys as daemon objects: parsing, key ids, decryption. PRIVATE to the collection.

The daemon names every key it holds by its key id: the SHA-1 of the
subjectPublicKey BIT STRING contents (``KEYID_PUBKEY_SHA1``; for RSA the DER
RSAPublicKey, for EC the encoded point, for Ed25519/Ed448 the raw public key).
get-keys lists those ids, so a key computed locally to have id X is "present"
exactly when X is listed: no ledger is needed (presence is identity).

Computing the id needs the public key. RSA keys carry it (n, e); SEC1 and
PKCS#8 EC keys usually carry the point, and when they don't it is derived
here by a plain scalar multiplication (P-256, P-384, P-521); Ed25519 and
Ed448 public keys are derived as RFC 8032 says. All of it is standard
library only and runs on the managed host.

Encrypted keys (PKCS#8 EncryptedPrivateKeyInfo, legacy OpenSSL
``Proc-Type: 4,ENCRYPTED`` PEM) need a cipher implementation, which the
standard library lacks: they are decrypted on the managed host with the
Python ``cryptography`` package, or, where that is missing, with the
``openssl`` command (the passphrase goes through a pipe, never the command
line or the environment). The daemon only ever receives the unencrypted DER,
as swanctl sends it.

Key material and passphrases never appear in messages raised from here.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from typing import Any, Dict, List, Mapping, NamedTuple, Optional, Sequence, Tuple

from ._input import InputError
from ._pki.pkcs12 import container_bytes, unpack_pkcs12
from ._pki import pem
from ._pki.der import DerError, children, decode_oid, encode_tlv, read_tlv
from ._pki.keys import public_key_id
from ._pki.source import blocks_of, read_source, token_reference
from ._state import Item, Kind, Ledger, MASK
from .vici.errors import ViciCommandFailed
from .vici.session import Session

_OID_RSA = "1.2.840.113549.1.1.1"
_OID_EC = "1.2.840.10045.2.1"
_OID_ED25519 = "1.3.101.112"
_OID_ED448 = "1.3.101.113"

_SEQUENCE, _INTEGER, _BIT_STRING, _OCTET_STRING, _OID = 0x30, 0x02, 0x03, 0x04, 0x06


class EncryptedKeyError(InputError):
    """The key is encrypted and no (or a wrong) passphrase was given."""


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


# -- public keys from private keys ------------------------------------------

# Short Weierstrass curves y^2 = x^3 - 3x + b: name, field prime, generator.
_NIST_CURVES: Dict[str, Tuple[str, int, int, int]] = {
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
_CURVE_NAMES = {"1.3.132.0.10": "secp256k1", "1.3.36.3.3.2.8.1.1.7": "brainpoolP256r1",
                "1.3.36.3.3.2.8.1.1.11": "brainpoolP384r1", "1.3.36.3.3.2.8.1.1.13": "brainpoolP512r1"}


def ec_public_point(curve_oid: str, secret: int) -> bytes:
    """The uncompressed SEC1 point ``secret * G`` (what OpenSSL writes when it derives it)."""
    _name, p, gx, gy = _NIST_CURVES[curve_oid]
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
    name = _NIST_CURVES[curve][0] if curve in _NIST_CURVES else _CURVE_NAMES.get(curve or "", curve or "")
    if point is None:
        if curve not in _NIST_CURVES:
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


# -- decryption ---------------------------------------------------------------


class _Unavailable(Exception):
    """A decryption backend is not installed on this host."""


def _decrypt_cryptography(data: bytes, passphrase: bytes) -> bytes:
    try:
        from cryptography.hazmat.primitives import serialization  # pylint: disable=import-outside-toplevel
    except ImportError:
        raise _Unavailable("the Python package 'cryptography'") from None
    load = serialization.load_pem_private_key if data.lstrip().startswith(b"-----") else serialization.load_der_private_key
    try:
        key = load(data, password=passphrase)
    except (ValueError, TypeError):
        raise EncryptedKeyError("the passphrase does not decrypt the private key (wrong passphrase, or a damaged key)") from None
    except Exception as error:  # pylint: disable=broad-except
        # UnsupportedAlgorithm and friends: name the problem, never the data.
        raise InputError("cannot decrypt the private key: %s" % type(error).__name__) from None
    return key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def _decrypt_openssl(data: bytes, passphrase: bytes, timeout: float = 30.0) -> bytes:
    binary = shutil.which("openssl")
    if binary is None:
        raise _Unavailable("the 'openssl' command")
    read_end, write_end = os.pipe()
    try:
        # The passphrase travels through a pipe: never argv (ps) or the environment (/proc/PID/environ).
        with os.fdopen(write_end, "wb") as writer:
            write_end = -1
            writer.write(passphrase + b"\n")
        form = "PEM" if data.lstrip().startswith(b"-----") else "DER"
        proc = subprocess.run(  # nosec - fixed argv, no shell
            [binary, "pkey", "-inform", form, "-passin", "fd:%d" % read_end, "-outform", "DER"],
            input=data, capture_output=True, timeout=timeout, pass_fds=(read_end,), check=False,
        )
    except (OSError, subprocess.SubprocessError) as error:
        raise InputError("cannot run openssl to decrypt the private key: %s" % type(error).__name__) from None
    finally:
        os.close(read_end)
        if write_end != -1:
            os.close(write_end)
    if proc.returncode != 0 or not proc.stdout:
        raise EncryptedKeyError("the passphrase does not decrypt the private key (wrong passphrase, or a damaged key; "
                                "openssl pkey exited with %d)" % proc.returncode)
    return proc.stdout


DECRYPTORS = (("cryptography", _decrypt_cryptography), ("openssl", _decrypt_openssl))


def decrypt_private_key(data: bytes, passphrase: str, backends: Optional[Sequence[str]] = None) -> bytes:
    """Unencrypted PKCS#8 (or traditional) DER of an encrypted PEM or DER key.

    Tries the Python ``cryptography`` package first (in process), then the
    ``openssl`` command. Fails naming both when neither is installed.
    """
    try:
        secret = passphrase.encode("utf-8")
    except UnicodeEncodeError:
        # Never the value, nor where in it the bad byte is.
        raise InputError("passphrase: is not valid UTF-8 text") from None
    missing = []
    for name, decryptor in DECRYPTORS:
        if backends is not None and name not in backends:
            continue
        try:
            return decryptor(data, secret)
        except _Unavailable as error:
            missing.append(str(error))
    raise InputError("decrypting an encrypted private key on the managed host needs %s; neither is installed "
                     "(on Debian: apt install python3-cryptography, or openssl)" % " or ".join(missing))


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
        message = str(error)
        if passphrase and passphrase in message:  # belt and braces: no message may carry it
            message = message.replace(passphrase, MASK)
        raise type(error)("%s: %s" % (field, message)) from None


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
        message = str(error)
        if passphrase and passphrase in message:  # belt and braces: no message may carry it
            message = message.replace(passphrase, MASK)
        raise type(error)("%s: %s" % (field, message)) from None


# -- the daemon object ----------------------------------------------------------


def key_message(key: PrivateKey) -> Dict[str, Any]:
    """The load-key message: the real key type and unencrypted DER, as swanctl sends them."""
    return {"type": key.key_type, "data": key.der}


def token_message(handle: str, slot: Optional[int], module: Optional[str], pin: Optional[str]) -> Dict[str, Any]:
    """The load-token message for a key on a PKCS#11 token."""
    message = token_reference(handle, slot, module)
    if pin:
        message["pin"] = pin
    return message


def normalize_key_id(key_id: str) -> str:
    """A key id as get-keys prints it: 40 lowercase hex digits (colons and 0x accepted)."""
    text = str(key_id).strip().lower().replace(":", "")
    if text.startswith("0x"):
        text = text[2:]
    if len(text) != 40 or any(char not in "0123456789abcdef" for char in text):
        raise InputError("id: '%s' is not a key id (40 hex digits, the SHA-1 of the public key, as get-keys shows)" % key_id)
    return text


TOKEN_LEDGER_KIND = "private_key_token"


def _token_identity(message: Mapping[str, Any]) -> Dict[str, Any]:
    # The PIN is not part of a token key's identity: the same key under a new PIN is the same key.
    return {key: message[key] for key in ("handle", "slot", "module") if key in message}


class TokenKeys:
    """Which key id a token key has, learnt from load-token's reply and kept in the ledger.

    A key on a token has no public key we could read without a PKCS#11
    library, so its id is only known once the daemon loaded it. The ledger
    (per daemon instance: a restart forgets it, and the key) maps the token
    object's keyed fingerprint to that id.
    """

    def __init__(self, session: Session) -> None:
        self.ledger = Ledger.for_session(session)

    def _fingerprint(self, message: Mapping[str, Any]) -> str:
        return self.ledger.fingerprint(_token_identity(message))

    def known_id(self, message: Mapping[str, Any]) -> Optional[str]:
        entry = self.ledger.get(TOKEN_LEDGER_KIND, self._fingerprint(message))
        key_id = (entry or {}).get("message", {}).get("id")
        return key_id if isinstance(key_id, str) else None

    def remember(self, message: Mapping[str, Any], key_id: str) -> None:
        fingerprint = self._fingerprint(message)
        self.ledger.record(TOKEN_LEDGER_KIND, fingerprint, fingerprint, dict(_token_identity(message), id=key_id))
        self.ledger.save()

    def forget(self, message: Mapping[str, Any]) -> None:
        self.ledger.forget(TOKEN_LEDGER_KIND, self._fingerprint(message))
        self.ledger.save()


class PrivateKeyKind(Kind):
    """load-key / load-token / unload-key / get-keys; an object's name is its key id."""

    label = "private_key"
    secret_paths = (("data",), ("pin",))
    presence_is_identity = True

    def snapshot(self, session: Session) -> Dict[str, Any]:
        return {key_id: {"id": key_id} for key_id in session.get_keys().get("keys", [])}

    def load(self, session: Session, name: str, message: Mapping[str, Any]) -> Dict[str, Any]:
        return session.call("load-token" if "handle" in message else "load-key", message)

    def unload(self, session: Session, name: str) -> None:
        try:
            session.unload_key(name)
        except ViciCommandFailed as error:
            if error.errmsg != "key not found":  # gone meanwhile: that is what we wanted
                raise

    def describe_reported(self, name: str, reported: Any) -> Dict[str, Any]:
        return {"id": name}


def desired_key(
    state: str,
    content: Optional[str] = None,
    path: Optional[str] = None,
    passphrase: Optional[str] = None,
    handle: Optional[str] = None,
    slot: Optional[int] = None,
    module: Optional[str] = None,
    pin: Optional[str] = None,
    key_id: Optional[str] = None,
    tokens: Optional[TokenKeys] = None,
) -> Tuple[Item, Dict[str, Any]]:
    """The key the user wants as a plan item (name = key id) plus what is known of it for the result.

    A token key whose id is not known yet (neither given as ``key_id`` nor
    learnt into the ledger) gets a placeholder name no key id can equal, so it
    is loaded, and the reply tells its id.
    """
    expected = normalize_key_id(key_id) if key_id else None
    info: Dict[str, Any] = {}
    if handle:
        message = token_message(handle, slot, module, pin)
        name = expected or (tokens.known_id(message) if tokens else None)
        if name is None:
            if state == "absent":
                raise InputError("id: the key id of the token key '%s' is not known (it was not loaded by this "
                                 "collection into this daemon instance); give id" % message["handle"])
            name = "token:%s" % message["handle"]
        info["source"] = "token"
    elif content or path:
        data, field = read_source(content, path)
        container = container_bytes(data)
        key = private_key_from_pkcs12(container, passphrase, field) if container else load_private_key(data, passphrase, field)
        if expected and expected != key.key_id:
            raise InputError("id: '%s' is not the id of the given key (%s)" % (key_id, key.key_id))
        message, name = key_message(key), key.key_id
        info.update(type=key.key_type, size=key.size)
    elif expected and state == "absent":
        return Item(expected, None), {"id": expected}
    else:
        raise InputError("one of content, path or handle is needed%s" % (" (or id to remove a key)" if state == "absent" else ""))
    if not name.startswith("token:"):
        info["id"] = name
    return Item(name, None if state == "absent" else message), info


def check_loaded_id(item: Item, reply: Mapping[str, Any]) -> Optional[str]:
    """Why the daemon's reply to load-key contradicts the id computed locally, or None."""
    reported = reply.get("id")
    if isinstance(reported, str) and not item.name.startswith("token:") and reported != item.name:
        return ("the daemon reports key id %s for the loaded key, but %s was expected; the key is loaded, "
                "but this collection cannot tell whether it is up to date (please report this)" % (reported, item.name))
    return None
