# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures for the real-daemon system tests (plain pytest, run by ``make system``).

* ``charon``: a fresh daemon per test on a private socket (``charon.socket_uri``), always stopped;
* ``charon_factory``: ``charon_factory(name="x", **Charon_kwargs)`` for several daemons in one test;
* ``netns_pair``: two network namespaces joined by a veth pair (see ``NetnsPair``);
* ``tunnel_pair``: a ``netns_pair`` with a tunnel-mode charon in each (``.a``, ``.b``, ``.pair``);
* ``ansible_playbook`` / ``run_playbook()`` and ``ansible_module`` / ``run_module_via_playbook()``: run
  ansible-playbook against localhost with the staged collection, parsed through the json callback;
* ``playbook_steps()``, ``step_results()``, ``step_result()``: one task of a module per step, in one playbook,
  with the test's own ledger directory (the ``ledger`` fixture);
* ``pki()``: strongSwan's pki command, for the certificates and keys the tests need.

The collection is imported as ``ansible_collections.strongswan.vici`` from the staged copy
(``.tmp/ansible_collections/strongswan/vici``, made by ``scripts/stage_collection.sh``). ``make
system`` stages and sets ANSIBLE_COLLECTIONS_PATH; a bare ``pytest tests/system`` stages by itself.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
HARNESS_DIR = REPO / "tests" / "integration" / "targets" / "setup_charon" / "files"
sys.path.insert(0, str(HARNESS_DIR))

# pylint: disable=wrong-import-position
from charon_harness import (  # noqa: E402
    DEFAULT_PLUGINS,
    Charon,
    HarnessError,
    NetnsPair,
    cleanup_stale_netns,
    udp_probe,
)

__all__ = ["Charon", "DEFAULT_PLUGINS", "HarnessError", "NetnsPair", "PlaybookResult", "run_module_via_playbook",
           "run_playbook", "playbook_steps", "step_results", "step_result", "pki", "pem_writer", "ca_and_host", "udp_probe", "COLLECTIONS_PATH"]


def _collections_path():
    """The directory holding ansible_collections/strongswan/vici (staging it if needed)."""
    configured = os.environ.get("ANSIBLE_COLLECTIONS_PATH") or os.environ.get("ANSIBLE_COLLECTIONS_PATHS")
    if configured:
        return Path(configured.split(os.pathsep)[0]).resolve()
    if REPO.parent.name == "strongswan" and REPO.parent.parent.name == "ansible_collections":
        return REPO.parent.parent.parent  # running inside a staged copy already
    staged = subprocess.run(["bash", str(REPO / "scripts" / "stage_collection.sh")], check=True, timeout=120,
                            capture_output=True, text=True).stdout.strip()
    return Path(staged).parents[2]


COLLECTIONS_PATH = _collections_path()
if str(COLLECTIONS_PATH) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS_PATH))
os.environ["ANSIBLE_COLLECTIONS_PATH"] = str(COLLECTIONS_PATH)


def _short_tmpdir(prefix):
    """A short directory under /tmp: AF_UNIX socket paths must stay under 108 bytes."""
    return tempfile.mkdtemp(prefix=prefix, dir="/tmp")


@pytest.fixture(autouse=True)
def _module_side_ansible(monkeypatch):
    """Modules run in this process see the module side of ansible-core, as on a managed host.

    Importing controller code (the filter plugins, for example) switches
    ``ansible.module_utils._internal`` to the controller: a module's warnings then go to the
    controller's display instead of its result, and module arguments get the controller's strict
    UTF-8 check. A test would pass or fail by the tests that ran before it in the same process.
    """
    from ansible.module_utils import _internal  # pylint: disable=import-outside-toplevel

    monkeypatch.setattr(_internal, "is_controller", False)
    monkeypatch.setattr(_internal, "import_controller_module", lambda _name: None)


@pytest.fixture(scope="session", autouse=True)
def _stale_namespaces():
    """Remove svici-* namespaces left behind by test runs that died."""
    cleanup_stale_netns()
    yield


