# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""strongswan.vici.authority against the real charon: honest changed, check mode, diff, drift, bad input."""

from __future__ import annotations

import functools

import pytest

from ansible_collections.strongswan.vici.plugins.module_utils._kinds.authority import comparable_subject, read_certificate
from ansible_collections.strongswan.vici.plugins.module_utils.vici.session import READ_ONLY_COMMANDS, Session

from conftest import pki, step_result, step_results
from vici_proxy import ViciProxy


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    base = tmp_path_factory.mktemp("pki")
    key = pki("--gen", "--type", "ecdsa", "--size", "256", "--outform", "pem", out=base / "ca.key")
    made = {
        "ca": pki("--self", "--ca", "--in", str(key), "--type", "ecdsa", "--lifetime", "30",
                  "--dn", "C=CH, O=strongswan.vici tests, CN=Test Root CA", "--outform", "pem", out=base / "ca.pem"),
        "ca2": pki("--self", "--ca", "--in", str(key), "--type", "ecdsa", "--lifetime", "30",
                   "--dn", "C=CH, O=strongswan.vici tests, OU=Second, CN=Other CA", "--outform", "der",
                   out=base / "ca2.der"),
        "ee": pki("--self", "--in", str(key), "--type", "ecdsa", "--lifetime", "30",
                  "--dn", "CN=not a CA", "--outform", "pem", out=base / "ee.pem"),
    }
    return made


runs = functools.partial(step_results, vici_module="authority", defaults={"name": "test-ca"})
run = functools.partial(step_result, vici_module="authority", defaults={"name": "test-ca"})


def authorities(charon):
    with Session(charon.socket_uri, timeout=10) as vici:
        found = {}
        for event in vici.list_authorities():
            found.update(event)
        return found


def test_subject_dn_matches_the_daemon(charon, certs):
    """The DN cross-check compares our rendering of the subject with the daemon's %Y: they must agree."""
    with Session(charon.socket_uri) as vici:
        for name in ("ca", "ca2"):
            der = read_certificate(str(certs[name]))
            vici.load_authority({name: {"cacert": der}})
            assert authorities(charon)[name]["cacert"] == comparable_subject(der)


def test_lifecycle(charon, certs, tmp_path):
    ledger = tmp_path / "ledger"
    desired = {"cacert": str(certs["ca"]), "crl_uris": ["http://127.0.0.1/ca.crl"],
               "ocsp_uris": ["http://127.0.0.1:8880"]}
    with ViciProxy(tmp_path / "p.vici", charon.socket_path) as proxy:
        uri = proxy.uri
        predicted = run(uri, ledger, check=True, **desired)
        assert predicted["changed"] is True and authorities(charon) == {}
        assert set(proxy.commands) <= READ_ONLY_COMMANDS, proxy.commands
        loaded = run(uri, ledger, **desired)
        assert loaded["changed"] is True and loaded["subject"] == "C=CH, O=strongswan.vici tests, CN=Test Root CA"
        reported = authorities(charon)["test-ca"]
        assert reported["crl_uris"] == ["http://127.0.0.1/ca.crl"] and reported["ocsp_uris"] == ["http://127.0.0.1:8880"]
        # Same again (check, real, and as PEM text instead of the path: the same certificate), then a new
        # certificate (DER file) and URI base in check mode: nothing mutating is sent.
        same = {**desired, "cacert": certs["ca"].read_text()}
        changed = {**desired, "cacert": str(certs["ca2"]), "cert_uri_base": "http://127.0.0.1/certs/"}
        proxy.clear()
        steps = runs(uri, ledger, {**desired, "_check": True}, desired, same, {**changed, "_check": True, "_diff": True})
        assert set(proxy.commands) <= READ_ONLY_COMMANDS, proxy.commands
        assert [step["changed"] for step in steps] == [False, False, False, True]
        diff = steps[3]
        assert "CN=Test Root CA" in diff["diff"]["before"]["cacert"]
        assert "CN=Other CA" in diff["diff"]["after"]["cacert"]
        assert run(uri, ledger, **changed)["changed"] is True
        assert authorities(charon)["test-ca"]["cacert"] == "C=CH, O=strongswan.vici tests, OU=Second, CN=Other CA"
        assert authorities(charon)["test-ca"]["cert_uri_base"] == "http://127.0.0.1/certs/"
        assert run(uri, ledger, **changed)["changed"] is False

        proxy.clear()
        assert run(uri, ledger, check=True, state="absent")["changed"] is True
        assert set(proxy.commands) <= READ_ONLY_COMMANDS and "test-ca" in authorities(charon)
        assert run(uri, ledger, state="absent")["changed"] is True
        assert authorities(charon) == {}
        assert run(uri, ledger, state="absent")["changed"] is False


