# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Private keys: parsing, key ids (against strongSwan's ``pki --keyid``), public key derivation, decryption.

Keys are generated at test time with ``pki`` and ``openssl`` (never committed); tests that need a tool skip
cleanly where it is missing. tests/system/test_private_key.py checks the same ids against the daemon.
"""

from __future__ import annotations

import base64
import re
import shutil
import subprocess

import pytest

from ansible_collections.strongswan.vici.plugins.module_utils._kinds import private_key as _keys
from ansible_collections.strongswan.vici.plugins.module_utils._text.input import InputError
from ansible_collections.strongswan.vici.plugins.module_utils._kinds.private_key import desired_key, normalize_key_id, token_message
from ansible_collections.strongswan.vici.plugins.module_utils._pki import backends as pki_backends
from ansible_collections.strongswan.vici.plugins.module_utils._pki import decrypt
from ansible_collections.strongswan.vici.plugins.module_utils._pki.curves import (
    ec_public_point,
    ed448_public_key,
    ed25519_public_key,
)
from ansible_collections.strongswan.vici.plugins.module_utils._pki.decrypt import EncryptedKeyError
from ansible_collections.strongswan.vici.plugins.module_utils._pki.keys import is_encrypted_der, load_private_key
from ansible_collections.strongswan.vici.plugins.module_utils._pki.source import read_source
from ansible_collections.strongswan.vici.plugins.module_utils._text.secrets import MASK

PKI = shutil.which("pki")
OPENSSL = shutil.which("openssl")
needs_pki = pytest.mark.skipif(PKI is None, reason="strongSwan's pki is not installed")
needs_openssl = pytest.mark.skipif(OPENSSL is None, reason="openssl is not installed")
PASSPHRASE = "corr3ct h0rse:battery"

# (name, pki --gen arguments)
KEYS = [
    ("rsa", ["--type", "rsa", "--size", "2048"]),
    ("p256", ["--type", "ecdsa", "--size", "256"]),
    ("p384", ["--type", "ecdsa", "--size", "384"]),
    ("p521", ["--type", "ecdsa", "--size", "521"]),
    ("ed25519", ["--type", "ed25519"]),
    ("ed448", ["--type", "ed448"]),
]


def run(cmd, data=None):
    return subprocess.run(cmd, input=data, capture_output=True, check=True, timeout=60).stdout


def pki_keyid(pem):
    """``subjkey`` as pki prints it: the daemon's key id."""
    text = run([PKI, "--keyid", "--type", "priv"], pem).decode()
    match = re.search(r"subjkey \(SHA-1 of subjectPublicKey\):\s*([0-9a-f:]+)", text)
    assert match, text
    return match.group(1).replace(":", "")


@pytest.fixture(scope="session")
def generated(tmp_path_factory):
    """{name: {"pem": pki's PEM, "id": pki's subjkey, ...other encodings made by openssl}}."""
    if PKI is None:
        pytest.skip("strongSwan's pki is not installed")
    keys = {}
    for name, args in KEYS:
        pem = run([PKI, "--gen"] + args + ["--outform", "pem"])
        keys[name] = {"pem": pem, "id": pki_keyid(pem)}
        if OPENSSL:
            keys[name]["pkcs8_der"] = run([OPENSSL, "pkcs8", "-topk8", "-nocrypt", "-outform", "DER"], pem)
            keys[name]["pkcs8_pem"] = run([OPENSSL, "pkcs8", "-topk8", "-nocrypt"], pem)
            keys[name]["pub_der"] = run([OPENSSL, "pkey", "-pubout", "-outform", "DER"], pem)
    return keys


@needs_pki
@pytest.mark.parametrize("name", [name for name, _args in KEYS])
def test_key_id_matches_pki(generated, name):
    key = load_private_key(generated[name]["pem"])
    assert key.key_id == generated[name]["id"]
    assert key.key_type == {"p256": "ecdsa", "p384": "ecdsa", "p521": "ecdsa"}.get(name, name)
    assert key.der == base64.b64decode(b"".join(generated[name]["pem"].strip().split(b"\n")[1:-1]))


@needs_pki
@needs_openssl
@pytest.mark.parametrize("name", [name for name, _args in KEYS])
@pytest.mark.parametrize("form", ["pkcs8_der", "pkcs8_pem"])
def test_key_id_is_the_same_in_pkcs8(generated, name, form):
    assert load_private_key(generated[name][form]).key_id == generated[name]["id"]


@needs_pki
@needs_openssl
@pytest.mark.parametrize("name", [name for name, _args in KEYS])
def test_public_key_is_the_spki_bits(generated, name):
    """What we hash is what OpenSSL puts in the SubjectPublicKeyInfo's BIT STRING."""
    assert generated[name]["pub_der"].endswith(load_private_key(generated[name]["pem"]).public_key)


