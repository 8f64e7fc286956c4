#!/usr/bin/env bash
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# make demo: start a throwaway charon (private socket, own /run, loopback only), run demo/site.yml
# against it with this collection, then stop the daemon by its recorded PID and remove its directory,
# also on failure or Ctrl-C. Needs `make setup` first (the Makefile's demo target runs it).

set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV="$REPO/.venv"
PY="$VENV/bin/python"
HARNESS="$REPO/tests/integration/targets/setup_charon/files/charon_harness.py"

[[ -x $VENV/bin/ansible-playbook ]] || { echo "demo: run 'make setup' first" >&2; exit 1; }

collection=$(bash "$REPO/scripts/stage_collection.sh")
collections_path=$(cd "$collection/../../.." && pwd)

workdir=$(mktemp -d /tmp/svici-demo-XXXXXX)
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    "$PY" "$HARNESS" stop --workdir "$workdir" >/dev/null 2>&1 || echo "demo: stopping charon failed, see $workdir" >&2
    if [[ $rc -eq 0 ]]; then
        rm -rf "$workdir"
    else
        echo "demo: failed (exit $rc); the daemon's log was:" >&2
        tail -n 20 "$workdir/charon.log" >&2 2>/dev/null || true
        rm -rf "$workdir"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "demo: starting a throwaway charon in $workdir"
info=$("$PY" "$HARNESS" start --workdir "$workdir")
socket=$("$PY" -c 'import json, sys; print(json.load(sys.stdin)["socket"])' <<<"$info")
echo "demo: charon answers on $socket"

cd "$REPO/demo"
ANSIBLE_COLLECTIONS_PATH="$collections_path" \
    "$VENV/bin/ansible-playbook" -i inventory.ini site.yml -e "vici_socket=$socket" "$@"