@pytest.fixture
def charon_factory(tmp_path):
    """Make and start daemons: ``charon_factory(name="charon", **kwargs)`` -> started Charon.

    Every daemon made is stopped at teardown, also on failure. Keyword arguments go to
    ``Charon`` (plugins, netns, tunnel, extra_conf, log_level, log_levels, start_timeout).
    On a test failure the daemons' log tails are printed (pytest shows them with the failure).
    """
    made = []
    short_dirs = []

    def factory(name="charon", workdir=None, **kwargs):
        if workdir is None:
            workdir = tmp_path / name
            if len(str(workdir / (name + ".vici"))) > 100:
                short_dirs.append(_short_tmpdir("svici-"))
                workdir = Path(short_dirs[-1]) / name
        daemon = Charon(workdir, name=name, **kwargs)
        made.append(daemon)
        return daemon.start()

    yield factory
    errors = []
    for daemon in reversed(made):
        try:
            daemon.stop()
        except HarnessError as exc:  # pragma: no cover - SIGKILL failed
            errors.append(str(exc))
    for daemon in made:
        print("--- %s (%s) log tail ---\n%s" % (daemon.name, daemon.log_path, daemon.log_tail(20)))
    for short_dir in short_dirs:
        shutil.rmtree(short_dir, ignore_errors=True)
    assert not errors, errors


@pytest.fixture
def charon(charon_factory):
    """A fresh charon for this test, on its own socket; ``charon.socket_uri`` is the unix:// URI."""
    return charon_factory()


@pytest.fixture
def netns_pair():
    """Two fresh namespaces A and B joined by a veth pair; removed at teardown.

    ``pair.a.name``/``pair.b.name`` (``ip netns exec`` names), ``pair.a_ip``/``pair.b_ip``
    (198.18.0.1/.2 on the veth), ``pair.a_subnet_ip``/``pair.b_subnet_ip`` (198.51.100.1 and
    203.0.113.1 on lo). ``pair.a.run([...])`` runs a command inside A.
    """
    pair = NetnsPair().create()
    try:
        yield pair
    finally:
        pair.delete()


class TunnelPair:
    """A namespace pair with a tunnel-mode charon (kernel-libipsec) in each."""

    def __init__(self, pair, a, b):
        self.pair = pair
        self.a = a
        self.b = b

    def probe(self, port=40000, timeout=5.0, reverse=False):
        """Send UDP between the protected subnets (A -> B, or B -> A); True if it arrived."""
        pair = self.pair
        if reverse:
            return udp_probe(pair.b, pair.b_subnet_ip, pair.a, pair.a_subnet_ip, port=port, timeout=timeout)
        return udp_probe(pair.a, pair.a_subnet_ip, pair.b, pair.b_subnet_ip, port=port, timeout=timeout)


@pytest.fixture
def tunnel_pair(netns_pair, charon_factory):
    """``netns_pair`` plus a charon with ``tunnel=True`` in each namespace (``.a``, ``.b``, ``.pair``)."""
    a = charon_factory(name="a", netns=netns_pair.a.name, tunnel=True)
    b = charon_factory(name="b", netns=netns_pair.b.name, tunnel=True)
    return TunnelPair(netns_pair, a, b)


# ---------------------------------------------------------------------------
# ansible-playbook with the staged collection
# ---------------------------------------------------------------------------


class PlaybookResult:
    """What one ansible-playbook run gave: ``rc``, ``stdout``, ``stderr``, ``json`` (the json callback's
    document, or None), and helpers to pick task results."""

    def __init__(self, rc, stdout, stderr, cmd):
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr
        self.cmd = cmd
        try:
            self.json = json.loads(stdout[stdout.index("{"):]) if "{" in stdout else None
        except ValueError:
            self.json = None

    @property
    def tasks(self):
        """[(task name, result for the first host)] in run order."""
        found = []
        for play in (self.json or {}).get("plays", []):
            for task in play.get("tasks", []):
                hosts = task.get("hosts", {})
                result = next(iter(hosts.values())) if hosts else {}
                found.append((task.get("task", {}).get("name", ""), result))
        return found

    def task(self, name):
        """The (first host's) result of the task named NAME."""
        for task_name, result in self.tasks:
            if task_name == name:
                return result
        raise KeyError("no task %r in %s" % (name, [n for n, _r in self.tasks]))

    @property
    def last(self):
        """The result of the last task that ran."""
        return self.tasks[-1][1] if self.tasks else {}

    @property
    def stats(self):
        """The PLAY RECAP counters of the first host."""
        stats = (self.json or {}).get("stats", {})
        return next(iter(stats.values())) if stats else {}

    def __repr__(self):
        return "PlaybookResult(rc=%r, stderr=%r, stdout=%s)" % (self.rc, self.stderr[-2000:], self.stdout[-4000:])


