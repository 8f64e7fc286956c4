# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""strongswan.vici.private_key against the real charon: key ids, honest changed, check mode, restart,
encrypted keys, secret hygiene under -vvv, and PKCS#11 tokens through SoftHSM (skipped without it)."""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess

import pytest

from ansible_collections.strongswan.vici.plugins.module_utils._pki.keys import load_private_key
from ansible_collections.strongswan.vici.plugins.module_utils.vici.session import READ_ONLY_COMMANDS, Session

from conftest import DEFAULT_PLUGINS, pki, run_playbook, step_result, step_results
from vici_proxy import ViciProxy

PASSPHRASE = "pass phrase: 7Jq!xv"
PKI = shutil.which("pki")
OPENSSL = shutil.which("openssl")
pytestmark = pytest.mark.skipif(PKI is None or OPENSSL is None, reason="needs strongSwan's pki and openssl")


def run(cmd, data=None):
    return subprocess.run(cmd, input=data, capture_output=True, check=True, timeout=60).stdout


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    """Fresh keys in files: PEM from pki, PKCS#8 DER, an encrypted PKCS#8 PEM and a legacy-encrypted RSA PEM."""
    work = tmp_path_factory.mktemp("keys")
    made = {}
    for name, args in (("rsa", ["--type", "rsa", "--size", "2048"]), ("ecdsa", ["--type", "ecdsa", "--size", "384"]),
                       ("ed25519", ["--type", "ed25519"]), ("ed448", ["--type", "ed448"])):
        pem = pki("--gen", *args, "--outform", "pem")
        (work / (name + ".pem")).write_bytes(pem)
        (work / (name + ".p8.der")).write_bytes(run([OPENSSL, "pkcs8", "-topk8", "-nocrypt", "-outform", "DER"], pem))
        made[name] = pem
    passout = ["-passout", "pass:" + PASSPHRASE]
    (work / "ed448.enc.pem").write_bytes(run([OPENSSL, "pkcs8", "-topk8", "-v2", "aes-256-cbc"] + passout, made["ed448"]))
    (work / "rsa.legacy.pem").write_bytes(run([OPENSSL, "rsa", "-aes256", "-traditional"] + passout, made["rsa"]))
    (work / "p256.nopub.der").write_bytes(run([OPENSSL, "ec", "-no_public", "-outform", "DER"],
                                              run([OPENSSL, "ecparam", "-name", "prime256v1", "-genkey", "-noout"])))
    return work


plays = functools.partial(step_results, vici_module="private_key")
play = functools.partial(step_result, vici_module="private_key")


def daemon_keys(charon):
    with Session(charon.socket_uri, timeout=10) as vici:
        return set(vici.get_keys().get("keys", []))


def test_local_key_ids_equal_the_daemons(charon, keys):
    """Every type and form: the id computed here is the one load-key replies with and get-keys lists."""
    expected = set()
    with Session(charon.socket_uri, timeout=10) as vici:
        for path in sorted(keys.iterdir()):
            if ".enc." in path.name or ".legacy." in path.name:
                continue
            key = load_private_key(path.read_bytes())
            reply = vici.load_key(key.key_type, key.der)
            assert reply["id"] == key.key_id, path.name
            expected.add(key.key_id)
        assert set(vici.get_keys()["keys"]) == expected
    assert len(expected) == 5  # the PKCS#8 DER forms have the ids of their PEM twins


def test_lifecycle_check_real_check_real(charon, keys, ledger, tmp_path):
    path = str(keys / "ed25519.pem")
    key_id = load_private_key((keys / "ed25519.pem").read_bytes()).key_id
    with ViciProxy(tmp_path / "p.vici", charon.socket_path) as proxy:
        uri = proxy.uri
        check = play(uri, ledger, check=True, diff=True, path=path)
        assert check["changed"] is True and check["action"] == "load" and check["id"] == key_id
        assert check["diff"]["after"] == {"type": "ed25519", "data": "********"}
        assert set(proxy.commands) <= READ_ONLY_COMMANDS, proxy.commands
        assert daemon_keys(charon) == set()

        real, again, other_form = plays(uri, ledger, {"path": path}, {"path": path},
                                        {"path": str(keys / "ed25519.p8.der")}, diff=True)
        assert real["changed"] is True and real["id"] == key_id and real["diff"] == check["diff"]
        assert again["changed"] is False and again["action"] == "none" and again["id"] == key_id
        assert again["diff"]["before"] == again["diff"]["after"]  # no diff shown for an unchanged key
        assert other_form["changed"] is False  # the same key in another form is the same key
        assert "load-key" in proxy.commands
        assert daemon_keys(charon) == {key_id}

        proxy.clear()
        predicted, unchanged = plays(uri, ledger, {"path": path, "_check": True}, {"path": path})
        assert predicted["changed"] is False and unchanged["changed"] is False
        assert set(proxy.commands) <= READ_ONLY_COMMANDS, proxy.commands  # nothing mutating for a loaded key

        content = (keys / "ed25519.pem").read_text()
        assert play(uri, ledger, check=True, content=content, state="absent")["changed"] is True
        assert set(proxy.commands) <= READ_ONLY_COMMANDS and daemon_keys(charon) == {key_id}
        gone, again = plays(uri, ledger, *[{"content": content, "state": "absent"}] * 2)
        assert gone["changed"] is True and gone["action"] == "unload" and again["changed"] is False
        assert daemon_keys(charon) == set()