@needs_pki
@needs_openssl
@pytest.mark.parametrize("name", ["p256", "p384", "p521"])
def test_ec_point_derived_when_the_key_lacks_it(generated, name):
    without = run([OPENSSL, "ec", "-no_public", "-outform", "DER"], generated[name]["pem"])
    key = load_private_key(without)
    assert key.key_id == generated[name]["id"]
    assert key.der == without  # sent as given: the daemon derives the point itself


@needs_openssl
def test_compressed_ec_point_is_hashed_as_written():
    """OpenSSL (and so the daemon) keeps the point form of the file: the id hashes the compressed point."""
    pem = run([OPENSSL, "ecparam", "-name", "prime256v1", "-genkey", "-noout"])
    compressed = run([OPENSSL, "ec", "-conv_form", "compressed", "-outform", "DER"], pem)
    key = load_private_key(compressed)
    assert len(key.public_key) == 33 and key.public_key[0] in (2, 3)


def test_rfc8032_vectors():
    # RFC 8032 7.1 TEST 1 and 7.4 "Blank".
    assert ed25519_public_key(bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")).hex() == (
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
    assert ed448_public_key(bytes.fromhex(
        "6c82a562cb808d10d632be89c8513ebf6c929f34ddfa8c9f63c9960ef6e348a3528c8a3fcc2f044e39a3fc5b94492f8f032e7549a20098f95b"
    )).hex() == ("5fd7449b59b461fd2ce787ec616ad46a1da1342485a70e1f8a0ea75d80e96778edf124769b46c7061bd6783df1e50f6c"
                 "d1fa1abeafe8256180")


def test_ec_generator_is_one_times_g():
    point = ec_public_point("1.2.840.10045.3.1.7", 1)
    assert point.hex() == ("04" "6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296"
                           "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5")


@needs_pki
def test_base64_der_content_and_path(generated, tmp_path):
    der = load_private_key(generated["ed25519"]["pem"]).der
    data, field = read_source(base64.b64encode(der).decode(), None)
    assert (data, field) == (der, "content")
    (tmp_path / "k.der").write_bytes(der)
    assert read_source(None, str(tmp_path / "k.der")) == (der, "path")


@needs_pki
def test_pem_with_other_blocks(generated):
    bundle = b"-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n" + generated["p256"]["pem"]
    assert load_private_key(bundle).key_id == generated["p256"]["id"]
    with pytest.raises(InputError, match="2 private keys found"):
        load_private_key(generated["p256"]["pem"] + generated["rsa"]["pem"])


@pytest.mark.parametrize("data,message", [
    (b"-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n", "no PEM private key block.*found only CERTIFICATE"),
    (b"\x30\x03\x02\x01\x05", "not a private key"),
    (b"garbage", "not a valid private key"),
    (b"-----BEGIN PRIVATE KEY-----\n!!!\n-----END PRIVATE KEY-----\n", "not valid base64"),
])
def test_bad_keys_name_the_field(data, message):
    with pytest.raises(InputError, match="^path: .*" + message):
        load_private_key(data, field="path")


def test_read_errors():
    with pytest.raises(InputError, match="^path: cannot read '/nonexistent/k.pem'"):
        read_source(None, "/nonexistent/k.pem")
    with pytest.raises(InputError, match="^content: neither PEM text nor base64"):
        read_source("not a key", None)


# -- encrypted keys -------------------------------------------------------------


@pytest.fixture(scope="session")
def encrypted(generated):
    """{form: (bytes, expected id)} of keys encrypted with PASSPHRASE in the forms users meet."""
    if OPENSSL is None:
        pytest.skip("openssl is not installed")
    passout = ["-passout", "pass:" + PASSPHRASE]
    return {
        "pkcs8-aes-pem": (run([OPENSSL, "pkcs8", "-topk8", "-v2", "aes-256-cbc"] + passout, generated["ed448"]["pem"]),
                          generated["ed448"]["id"]),
        "pkcs8-aes-der": (run([OPENSSL, "pkcs8", "-topk8", "-v2", "aes-128-cbc", "-outform", "DER"] + passout,
                              generated["p384"]["pem"]), generated["p384"]["id"]),
        "legacy-rsa-aes": (run([OPENSSL, "rsa", "-aes256", "-traditional"] + passout, generated["rsa"]["pem"]),
                           generated["rsa"]["id"]),
        "legacy-ec-3des": (run([OPENSSL, "ec", "-des3"] + passout, generated["p256"]["pem"]), generated["p256"]["id"]),
    }


def backends():
    found = []
    try:
        import cryptography  # noqa: F401 pylint: disable=unused-import,import-outside-toplevel
        found.append("cryptography")
    except ImportError:
        pass
    if OPENSSL:
        found.append("openssl")
    return found


@pytest.fixture(params=["cryptography", "openssl"])
def backend(request, monkeypatch):
    if request.param not in backends():
        pytest.skip("%s is not available" % request.param)
    monkeypatch.setattr(decrypt, "DECRYPTORS", tuple(entry for entry in decrypt.DECRYPTORS if entry[0] == request.param))
    return request.param


@pytest.mark.parametrize("form", ["pkcs8-aes-pem", "pkcs8-aes-der", "legacy-rsa-aes", "legacy-ec-3des"])
def test_decrypt(encrypted, backend, form):
    data, key_id = encrypted[form]
    key = load_private_key(data, PASSPHRASE)
    assert key.key_id == key_id
    assert b"ENCRYPTED" not in key.der and not is_encrypted_der(key.der)


@pytest.mark.parametrize("form", ["pkcs8-aes-pem", "legacy-rsa-aes"])
def test_wrong_or_missing_passphrase(encrypted, backend, form):
    data, _key_id = encrypted[form]
    with pytest.raises(EncryptedKeyError) as caught:
        load_private_key(data, "Tr0ub4dor&3")
    assert str(caught.value).startswith("content: the passphrase does not decrypt the private key")
    assert "Tr0ub4dor" not in str(caught.value)
    with pytest.raises(EncryptedKeyError, match="^content: the private key is encrypted; set passphrase$"):
        load_private_key(data)


def test_passphrase_that_is_not_utf8(encrypted):
    """A byte 0xFF (surrogate-escaped, as Ansible hands it over) is a clear error, not a codec crash."""
    passphrase = "s3cr" + b"\xff".decode("utf-8", "surrogateescape")
    with pytest.raises(InputError) as caught:
        load_private_key(encrypted["pkcs8-aes-pem"][0], passphrase)
    assert str(caught.value) == "content: passphrase: is not valid UTF-8 text"


def test_no_decryptor_names_what_is_missing(encrypted, monkeypatch):
    def missing(what):
        def decryptor(_data, _passphrase):
            raise pki_backends.Unavailable(what)
        return decryptor
    monkeypatch.setattr(decrypt, "DECRYPTORS", (("cryptography", missing("the Python package 'cryptography'")),
                                                ("openssl", missing("the 'openssl' command"))))
    with pytest.raises(InputError) as caught:
        load_private_key(encrypted["pkcs8-aes-pem"][0], PASSPHRASE)
    assert "the Python package 'cryptography' or the 'openssl' command" in str(caught.value)
    assert PASSPHRASE not in str(caught.value)


def test_openssl_backend_reports_a_missing_binary(monkeypatch):
    monkeypatch.setattr(pki_backends.shutil, "which", lambda _name: None)
    with pytest.raises(pki_backends.Unavailable):
        decrypt._decrypt_openssl(b"x", b"y")  # pylint: disable=protected-access


# -- ids, tokens, the plan item -----------------------------------------------------


def test_normalize_key_id():
    assert normalize_key_id("82:E8:45:29:59:50:d9:11:1a:7b:22:da:c3:f3:62:be:e0:94:a8:33") == (
        "82e845295950d9111a7b22dac3f362bee094a833")
    assert normalize_key_id("0x82e845295950d9111a7b22dac3f362bee094a833") == "82e845295950d9111a7b22dac3f362bee094a833"
    with pytest.raises(InputError, match="^id: 'abc' is not a key id"):
        normalize_key_id("abc")


def test_token_message():
    assert token_message("0x01AA", 3, "softhsm", "1234") == {"handle": "01aa", "slot": 3, "module": "softhsm", "pin": "1234"}
    assert token_message("01aa", None, None, None) == {"handle": "01aa"}
    with pytest.raises(InputError, match="^handle: 'xyz' is not hex"):
        token_message("xyz", None, None, None)
    with pytest.raises(InputError, match="^slot: must not be negative"):
        token_message("01", -1, None, None)


@needs_pki
def test_desired_key(generated):
    pem = generated["rsa"]["pem"].decode()
    item, info = desired_key("present", content=pem)
    assert item.name == generated["rsa"]["id"] and item.message["type"] == "rsa"
    assert info == {"id": generated["rsa"]["id"], "type": "rsa", "size": "2048"}
    item, _info = desired_key("absent", content=pem)
    assert item.message is None and item.name == generated["rsa"]["id"]
    assert desired_key("absent", key_id=generated["rsa"]["id"])[0].name == generated["rsa"]["id"]
    with pytest.raises(InputError, match="^id: '0{40}' is not the id of the given key"):
        desired_key("present", content=pem, key_id="0" * 40)
    token, info = desired_key("present", handle="01aa", pin="1234")
    assert token.name == "token:01aa" and "id" not in info and token.message["pin"] == "1234"
    with pytest.raises(InputError, match="^id: the key id of the token key '01aa' is not known"):
        desired_key("absent", handle="01aa")
    with pytest.raises(InputError, match="one of content, path or handle is needed"):
        desired_key("present")


def test_kind_masks_key_material_and_pin():
    kind = _keys.PrivateKeyKind()
    assert kind.redact({"type": "rsa", "data": b"secret"}) == {"type": "rsa", "data": MASK}
    assert kind.redact({"handle": "01", "pin": "1234"}) == {"handle": "01", "pin": MASK}
