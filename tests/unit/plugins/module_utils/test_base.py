# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The shared module glue: range checks of the options in seconds, deep replies through whole modules."""

from __future__ import annotations

import functools
import importlib.util
import json

import pytest


from ansible_collections.strongswan.vici.plugins.module_utils import _base
from ansible_collections.strongswan.vici.plugins.module_utils._base import check_seconds
from ansible_collections.strongswan.vici.plugins.module_utils.vici import session as session_module
from ansible_collections.strongswan.vici.plugins.module_utils.vici.wire import decode_packet
from ansible_collections.strongswan.vici.plugins.modules import command as command_module
from ansible_collections.strongswan.vici.plugins.modules import info as info_module
from ansible_collections.strongswan.vici.plugins.modules import sa as sa_module
from ansible_collections.strongswan.vici.tests.unit.fake_vici import (
    FakeVici,
    ReadUntilEof,
    Send,
    expect_request,
    socket_path,
)
from ansible_collections.strongswan.vici.tests.unit.module_runner import run_main

if importlib.util.find_spec("pytest_timeout") is not None:
    pytestmark = pytest.mark.timeout(60)

DEEP = 100000


def deep_reply(depth=DEEP):
    """A CMD_RESPONSE with ``depth`` nested sections (3 bytes each: 300 KB for 100,000)."""
    return b"\x01" + b"\x01\x01s" * depth + b"\x03\x04leaf\x00\x01x" + b"\x02" * depth


@pytest.fixture
def fake(tmp_path):
    servers = []

    def start(*script):
        server = FakeVici(socket_path(tmp_path, "charon%d.vici" % len(servers)), script)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def run_module(module, args, capsys):
    """Run ``module.main()`` with ``args``; return its JSON result (exit or failure)."""
    return run_main(module.main, args, capsys)


# -- options in seconds --------------------------------------------------------------------------

BAD = [-1, 0.0, float("nan"), float("inf"), float("-inf"), 1e300, 1e10, 86401]


@pytest.mark.parametrize("value", BAD, ids=repr)
def test_check_seconds_names_the_option(value):
    message = check_seconds({"timeout": value}, "timeout")
    assert message.startswith("option 'timeout': timeout must be a finite number of seconds")


def test_check_seconds_accepts_good_values_and_zero_where_allowed():
    assert check_seconds({"timeout": 30.0}, "timeout") is None
    assert check_seconds({"timeout": None}, "timeout") is None
    assert check_seconds({"wait_timeout": 0.0}, "wait_timeout", allow_zero=True) is None
    assert "wait_timeout" in check_seconds({"wait_timeout": 0.0}, "wait_timeout")


@pytest.mark.parametrize("value", ["-1", "nan", "inf", "1e300", "0", "-inf"])
def test_module_fails_on_a_bad_timeout_before_connecting(tmp_path, capsys, value):
    # The socket does not exist: a message about the timeout proves the check came first.
    result = run_module(info_module, {"socket": str(tmp_path / "absent.vici"), "timeout": value}, capsys)
    assert result["failed"] is True
    assert result["msg"].startswith("option 'timeout': timeout must be"), result["msg"]
    assert "Traceback" not in json.dumps(result)


@pytest.mark.parametrize("value", ["nan", "inf", "1e300", "-1"])
def test_timeout_from_the_environment_is_checked(tmp_path, capsys, monkeypatch, value):
    monkeypatch.setenv("STRONGSWAN_VICI_TIMEOUT", value)
    result = run_module(info_module, {"socket": str(tmp_path / "absent.vici")}, capsys)
    assert result["failed"] is True
    assert result["msg"].startswith("option 'timeout'"), result["msg"]


@pytest.mark.parametrize("value", ["nan", "inf", "1e10", "-1", "-inf"])
def test_sa_wait_timeout_is_checked(tmp_path, capsys, value):
    result = run_module(sa_module, {"socket": str(tmp_path / "absent.vici"), "ike": "gw", "wait_timeout": value}, capsys)
    assert result["failed"] is True
    assert result["msg"].startswith("option 'wait_timeout': wait_timeout must be"), result["msg"]


def test_both_bad_options_are_named_at_once(tmp_path, capsys):
    result = run_module(sa_module, {"socket": str(tmp_path / "absent.vici"), "ike": "gw", "timeout": "nan",
                                    "wait_timeout": "inf"}, capsys)
    assert "option 'timeout'" in result["msg"] and "option 'wait_timeout'" in result["msg"]


def test_sa_wait_timeout_zero_is_allowed(tmp_path, capsys):
    # Zero passes the range check: the failure is the missing socket.
    result = run_module(sa_module, {"socket": str(tmp_path / "absent.vici"), "ike": "gw", "wait_timeout": 0}, capsys)
    assert not result["msg"].startswith("option")
    assert "No such file" in result["msg"]


# -- a 100,000-deep reply through whole modules ----------------------------------------------------------