def test_restart_unload_behind_our_back_and_absent_by_id(charon, keys, ledger):
    uri = charon.socket_uri
    path = str(keys / "p256.nopub.der")  # the EC point is derived locally
    first = play(uri, ledger, path=path)
    assert first["changed"] is True and first["size"] == "P-256"
    charon.restart()
    back, again = plays(uri, ledger, {"path": path}, {"path": path})
    assert back["changed"] is True and again["changed"] is False and daemon_keys(charon) == {first["id"]}
    with Session(uri) as vici:
        vici.unload_key(first["id"])
    colons = ":".join(re.findall("..", first["id"].upper()))
    results = plays(uri, ledger, {"path": path, "_check": True}, {"path": path},
                    {"id": colons, "state": "absent"}, {"id": colons, "state": "absent"})
    assert [result["changed"] for result in results] == [True, True, True, False]
    assert daemon_keys(charon) == set()


def test_encrypted_keys_and_clear_errors(charon, keys, ledger):
    encrypted = [{"path": str(keys / name), "passphrase": PASSPHRASE} for name in ("ed448.enc.pem", "rsa.legacy.pem")]
    cases = [
        ({"path": str(keys / "ed448.enc.pem"), "passphrase": "not-the-passphrase"},
         "path: the passphrase does not decrypt the private key"),
        ({"path": str(keys / "rsa.legacy.pem")}, "path: the private key is encrypted; set passphrase"),
        ({"path": str(keys / "nope.pem")}, "path: cannot read"),
        ({"content": "garbage"}, "content: neither PEM text nor base64-encoded DER"),
        ({"path": str(keys / "ed25519.pem"), "id": "00" * 20}, "is not the id of the given key"),
        ({"id": "xyz", "state": "absent"}, "id: 'xyz' is not a key id"),
        ({"state": "absent"}, "one of content, path or handle is needed (or id to remove a key)"),
    ]
    results = plays(charon.socket_uri, ledger, encrypted[0], encrypted[0], encrypted[1], encrypted[1],
                    *[options for options, _expected in cases])
    assert [result["changed"] for result in results[:4]] == [True, False, True, False]
    for (options, expected), result in zip(cases, results[4:]):
        assert result.get("failed") is True and expected in result["msg"], (options, result)
        assert "Traceback" not in result["msg"] and "not-the-passphrase" not in str(result)
    assert len(daemon_keys(charon)) == 2


def test_no_secret_in_verbose_output_or_ledger(charon, keys, ledger):
    """-vvv with diff, a key given as content with a passphrase, a failing run too: no key bits, no passphrase."""
    pem = (keys / "ed448.enc.pem").read_text()
    plain = (keys / "ed448.pem").read_text()
    task = {"strongswan.vici.private_key": {"socket": charon.socket_uri, "content": pem, "passphrase": PASSPHRASE}}
    tasks = [dict(task, name="load"), dict(task, name="again"),
             {"name": "plain", "strongswan.vici.private_key": {"socket": charon.socket_uri, "content": plain}},
             {"name": "wrong", "ignore_errors": True, "strongswan.vici.private_key": {
                 "socket": charon.socket_uri, "content": pem, "passphrase": PASSPHRASE[::-1]}}]
    result = run_playbook([{"hosts": "localhost", "gather_facts": False, "tasks": tasks}], diff=True,
                          extra_args=["-vvv"], env={"STRONGSWAN_VICI_LEDGER_DIR": str(ledger),
                                                    "ANSIBLE_STDOUT_CALLBACK": "default"})
    output = result.stdout + result.stderr
    assert result.rc == 0 and "changed: [localhost]" in output and "fatal: [localhost]" in output, output[-3000:]
    secrets = [PASSPHRASE, PASSPHRASE[::-1]]
    for text in (pem, plain):
        body = [line for line in text.splitlines() if line and not line.startswith("-----")]
        secrets += body + ["".join(body)]
    secrets.append(load_private_key(plain.encode()).der.hex())
    stored = "".join(path.read_text() for path in ledger.glob("*")) if ledger.exists() else ""
    for secret in secrets:
        assert secret not in output, "a secret leaked into the -vvv output"
        assert secret not in stored, "a secret leaked into the ledger"


