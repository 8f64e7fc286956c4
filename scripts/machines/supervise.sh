#!/usr/bin/env bash
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# usage: supervise.sh MACHINE_DIR      (started in the background by machine.sh start; not meant to be run by hand)
#
# Runs one lab machine the way its hardware would: boots it with systemd-nspawn and, when it reboots from inside
# (systemd-nspawn exits with status 133), boots it again, at most $MACHINES_MAX_BOOTS times. Powering off, a
# failure, or the file MACHINE_DIR/stop ends the loop. Runs in its own mount namespace, where it mounts the
# machine's overlayfs root (the base root below, MACHINE_DIR/upper above): the mount goes away with this process.
# Writes MACHINE_DIR/nspawn.pid (the current systemd-nspawn) and appends each boot's console to console.log.
# Reads MACHINE_DIR/machine.env: NAME (host name), BASE (the base root), NETNS (its network namespace).

set -euo pipefail
DIR=${1:?usage: supervise.sh MACHINE_DIR}
# shellcheck source=/dev/null
. "$DIR/machine.env"
MAX_BOOTS=${MACHINES_MAX_BOOTS:-50}

if [[ ${SUPERVISE_IN_NAMESPACE:-} != 1 ]]; then
    SUPERVISE_IN_NAMESPACE=1 exec unshare --mount --propagation private "$0" "$@"
fi

note() { printf '[supervise %s] %s\n' "$(date -u +%T)" "$*" >>"$DIR/console.log"; }

mkdir -p "$DIR/root" "$DIR/upper" "$DIR/work"
mount -t overlay overlay -o "lowerdir=$BASE,upperdir=$DIR/upper,workdir=$DIR/work" "$DIR/root"

boots=0
rc=0
while ((boots < MAX_BOOTS)) && [[ ! -e $DIR/stop ]]; do
    boots=$((boots + 1))
    note "boot $boots"
    # CAP_NET_ADMIN: charon-systemd configures routes and rules (without it, it exits 66); CAP_NET_RAW for
    # raw sockets. /dev/net/tun: kernel-libipsec (this kernel has no ESP transform).
    SYSTEMD_NSPAWN_API_VFS_WRITABLE=network systemd-nspawn --quiet --boot --directory="$DIR/root" --machine="$NAME" --register=no --keep-unit \
        --network-namespace-path="/run/netns/$NETNS" --capability=CAP_NET_ADMIN,CAP_NET_RAW \
        --bind=/dev/net/tun --console=read-only \
        </dev/null >>"$DIR/console.log" 2>&1 &
    echo $! >"$DIR/nspawn.pid"
    rc=0
    wait $! || rc=$?
    rm -f "$DIR/nspawn.pid"
    note "systemd-nspawn exited with status $rc"
    # 133: the machine rebooted itself (systemctl reboot, ansible.builtin.reboot)
    [[ $rc -eq 133 ]] || break
done
((boots < MAX_BOOTS)) || note "stopped after $MAX_BOOTS boots"
umount "$DIR/root" || true
exit "$rc"
