#!/usr/bin/env bash
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Idempotent development/CI setup for a Debian 12 or 13 machine, run as root:
#   1. the Debian packages in scripts/debian-packages.txt (everything the demo, the tests and the
#      benchmarks use), installed without recommends and without starting any daemon;
#   2. .venv/ (Python 3.11 on Debian 12, 3.13 on Debian 13) with tests/requirements.txt, skipped when a
#      stamp says it is current;
#   3. .venv-eda/ with tests/eda-requirements.txt (ansible-rulebook, for the eda stage), its own venv so that
#      its dependencies cannot move .venv's pins; skipped when its stamp says it is current;
#   4. the ansible-test get-pip stand-in ~/.ansible/test/cache/get_pip_24_2.py (no access to the host
#      ansible-test downloads it from).
# A second run with everything in place takes a second or two.
#
# Environment: PYTHON=/path/to/python3.11 to choose the interpreter; BOOTSTRAP_FORCE=1 to reinstall the venv.

set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV="$REPO/.venv"
REQUIREMENTS="$REPO/tests/requirements.txt"
STAMP="$VENV/.bootstrap-stamp"
EDA_VENV="$REPO/.venv-eda"
EDA_REQUIREMENTS="$REPO/tests/eda-requirements.txt"
GET_PIP_VERSIONS=(24_2)

PACKAGES_FILE="$REPO/scripts/debian-packages.txt"
# The first word of every line that is not a comment.
mapfile -t APT_PACKAGES < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$PACKAGES_FILE" | awk '{print $1}')

