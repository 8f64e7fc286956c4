# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Which module_utils files one ``config`` run walks through, from ``ViciModule.run`` down to ``vici/transport``.

The ``config`` module runs in this process with one connection (tests/unit's CONFIG) against the fake
daemon of the unit tests (tests/unit/plugins/modules/fake_charon.py on a FakeVici socket), under
``sys.setprofile``. From the call of ``ViciModule.run`` (``_base.py``) until it returns, every Python call
from another file into a file under plugins/module_utils/ is an *entry* into that file (calls inside one
file, and returns to a caller, are not); consecutive entries into the same file are one. The VICI client
(``vici/``) is the floor: a call into it goes to the wire and comes back, is counted apart and not
followed, and does not take its caller out of its file. The output is that sequence (paths relative to
module_utils), then the calls into the floor and two numbers:

    distinct files: N      how many different files the run enters
    re-entries: M          entries into a file the run had already entered and left

``--check`` exits 1 when either number is over the limits of issue 15 (10 and 10).
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

MAX_FILES = 10
MAX_REENTRIES = 10
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


class Tracer:
    """A profile function: the module_utils files entered while ViciModule.run is on the stack."""

    def __init__(self):
        self.sequence = []
        self.requests = 0
        self.run_frame = None
        self.bottom_frame = None

    def __call__(self, frame, event, _arg):
        if event == "return":
            if frame is self.bottom_frame:
                self.bottom_frame = None
            elif frame is self.run_frame:
                self.run_frame = None
            return
        if event != "call" or self.bottom_frame is not None:
            return
        name = relative(frame.f_code.co_filename)
        if name is None:
            return
        if self.run_frame is None:
            if (name, frame.f_code.co_name) == START:
                self.run_frame = frame
                self.enter(name)
            return
        caller = relative(frame.f_back.f_code.co_filename) if frame.f_back is not None else None
        if name.startswith(FLOOR):
            # The client is the floor: a request goes to the wire and comes back; nothing below is followed,
            # and the round trip does not take the caller out of its file.
            self.bottom_frame = frame
            self.requests += 1
            return
        if name == caller:
            return  # a call inside one file is not an entry
        self.enter(name)

    def enter(self, name):
        if not self.sequence or self.sequence[-1] != name:
            self.sequence.append(name)


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
    print("calls into vici/ (the floor): %d" % tracer.requests)
    print("distinct files: %d" % files)
    print("re-entries: %d" % reentries)
    if options.check and (files > MAX_FILES or reentries > MAX_REENTRIES):
        print("over the limits: at most %d distinct files and %d re-entries" % (MAX_FILES, MAX_REENTRIES))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
