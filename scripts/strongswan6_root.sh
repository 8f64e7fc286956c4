#!/usr/bin/env bash
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# A Debian 13 (trixie) root with strongSwan 6 from Debian's packages, for running the real-daemon tests
# against strongSwan 6 on a Debian 12 machine: the test harness runs its charon chrooted there
# (STRONGSWAN_VICI_CHARON_ROOT), with this machine's /tmp and the daemon's workdir at the same paths.
#
# Built once with debootstrap (about a minute) and cached in $STRONGSWAN6_ROOT_CACHE (default
# /var/cache/strongswan-vici): rebuilt when the package list changes or the root is older than
# $STRONGSWAN6_ROOT_MAX_AGE_DAYS (default 14, so security updates come in). The packages are the
# strongSwan, netbase and softhsm2 (the PKCS#11 module charon's pkcs11 plugin opens) lines of
# scripts/debian-packages.txt: the same names as on Debian 12.
# Prints the root's path.

set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${STRONGSWAN6_ROOT_CACHE:-/var/cache/strongswan-vici}
SUITE=trixie
ROOT="$CACHE/$SUITE-root"
MIRROR=${STRONGSWAN6_MIRROR:-http://deb.debian.org/debian}
MAX_AGE_DAYS=${STRONGSWAN6_ROOT_MAX_AGE_DAYS:-14}

log() { printf 'strongswan6_root: %s\n' "$*" >&2; }

packages=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$REPO/scripts/debian-packages.txt" | awk '{print $1}' \
    | grep -E '^(strongswan-|libstrongswan|libcharon-|netbase$|softhsm2$)' | sort | paste -sd, -)
stamp="$ROOT/.strongswan-vici-stamp"
wanted="$SUITE $packages"

mkdir -p "$CACHE"
exec 9>"$CACHE/.$SUITE-root.lock"
flock -w 900 9 || { log "another build holds $CACHE/.$SUITE-root.lock"; exit 1; }

if [[ -x $ROOT/usr/lib/ipsec/charon && -r $stamp && "$(cat "$stamp")" == "$wanted" ]] \
    && [[ -z $(find "$stamp" -mtime +"$MAX_AGE_DAYS" 2>/dev/null) ]]; then
    echo "$ROOT"
    exit 0
fi

command -v debootstrap >/dev/null || { log "debootstrap is missing: run 'make setup'"; exit 1; }
building=$(mktemp -d "$CACHE/.$SUITE-root.XXXXXX")
trap 'rm -rf --one-file-system "$building"' EXIT
log "building a Debian 13 root with $packages in $ROOT (once; about a minute)"
if ! timeout 1200 debootstrap --variant=minbase --include="$packages" "$SUITE" "$building" "$MIRROR" \
    >"$CACHE/debootstrap-$SUITE.log" 2>&1; then
    tail -n 20 "$CACHE/debootstrap-$SUITE.log" >&2
    log "debootstrap failed (log: $CACHE/debootstrap-$SUITE.log)"
    exit 1
fi
echo "$wanted" >"$building/.strongswan-vici-stamp"
rm -rf --one-file-system "$ROOT.old"
[[ -e $ROOT ]] && mv "$ROOT" "$ROOT.old"
mv "$building" "$ROOT"
rm -rf --one-file-system "$ROOT.old"
log "ready: $(chroot "$ROOT" /usr/lib/ipsec/charon --version 2>&1 | tail -n 1)"
echo "$ROOT"
