#!/usr/bin/env bash
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# usage: scripts/machines/base.sh SUITE    (bookworm = Debian 12, trixie = Debian 13)
#
# The base root every lab machine of one Debian release starts from (machines are overlayfs layers over it, see
# machine.sh). Built once with debootstrap (a few minutes) on disk in $MACHINES_CACHE (default
# /var/cache/strongswan-vici/machines), never under /tmp, which may be in memory. It holds:
#   - systemd as PID 1 (systemd-sysv, dbus), sshd, python3 and python3-apt (Ansible's apt module needs it), ip;
#   - the packages the daemon role installs, DOWNLOADED ONLY (apt-get install --download-only, with their
#     Recommends, as the role's apt install resolves them) into /var/cache/apt/archives, with /var/lib/apt/lists
#     kept: the machines reach no registry, and the role's real `apt` install takes them from this cache.
# No ssh host key: each machine gets its own (machine.sh). Rebuilt when the package list changes; an old base
# stays until no machine uses it (remove it by hand: the path is printed). Prints the base's path.

set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$HERE/lib.sh"

SUITE=${1:?usage: base.sh SUITE}
MIRROR=${MACHINES_MIRROR:-http://deb.debian.org/debian}
# What a machine boots and how Ansible reaches it.
SYSTEM_PACKAGES=(systemd-sysv dbus openssh-server python3 python3-apt iproute2 netbase ca-certificates)
# What the roles install on a gateway (roles/daemon/vars/main.yml, systemd flavour, plus strongswan-pki and
# python3-cryptography, which the certificate paths need): downloaded, not installed. Then the plain charon of the
# role's service-manager-none flavour, on its own (Debian 13's charon-systemd conflicts with strongswan-charon).
ROLE_PACKAGES=(charon-systemd strongswan-swanctl strongswan-pki libstrongswan-standard-plugins
    libstrongswan-extra-plugins libcharon-extra-plugins libcharon-extauth-plugins python3-cryptography)
ROLE_PACKAGES_NONE=(strongswan-charon)

key=$(printf '%s\n' v1 "$SUITE" "$MIRROR" "${SYSTEM_PACKAGES[*]}" "${ROLE_PACKAGES[*]}" "${ROLE_PACKAGES_NONE[*]}" | sha256sum | cut -c1-10)
ROOT="$MACHINES_CACHE/$SUITE-$key"

mkdir -p "$MACHINES_CACHE"
exec 9>"$MACHINES_CACHE/.$SUITE.lock"
flock -w 1800 9 || die "another build holds $MACHINES_CACHE/.$SUITE.lock"

if [[ -r $ROOT/.machines-base-ready ]]; then
    echo "$ROOT"
    exit 0
fi
command -v debootstrap >/dev/null || die "debootstrap is missing: run 'make setup'"
building=$(mktemp -d "$MACHINES_CACHE/.$SUITE-$key.XXXXXX")
trap 'rm -rf --one-file-system "$building"' EXIT
logfile="$MACHINES_CACHE/build-$SUITE.log"
log "building the $SUITE base in $ROOT (once; a few minutes; log: $logfile)"
include=$(IFS=,; echo "${SYSTEM_PACKAGES[*]}")
if ! timeout 1800 debootstrap --variant=minbase --include="$include" "$SUITE" "$building" "$MIRROR" >"$logfile" 2>&1; then
    tail -n 20 "$logfile" >&2
    die "debootstrap failed (log: $logfile)"
fi
cp /etc/resolv.conf "$building/etc/resolv.conf"
# apt-get keeps what it downloads (only the `apt` front end may clean up after an install).
cat >"$building/etc/apt/apt.conf.d/90strongswan-vici-lab" <<'APT'
// strongswan.vici lab machine: no registry is reachable; packages come from /var/cache/apt/archives.
APT::Keep-Downloaded-Packages "true";
Binary::apt::APT::Keep-Downloaded-Packages "true";
Acquire::Languages "none";
APT
{
    timeout 900 chroot "$building" apt-get update -q
    DEBIAN_FRONTEND=noninteractive timeout 1800 chroot "$building" apt-get install -y -q --download-only "${ROLE_PACKAGES[@]}"
    DEBIAN_FRONTEND=noninteractive timeout 1800 chroot "$building" apt-get install -y -q --download-only "${ROLE_PACKAGES_NONE[@]}"
} >>"$logfile" 2>&1 || { tail -n 20 "$logfile" >&2; die "downloading the role's packages failed (log: $logfile)"; }
# Each machine gets its own host key; the machine id comes from systemd-nspawn at each boot.
rm -f "$building"/etc/ssh/ssh_host_*
: >"$building/etc/machine-id"
printf 'nameserver 127.0.0.1\n' >"$building/etc/resolv.conf"
downloaded=$(find "$building/var/cache/apt/archives" -name '*.deb' | wc -l)
log "$SUITE base ready: $downloaded packages in its apt cache"
date -u +%FT%TZ >"$building/.machines-base-ready"
chmod 0755 "$building"
mv "$building" "$ROOT"
trap - EXIT
echo "$ROOT"