def run_playbook(playbook, extravars=None, check=False, diff=False, extra_args=(), timeout=300, env=None, cwd=None):
    """Run ansible-playbook on localhost (local connection, this Python) with the staged collection.

    PLAYBOOK is a path, the playbook's YAML text, or a list of plays (dicts, dumped as JSON).
    EXTRAVARS (a dict) is passed as JSON with -e. Files go to CWD if given, else to a temporary
    directory removed afterwards. Returns a PlaybookResult; it does not raise on a failed play.
    """
    if cwd is not None:
        return _run_playbook_in(Path(cwd), playbook, extravars, check, diff, extra_args, timeout, env)
    with tempfile.TemporaryDirectory(prefix="svici-pb-", dir="/tmp") as workdir:
        return _run_playbook_in(Path(workdir), playbook, extravars, check, diff, extra_args, timeout, env)


def _run_playbook_in(workdir, playbook, extravars, check, diff, extra_args, timeout, env):  # pylint: disable=too-many-arguments
    if isinstance(playbook, (list, dict)):
        playbook_path = workdir / "playbook.yml"
        playbook_path.write_text(json.dumps(playbook if isinstance(playbook, list) else [playbook]))
    elif "\n" in str(playbook) or not os.path.exists(str(playbook)):
        playbook_path = workdir / "playbook.yml"
        playbook_path.write_text(str(playbook))
    else:
        playbook_path = Path(playbook).resolve()
    inventory = workdir / "inventory.ini"
    inventory.write_text("localhost ansible_connection=local ansible_python_interpreter=%s\n" % sys.executable)
    cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", str(inventory), str(playbook_path)]
    if extravars:
        cmd += ["-e", json.dumps(extravars)]
    if check:
        cmd.append("--check")
    if diff:
        cmd.append("--diff")
    cmd += list(extra_args)
    run_env = dict(os.environ)
    run_env.update({
        "ANSIBLE_COLLECTIONS_PATH": str(COLLECTIONS_PATH),
        # ansible-core has no JSON stdout callback (ansible.builtin.json redirects to ansible.posix): use ours.
        "ANSIBLE_STDOUT_CALLBACK": "json_results",
        "ANSIBLE_CALLBACK_PLUGINS": str(Path(__file__).resolve().parent / "callback_plugins"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
        "ANSIBLE_RETRY_FILES_ENABLED": "0",
        "ANSIBLE_LOCAL_TEMP": str(workdir / "ansible-local"),
        "ANSIBLE_DEPRECATION_WARNINGS": "0",
    })
    run_env.update(env or {})
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=run_env, cwd=str(workdir),
                          stdin=subprocess.DEVNULL, check=False)
    return PlaybookResult(proc.returncode, proc.stdout, proc.stderr, cmd)


def run_module_via_playbook(module, args=None, check=False, diff=False, **kwargs):
    """Run one module once on localhost through ansible-playbook; return (PlaybookResult, task result).

    MODULE is a name such as ``strongswan.vici.info``; ARGS its options (a dict).
    """
    play = {
        "hosts": "localhost",
        "gather_facts": False,
        "tasks": [{"name": "module under test", module: args or {}}],
    }
    result = run_playbook([play], check=check, diff=diff, **kwargs)
    try:
        task = result.task("module under test")
    except KeyError:
        task = {}
    return result, task