log() { printf 'bootstrap: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

pkg_installed() {
    [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" == "install ok installed" ]]
}

APT_UPDATED=0
apt_install() {
    local missing=() pkg
    for pkg in "$@"; do
        pkg_installed "$pkg" || missing+=("$pkg")
    done
    [[ ${#missing[@]} -eq 0 ]] && return 0
    [[ $(id -u) -eq 0 ]] || die "need root to install: ${missing[*]}"
    command -v apt-get >/dev/null || die "no apt-get: install by hand: ${missing[*]}"
    log "installing Debian packages: ${missing[*]}"
    # Keep maintainer scripts from starting any service (charon above all) while we install.
    local policy=/usr/sbin/policy-rc.d own_policy=0
    if [[ ! -e $policy ]]; then
        printf '#!/bin/sh\n# written by strongswan.vici scripts/bootstrap.sh for the duration of an install\nexit 101\n' >"$policy"
        chmod 0755 "$policy"
        own_policy=1
        # shellcheck disable=SC2064  # expand now: remove exactly this file even if we are interrupted
        trap "rm -f '$policy'" EXIT
    fi
    local rc=0
    {
        if [[ $APT_UPDATED -eq 0 ]]; then
            DEBIAN_FRONTEND=noninteractive timeout 600 apt-get update -q && APT_UPDATED=1
        fi
        DEBIAN_FRONTEND=noninteractive timeout 1200 apt-get install -y -q --no-install-recommends "${missing[@]}"
    } || rc=$?
    if [[ $own_policy -eq 1 ]]; then
        rm -f "$policy"
        trap - EXIT
    fi
    [[ $rc -eq 0 ]] || die "apt-get failed ($rc) installing: ${missing[*]}"
}

warn_system_charon() {
    # The tests start their own daemons with a private /run; a system charon does not disturb them, but
    # say so if a package started one. Never stop it here: we did not start it.
    local pidfile=/var/run/charon.pid pid
    [[ -r $pidfile ]] || return 0
    pid=$(tr -dc '0-9' <"$pidfile")
    [[ -n $pid && -d /proc/$pid ]] || return 0
    if [[ "$(readlink "/proc/$pid/exe" 2>/dev/null || true)" == /usr/lib/ipsec/charon ]]; then
        log "note: a charon (PID $pid, from $pidfile) is running; bootstrap did not start it and leaves it alone"
    fi
}

# ansible-core 2.19 (tests/requirements.txt) runs its controller on Python 3.11 to 3.13: Debian 12 has
# 3.11, Debian 13 has 3.13.
SUPPORTED_PYTHON='(3, 11) <= sys.version_info[:2] <= (3, 13)'

python_ok() {
    # usage: python_ok BIN -> true if BIN is a working CPython 3.11-3.13 with venv and ensurepip
    "$1" -c "import sys, venv, ensurepip; sys.exit(not ($SUPPORTED_PYTHON))" >/dev/null 2>&1
}

find_python() {
    local candidate candidates=()
    [[ -n ${PYTHON:-} ]] && candidates+=("$PYTHON")
    local pyenv_root=${PYENV_ROOT:-$HOME/.pyenv}
    if [[ -d $pyenv_root/versions ]]; then
        # newest 3.11.x first
        while IFS= read -r candidate; do
            candidates+=("$candidate")
        done < <(find "$pyenv_root/versions" -maxdepth 3 -path '*/3.11.*/bin/python3.11' 2>/dev/null | sort -rV)
    fi
    if command -v python3.11 >/dev/null 2>&1; then
        candidates+=("$(command -v python3.11)")
    fi
    candidates+=(/usr/bin/python3.11 /usr/local/bin/python3.11 /usr/bin/python3.13 /usr/bin/python3.12 /usr/bin/python3)
    for candidate in "${candidates[@]}"; do
        if [[ -x $candidate ]] && python_ok "$candidate"; then
            # resolve pyenv shims and the like to the real interpreter
            "$candidate" -c 'import sys; print(sys.executable)'
            return 0
        fi
    done
    return 1
}

setup_python() {
    if ! PY=$(find_python); then
        log "no Python 3.11-3.13 with venv found; installing Debian's"
        apt_install python3 python3-venv
        PY=$(find_python) || die "no usable Python 3.11-3.13 (with venv and ensurepip) after installing python3-venv"
    fi
}

requirements_key() {
    {
        sha256sum "$REQUIREMENTS" | cut -d' ' -f1
        "$PY" -c 'import sys; print(sys.executable, sys.version)'
        echo "bootstrap-v1"
    } | sha256sum | cut -d' ' -f1
}

setup_venv() {
    local key
    key=$(requirements_key)
    if [[ -z ${BOOTSTRAP_FORCE:-} && -x $VENV/bin/python && -r $STAMP && "$(cat "$STAMP")" == "$key" ]] \
        && "$VENV/bin/python" -c 'import ansible, pytest' >/dev/null 2>&1; then
        log ".venv is current (stamp $STAMP)"
        return 0
    fi
    if [[ -x $VENV/bin/python ]] && ! "$VENV/bin/python" -c "import sys; sys.exit(not ($SUPPORTED_PYTHON))" >/dev/null 2>&1; then
        log "recreating .venv (not a working Python 3.11-3.13 venv)"
        rm -rf "$VENV"
    fi
    if [[ ! -x $VENV/bin/python ]]; then
        log "creating .venv with $PY"
        rm -rf "$VENV"
        "$PY" -m venv "$VENV"
    fi
    log "installing $REQUIREMENTS into .venv"
    PIP_DISABLE_PIP_VERSION_CHECK=1 timeout 1200 "$VENV/bin/python" -m pip install -q -r "$REQUIREMENTS"
    echo "$key" >"$STAMP"
}

setup_eda_venv() {
    # Made with .venv's interpreter (venv takes its base Python): the same Python as the tests.
    local key stamp="$EDA_VENV/.bootstrap-stamp"
    key=$( { sha256sum "$EDA_REQUIREMENTS" | cut -d' ' -f1; "$VENV/bin/python" -c 'import sys; print(sys.version)'; } \
        | sha256sum | cut -d' ' -f1)
    if [[ -z ${BOOTSTRAP_FORCE:-} && -x $EDA_VENV/bin/ansible-rulebook && -r $stamp && "$(cat "$stamp")" == "$key" ]]; then
        log ".venv-eda is current (stamp $stamp)"
        return 0
    fi
    log "creating .venv-eda with $EDA_REQUIREMENTS"
    rm -rf "$EDA_VENV"
    "$VENV/bin/python" -m venv "$EDA_VENV"
    PIP_DISABLE_PIP_VERSION_CHECK=1 timeout 1200 "$EDA_VENV/bin/python" -m pip install -q -r "$EDA_REQUIREMENTS"
    echo "$key" >"$stamp"
}

write_get_pip_standin() {
    local cache="$HOME/.ansible/test/cache" version file
    mkdir -p "$cache"
    for version in "${GET_PIP_VERSIONS[@]}"; do
        file="$cache/get_pip_$version.py"
        [[ -s $file ]] && continue
        log "writing the ansible-test get-pip stand-in $file"
        cat >"$file.tmp" <<'PY'
"""Stand-in for get-pip.py, written by strongswan.vici scripts/bootstrap.sh.

ansible-test creates its virtual environments without pip and downloads get-pip.py
from a host that is not reachable here; it first looks for a cached copy, which is
this file. It runs pip from the wheel bundled with the standard library's ensurepip
(or Debian's /usr/share/python-wheels), so "pip install pip==X" then comes from PyPI.
"""
import glob
import os
import re
import sys

import ensurepip


def _version(path):
    match = re.search(r"pip-([0-9.]+)-", os.path.basename(path))
    return tuple(int(part) for part in match.group(1).split(".") if part.isdigit()) if match else ()


def main():
    wheels = glob.glob(os.path.join(os.path.dirname(ensurepip.__file__), "_bundled", "pip-*.whl"))
    wheels += glob.glob("/usr/share/python-wheels/pip-*.whl")
    if not wheels:
        sys.exit("get-pip stand-in: no bundled pip wheel found next to ensurepip")
    sys.path.insert(0, max(wheels, key=_version))
    from pip._internal.cli.main import main as pip_main  # pylint: disable=import-outside-toplevel

    args = [arg for arg in sys.argv[1:] if arg not in ("--no-setuptools", "--no-wheel")]
    sys.exit(pip_main(["install"] + args))


if __name__ == "__main__":
    main()
PY
        mv "$file.tmp" "$file"
    done
}

main() {
    cd "$REPO"
    apt_install "${APT_PACKAGES[@]}"
    warn_system_charon
    [[ -x /usr/lib/ipsec/charon ]] || die "/usr/lib/ipsec/charon missing after install"
    setup_python
    setup_venv
    setup_eda_venv
    write_get_pip_standin
    log "ready: $("$VENV/bin/python" -c 'import sys; from ansible.release import __version__ as v; print("Python", sys.version.split()[0], "ansible-core", v)' 2>/dev/null || true)"
}

main "$@"
