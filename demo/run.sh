#!/usr/bin/env bash
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# make demo: two network namespaces joined by a veth pair with a throwaway charon in each
# (demo/lab.py), a site-to-site VPN between them provisioned by demo/site.yml with this
# collection only, traffic through it, then everything removed: the daemons are stopped by their
# recorded PIDs and the namespaces deleted, also on failure or Ctrl-C. Needs root and `make setup`
# (the Makefile's demo target runs it). Extra arguments go to ansible-playbook.

set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV="$REPO/.venv"
PY="$VENV/bin/python"
LAB="$REPO/demo/lab.py"

[[ -x $VENV/bin/ansible-playbook ]] || { echo "demo: run 'make setup' first" >&2; exit 1; }
[[ $(id -u) -eq 0 ]] || { echo "demo: needs root (network namespaces, charon)" >&2; exit 1; }

collection=$(bash "$REPO/scripts/stage_collection.sh")
collections_path=$(cd "$collection/../../.." && pwd)

workdir=$(mktemp -d /tmp/svici-demo-XXXXXX)
playbook=""
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    # Interrupted while the playbook ran: stop it first (by its PID), so that it cannot touch
    # the daemons while they are being stopped.
    if [[ -n $playbook ]] && kill -0 "$playbook" 2>/dev/null; then
        kill -TERM "$playbook" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$playbook" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$playbook" 2>/dev/null || true
    fi
    if [[ $rc -ne 0 ]]; then
        echo "demo: failed (exit $rc); the daemons' logs end with:" >&2
        for side in a b; do
            echo "--- $side ---" >&2
            tail -n 15 "$workdir/$side/$side.log" >&2 2>/dev/null || true
        done
    fi
    echo "demo: stopping both daemons and removing the namespaces"
    "$PY" "$LAB" down --workdir "$workdir" || echo "demo: cleanup reported a problem, see $workdir" >&2
    rm -rf "$workdir"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "demo: making two network namespaces and starting a charon in each (in $workdir)"
info=$("$PY" "$LAB" up --workdir "$workdir" --owner-pid $$)
read -r vici_a vici_b < <("$PY" -c 'import json, sys; s = json.load(sys.stdin); print(s["a"]["socket"], s["b"]["socket"])' <<<"$info")
echo "demo: A (198.18.0.1, protects 198.51.100.0/24) answers on $vici_a"
echo "demo: B (198.18.0.2, protects 203.0.113.0/24) answers on $vici_b"

cd "$REPO/demo"
# In the background plus wait: bash runs the INT/TERM traps at once instead of after the playbook.
ANSIBLE_COLLECTIONS_PATH="$collections_path" ANSIBLE_LOCALHOST_WARNING=false \
    "$VENV/bin/ansible-playbook" -i inventory.ini site.yml \
    -e "vici_a=$vici_a" -e "vici_b=$vici_b" -e "lab=$LAB" -e "lab_workdir=$workdir" "$@" &
playbook=$!
wait "$playbook"