@pytest.fixture
def ansible_playbook():
    """The ``run_playbook`` function (see its docstring)."""
    return run_playbook


@pytest.fixture
def ansible_module():
    """The ``run_module_via_playbook`` function: ``ansible_module("strongswan.vici.info", {"socket": uri})``."""
    return run_module_via_playbook


@pytest.fixture
def ledger(tmp_path):
    """The ledger directory of this test (the module creates it): runs of one test share it, tests do not."""
    return tmp_path / "ledger"


def playbook_steps(socket, ledger, *steps, vici_module=None, defaults=None, check=False, diff=False, verbose=False):
    """Run one task per step, in one playbook; return (PlaybookResult, the task results in order).

    A step is the options of ``strongswan.vici.<vici_module>`` (``defaults`` filled in, ``socket`` set),
    plus: ``_module`` (another module of the collection for this step), ``_check``/``_diff`` (this task
    in check/diff mode). Failing tasks do not stop the play: each result says ``failed``.
    """
    tasks = []
    for number, step in enumerate(steps):
        options = dict(defaults or {}, **step)
        task = {"name": "step %d" % number, "ignore_errors": True}
        for key, keyword in (("_check", "check_mode"), ("_diff", "diff")):
            if key in options:
                task[keyword] = options.pop(key)
        module = options.pop("_module", vici_module)
        task["strongswan.vici.%s" % module] = dict(options, socket=socket)
        tasks.append(task)
    result = run_playbook([{"hosts": "localhost", "gather_facts": False, "tasks": tasks}], check=check, diff=diff,
                          env={"STRONGSWAN_VICI_LEDGER_DIR": str(ledger)}, extra_args=["-vvv"] if verbose else ())
    assert len(result.tasks) == len(steps), result
    return result, [result.task("step %d" % number) for number in range(len(steps))]


def step_results(socket, ledger, *steps, **kwargs):
    """The task results of :func:`playbook_steps`."""
    return playbook_steps(socket, ledger, *steps, **kwargs)[1]


def step_result(socket, ledger, check=False, diff=False, vici_module=None, defaults=None, **options):
    """One task of ``strongswan.vici.<vici_module>`` with ``options``; its result."""
    return step_results(socket, ledger, dict(options, _check=check, _diff=diff), vici_module=vici_module,
                        defaults=defaults)[0]


def pki(*args, out=None, **kwargs):
    """Run strongSwan's ``pki`` with ``args``: its output written to ``out`` (returned) or returned as bytes.

    ``kwargs`` go to subprocess.run (``input=`` for a command that reads stdin).
    """
    data = subprocess.run(["pki"] + [str(arg) for arg in args], check=True, capture_output=True, timeout=60,
                          **kwargs).stdout
    if out is None:
        return data
    Path(out).write_bytes(data)
    return out


def pem_writer(directory):
    """``write(name, *args)``: run pki with ``args`` (PEM output) into ``directory``/``name``; returns that path."""

    def write(name, *args):
        return pki(*args, "--outform", "pem", out=Path(directory) / name)

    return write


def ca_and_host(write, ca_cn, host_cn, host_key_type, *issue_args):
    """With a :func:`pem_writer`: ca.key/ca.pem (ECDSA P-256 CA, C=CH, O=Test) and host.key/host.pem issued by it.

    ``host_key_type`` is pki's ``--type`` and its options (``"rsa", "--size", "2048"``). Returns the four paths.
    """
    ca_key = write("ca.key", "--gen", "--type", "ecdsa", "--size", "256")
    ca = write("ca.pem", "--self", "--ca", "--in", ca_key, "--dn", "C=CH, O=Test, CN=%s" % ca_cn, "--lifetime", "30")
    host_key = write("host.key", "--gen", "--type", *host_key_type)
    req = write("host.req", "--req", "--type", "priv", "--in", host_key, "--dn", "C=CH, O=Test, CN=%s" % host_cn)
    host = write("host.pem", "--issue", "--cacert", ca, "--cakey", ca_key, "--type", "pkcs10", "--in", req, *issue_args)
    return ca_key, ca, host_key, host
