# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""PKCS#12 containers, unpacked as swanctl unpacks them. PRIVATE to the collection.

swanctl never sends a PKCS#12 container to the daemon: it decrypts a file of
its ``pkcs12/`` folder with the ``secret`` of the ``secrets.pkcs12<suffix>``
section that names it, then sends every certificate in it with load-cert
(type X509, flag NONE) and every private key with load-key (its real type,
unencrypted DER). The certificate and private_key modules do the same with a
container given as ``path``/``content`` plus ``passphrase``.

Telling a container apart is done here with the standard library (its DER
outline: version 3, a PKCS#7 ``data`` authSafe). Decrypting needs a cipher
implementation, so it is done on the managed host with the Python
``cryptography`` package or, where that is missing or refuses an old
algorithm, the ``openssl`` command (the passphrase through a pipe, never the
command line or the environment). The passphrase never appears in a message.
"""

from __future__ import annotations

import base64
import binascii
import subprocess
from typing import List, NamedTuple, Optional, Sequence

from .._text.input import InputError
from . import pem
from .backends import Unavailable, first_available, openssl_command, run_openssl
from .der import DerError, children, decode_oid, read_tlv

_OID_PKCS7_DATA = "1.2.840.113549.1.7.1"


class Pkcs12Error(InputError):
    """The container cannot be opened: wrong passphrase, damaged, or no backend to decrypt it."""


class Pkcs12Contents(NamedTuple):
    """What a container holds, unencrypted: certificates and private keys as DER, in container order."""

    certificates: List[bytes]
    keys: List[bytes]


def is_pkcs12(data: bytes) -> bool:
    """Whether ``data`` is a DER PKCS#12 PFX (``SEQUENCE { 3, ContentInfo(data), ... }``)."""
    try:
        tag, start, end = read_tlv(data, 0)
        if tag != 0x30 or end != len(data):
            return False
        fields = children(data, start, end)
        if len(fields) < 2 or fields[0][0] != 0x02 or data[fields[0][1]:fields[0][2]] != b"\x03":
            return False
        info = children(data, fields[1][1], fields[1][2])
        return bool(info) and info[0][0] == 0x06 and decode_oid(data[info[0][1]:info[0][2]]) == _OID_PKCS7_DATA
    except (DerError, IndexError, ValueError):
        return False


def container_bytes(data: bytes) -> Optional[bytes]:
    """The DER of a container given as DER or as base64 text (what slurp returns); None if it is none."""
    if is_pkcs12(data):
        return data
    try:
        decoded = base64.b64decode(b"".join(data.split()), validate=True)
    except (binascii.Error, ValueError):
        return None
    return decoded if is_pkcs12(decoded) else None


def _encode(passphrase: Optional[str]) -> bytes:
    try:
        return (passphrase or "").encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        raise InputError("passphrase: cannot be encoded as UTF-8") from None


def _unpack_cryptography(data: bytes, passphrase: bytes) -> Pkcs12Contents:
    try:
        # pylint: disable-next=import-outside-toplevel
        from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, pkcs12
    except ImportError:
        raise Unavailable("the Python package 'cryptography'") from None
    error: Exception = ValueError()
    for password in ([passphrase] if passphrase else [None, b""]):
        try:
            key, cert, extra = pkcs12.load_key_and_certificates(data, password)
        except ValueError as failure:  # wrong password or damaged; also an algorithm it refuses
            error = failure
            continue
        except Exception:  # pylint: disable=broad-except
            raise Unavailable("a 'cryptography' that reads this container") from None
        certs = [item.public_bytes(Encoding.DER) for item in ([cert] if cert is not None else []) + list(extra or [])]
        keys = [key.private_bytes(Encoding.DER, PrivateFormat.PKCS8, NoEncryption())] if key is not None else []
        return Pkcs12Contents(certs, keys)
    raise Pkcs12Error("the passphrase does not open the PKCS#12 container (wrong passphrase, or a damaged "
                      "container: %s)" % type(error).__name__)


def _unpack_openssl(data: bytes, passphrase: bytes, timeout: float = 30.0) -> Pkcs12Contents:
    binary = openssl_command()
    try:
        proc = run_openssl(binary, ["pkcs12", "-nodes"], data, passphrase, timeout)
        if proc.returncode != 0:
            retry = run_openssl(binary, ["pkcs12", "-nodes", "-legacy"], data, passphrase, timeout)  # RC2/3DES on OpenSSL 3
            proc = retry if retry.returncode == 0 else proc
    except (OSError, subprocess.SubprocessError) as error:
        raise Pkcs12Error("cannot run openssl to open the PKCS#12 container: %s" % type(error).__name__) from None
    if proc.returncode != 0:
        raise Pkcs12Error("the passphrase does not open the PKCS#12 container (wrong passphrase, or a damaged "
                          "container; openssl pkcs12 exited with %d)" % proc.returncode)
    certs, keys = [], []
    for block in pem.pem_blocks(proc.stdout.decode("ascii", "replace")):
        if block.label in pem.CERTIFICATE:
            certs.append(block.der)
        elif block.label in pem.PRIVATE_KEY:
            keys.append(block.der)
    return Pkcs12Contents(certs, keys)


UNPACKERS = (("cryptography", _unpack_cryptography), ("openssl", _unpack_openssl))


def unpack_pkcs12(data: bytes, passphrase: Optional[str], backends: Optional[Sequence[str]] = None) -> Pkcs12Contents:
    """The certificates and private keys in the PKCS#12 container ``data`` (DER), decrypted with ``passphrase``.

    Tries the Python ``cryptography`` package first, then the ``openssl``
    command (also when ``cryptography`` refuses the container's algorithms).
    """
    return first_available(UNPACKERS, backends, data, _encode(passphrase), "opening a PKCS#12 container", Pkcs12Error,
                           fall_through=(Pkcs12Error,))
