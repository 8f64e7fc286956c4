# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Which module_utils files the ``connections`` option of one ``config`` run passes through, task to wire.

The ``config`` module runs in this process with one connection (tests/unit's CONFIG) against the fake
daemon of the unit tests (tests/unit/plugins/modules/fake_charon.py on a FakeVici socket), under
``sys.setprofile``. The tracer follows the option's data: the ``connections`` value of the module's
arguments, and every container a call that was handed followed data returns (the canonical message, its
Item, the Change planned for it, the group, ...). A call handed followed data, directly or inside a
container up to two levels deep, is a step of the path; the path *enters* a file when a step happens in
another file than the step before. The VICI client (``vici/``) is the floor: a step into it is the wire,
counted apart and not followed.

The output is the path (files relative to module_utils), then the steps that reached the wire and two
numbers:

    distinct files: N      how many different files the option passes through
    re-entries: M          entries into a file the option had already passed through and left

and, for information, the same two numbers for every call from one module_utils file into another (the
whole run, not only the option's path).

``--check`` exits 1 when either number of the path is over the limits (15 files and 16 re-entries: issue 15 set
10 and 10 at 9 files and 7 re-entries; the release-dependent value checks of issue 17 added _swanctl/values.py,
a leaf that the connection's preflight consults, and the local limit check a second trip to the wire; issue 19
added the SA step after the apply, _operations/tunnels.py and its intent.py, which read the connections'
children and peers to decide what a change does to their SAs, and a trip back into _kinds/connection.py before
the apply for the names of the connections whose SAs to read first (13 and 11); issue 21 the unchanged-rerun
shortcut, _gateway/shortcut.py, entered first (can the run end at once?) and last (the record for the next run,
which asks _kinds/connection.py whether a child starts by itself and _engine/plan.py for the objects' labels), and
issue 19 the PSK proof, _kinds/psk_proof.py, consulted while planning for the PSKs a run changes (15 and 15); the record then reuses the entry fingerprints
the run made instead of computing them again, so the annex written through _engine/ledger.py carries the option's
data: one more entry (15 and 16)).
``--root DIR`` traces another checkout (for a "before" figure), e.g. ``git worktree add /tmp/old <commit>``:
DIR is made importable as ansible_collections.strongswan.vici. The default is the tree this file is in.

    python tests/tools/callchain.py [--root DIR] [--check]
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import json
import os
import shutil
import sys
import tempfile

MAX_FILES = 15
MAX_REENTRIES = 16
MARK = "/plugins/module_utils/"
START = ("_base.py", "run")
#: The VICI client: a call into it is the wire, and nothing below it is followed.
FLOOR = "vici/"


def importable(root):
    """Put ROOT on sys.path as ansible_collections.strongswan.vici; return a directory to remove, or None."""
    root = os.path.realpath(root)
    parts = root.split(os.sep)
    if parts[-3:] == ["ansible_collections", "strongswan", "vici"]:
        sys.path.insert(0, os.sep.join(parts[:-3]))
        return None
    top = tempfile.mkdtemp(prefix="callchain-")
    os.makedirs(os.path.join(top, "ansible_collections", "strongswan"))
    os.symlink(root, os.path.join(top, "ansible_collections", "strongswan", "vici"))
    sys.path.insert(0, top)
    return top


def relative(filename):
    """FILENAME relative to plugins/module_utils/, or None outside it."""
    filename = filename.replace(os.sep, "/")
    index = filename.rfind(MARK)
    return None if index < 0 else filename[index + len(MARK):]


#: What the tracer follows: containers (a string or a number alone says nothing of where it came from).
CONTAINERS = (dict, list, tuple, set, frozenset)


class Tracer:
    """A profile function: the path of the connections option, and every cross-file call, during ViciModule.run."""

    def __init__(self):
        self.sequence = []  # the option's path
        self.calls = []  # every call from one module_utils file into another
        self.wire = 0  # steps of the path into vici/
        self.run_frame = None
        self.floor_frame = None
        self.followed = set()  # ids of the containers that carry the option's data
        self.alive = []  # ... kept alive, so that an id is never reused while the run lasts
        self.steps = set()  # ids of the frames that are steps of the path (their results are followed)

    def follow(self, value, depth=0):
        if depth > 6 or not isinstance(value, CONTAINERS) or id(value) in self.followed:
            return
        self.followed.add(id(value))
        self.alive.append(value)
        for item in list(value.values() if isinstance(value, dict) else value):
            self.follow(item, depth + 1)

    def carries(self, value, depth=0):
        if not isinstance(value, CONTAINERS):
            return False
        if id(value) in self.followed:
            return True
        if depth >= 2:
            return False
        return any(self.carries(item, depth + 1) for item in list(value.values() if isinstance(value, dict) else value)[:64])

    def __call__(self, frame, event, arg):
        if event == "return":
            self.returned(frame, arg)
        elif event == "call" and self.floor_frame is None:
            self.called(frame)

    def returned(self, frame, value):
        if frame is self.floor_frame:
            self.floor_frame = None
        elif frame is self.run_frame:
            self.run_frame = None
        elif id(frame) in self.steps:
            self.steps.discard(id(frame))
            self.follow(value)

    def called(self, frame):
        name = relative(frame.f_code.co_filename)
        if name is None:
            return
        if self.run_frame is None:
            if (name, frame.f_code.co_name) == START:
                self.run_frame = frame
                self.follow(frame.f_locals["self"].params.get("connections"))
                self.enter(self.sequence, name)
                self.enter(self.calls, name)
            return
        caller = relative(frame.f_back.f_code.co_filename) if frame.f_back is not None else None
        code = frame.f_code
        arguments = [frame.f_locals.get(argument) for argument in code.co_varnames[:code.co_argcount + code.co_kwonlyargcount]]
        step = any(self.carries(argument) for argument in arguments)
        if name.startswith(FLOOR):
            # The client is the floor: nothing below it is followed.
            self.floor_frame = frame
            self.wire += int(step)
            return
        if caller != name:
            self.enter(self.calls, name)
        if step:
            self.steps.add(id(frame))
            self.enter(self.sequence, name)

    @staticmethod
    def enter(sequence, name):
        if not sequence or sequence[-1] != name:
            sequence.append(name)


def counts(sequence):
    """(distinct files, re-entries of a file already left) of a collapsed sequence."""
    return len(set(sequence)), len(sequence) - len(set(sequence))


def run_config(collection):
    """Run the config module with one connection against the fake daemon; return (result, tracer)."""
    fake_vici = importlib.import_module(collection + ".tests.unit.fake_vici")
    fake_charon = importlib.import_module(collection + ".tests.unit.plugins.modules.fake_charon")
    connection_config = importlib.import_module(collection + ".tests.unit.plugins.modules.connection_config")
    config = importlib.import_module(collection + ".plugins.modules.config")
    from ansible.module_utils.testing import patch_module_args  # pylint: disable=import-outside-toplevel

    tracer = Tracer()
    with tempfile.TemporaryDirectory(prefix="callchain-") as tmp:
        # The ledger of this run goes to its own directory, as in the module unit tests.
        os.environ["STRONGSWAN_VICI_LEDGER_DIR"] = os.path.join(tmp, "ledger")
        model = fake_charon.FakeCharon()
        server = fake_vici.FakeVici(fake_vici.socket_path(tmp), handler=model)
        args = {"socket": server.uri, "connections": {"gw": connection_config.CONFIG}, "swanctl_dir": tmp}
        out = io.StringIO()
        try:
            with patch_module_args(args), contextlib.redirect_stdout(out):
                sys.setprofile(tracer)
                try:
                    config.main()
                except SystemExit:
                    pass
                finally:
                    sys.setprofile(None)
        finally:
            server.stop()
    return json.loads(out.getvalue()), tracer


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--root", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."),
                        help="the collection's checkout to trace (default: the one this file is in)")
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if over %d distinct files or %d re-entries" % (MAX_FILES, MAX_REENTRIES))
    options = parser.parse_args(argv)
    top = importable(options.root)
    try:
        result, tracer = run_config("ansible_collections.strongswan.vici")
    finally:
        if top:
            shutil.rmtree(top)  # the symlink to ROOT goes, not ROOT
    if result.get("failed") or not result.get("changed"):
        sys.stderr.write("callchain: the config run did not load the connection: %s\n" % result.get("msg", result))
        return 2
    files, reentries = counts(tracer.sequence)
    for name in tracer.sequence:
        print(name)
    print("steps into vici/ (the wire): %d" % tracer.wire)
    print("distinct files: %d" % files)
    print("re-entries: %d" % reentries)
    print("every cross-file call of the run: %d distinct files, %d re-entries" % counts(tracer.calls))
    if options.check and (files > MAX_FILES or reentries > MAX_REENTRIES):
        print("over the limits: at most %d distinct files and %d re-entries" % (MAX_FILES, MAX_REENTRIES))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
