# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every plugin and program the project uses comes from a package that bootstrap installs.

A machine where someone installed a package by hand passes every other test; this one
fails there too, because it asks dpkg which package owns each plugin file and program
and looks for that package in scripts/debian-packages.txt, the list bootstrap installs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MANIFEST = REPO / "scripts" / "debian-packages.txt"
sys.path.insert(0, str(REPO / "tests" / "integration" / "targets" / "setup_charon" / "files"))

import charon_harness  # noqa: E402  pylint: disable=wrong-import-position

pytestmark = pytest.mark.skipif(shutil.which("dpkg") is None, reason="not a Debian machine: no dpkg")


def manifest_packages():
    packages = []
    for line in MANIFEST.read_text(encoding="utf-8").splitlines():
        words = line.split("#", 1)[0].split()
        if words:
            packages.append(words[0])
    return packages


def owner(path, root=None):
    """The package that ships PATH according to dpkg (in ROOT if given), trying /usr-merged spellings."""
    real = os.path.realpath(path)
    candidates = [path, real]
    for spelling in (path, real):
        if spelling.startswith("/usr/"):
            candidates.append(spelling[4:])
        else:
            candidates.append("/usr" + spelling)
    prefix = ["chroot", root] if root else []
    for candidate in dict.fromkeys(candidates):
        result = subprocess.run(prefix + ["dpkg", "-S", candidate], capture_output=True, text=True, check=False,
                                timeout=60)
        if result.returncode == 0:
            return result.stdout.split(":", 1)[0].strip()
    return None


def test_manifest_is_what_bootstrap_installs():
    text = (REPO / "scripts" / "bootstrap.sh").read_text(encoding="utf-8")
    assert "debian-packages.txt" in text and "APT_PACKAGES" in text
    packages = manifest_packages()
    assert len(packages) == len(set(packages)), "a package is listed twice"
    assert {"strongswan-charon", "libstrongswan-standard-plugins", "libcharon-extauth-plugins", "netbase",
            "openssh-client"} <= set(packages)


def test_every_plugin_comes_from_a_bootstrap_package():
    version = charon_harness.charon_version()
    table = charon_harness.PLUGIN_PACKAGES[version[0]]
    manifest = set(manifest_packages())
    wrong = []
    for plugin, package in sorted(table.items()):
        path = "%s/libstrongswan-%s.so" % (charon_harness.PLUGIN_DIR, plugin)
        actual = owner(path)
        if actual != package or actual not in manifest:
            wrong.append("%s: dpkg says %s, the harness says %s, bootstrap installs it: %s"
                         % (plugin, actual, package, actual in manifest))
    assert not wrong, "\n".join(wrong)
    assert set(charon_harness.DEFAULT_PLUGINS) <= set(table)


def test_every_program_comes_from_a_bootstrap_package():
    manifest = set(manifest_packages())
    wrong = []
    for program, package in sorted(charon_harness.PROGRAM_PACKAGES.items()):
        path = charon_harness.CHARON_BIN if program == "charon" else shutil.which(program)
        actual = owner(path) if path else None
        if actual != package or actual not in manifest:
            wrong.append("%s (%s): dpkg says %s, expected %s, bootstrap installs it: %s"
                         % (program, path, actual, package, actual in manifest))
    assert not wrong, "\n".join(wrong)


def test_strongswan6_root_has_every_plugin():
    """The Debian 13 root of the strongSwan 6 stage, when it is there, ships the same plugins."""
    root = os.environ.get(charon_harness.CHARON_ROOT_ENV) or "/var/cache/strongswan-vici/trixie-root"
    if not os.path.exists(os.path.join(root, charon_harness.CHARON_BIN.lstrip("/"))):
        pytest.skip("no strongSwan 6 root at %s (scripts/strongswan6_root.sh makes it)" % root)
    version = charon_harness.charon_version(root)
    table = charon_harness.PLUGIN_PACKAGES[version[0]]
    manifest = set(manifest_packages())
    wrong = [plugin for plugin, package in table.items()
             if owner("%s/libstrongswan-%s.so" % (charon_harness.PLUGIN_DIR, plugin), root) != package
             or package not in manifest]
    assert not wrong, wrong


def test_missing_plugin_names_plugin_and_package(tmp_path):
    (tmp_path / charon_harness.PLUGIN_DIR.lstrip("/")).mkdir(parents=True)
    problem = charon_harness.plugin_problem(("openssl", "gcm"), (5, 9, 8), root=str(tmp_path))
    assert "openssl, gcm" in problem and "gcm from libstrongswan-standard-plugins" in problem
    assert "apt-get install libstrongswan-standard-plugins" in problem
    problem = charon_harness.plugin_problem(("openssl",), (6, 0, 1), root=str(tmp_path))
    assert "openssl from libstrongswan " in problem
    assert "not in PLUGIN_PACKAGES" in charon_harness.plugin_problem(("nosuch",), (5, 9, 8))
    assert "no plugin packages" in charon_harness.plugin_problem(("aes",), (7, 0, 0))
