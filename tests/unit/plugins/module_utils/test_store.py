# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The trusted file store under the ledger and the persist record: faults as enums, one atomic writer."""

from __future__ import annotations

import os
import stat

import pytest

from ansible_collections.strongswan.vici.plugins.module_utils._engine import store
from ansible_collections.strongswan.vici.plugins.module_utils._engine.store import DirectoryFault, FileFault, read_trusted


def test_replace_file_is_private_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "f.json"
    target.write_text("old")
    os.chmod(str(target), 0o644)
    store.replace_file(str(target), b"new")
    assert target.read_bytes() == b"new" and stat.S_IMODE(os.stat(str(target)).st_mode) == 0o600
    assert sorted(os.listdir(str(tmp_path))) == ["f.json"]
    with pytest.raises(store.CannotCreate):
        store.replace_file(str(tmp_path / "missing" / "f.json"), b"x")


def test_read_trusted_faults(tmp_path):
    path = tmp_path / "f"
    assert read_trusted(str(path)) == store.Reading(None)
    path.write_bytes(b"12345")
    os.chmod(str(path), 0o600)
    assert read_trusted(str(path)).data == b"12345"
    assert read_trusted(str(path), limit=5).data == b"12345"
    assert read_trusted(str(path), limit=4).fault is FileFault.TOO_LARGE
    os.chmod(str(path), 0o640)
    untouched = read_trusted(str(path), tighten=False)
    assert untouched.data == b"12345" and untouched.loosened is None and stat.S_IMODE(os.stat(str(path)).st_mode) == 0o640
    tightened = read_trusted(str(path))
    assert tightened.loosened == 0o640 and stat.S_IMODE(os.stat(str(path)).st_mode) == 0o600
    os.chmod(str(path), 0o620)
    shared = read_trusted(str(path))
    assert shared.data is None and shared.fault is FileFault.SHARED and shared.mode == 0o620
    link = tmp_path / "link"
    link.symlink_to(path)
    assert read_trusted(str(link)).fault is FileFault.SYMLINK
    assert read_trusted(str(tmp_path)).fault is FileFault.NOT_REGULAR


def test_directory_faults_are_enums(tmp_path):
    assert store.directory_problem(str(tmp_path / "none")).fault is DirectoryFault.UNUSABLE
    (tmp_path / "file").write_text("")
    assert store.directory_problem(str(tmp_path / "file")).fault is DirectoryFault.NOT_A_DIRECTORY
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(str(shared), 0o777)
    problem = store.prepare_directory(str(shared), fix_mode=False)
    assert problem.fault is DirectoryFault.SHARED and str(problem) == "writable by group or others (mode 0777)"
    assert store.prepare_directory(str(shared), fix_mode=True) is None
    assert stat.S_IMODE(os.stat(str(shared)).st_mode) == 0o700