SOFTHSM_LIB = "/usr/lib/softhsm/libsofthsm2.so"


@pytest.fixture
def softhsm(tmp_path, keys):
    """A SoftHSM token holding the ECDSA key under CKA_ID 01aa, and a charon with the pkcs11 plugin."""
    util = shutil.which("softhsm2-util")
    if util is None or not os.path.exists(SOFTHSM_LIB):
        pytest.skip("SoftHSM (Debian package softhsm2) is not installed")
    (tmp_path / "tokens").mkdir()
    conf = tmp_path / "softhsm2.conf"
    conf.write_text("directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n" % (tmp_path / "tokens"))
    env = dict(os.environ, SOFTHSM2_CONF=str(conf))
    subprocess.run([util, "--init-token", "--free", "--label", "svici", "--pin", "1234", "--so-pin", "5678"],
                   env=env, check=True, capture_output=True, timeout=30)
    pkcs8 = tmp_path / "key.p8.pem"
    pkcs8.write_bytes(run([OPENSSL, "pkcs8", "-topk8", "-nocrypt"], (keys / "ecdsa.pem").read_bytes()))
    subprocess.run([util, "--import", str(pkcs8), "--token", "svici", "--label", "k", "--id", "01aa", "--pin", "1234"],
                   env=env, check=True, capture_output=True, timeout=30)
    pkcs8.unlink()
    return env


def test_pkcs11_token_with_softhsm(charon_factory, softhsm, keys, ledger, monkeypatch, tmp_path):
    monkeypatch.setenv("SOFTHSM2_CONF", softhsm["SOFTHSM2_CONF"])  # the daemon inherits it
    daemon = charon_factory(plugins=tuple(DEFAULT_PLUGINS) + ("pkcs11",), extra_conf=(
        "charon { plugins { pkcs11 { modules { softhsm { path = %s } } } } }\n" % SOFTHSM_LIB))
    key_id = load_private_key((keys / "ecdsa.pem").read_bytes()).key_id
    token = {"handle": "01aa", "module": "softhsm", "pin": "1234"}
    with ViciProxy(tmp_path / "p.vici", daemon.socket_path) as proxy:
        uri = proxy.uri
        check = play(uri, ledger, check=True, **token)
        assert check["changed"] is True and "id" not in check
        assert set(proxy.commands) <= READ_ONLY_COMMANDS and daemon_keys(daemon) == set()
        proxy.clear()
        real = play(uri, ledger, **token)
        assert real["changed"] is True and real["id"] == key_id and "load-token" in proxy.commands
        # The token's id and the load share the run's one ledger: one stats call.
        assert proxy.commands.count("stats") == 1, proxy.commands
        proxy.clear()
        # The id learnt into the ledger (never the PIN) makes the next runs exact, in check mode too.
        results = plays(uri, ledger, dict(token, _check=True), token, dict(token, id=key_id))
        assert [result["changed"] for result in results] == [False, False, False]
        assert set(proxy.commands) <= READ_ONLY_COMMANDS
        assert "1234" not in next(ledger.glob("ledger-*.json")).read_text()
        # The ledger is kept per socket URI: stay on the proxy's.
        absent = {"handle": "01aa", "module": "softhsm", "state": "absent"}
        gone, unknown, bad = plays(uri, ledger, absent, absent, dict(token, handle="02"))
    assert gone["changed"] is True and daemon_keys(daemon) == set()
    assert unknown["failed"] is True and "give id" in unknown["msg"]  # forgotten with the key
    assert bad["failed"] is True and "loading private key from token failed" in bad["msg"]
    assert "1234" not in str(bad)
