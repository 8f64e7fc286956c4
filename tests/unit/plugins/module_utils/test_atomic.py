# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one atomic writer (_files/atomic.py): the final mode from creation, the old file intact on every failure."""

from __future__ import annotations

import errno
import os
import stat

import pytest

from ansible_collections.strongswan.vici.plugins.module_utils._files import atomic

REAL_WRITE = os.write


def _mode(path):
    return stat.S_IMODE(os.stat(str(path)).st_mode)


@pytest.fixture
def old_file(tmp_path):
    target = tmp_path / "f.conf"
    target.write_bytes(b"old content")
    os.chmod(str(target), 0o640)
    return target


@pytest.mark.parametrize("mode", [0o600, 0o644])
def test_the_file_is_replaced_with_the_mode_asked_for_whatever_the_umask(old_file, mode):
    previous = os.umask(0o077)
    try:
        atomic.replace_file(str(old_file), b"new content", mode)
    finally:
        os.umask(previous)
    assert old_file.read_bytes() == b"new content" and _mode(old_file) == mode
    assert os.listdir(str(old_file.parent)) == ["f.conf"]


@pytest.mark.parametrize("mode", [0o600, 0o644])
def test_the_temporary_file_has_the_final_mode_before_its_first_byte(old_file, monkeypatch, mode):
    seen = []

    def write(handle, data):
        seen.append(stat.S_IMODE(os.fstat(handle).st_mode))
        return REAL_WRITE(handle, data)

    monkeypatch.setattr(atomic.os, "write", write)
    previous = os.umask(0o277)  # a umask that would leave the new file unwritable 0400
    try:
        atomic.replace_file(str(old_file), b"secret", mode)
    finally:
        os.umask(previous)
    assert seen and set(seen) == {mode}
    assert old_file.read_bytes() == b"secret"


def test_partial_writes_are_continued(old_file, monkeypatch):
    monkeypatch.setattr(atomic.os, "write", lambda handle, data: REAL_WRITE(handle, bytes(data[:3])))
    atomic.replace_file(str(old_file), b"0123456789", 0o600)
    assert old_file.read_bytes() == b"0123456789"


def test_a_write_that_fails_midway_leaves_the_old_file_and_no_temporary(old_file, monkeypatch):
    calls = []

    def write(handle, data):
        calls.append(len(data))
        if len(calls) > 1:
            raise OSError(errno.ENOSPC, "No space left on device")
        return REAL_WRITE(handle, bytes(data[:4]))

    monkeypatch.setattr(atomic.os, "write", write)
    with pytest.raises(OSError) as raised:
        atomic.replace_file(str(old_file), b"new content", 0o600)
    assert raised.value.errno == errno.ENOSPC and not isinstance(raised.value, atomic.CannotCreate)
    assert old_file.read_bytes() == b"old content" and _mode(old_file) == 0o640
    assert os.listdir(str(old_file.parent)) == ["f.conf"]


def test_an_interruption_while_writing_leaves_no_temporary(old_file, monkeypatch):
    def write(handle, data):
        raise KeyboardInterrupt

    monkeypatch.setattr(atomic.os, "write", write)
    with pytest.raises(KeyboardInterrupt):
        atomic.replace_file(str(old_file), b"new content", 0o600)
    assert os.listdir(str(old_file.parent)) == ["f.conf"]


@pytest.mark.parametrize("step, code", [("fchmod", errno.EPERM), ("fsync", errno.EIO), ("replace", errno.EXDEV)])
def test_a_failing_step_leaves_the_old_file_and_no_temporary(old_file, monkeypatch, step, code):
    def fail(*args):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(atomic.os, step, fail)
    with pytest.raises(OSError) as raised:
        atomic.replace_file(str(old_file), b"new content", 0o644)
    assert raised.value.errno == code and not isinstance(raised.value, atomic.CannotCreate)
    assert old_file.read_bytes() == b"old content" and _mode(old_file) == 0o640
    assert os.listdir(str(old_file.parent)) == ["f.conf"]


def test_a_directory_that_refuses_a_new_file_is_cannot_create(tmp_path):
    with pytest.raises(atomic.CannotCreate) as raised:
        atomic.replace_file(str(tmp_path / "missing" / "f.conf"), b"x", 0o600)
    assert raised.value.errno == errno.ENOENT
    assert os.listdir(str(tmp_path)) == []


def test_a_name_taken_already_is_drawn_again(old_file, monkeypatch):
    tokens = iter(["taken", "free"])
    monkeypatch.setattr(atomic.secrets, "token_hex", lambda size: next(tokens))
    (old_file.parent / ".f.conf.taken").write_bytes(b"someone else's")
    atomic.replace_file(str(old_file), b"new content", 0o600)
    assert old_file.read_bytes() == b"new content"
    assert (old_file.parent / ".f.conf.taken").read_bytes() == b"someone else's"
    assert sorted(os.listdir(str(old_file.parent))) == [".f.conf.taken", "f.conf"]


def test_the_temporary_is_never_created_through_a_symbolic_link(old_file, monkeypatch):
    victim = old_file.parent / "victim"
    victim.write_bytes(b"untouched")
    (old_file.parent / ".f.conf.planted").symlink_to(victim)
    tokens = iter(["planted", "free"])
    monkeypatch.setattr(atomic.secrets, "token_hex", lambda size: next(tokens))
    atomic.replace_file(str(old_file), b"new content", 0o600)
    assert victim.read_bytes() == b"untouched" and old_file.read_bytes() == b"new content"


def test_write_then_discard_changes_nothing(old_file):
    temporary = atomic.write_temporary(str(old_file), b"staged", 0o600)
    assert os.path.dirname(temporary) == str(old_file.parent) and _mode(temporary) == 0o600
    atomic.discard_temporary(temporary)
    atomic.discard_temporary(temporary)  # gone already is fine
    assert old_file.read_bytes() == b"old content"
    assert os.listdir(str(old_file.parent)) == ["f.conf"]


def test_write_then_commit_replaces_the_file(old_file):
    temporary = atomic.write_temporary(str(old_file), b"staged", 0o600)
    atomic.commit_temporary(temporary, str(old_file))
    assert old_file.read_bytes() == b"staged" and _mode(old_file) == 0o600
    assert os.listdir(str(old_file.parent)) == ["f.conf"]
