# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Sourced by the machine harness scripts: where things live and how they are named.
#   MACHINES_CACHE  base roots, one per Debian release (base.sh); shared by every checkout on this machine
#   LAB_DIR         this checkout's machines: overlay layers, ssh key, known_hosts, inventory, PID files
#   LAB_ID          short and unique per checkout: every network namespace name starts with sv<LAB_ID>
# shellcheck shell=bash

MACHINES_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
MACHINES_CACHE=${MACHINES_CACHE:-/var/cache/strongswan-vici/machines}
LAB_DIR=${LAB_DIR:-$MACHINES_REPO/.tmp/lab}
LAB_ID=${LAB_ID:-$(printf '%s' "$MACHINES_REPO" | sha256sum | cut -c1-5)}

log() { printf '%s: %s\n' "$(basename "$0" .sh)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# usage: suite_number SUITE -> the Debian release number (12, 13)
suite_number() {
    case $1 in
        bookworm) echo 12 ;;
        trixie) echo 13 ;;
        *) die "unknown Debian suite '$1' (bookworm or trixie)" ;;
    esac
}

# usage: netns_name LAB NAME -> the network namespace of machine or LAN host NAME in lab LAB (e.g. 12)
netns_name() { echo "sv$LAB_ID-$1-$2"; }

# usage: wait_for SECONDS DESCRIPTION COMMAND... -> run COMMAND every 0.2 s until it succeeds or SECONDS pass
wait_for() {
    local seconds=$1 what=$2 deadline
    shift 2
    deadline=$((SECONDS + seconds))
    until "$@" >/dev/null 2>&1; do
        ((SECONDS < deadline)) || { log "gave up after ${seconds}s waiting for $what"; return 1; }
        sleep 0.2
    done
}