def test_restart_and_changes_behind_our_back(charon, certs, tmp_path):
    ledger = tmp_path / "ledger"
    uri = charon.socket_uri
    desired = {"cacert": str(certs["ca"]), "crl_uris": ["http://127.0.0.1/ca.crl"]}
    assert run(uri, ledger, **desired)["changed"] is True
    with Session(uri) as vici:
        running = int(vici.stats()["uptime"]["running"].split()[0])
    if running < 3:  # see test_pool: restarts within 2 s of the previous start look like the same daemon
        import time
        time.sleep(3 - running)
    charon.restart()
    back, stable = runs(uri, ledger, desired, desired)
    assert back["changed"] is True and stable["changed"] is False
    assert "test-ca" in authorities(charon)

    # swanctl reloads it with other CRL URIs: list-authorities shows it.
    conf_dir = tmp_path / "swanctl"
    (conf_dir / "x509ca").mkdir(parents=True)
    (conf_dir / "x509ca" / "ca.pem").write_bytes(certs["ca"].read_bytes())
    (conf_dir / "swanctl.conf").write_text(
        "authorities {\n test-ca {\n  cacert = ca.pem\n  crl_uris = http://127.0.0.1/other.crl\n }\n}\n")
    charon.swanctl("--load-authorities", "--file", str(conf_dir / "swanctl.conf"))
    drift, fixed = runs(uri, ledger, {**desired, "_check": True}, desired)
    assert drift["changed"] is True and fixed["changed"] is True
    assert authorities(charon)["test-ca"]["crl_uris"] == ["http://127.0.0.1/ca.crl"]

    # ... and with another CA certificate under the same name, same URIs: the subject shows it.
    (conf_dir / "x509ca" / "ca.pem").write_bytes(certs["ca2"].read_bytes())
    (conf_dir / "swanctl.conf").write_text(
        "authorities {\n test-ca {\n  cacert = ca.pem\n  crl_uris = http://127.0.0.1/ca.crl\n }\n}\n")
    charon.swanctl("--load-authorities", "--file", str(conf_dir / "swanctl.conf"))
    assert run(uri, ledger, **desired)["changed"] is True
    assert authorities(charon)["test-ca"]["cacert"].endswith("CN=Test Root CA")

    # Unloaded behind our back.
    with Session(uri) as vici:
        vici.unload_authority("test-ca")
    assert run(uri, ledger, **desired)["changed"] is True and "test-ca" in authorities(charon)


def test_bad_input(charon, certs, tmp_path):
    ledger = tmp_path / "ledger"
    uri = charon.socket_uri
    assert run(uri, ledger, name="keep", cacert=str(certs["ca"]))["changed"] is True
    cases = [
        ({"cacert": str(certs["ee"])}, "authority 'test-ca': VICI command 'load-authority' failed: "
                                       "CA certificate missing: test-ca"),
        ({"cacert": "/nonexistent/ca.pem"}, "cacert: '/nonexistent/ca.pem' is neither PEM text nor a readable file"),
        ({"cacert": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"}, "is not an X.509 certificate"),
        ({"cacert": str(certs["ca"]), "file": "/etc/x.pem"}, "mutually exclusive"),
        ({"crl_uris": ["http://x"]}, "cacert, file, handle"),
        ({"file": "/etc/x.pem", "slot": 1}, "handle"),
        ({"handle": "xyz"}, "handle: 'xyz' is not hex"),
        ({"file": str(tmp_path / "missing.pem")}, "could not read a CA certificate"),
    ]
    for (options, expected), result in zip(cases, runs(uri, ledger, *[options for options, _msg in cases])):
        assert result.get("failed") is True, (options, result)
        assert expected in result["msg"], (options, result["msg"])
    assert set(authorities(charon)) == {"keep"}
