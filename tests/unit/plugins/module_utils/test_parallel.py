# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""_engine/parallel.py: independent requests over several sessions, the first error stopping every lane (issue 21);
and the config action plugin's transfer file as the module reads it."""

from __future__ import annotations

import json
import threading

import pytest

from ansible_collections.strongswan.vici.plugins.module_utils._engine import parallel
from ansible_collections.strongswan.vici.plugins.module_utils._gateway.src import SourceError, read_transfer
from ansible_collections.strongswan.vici.plugins.module_utils.vici.errors import ViciCommandFailed


class FakeSession:
    opened = []

    def __init__(self, uri="unix:///fake", timeout=5.0):
        self.uri, self.timeout, self.closed = uri, timeout, False
        FakeSession.opened.append(self)

    def close(self):
        self.closed = True


def test_first_error_stops_every_lane_and_each_item_says_done_failed_or_skipped(monkeypatch):
    FakeSession.opened = []
    monkeypatch.setattr(parallel, "Session", FakeSession)
    lock = threading.Lock()
    early = set()
    all_early = threading.Event()

    def work(session, item):
        if item == 10:  # fails once every item before it was sent (bounded wait)
            all_early.wait(5.0)
            raise ViciCommandFailed("load-conn", {"success": "no", "errmsg": "refused"})
        if item < 10:
            with lock:
                early.add(item)
                if len(early) == 10:
                    all_early.set()
        return {"item": item, "session": id(session)}

    outcomes = parallel.run_parallel(FakeSession(), list(range(400)), work)
    states = [state for state, _value in outcomes]
    assert states[10] == "failed" and parallel.first_failure(outcomes) == 10
    assert "skipped" in states
    assert all(state == "done" for state in states[:10])  # lanes take every 4th item: all before 10 were sent first
    assert len({value["session"] for state, value in outcomes if state == "done"}) > 1
    assert all(extra.closed for extra in FakeSession.opened[1:]) and not FakeSession.opened[0].closed


def test_all_done_keeps_item_order_and_a_session_that_cannot_open_is_done_without(monkeypatch):
    class Refusing(FakeSession):
        def __init__(self, *args):
            raise ViciCommandFailed("connect", {"success": "no", "errmsg": "no"})

    monkeypatch.setattr(parallel, "Session", Refusing)
    outcomes = parallel.run_parallel(FakeSession(), list(range(100)), lambda session, item: item * 2)
    assert outcomes == [("done", item * 2) for item in range(100)]
    assert parallel.first_failure(outcomes) is None


def test_transfer_file_holds_tree_sections_only(tmp_path):
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"connections": {"a": {}}, "secrets": {}}))
    assert read_transfer(str(good)) == {"connections": {"a": {}}, "secrets": {}}
    for content in ({"src": "/etc/passwd"}, {"connections": "text"}, ["connections"]):
        bad = tmp_path / "bad.json"
        bad.write_text(json.dumps(content))
        with pytest.raises(SourceError, match="not one the config action wrote"):
            read_transfer(str(bad))
    with pytest.raises(SourceError, match="cannot read the tree sent by the controller"):
        read_transfer(str(tmp_path / "missing.json"))
