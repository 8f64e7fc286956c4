# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run a module in a child process and capture what ansible-core logs for it: syslog or the journal.

ansible-core's AnsibleModule logs every invocation ("Invoked with ...") through the
journal when python-systemd is installed, else through libc's syslog(), which writes
datagrams to /dev/log. This machine has neither a journal nor a syslog daemon, so the
child runs in a private mount namespace (``unshare --mount``) in which /dev is a tmpfs
of symlinks to the real device nodes plus ``log``, a link to a Unix datagram socket this
process listens on. Nothing outside the namespace sees the socket; the host's /dev is
untouched.

The journal path (:func:`run_journaled`) is ansible-core's own code too: python-systemd
is not installed here, so the child gets a stand-in ``systemd`` package (``daemon.booted()``
true, ``journal.send``/``sendv`` appending each call's fields as a JSON line to a file).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from typing import Any, Dict, List, Tuple

# $1: the work directory; the rest: the command.
_WRAPPER = (
    'mount --rbind /dev "$1/olddev" && mount -t tmpfs -o mode=755 tmpfs /dev && '
    'for e in "$1"/olddev/*; do ln -s "$e" "/dev/${e##*/}"; done && '
    'ln -s "$1/log.sock" /dev/log && shift && exec "$@"'
)

_RUNNER = r"""
import contextlib, importlib, io, json, sys
sys.path.insert(0, sys.argv[1])
from ansible.module_utils.testing import patch_module_args
args = json.loads(sys.argv[3])
module = importlib.import_module("ansible_collections.strongswan.vici.plugins.modules." + sys.argv[2])
out = io.StringIO()
with patch_module_args(args), contextlib.redirect_stdout(out):
    try:
        module.main()
    except SystemExit:
        pass
sys.stdout.write(out.getvalue())
"""


def available() -> bool:
    """True when this process may make mount namespaces (root, unshare present)."""
    return os.geteuid() == 0 and shutil.which("unshare") is not None


def run_logged(collections_path: str, name: str, args: Dict[str, Any], check: bool = False,
               timeout: float = 60) -> Tuple[Dict[str, Any], List[str]]:
    """Run module ``name`` with ``args`` in a child; return (its result, the syslog lines it sent)."""
    module_args = dict(args)
    module_args.update({"_ansible_check_mode": check})
    with tempfile.TemporaryDirectory(prefix="svici-log-", dir="/tmp") as work:
        os.mkdir(os.path.join(work, "olddev"))
        path = os.path.join(work, "log.sock")
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            listener.bind(path)
            os.chmod(path, 0o666)
            proc = subprocess.run(
                ["unshare", "--mount", "--propagation", "private", "sh", "-c", _WRAPPER, "sh", work,
                 sys.executable, "-c", _RUNNER, collections_path, name, json.dumps(module_args)],
                capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL, check=False,
            )
            listener.setblocking(False)
            lines = []
            for _attempt in range(10000):  # bounded: far more than one module run logs
                try:
                    lines.append(listener.recv(1 << 20).decode("utf-8", "backslashreplace"))
                except BlockingIOError:
                    break
        finally:
            listener.close()
    if proc.returncode != 0 or not proc.stdout.strip():
        raise AssertionError("the module run failed: rc=%d stderr=%s" % (proc.returncode, proc.stderr[-2000:]))
    return json.loads(proc.stdout), lines


_FAKE_SYSTEMD = {
    "__init__.py": "",
    "daemon.py": "def booted():\n    return True\n",
    "journal.py": (
        "import json, os\n"
        "def send(**fields):\n"
        "    with open(os.environ['FAKE_JOURNAL'], 'a', encoding='utf-8') as out:\n"
        "        out.write(json.dumps(fields) + '\\n')\n"
        "def sendv(*lines):\n"
        "    send(**dict(line.split('=', 1) for line in lines))\n"
    ),
}


def run_journaled(collections_path: str, name: str, args: Dict[str, Any], check: bool = False,
                  timeout: float = 60) -> Tuple[Dict[str, Any], List[Dict[str, Any]]]:
    """Run module ``name`` in a child whose ansible-core logs to the journal; return (result, journal entries)."""
    module_args = dict(args)
    module_args.update({"_ansible_check_mode": check})
    with tempfile.TemporaryDirectory(prefix="svici-journal-", dir="/tmp") as work:
        package = os.path.join(work, "systemd")
        os.mkdir(package)
        for file_name, text in _FAKE_SYSTEMD.items():
            with open(os.path.join(package, file_name), "w", encoding="utf-8") as handle:
                handle.write(text)
        journal = os.path.join(work, "journal.jsonl")
        env = dict(os.environ, FAKE_JOURNAL=journal, PYTHONPATH=work)
        proc = subprocess.run([sys.executable, "-c", _RUNNER, collections_path, name, json.dumps(module_args)],
                              capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL, check=False,
                              env=env)
        entries = []
        if os.path.exists(journal):
            with open(journal, encoding="utf-8") as handle:
                entries = [json.loads(line) for line in handle if line.strip()]
    if proc.returncode != 0 or not proc.stdout.strip():
        raise AssertionError("the module run failed: rc=%d stderr=%s" % (proc.returncode, proc.stderr[-2000:]))
    return json.loads(proc.stdout), entries
