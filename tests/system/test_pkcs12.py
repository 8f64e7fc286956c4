# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""PKCS#12 containers through the certificate and private_key modules, against swanctl on the real charon.

swanctl --load-creds unpacks a container of its pkcs12/ folder with the secret of the matching
secrets.pkcs12<suffix> section and loads every certificate and the key in it. The modules, given the same
container and passphrase, must leave a second daemon with the same certificates (type, flag, DER) and keys,
report changed once and then not, send nothing in check mode, and fail cleanly (without the passphrase in
any output) on a wrong passphrase.
"""

from __future__ import annotations

import base64
import hashlib
import shutil
import subprocess

import pytest

from ansible_collections.strongswan.vici.plugins.module_utils._pki.pkcs12 import is_pkcs12, unpack_pkcs12
from ansible_collections.strongswan.vici.plugins.module_utils.vici.session import Session

from conftest import ca_and_host, pem_writer, run_playbook
from vici_proxy import ViciProxy

PKI, OPENSSL = shutil.which("pki"), shutil.which("openssl")
pytestmark = pytest.mark.skipif(PKI is None or OPENSSL is None, reason="needs strongSwan's pki and openssl")
PASSPHRASE = "kUqd8O7m zbjX\u00e9NJKQ"  # a blank and a non-ASCII letter, as passphrases have


@pytest.fixture(scope="module")
def containers(tmp_path_factory):
    """A CA, a host certificate and key, and two containers of them: AES (modern) and 3DES/RC2-free legacy."""
    work = tmp_path_factory.mktemp("p12")
    _ca_key, ca, host_key, host = ca_and_host(pem_writer(work), "P12 CA", "moon.test", ("ecdsa", "--size", "384"))
    made = {}
    for name, extra in (("modern", []), ("legacy", ["-certpbe", "PBE-SHA1-3DES", "-keypbe", "PBE-SHA1-3DES",
                                                    "-macalg", "sha1"])):
        subprocess.run([OPENSSL, "pkcs12", "-export", "-inkey", host_key, "-in", host,
                        "-certfile", ca, "-passout", "stdin", "-out", str(work / ("%s.p12" % name))] + extra,
                       input=PASSPHRASE.encode() + b"\n", check=True, capture_output=True, timeout=60)
        made[name] = work / ("%s.p12" % name)
    return work, made


def _view(socket_uri):
    with Session(socket_uri, timeout=30) as vici:
        certs = sorted("%s/%s/%s" % (cert.get("type"), cert.get("flag", ""), hashlib.sha256(cert["data"]).hexdigest())
                       for cert in vici.list_certs())
        return {"certs": certs, "keys": sorted(vici.get_keys().get("keys", []))}


def _tasks(socket, source, check=False):
    args = dict(source, socket=socket, passphrase=PASSPHRASE)
    return [{"name": "cert", "strongswan.vici.certificate": args, "check_mode": check, "ignore_errors": True},
            {"name": "key", "strongswan.vici.private_key": args, "check_mode": check, "ignore_errors": True}]


def _swanctl_load(charon, container, tmp_path):
    conf = tmp_path / "swanctl"
    (conf / "pkcs12").mkdir(parents=True)
    shutil.copy(container, conf / "pkcs12" / "moon.p12")
    (conf / "swanctl.conf").write_text('secrets {\n pkcs12-moon {\n  file = moon.p12\n  secret = "%s"\n }\n}\n'
                                       % PASSPHRASE)
    loaded = charon.swanctl("--load-creds", "--noprompt", "--file", str(conf / "swanctl.conf"), check=False)
    assert loaded.returncode == 0, loaded.stderr


@pytest.mark.parametrize("kind", ["modern", "legacy"])
def test_modules_load_what_swanctl_loads(charon_factory, containers, tmp_path, kind):
    _work, made = containers
    reference = charon_factory(name="s")
    _swanctl_load(reference, made[kind], tmp_path)
    expected = _view(reference.socket_uri)
    assert len(expected["certs"]) == 2 and len(expected["keys"]) == 1, expected  # host + CA certificate, one key

    daemon = charon_factory(name="m")
    proxy_dir = tmp_path / "p"
    proxy_dir.mkdir()
    with ViciProxy(str(proxy_dir / "p.vici"), daemon.socket_path) as proxy:
        source = {"path": str(made[kind])}
        check = run_playbook([{"hosts": "localhost", "gather_facts": False,
                               "tasks": _tasks(proxy.uri, source, check=True)}])
        assert not [name for name in proxy.commands if name.startswith(("load-", "unload-"))], proxy.commands
        first = run_playbook([{"hosts": "localhost", "gather_facts": False, "tasks": _tasks(proxy.uri, source)}])
        second = run_playbook([{"hosts": "localhost", "gather_facts": False, "tasks": _tasks(proxy.uri, source)}])
    for play in (check, first, second):
        assert all(not result.get("failed") for _name, result in play.tasks), play
    assert check.task("cert")["changed"] and check.task("key")["changed"]
    assert first.task("cert")["changed"] and first.task("key")["changed"]
    assert not second.task("cert")["changed"] and not second.task("key")["changed"]
    assert _view(daemon.socket_uri) == expected
    cert = first.task("cert")
    assert [item["subject"] for item in cert["certificates"]] == ["C=CH, O=Test, CN=moon.test", "C=CH, O=Test, CN=P12 CA"]
    assert cert["key_id"] == first.task("key")["id"]  # the host certificate and the key belong together
    for play in (check, first, second):
        assert PASSPHRASE not in play.stdout + play.stderr


def test_content_in_base64_and_wrong_passphrases(charon, containers):
    _work, made = containers
    content = base64.b64encode(made["modern"].read_bytes()).decode()
    play = run_playbook([{"hosts": "localhost", "gather_facts": False,
                          "tasks": _tasks(charon.socket_uri, {"content": content})}])
    assert play.task("cert")["changed"] and play.task("key")["changed"], play
    wrong = "wr0ng-" + PASSPHRASE
    args = {"path": str(made["legacy"]), "passphrase": wrong, "socket": charon.socket_uri}
    tasks = [{"name": name, "strongswan.vici.%s" % module: args, "ignore_errors": True}
             for name, module in (("cert", "certificate"), ("key", "private_key"))]
    failed = run_playbook([{"hosts": "localhost", "gather_facts": False, "tasks": tasks}], extra_args=["-vvv"])
    for name in ("cert", "key"):
        result = failed.task(name)
        assert result["failed"] and result["msg"].startswith("path: the passphrase does not open the PKCS#12"), result
    assert wrong not in failed.stdout + failed.stderr
    assert PASSPHRASE not in failed.stdout + failed.stderr


def test_both_backends_unpack_alike(containers):
    """The Python cryptography package and the openssl command give the same certificates and key."""
    _work, made = containers
    for container in made.values():
        data = container.read_bytes()
        assert is_pkcs12(data)
        with_cryptography = unpack_pkcs12(data, PASSPHRASE, backends=["cryptography"])
        with_openssl = unpack_pkcs12(data, PASSPHRASE, backends=["openssl"])
        assert with_cryptography.certificates == with_openssl.certificates
        assert len(with_cryptography.keys) == len(with_openssl.keys) == 1
    assert not is_pkcs12((made["modern"].parent / "host.pem").read_bytes())
