# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Bad input against the real daemon (issue 9, items 10 to 12).

* Check mode fails where the real run fails, with the same message, and neither sends a mutating command.
  For each case the test also shows, by sending the raw request with the client, what the daemon (or the
  client's encoder) does with it without the module's check: rejects it, or silently bends it.
* Text that is not UTF-8 fails naming the option, never with a codec error or an unreadable result.
* Messages name the field and say what to do (typos, sockets).
"""

from __future__ import annotations

import copy
import json
import os
import pwd
import shutil
import socket as socket_module
import subprocess
import tempfile

import pytest
from vici_proxy import ViciProxy

from runtime_support import run_module_in_process

from ansible_collections.strongswan.vici.plugins.module_utils.vici.errors import (
    ViciCommandFailed,
    ViciEncodeError,
    ViciProtocolError,
)
from ansible_collections.strongswan.vici.plugins.module_utils.vici.session import READ_ONLY_COMMANDS, Session

pytestmark = pytest.mark.timeout(180)

FF = b"\xff".decode("utf-8", "surrogateescape")  # the byte 0xFF as Ansible hands it to a module
GW = {
    "version": 2,
    "local_addrs": ["127.0.0.1"],
    "remote_addrs": ["127.0.0.2"],
    "proposals": ["aes128-sha256-x25519"],
    "local": {"auth": "psk", "id": "moon.example"},
    "remote": {"auth": "psk", "id": "sun.example"},
    "children": {"net": {"local_ts": ["10.1.0.0/16"], "remote_ts": ["10.2.0.0/16"], "esp_proposals": ["aes128gcm16"]}},
}


@pytest.fixture(autouse=True)
def _ledger(tmp_path, monkeypatch):
    ledger = tmp_path / "ledger"
    ledger.mkdir()
    monkeypatch.setenv("STRONGSWAN_VICI_LEDGER_DIR", str(ledger))


def body(**changes):
    conn = copy.deepcopy(GW)
    for path, value in changes.items():
        node = conn
        keys = path.split("__")
        for key in keys[:-1]:
            node = node[key]
        node[keys[-1]] = value
    return conn


def with_children(children):
    conn = copy.deepcopy(GW)
    conn["children"] = children
    return conn


def fresh_run(name, args, check=False):
    """run_module_in_process with ansible-core's process-wide warning list emptied first (in-process runs share it)."""
    from ansible.module_utils.common import warnings as ansible_warnings  # pylint: disable=import-outside-toplevel

    ansible_warnings._global_warnings.clear()  # pylint: disable=protected-access
    return run_module_in_process(name, args, check=check)


def warnings(result):
    """The warning texts of a result (ansible-core 2.19 returns them as structured events in-process)."""
    return [item["event"]["msg"] if isinstance(item, dict) else item for item in result.get("warnings", [])]


def conns(socket):
    with Session(socket, timeout=10) as vici:
        return list(vici.get_conns().get("conns", []))


def raw_load(socket, name, message):
    """load-conn without the module: what the real run would meet without the local check."""
    with Session(socket, timeout=10) as vici:
        return vici.load_conn({name: message})


BIG = "x" * 70000
CASES = {
    # name: (config, expected message, what the daemon/client does with the raw request)
    "70 KB value": (body(children__net__updown="/bin/" + BIG),
                    "connection 'gw': cannot be sent to the daemon: gw.children.net.updown: values are limited to "
                    "65535 bytes, this one has 70005", ViciEncodeError),
    "empty child name": (with_children({"": {"local_ts": ["10.1.0.0/16"]}}),
                         "connection 'gw': children: the name of a child must not be empty", ViciEncodeError),
    "675 KB config": (with_children({"c%02d" % i: {"updown": "/bin/" + "y" * 60000} for i in range(11)}),
                      "connection 'gw': the load-conn request would be 660", ViciProtocolError),
    "unknown algorithm": (body(proposals="aes257-sha999"),
                          "connection 'gw': proposals.0: 'aes257-sha999': unknown algorithm 'aes257' (AES and Camellia "
                          "keys are 128, 192 or 256 bits)", ViciCommandFailed),
    "unknown ESP algorithm": (body(children__net__esp_proposals=["aes128gcm16-modp1000"]),
                              "connection 'gw': children.net.esp_proposals.0: 'aes128gcm16-modp1000': unknown "
                              "algorithm 'modp1000'", ViciCommandFailed),
    "prefix /33": (body(children__net__local_ts=["10.0.0.0/33"]),
                   "connection 'gw': children.net.local_ts.0: '10.0.0.0/33': the prefix length of an IPv4 subnet is "
                   "0 to 32, not '33'", "10.0.0.0/32"),
    "version 7": (body(version=7), "connection 'gw': version: must be 0 (IKEv1 and IKEv2), 1 (IKEv1) or 2 (IKEv2), "
                                   "got '7'", "loaded"),
    "empty address": (body(local_addrs=[""]), "connection 'gw': local_addrs.0: must not be empty (leave the key out, "
                                              "or set it to null, for the default)", None),
    "remote_addr typo": (dict(body(), remote_addr="127.0.0.2"),
                         "connection 'gw': remote_addr: unknown key; did you mean 'remote_addrs'? (a section named "
                         "local* or remote* is an authentication round and takes a mapping)", None),
    "empty config": ({}, "config: must not be empty with state=present", "loaded"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_check_mode_fails_where_the_real_run_fails(charon, case):
    config, expected, raw = CASES[case]
    name = "gw"
    with tempfile.TemporaryDirectory(prefix="svp-", dir="/tmp") as tmp:
        with ViciProxy(tmp + "/p.vici", charon.socket_path) as proxy:
            checked = run_module_in_process("connection", {"socket": proxy.uri, "name": name, "config": config}, check=True)
            real = run_module_in_process("connection", {"socket": proxy.uri, "name": name, "config": config})
            sent = list(proxy.commands)
    for result in (checked, real):
        assert result.get("failed") is True and result.get("changed") is not True, result
        assert result["msg"].startswith(expected), result["msg"]
    assert checked["msg"] == real["msg"]
    assert set(sent) <= READ_ONLY_COMMANDS, sent
    assert conns(charon.socket_uri) == []
    # Without the module's check, the real run would fail too, or the daemon would load something else.
    if raw is None:
        return
    raw_message = copy.deepcopy(config)
    if isinstance(raw, type):
        with pytest.raises(raw):
            raw_load(charon.socket_uri, name, raw_message)
        assert conns(charon.socket_uri) == []
    elif raw == "loaded":
        raw_load(charon.socket_uri, name, raw_message)
        assert conns(charon.socket_uri) == [name]
    else:
        raw_load(charon.socket_uri, name, raw_message)
        with Session(charon.socket_uri, timeout=10) as vici:
            shown = [event[name] for event in vici.list_conns(ike=name) if name in event][0]
        assert shown["children"]["net"]["local-ts"] == [raw]  # silently bent by the daemon


def test_non_utf8_input_names_the_field(charon, tmp_path):
    socket = charon.socket_uri
    results = {
        "id": run_module_in_process("connection", {"socket": socket, "name": "gw", "config": body(local__id="moon" + FF)}),
        "child": run_module_in_process("connection", {"socket": socket, "name": "gw",
                                                      "config": with_children({"net" + FF: {"local_ts": ["10.1.0.0/16"]}})}),
        "check": run_module_in_process("connection", {"socket": socket, "name": "gw", "config": body(local__id="moon" + FF)},
                                       check=True),
        "owner": run_module_in_process("shared_secret", {"socket": socket, "id": "k", "secret": "s3cr3t", "owners": ["a" + FF]}),
        "psk": run_module_in_process("shared_secret", {"socket": socket, "id": "k", "secret": "s3cr" + FF + "t"}),
        "command": run_module_in_process("command", {"socket": socket, "command": "load-shared",
                                                     "request": {"id": "k", "type": "IKE", "data": "s3cr" + FF + "t"}}),
        "passphrase": run_module_in_process("private_key", {"socket": socket, "path": str(tmp_path / "missing.pem"),
                                                            "passphrase": "s3cr" + FF + "t"}),
    }
    expected = {
        "id": "config.local.id: is not valid UTF-8 text (byte 0xff at position 4 in 'moon\\xff')",
        "child": "config.children (a key): is not valid UTF-8 text (byte 0xff at position 3 in 'net\\xff')",
        "check": "config.local.id: is not valid UTF-8 text (byte 0xff at position 4 in 'moon\\xff')",
        "owner": "owners[0]: is not valid UTF-8 text (byte 0xff at position 1 in 'a\\xff')",
        "psk": "secret: is not valid UTF-8 text (the value is not shown: 'secret' is a secret option)",
        "command": "request.data: is not valid UTF-8 text (the value is not shown: 'request' is a secret option)",
        "passphrase": "passphrase: is not valid UTF-8 text (the value is not shown: 'passphrase' is a secret option)",
    }
    for key, result in results.items():
        assert result.get("failed") is True, (key, result)
        assert result["msg"] == expected[key], (key, result["msg"])
        # What the controller gets must be valid UTF-8 JSON, and no secret in it.
        json.dumps(result).encode("utf-8")
        assert "s3cr" not in json.dumps(result)
    assert conns(socket) == []
    with Session(socket, timeout=10) as vici:
        assert vici.get_shared()["keys"] == []


def test_non_utf8_top_level_option_names_the_option_under_ansible_playbook(charon, tmp_path):
    """0xFF in a top-level text option (connection and pool ``name``, shared_secret ``id``, sa ``ike``) used to
    crash ansible-core's invocation log (UnicodeEncodeError, no option named); the controller must also get a
    readable result (it refuses text that is not UTF-8)."""
    from conftest import run_playbook  # pylint: disable=import-outside-toplevel
    (tmp_path / "latin.txt").write_bytes(b"x\xff")
    bad = "{{ lookup('file', '%s') }}" % (tmp_path / "latin.txt")
    tasks = [
        ("connection", {"name": bad, "config": body()}, "name"),
        ("pool", {"name": bad, "addrs": "10.3.0.0/24"}, "name"),
        ("shared_secret", {"id": bad, "secret": "s3cr3t-psk", "owners": ["%any"]}, "id"),
        ("sa", {"ike": bad, "state": "down"}, "ike"),
    ]
    play = {"hosts": "localhost", "gather_facts": False,
            "tasks": [{"name": module, "ignore_errors": True, "strongswan.vici.%s" % module: dict(args, socket=charon.socket_uri)}
                      for module, args, _option in tasks]}
    result = run_playbook([play])
    for module, _args, option in tasks:
        task = result.task(module)
        assert task.get("failed") is True, (module, task)
        assert task["msg"] == "%s: is not valid UTF-8 text (byte 0xff at position 1 in 'x\\xff')" % option, (module, task)
        assert task["invocation"]["module_args"][option] == "<not valid UTF-8 text>", (module, task)
    assert "s3cr3t-psk" not in result.stdout and "Traceback" not in result.stdout
    assert conns(charon.socket_uri) == []
    with Session(charon.socket_uri, timeout=10) as vici:
        assert vici.get_shared()["keys"] == [] and vici.get_pools() == {}


def test_shared_secret_without_owners_is_refused_by_both_modules_alike(charon, tmp_path):
    """One rule for shared_secret and config: a secret without owners (offered to every peer) is refused in
    check mode and in the real run, nothing is sent, and the message says how to ask for it (%any)."""
    rule = "no owners: a secret without owners matches every identity, so the daemon offers it to every peer; " \
           "if that is what you want, say so with "
    with ViciProxy(str(tmp_path / "p.vici"), charon.socket_path) as proxy:
        for check in (True, False):
            module = run_module_in_process("shared_secret", {"socket": proxy.uri, "id": "ike-open", "secret": "s3cr3t-psk"},
                                           check=check)
            assert module["failed"] is True and module["msg"] == rule + "owners: ['%any']", module
            config = run_module_in_process("config", {"socket": proxy.uri, "secrets": {"ike-open": {"secret": "s3cr3t-psk"}}},
                                           check=check)
            assert config["failed"] is True and config["msg"] == (
                "secrets.ike-open: " + rule + "id: '%any' (the id and id-* keys name the owners)"), config
            assert "s3cr3t-psk" not in json.dumps([module, config])
        assert set(proxy.commands) <= READ_ONLY_COMMANDS, proxy.commands
        loaded = run_module_in_process("shared_secret", {"socket": proxy.uri, "id": "ike-open", "secret": "s3cr3t-psk",
                                                         "owners": ["%any"]})
        assert loaded["changed"] is True, loaded
    with Session(charon.socket_uri, timeout=10) as vici:
        assert vici.get_shared()["keys"] == ["ike-open"]


def test_empty_owner_is_refused(charon):
    result = run_module_in_process("shared_secret", {"socket": charon.socket_uri, "id": "k", "secret": "s3cr3t", "owners": [""]})
    assert result["failed"] is True and result["msg"].startswith("owners[0]: must not be empty"), result
    with Session(charon.socket_uri, timeout=10) as vici:
        assert vici.get_shared()["keys"] == []


def test_command_request_too_large_is_a_local_limit(charon):
    request = {"conn%d" % i: {"remote_addrs": ["127.0.0.%d" % (i + 2)], "children": {"c": {"updown": "z" * 60000}}}
               for i in range(10)}
    for check in (True, False):
        result = run_module_in_process("command", {"socket": charon.socket_uri, "command": "load-conn", "request": request},
                                       check=check)
        assert result["failed"] is True, result
        assert result["msg"].startswith("request: the load-conn request would be "), result["msg"]
        assert "local limit, nothing was sent" in result["msg"] and "protocol error" not in result["msg"]
    assert conns(charon.socket_uri) == []


# -- sockets -----------------------------------------------------------------


def test_not_a_socket_and_stale_socket_and_uri_syntax(tmp_path):
    regular = tmp_path / "file.vici"
    regular.write_text("")
    stale = tmp_path / "stale.vici"
    server = socket_module.socket(socket_module.AF_UNIX, socket_module.SOCK_STREAM)
    server.bind(str(stale))
    server.close()  # the path stays, nobody listens
    results = {
        "file": run_module_in_process("info", {"socket": "unix://%s" % regular}),
        "dir": run_module_in_process("info", {"socket": "unix://%s" % tmp_path}),
        "stale": run_module_in_process("info", {"socket": "unix://%s" % stale}),
        "syntax": run_module_in_process("info", {"socket": "tcp://localhost"}),
        "missing": run_module_in_process("info", {"socket": "unix://%s/nope.vici" % tmp_path}),
    }
    for result in results.values():
        assert result["failed"] is True, result
    assert "'%s' is not a socket but a regular file" % regular in results["file"]["msg"]
    assert "'%s' is not a socket but a directory" % tmp_path in results["dir"]["msg"]
    assert "is charon running" not in results["file"]["msg"].lower()
    assert "no process listens on it" in results["stale"]["msg"]
    assert results["syntax"]["msg"].startswith("socket: socket URI 'tcp://localhost' needs the form tcp://host:port")
    assert "charon running" not in results["syntax"]["msg"]
    assert "No socket at" in results["missing"]["msg"] and "Is charon running" in results["missing"]["msg"]


def _as_nobody(code, *args):
    """Run ``code`` (with sys.argv[1:] = args) as the user nobody under the system Python, with a copy of the
    collection's standard-library-only module_utils that nobody can read."""
    nobody = pwd.getpwnam("nobody")
    collections = os.environ["ANSIBLE_COLLECTIONS_PATH"].split(os.pathsep)[0]
    source = os.path.join(collections, "ansible_collections", "strongswan", "vici", "plugins", "module_utils")
    with tempfile.TemporaryDirectory(prefix="svici-nobody-", dir="/tmp") as work:
        os.chmod(work, 0o755)
        target = os.path.join(work, "ansible_collections", "strongswan", "vici", "plugins", "module_utils")
        shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        for root, dirs, files in os.walk(work):
            for name in dirs:
                os.chmod(os.path.join(root, name), 0o755)
            for name in files:
                os.chmod(os.path.join(root, name), 0o644)
        proc = subprocess.run(["/usr/bin/python3", "-c", "import sys; sys.path.insert(0, %r)\n" % work + code] + list(args),
                              capture_output=True, text=True, timeout=60, check=False, cwd="/",
                              preexec_fn=lambda: (os.setgid(nobody.pw_gid), os.setuid(nobody.pw_uid)))
    return proc


PROBE = (
    "from ansible_collections.strongswan.vici.plugins.module_utils._text.diagnose import transport_problem\n"
    "from ansible_collections.strongswan.vici.plugins.module_utils.vici.session import Session\n"
    "from ansible_collections.strongswan.vici.plugins.module_utils.vici.errors import ViciTransportError\n"
    "try:\n"
    "    Session(sys.argv[1], 5).version()\n"
    "except ViciTransportError as error:\n"
    "    print(transport_problem(str(error), sys.argv[1], error_number=error.error_number))\n"
)


@pytest.mark.skipif(os.geteuid() != 0 or not os.path.exists("/usr/bin/python3"), reason="needs root and /usr/bin/python3")
@pytest.mark.skipif(not os.stat("/").st_mode & 0o001,
                    reason="/ has no search permission for others (a clean-room root): no unprivileged user can run")
def test_permission_denied_names_owner_group_and_mode():
    """A real EACCES from connect(): the client runs as 'nobody' against a root-owned listening socket, mode 0770."""
    with tempfile.TemporaryDirectory(prefix="svici-perm-", dir="/tmp") as work:
        os.chmod(work, 0o755)
        path = os.path.join(work, "charon.vici")
        server = socket_module.socket(socket_module.AF_UNIX, socket_module.SOCK_STREAM)
        try:
            server.bind(path)
            server.listen(1)
            os.chmod(path, 0o770)
            proc = _as_nobody(PROBE, "unix://" + path)
            hidden = os.path.join(work, "private")
            os.mkdir(hidden, 0o700)
            blocked = _as_nobody(PROBE, "unix://" + os.path.join(hidden, "charon.vici"))
        finally:
            server.close()
    msg = proc.stdout.strip()
    assert proc.returncode == 0 and "Permission denied" in msg, (proc.stdout, proc.stderr[-1000:])
    assert "The socket '%s' is owned by root:root with mode 0770" % path in msg, msg
    assert "this task runs as nobody" in msg and "become: true" in msg and "group 'root'" in msg, msg
    assert "is charon running" not in msg.lower()
    assert "cannot be looked up by this user" in blocked.stdout and "become: true" in blocked.stdout, blocked


def test_proposals_without_an_implementation_warn_in_check_and_real_mode(charon):
    """serpent loads (the parser knows the keyword) but no plugin of this daemon implements it."""
    socket = charon.socket_uri
    config = body(proposals=["serpent128-sha256-modp2048", "aes128-sha256-x25519"])
    with tempfile.TemporaryDirectory(prefix="svp-", dir="/tmp") as tmp:
        with ViciProxy(tmp + "/p.vici", charon.socket_path) as proxy:
            checked = fresh_run("connection", {"socket": proxy.uri, "name": "gw", "config": config}, check=True)
            checked_sent = list(proxy.commands)
    real = fresh_run("connection", {"socket": socket, "name": "gw", "config": config})
    warning = ("connection 'gw': proposals.0 'serpent128-sha256-modp2048': the daemon implements no serpent128 "
               "(SERPENT_CBC) (no plugin for it is loaded; see get-algorithms), so this proposal cannot be negotiated")
    for result in (checked, real):
        assert result["changed"] is True and not result.get("failed"), result
        assert warnings(result) == [warning], result
    assert "get-algorithms" in checked_sent and set(checked_sent) <= READ_ONLY_COMMANDS
    assert conns(socket) == ["gw"]
    # Algorithms the daemon has: no warning; no proposals at all: get-algorithms is not even asked.
    assert not warnings(fresh_run("connection", {"socket": socket, "name": "gw", "config": body()}))
    plain = body()
    del plain["proposals"], plain["children"]["net"]["esp_proposals"]
    with tempfile.TemporaryDirectory(prefix="svp-", dir="/tmp") as tmp:
        with ViciProxy(tmp + "/p.vici", charon.socket_path) as proxy:
            fresh_run("connection", {"socket": proxy.uri, "name": "other", "config": plain}, check=True)
            assert "get-algorithms" not in proxy.commands


def test_every_declarative_module_checks_sizes_before_sending(charon):
    """A 70 KB shared secret: check mode fails like the real run, nothing is sent, the secret is not echoed."""
    secret = "s" * 70000
    with tempfile.TemporaryDirectory(prefix="svp-", dir="/tmp") as tmp:
        with ViciProxy(tmp + "/p.vici", charon.socket_path) as proxy:
            args = {"socket": proxy.uri, "id": "big", "secret": secret, "owners": ["%any"]}
            results = [run_module_in_process("shared_secret", args, check=check) for check in (True, False)]
            sent = list(proxy.commands)
    for result in results:
        assert result["failed"] is True, result
        assert result["msg"] == ("shared_secret 'big': cannot be sent to the daemon: data: values are limited to "
                                 "65535 bytes, this one has 70000"), result["msg"]
        assert secret not in json.dumps(result)
    assert sent == []
    with Session(charon.socket_uri, timeout=10) as vici:
        assert vici.get_shared()["keys"] == []