def test_command_module_fails_cleanly_on_a_deep_reply(fake, capsys):
    server = fake(expect_request("version"), Send(deep_reply()))
    result = run_module(command_module, {"socket": server.uri, "command": "version"}, capsys)
    assert result["failed"] is True
    assert "nested more than 64 levels deep" in result["msg"], result["msg"]
    assert server.uri in result["msg"]


def test_info_module_fails_cleanly_on_a_deep_reply(fake, capsys):
    server = fake(expect_request("version"), Send(deep_reply()))
    result = run_module(info_module, {"socket": server.uri, "gather": ["version"]}, capsys)
    assert result["failed"] is True
    assert "nested more than 64 levels deep" in result["msg"], result["msg"]


def test_modules_fail_cleanly_even_if_the_decoder_let_it_through(fake, capsys, monkeypatch):
    """Defence in depth: with the decoder's limit off, printable's bound still gives a clear failure."""
    monkeypatch.setattr(session_module, "decode_packet", functools.partial(decode_packet, max_depth=None))
    server = fake(expect_request("version"), Send(deep_reply()), ReadUntilEof())
    result = run_module(command_module, {"socket": server.uri, "command": "version"}, capsys)
    assert result["failed"] is True
    assert result["msg"].startswith("the daemon's reply cannot be returned: the value nests more than")
    server = fake(expect_request("version"), Send(deep_reply()), ReadUntilEof())
    result = run_module(info_module, {"socket": server.uri, "gather": ["version"]}, capsys)
    assert result["msg"].startswith("the daemon's reply cannot be returned")


def test_a_reply_at_the_decoder_limit_is_returned(fake, capsys):
    server = fake(expect_request("version"), Send(deep_reply(64)), ReadUntilEof())
    result = run_module(command_module, {"socket": server.uri, "command": "version"}, capsys)
    assert not result.get("failed"), result
    node = result["response"]
    for _level in range(64):
        node = node["s"]
    assert node == {"leaf": "x"}


def test_describe_error_for_value_errors():
    error = _base.ViciValueError("timeout must be a finite number", "timeout")
    assert _base.describe_error(error, "unix:///x") == "invalid argument: timeout must be a finite number"


def test_describe_error_by_error_type_not_by_its_text(tmp_path):
    from ansible_collections.strongswan.vici.plugins.module_utils.vici.errors import ViciMessageTooLarge, ViciProtocolError
    from ansible_collections.strongswan.vici.plugins.module_utils.vici.transport import FramedSocket, parse_uri

    too_large = ViciMessageTooLarge(524289, 524288)
    assert isinstance(too_large, ViciProtocolError) and (too_large.size, too_large.limit) == (524289, 524288)
    assert _base.describe_error(too_large, "unix:///x").startswith("the request is too large to send: message of 524289")
    # A protocol error whose text happens to start the same way is the peer's fault, not a local limit.
    assert _base.describe_error(ViciProtocolError("message of the peer"), "unix:///x").startswith("VICI protocol error")
    # A URI that does not parse is the option's problem; connecting carries the parsed URI with the error.
    with pytest.raises(_base.ViciTransportError) as bad:
        parse_uri("nonsense")
    assert _base.describe_error(bad.value, "nonsense") == "socket: %s" % bad.value
    missing = str(tmp_path / "absent.vici")
    with pytest.raises(_base.ViciTransportError) as refused:
        FramedSocket.connect("unix://" + missing, 1)
    assert refused.value.endpoint == parse_uri("unix://" + missing)
    assert "No socket at '%s'" % missing in _base.describe_error(refused.value, "unix://" + missing)


def _echo_main(**flags):
    """A module whose 'tree' option is no_log and whose result echoes it, with a message that names a value."""
    def main():
        module = _base.ViciModule({"tree": {"type": "dict", "no_log": True}}, **flags)
        module.exit(echo=module.params["tree"], note="the key is s3cret-and-long")
    return main


def _mask_tree(params, options):
    # What config's mask_arguments does, in small: the secret key masked, its value returned to keep out of text.
    tree = params.get("tree") or {}
    return {"tree": dict(tree, secret=_base.MASK)}, [str(tree.get("secret"))]


def test_without_the_flag_every_value_of_a_no_log_option_is_masked_in_the_result(capsys):
    tree = {"name": "branch", "secret": "s3cret-and-long"}
    result = run_main(_echo_main(), {"tree": tree}, capsys)
    assert result["echo"] == {"name": "********", "secret": "********"}
    assert result["invocation"]["module_args"]["tree"] == "********"


def test_masked_results_leaves_the_result_to_the_module_and_scrubs_its_texts(capsys):
    tree = {"name": "branch", "secret": "s3cret-and-long"}
    result = run_main(_echo_main(mask_arguments=_mask_tree, masked_results=True), {"tree": tree}, capsys)
    assert result["echo"] == tree  # the module masks where it builds its results; Ansible matches nothing
    assert result["note"] == "the key is ********"
    assert result["invocation"]["module_args"]["tree"] == {"name": "branch", "secret": "********"}
