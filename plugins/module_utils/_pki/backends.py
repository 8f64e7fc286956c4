# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Ciphers on the managed host: the Python ``cryptography`` package, else the ``openssl`` command. PRIVATE to the collection.

The standard library has no cipher, and encrypted keys and PKCS#12
containers need one. Each user (:mod:`.decrypt`, :mod:`.pkcs12`) tries the
``cryptography`` package first, in process, then the ``openssl`` command,
to which the passphrase travels through a pipe: never argv (``ps``) or the
environment (``/proc/PID/environ``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from typing import Callable, List, Optional, Sequence, Tuple, Type, TypeVar

Result = TypeVar("Result")
Backend = Callable[[bytes, bytes], Result]

INSTALL_HINT = "on Debian: apt install python3-cryptography, or openssl"


class Unavailable(Exception):
    """A backend is not installed on this host; the message names it."""


def openssl_command() -> str:
    """The path of the ``openssl`` command."""
    binary = shutil.which("openssl")
    if binary is None:
        raise Unavailable("the 'openssl' command")
    return binary


def run_openssl(binary: str, args: Sequence[str], data: bytes, passphrase: bytes,
                timeout: float) -> "subprocess.CompletedProcess[bytes]":
    """``openssl <args[0]> -passin fd:N <args[1:]>`` with ``data`` on stdin and the passphrase in a pipe."""
    read_end, write_end = os.pipe()
    try:
        with os.fdopen(write_end, "wb") as writer:
            write_end = -1
            writer.write(passphrase + b"\n")
        argv = [binary, args[0], "-passin", "fd:%d" % read_end] + list(args[1:])
        return subprocess.run(argv, input=data, capture_output=True, timeout=timeout,  # nosec - fixed argv, no shell
                              pass_fds=(read_end,), check=False)
    finally:
        os.close(read_end)
        if write_end != -1:
            os.close(write_end)


def first_available(
    candidates: Sequence[Tuple[str, Backend[Result]]],
    wanted: Optional[Sequence[str]],
    data: bytes,
    secret: bytes,
    action: str,
    error: Type[Exception],
    fall_through: Tuple[Type[Exception], ...] = (),
) -> Result:
    """What the first installed backend of ``candidates`` (by name, if ``wanted``) makes of ``data``.

    An error of a ``fall_through`` type lets the next backend try; it is raised when none succeeds.
    With no backend installed, ``error`` says that ``action`` needs one.
    """
    missing: List[str] = []
    refused: Optional[Exception] = None
    for name, backend in candidates:
        if wanted is not None and name not in wanted:
            continue
        try:
            return backend(data, secret)
        except Unavailable as reason:
            missing.append(str(reason))
        except fall_through as reason:
            refused = refused or reason
    if refused is not None:
        raise refused
    raise error("%s on the managed host needs %s; neither is installed (%s)" % (action, " or ".join(missing), INSTALL_HINT))
