# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Encrypted private keys, decrypted on the managed host. PRIVATE to the collection.

PKCS#8 EncryptedPrivateKeyInfo and legacy OpenSSL ``Proc-Type: 4,ENCRYPTED``
PEM are decrypted with the Python ``cryptography`` package or, where that is
missing, the ``openssl`` command (see :mod:`.backends`). The daemon only ever
receives the unencrypted DER, as swanctl sends it. Passphrases never appear
in messages raised from here.
"""

from __future__ import annotations

import subprocess
from typing import Optional, Sequence

from .._text.input import InputError
from .backends import Unavailable, first_available, openssl_command, run_openssl
from .pem import is_pem


class EncryptedKeyError(InputError):
    """The key is encrypted and no (or a wrong) passphrase was given."""


def _decrypt_cryptography(data: bytes, passphrase: bytes) -> bytes:
    try:
        from cryptography.hazmat.primitives import serialization  # pylint: disable=import-outside-toplevel
    except ImportError:
        raise Unavailable("the Python package 'cryptography'") from None
    load = serialization.load_pem_private_key if is_pem(data) else serialization.load_der_private_key
    try:
        key = load(data, password=passphrase)
    except (ValueError, TypeError):
        raise EncryptedKeyError("the passphrase does not decrypt the private key (wrong passphrase, or a damaged key)") from None
    except Exception as error:  # pylint: disable=broad-except
        # UnsupportedAlgorithm and friends: name the problem, never the data.
        raise InputError("cannot decrypt the private key: %s" % type(error).__name__) from None
    return key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def _decrypt_openssl(data: bytes, passphrase: bytes, timeout: float = 30.0) -> bytes:
    binary = openssl_command()
    form = "PEM" if is_pem(data) else "DER"
    try:
        proc = run_openssl(binary, ["pkey", "-inform", form, "-outform", "DER"], data, passphrase, timeout)
    except (OSError, subprocess.SubprocessError) as error:
        raise InputError("cannot run openssl to decrypt the private key: %s" % type(error).__name__) from None
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
    return first_available(DECRYPTORS, backends, data, secret, "decrypting an encrypted private key", InputError)
