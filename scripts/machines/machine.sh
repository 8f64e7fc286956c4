#!/usr/bin/env bash
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# One lab machine: a Debian root booted with systemd as PID 1 (systemd-nspawn), in a network namespace made
# beforehand (network.sh), reachable over ssh.
#
#   machine.sh create DIR NAME BASE NETNS PUBKEY   the machine's directory: an empty overlayfs layer over BASE with
#                                                  its own ssh host key and PUBKEY in root's authorized_keys
#   machine.sh start DIR                           boot it in the background (supervise.sh; reboots boot it again)
#   machine.sh stop DIR                            power it off by its recorded PID: SIGTERM (a clean shutdown),
#                                                  at most $MACHINES_STOP_TIMEOUT s (30), then SIGKILL
#   machine.sh remove DIR                          stop, then delete the directory (its layer with it)
#   machine.sh status DIR                          "running PID" or "stopped"; exit 0 when running
#   machine.sh hostkey DIR                         the public host key (for known_hosts)
#
# DIR holds: machine.env, upper/ and work/ (the overlay layer), root/ (the mount point, mounted only inside the
# supervisor's own mount namespace), supervisor.pid, nspawn.pid, console.log.

set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$HERE/lib.sh"
STOP_TIMEOUT=${MACHINES_STOP_TIMEOUT:-30}

# usage: pid_alive PIDFILE EXPECTED_COMMAND -> true if the PID in PIDFILE runs and its command line mentions
# EXPECTED_COMMAND (a PID recorded long ago may belong to another process by now)
pid_alive() {
    local pid
    [[ -r $1 ]] || return 1
    pid=$(tr -dc '0-9' <"$1")
    [[ -n $pid && -r /proc/$pid/cmdline ]] || return 1
    [[ $(tr '\0' ' ' <"/proc/$pid/cmdline") == *"$2"* ]]
}

create() {
    local dir=$1 name=$2 base=$3 netns=$4 pubkey=$5
    [[ -r $base/.machines-base-ready ]] || die "$base is not a finished base root (scripts/machines/base.sh)"
    [[ -e /run/netns/$netns ]] || die "network namespace $netns does not exist"
    [[ ! -e $dir ]] || die "$dir exists: remove the machine first"
    mkdir -p "$dir/upper/etc/ssh/sshd_config.d" "$dir/upper/root/.ssh" "$dir/work" "$dir/root"
    printf 'NAME=%q\nBASE=%q\nNETNS=%q\n' "$name" "$base" "$netns" >"$dir/machine.env"
    echo "$name" >"$dir/upper/etc/hostname"
    ssh-keygen -q -t ed25519 -N '' -C "root@$name" -f "$dir/upper/etc/ssh/ssh_host_ed25519_key"
    printf '# strongswan.vici lab machine: one host key, made by scripts/machines/machine.sh\nHostKey /etc/ssh/ssh_host_ed25519_key\n' \
        >"$dir/upper/etc/ssh/sshd_config.d/lab.conf"
    install -m 0600 "$pubkey" "$dir/upper/root/.ssh/authorized_keys"
    chmod 0700 "$dir/upper/root/.ssh" "$dir/upper/root"
    chmod 0755 "$dir/upper" "$dir/upper/etc" "$dir/upper/etc/ssh" "$dir/upper/etc/ssh/sshd_config.d"
}

start() {
    local dir=$1
    [[ -r $dir/machine.env ]] || die "$dir is not a machine (machine.sh create)"
    if pid_alive "$dir/supervisor.pid" supervise.sh; then
        log "$dir runs already (PID $(cat "$dir/supervisor.pid"))"
        return 0
    fi
    rm -f "$dir/stop" "$dir/nspawn.pid"
    # setsid: the machine outlives the shell that started it, and a Ctrl-C there does not reach it.
    setsid "$HERE/supervise.sh" "$dir" </dev/null >>"$dir/console.log" 2>&1 &
    echo $! >"$dir/supervisor.pid"
}

stop() {
    local dir=$1 pid deadline next
    pid_alive "$dir/supervisor.pid" supervise.sh || { rm -f "$dir/supervisor.pid" "$dir/nspawn.pid"; return 0; }
    touch "$dir/stop"
    pid=$(cat "$dir/supervisor.pid")
    deadline=$((SECONDS + STOP_TIMEOUT))
    # systemd-nspawn turns SIGTERM into a clean shutdown of the machine (SIGRTMIN+3 to its systemd). Sent again every
    # 5 s: a systemd that is still starting up has no handler for it yet and ignores it.
    next=0
    while [[ -d /proc/$pid ]] && ((SECONDS < deadline)); do
        if ((SECONDS >= next)) && pid_alive "$dir/nspawn.pid" systemd-nspawn; then
            kill -TERM "$(cat "$dir/nspawn.pid")" 2>/dev/null || true
            next=$((SECONDS + 5))
        fi
        sleep 0.2
    done
    if [[ -d /proc/$pid ]]; then
        log "$(basename "$dir") did not shut down within ${STOP_TIMEOUT}s: SIGKILL"
        if pid_alive "$dir/nspawn.pid" systemd-nspawn; then
            kill -KILL "$(cat "$dir/nspawn.pid")" 2>/dev/null || true
        fi
        deadline=$((SECONDS + 10))
        while [[ -d /proc/$pid ]] && ((SECONDS < deadline)); do sleep 0.2; done
        if [[ -d /proc/$pid ]]; then
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    rm -f "$dir/supervisor.pid" "$dir/nspawn.pid"
}

remove() {
    local dir=$1
    [[ -e $dir ]] || return 0
    [[ -r $dir/machine.env ]] || die "$dir is not a machine directory: not removing it"
    stop "$dir"
    # The overlay was mounted only in the supervisor's mount namespace; nothing is mounted here.
    rm -rf --one-file-system "$dir"
    rm -f "$(dirname "$dir")/.#$(basename "$dir").lck" "$dir/../.#root.lck" 2>/dev/null || true
}

status() {
    if pid_alive "$1/supervisor.pid" supervise.sh; then
        echo "running $(cat "$1/supervisor.pid")"
    else
        echo stopped
        return 1
    fi
}

case ${1:-} in
    create) shift; create "$@" ;;
    start) start "$2" ;;
    stop) stop "$2" ;;
    remove) remove "$2" ;;
    status) status "$2" ;;
    hostkey) cut -d' ' -f1,2 "$2/upper/etc/ssh/ssh_host_ed25519_key.pub" ;;
    *) sed -n '5,20p' "${BASH_SOURCE[0]}" >&2; exit 2 ;;
esac
