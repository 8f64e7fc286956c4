#!/usr/bin/env bash
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# A lab: Debian machines booted with systemd, each in its own network namespace with a LAN host behind it,
# reached by Ansible's default ssh connection. docs/machines.md tells how to use one.
#
#   lab.sh up LAB SUITE [NAME=WAN_CIDR[,LAN_CIDR] ...]   build (or reuse) the SUITE base root, make the network,
#                                                        create and boot the machines, wait until sshd answers and
#                                                        systemd has finished booting, write and print the inventory
#   lab.sh down LAB                                      stop and remove the machines and the lab's namespaces
#   lab.sh down-all                                      the same for every lab of this checkout
#   lab.sh inventory LAB                                 print the inventory's path and contents
#   lab.sh ssh LAB NAME [COMMAND...]                     ssh to a machine as Ansible does
#   lab.sh reboot LAB NAME                               stop a machine (clean shutdown) and boot it again
#   lab.sh lan LAB NAME COMMAND...                       run COMMAND on the LAN host behind machine NAME
#   lab.sh check LAB                                     one line per machine: PID 1, systemd's state, release, the
#                                                        ssh connection as the machine sees it; fails if one is off
#
# Without machine specs, `up` makes the gateways of the role READMEs: hq (203.0.113.1, LAN 198.18.1.0/24) and
# branch (198.51.100.7, LAN 198.18.2.0/24). LAB is a short name (letters, digits), e.g. 12 or 13; labs of one
# checkout are independent (their own WAN, ssh key, known_hosts, ssh control sockets) and may run side by side.
#
# Environment: MACHINES_BOOT_TIMEOUT (s, default 120) bounds the wait for each machine; see lib.sh for paths.

set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$HERE/lib.sh"
BOOT_TIMEOUT=${MACHINES_BOOT_TIMEOUT:-120}
UP_DONE=0
DEFAULT_SPECS=('hq=203.0.113.1/24,198.18.1.0/24' 'branch=198.51.100.7/24,198.18.2.0/24')

lab_dir() {
    [[ $1 =~ ^[a-z0-9]{1,8}$ ]] || die "lab name '$1': 1 to 8 lower-case letters or digits"
    echo "$LAB_DIR/$1"
}

# Ansible's ssh master sockets: a short path (a Unix socket path has at most 107 bytes, and ssh adds 17 to the
# name while it creates one), per checkout and lab (the same addresses exist in other labs).
control_dir() {
    echo "/run/sv$LAB_ID-$1"
}

ssh_lab() {
    local dir=$1
    shift
    ssh -F "$dir/ssh_config" -o BatchMode=yes "$@"
}

write_ssh_config() {
    local dir=$1 lab=$2 name addr
    {
        echo "# lab $lab of $MACHINES_REPO, written by scripts/machines/lab.sh: ssh -F $dir/ssh_config NAME"
        for name in $(machines "$dir"); do
            addr=$(cat "$dir/machines/$name/address")
            printf 'Host %s\n    HostName %s\n' "$name" "$addr"
        done
        cat <<CONF
Host *
    User root
    IdentityFile $dir/ssh/id_ed25519
    IdentitiesOnly yes
    UserKnownHostsFile $dir/ssh/known_hosts
    GlobalKnownHostsFile /dev/null
    StrictHostKeyChecking yes
    ProxyCommand ip netns exec $(netns_name "$lab" wan) /usr/bin/python3 $HERE/relay.py %h %p
    ConnectTimeout 10
    ServerAliveInterval 5
    ServerAliveCountMax 6
CONF
    } >"$dir/ssh_config"
}

write_inventory() {
    local dir=$1 lab=$2 suite=$3 name
    {
        echo "# lab $lab ($suite) of $MACHINES_REPO, written by scripts/machines/lab.sh; removed by lab.sh down $lab"
        echo "all:"
        echo "  vars:"
        echo "    ansible_user: root"
        echo "    ansible_python_interpreter: /usr/bin/python3"
        echo "    ansible_ssh_common_args: -F $dir/ssh_config"
        echo "    # the same addresses exist in other labs: keep this lab's ssh master connections apart"
        echo "    ansible_control_path_dir: $(control_dir "$lab")"
        echo "    lab_name: \"$lab\""
        echo "    lab_suite: $suite"
        echo "  children:"
        echo "    gateways:"
        echo "      hosts:"
        for name in $(machines "$dir"); do
            echo "        $name:"
            echo "          ansible_host: $(cat "$dir/machines/$name/address")"
            if [[ -s $dir/machines/$name/lan ]]; then
                echo "          lab_lan_subnet: $(cut -d' ' -f1 "$dir/machines/$name/lan")"
                echo "          lab_lan_host: $(cut -d' ' -f2 "$dir/machines/$name/lan")"
                echo "          lab_lan_netns: $(netns_name "$lab" "$name-lan")"
            fi
        done
    } >"$dir/inventory.yml"
}

machines() {
    [[ -d $1/machines ]] || return 0
    find "$1/machines" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | sort
}

wait_booted() {
    local dir=$1 name=$2 state
    wait_for "$BOOT_TIMEOUT" "sshd on $name" ssh_lab "$dir" "$name" true || return 1
    # degraded is fine: a minimal root has units that fail in a container (none the roles need)
    state=$(ssh_lab "$dir" "$name" timeout "$BOOT_TIMEOUT" systemctl is-system-running --wait || true)
    case $state in
        running | degraded) log "$name is up (systemd: $state)" ;;
        *) log "$name: systemd says '$state'"; return 1 ;;
    esac
}

up() {
    local lab=$1 suite=$2 dir base spec name wan lan addr started
    shift 2
    dir=$(lab_dir "$lab")
    suite_number "$suite" >/dev/null
    [[ ! -e $dir ]] || die "lab $lab exists ($dir): 'lab.sh down $lab' first"
    [[ $# -gt 0 ]] || set -- "${DEFAULT_SPECS[@]}"
    started=$SECONDS
    base=$("$HERE/base.sh" "$suite")
    mkdir -p "$dir/ssh" "$dir/machines"
    # shellcheck disable=SC2064  # expand now
    trap "[[ \$UP_DONE == 1 ]] || { log 'failed: removing lab $lab'; '$0' down '$lab' || true; }" EXIT
    ssh-keygen -q -t ed25519 -N '' -C "strongswan.vici lab $lab" -f "$dir/ssh/id_ed25519"
    : >"$dir/ssh/known_hosts"
    "$HERE/network.sh" wan "$lab"
    for spec in "$@"; do
        [[ $spec =~ ^([a-z][a-z0-9-]*)=([0-9./]+)(,([0-9./]+))?$ ]] || die "machine spec '$spec': NAME=WAN_CIDR[,LAN_CIDR]"
        name=${BASH_REMATCH[1]} wan=${BASH_REMATCH[2]} lan=${BASH_REMATCH[4]}
        "$HERE/network.sh" gateway "$lab" "$name" "$wan" ${lan:+"$lan"}
        "$HERE/machine.sh" create "$dir/machines/$name" "$name" "$base" "$(netns_name "$lab" "$name")" "$dir/ssh/id_ed25519.pub"
        addr=${wan%/*}
        echo "$addr" >"$dir/machines/$name/address"
        if [[ -n $lan ]]; then
            echo "$lan $("$HERE/network.sh" address "$lan" 10 | cut -d/ -f1)" >"$dir/machines/$name/lan"
        fi
        echo "$addr $("$HERE/machine.sh" hostkey "$dir/machines/$name")" >>"$dir/ssh/known_hosts"
        "$HERE/machine.sh" start "$dir/machines/$name"
    done
    echo "$suite" >"$dir/suite"
    write_ssh_config "$dir" "$lab"
    write_inventory "$dir" "$lab" "$suite"
    for name in $(machines "$dir"); do
        wait_booted "$dir" "$name" || { tail -n 30 "$dir/machines/$name/console.log" >&2; die "$name did not boot"; }
    done
    UP_DONE=1
    log "lab $lab ($suite) up in $((SECONDS - started)) s"
    inventory "$lab"
}

down() {
    local lab=$1 dir name pids=() pid rc=0
    dir=$(lab_dir "$lab")
    # all machines shut down at once; each stop is bounded (machine.sh)
    for name in $(machines "$dir"); do
        "$HERE/machine.sh" remove "$dir/machines/$name" &
        pids+=("$!")
    done
    for pid in "${pids[@]}"; do
        wait "$pid" || rc=1
    done
    [[ $rc -eq 0 ]] || die "a machine of lab $lab could not be removed: its namespaces stay (lab.sh down $lab again)"
    "$HERE/network.sh" remove "$lab"
    rm -rf --one-file-system "$dir" "$(control_dir "$lab")"
}

down_all() {
    local lab
    [[ -d $LAB_DIR ]] || return 0
    while read -r lab; do
        log "removing lab $lab"
        down "$lab"
    done < <(find "$LAB_DIR" -mindepth 1 -maxdepth 1 -type d -printf '%f\n')
}

inventory() {
    local dir
    dir=$(lab_dir "$1")
    [[ -r $dir/inventory.yml ]] || die "no lab $1 ('lab.sh up $1 SUITE')"
    echo "# $dir/inventory.yml   (ansible-playbook -i $dir/inventory.yml ...; ssh -F $dir/ssh_config NAME)"
    cat "$dir/inventory.yml"
}

reboot_machine() {
    local dir
    dir=$(lab_dir "$1")
    "$HERE/machine.sh" stop "$dir/machines/$2"
    "$HERE/machine.sh" start "$dir/machines/$2"
    wait_booted "$dir" "$2"
}

check() {
    local dir name line rc=0
    dir=$(lab_dir "$1")
    for name in $(machines "$dir"); do
        # shellcheck disable=SC2016  # expanded on the machine
        if line=$(ssh_lab "$dir" "$name" '. /etc/os-release; printf "pid1=%s state=%s debian=%s ssh=%s" \
                "$(ps -p 1 -o comm=)" "$(systemctl is-system-running)" "$VERSION_ID/$VERSION_CODENAME" \
                "${SSH_CONNECTION// /:}"') && [[ $line == pid1=systemd\ state=running* || $line == pid1=systemd\ state=degraded* ]]; then
            echo "$name: $line"
        else
            echo "$name: NOT OK: ${line:-no ssh}"
            rc=1
        fi
    done
    return "$rc"
}

lan() {
    local lab=$1 name=$2
    shift 2
    lab_dir "$lab" >/dev/null
    ip netns exec "$(netns_name "$lab" "$name-lan")" "$@"
}

case ${1:-} in
    up) shift; up "$@" ;;
    down) down "$2" ;;
    down-all) down_all ;;
    inventory) inventory "$2" ;;
    ssh) dir=$(lab_dir "$2"); name=$3; shift 3; ssh_lab "$dir" "$name" "$@" ;;
    reboot) reboot_machine "$2" "$3" ;;
    lan) shift; lan "$@" ;;
    check) check "$2" ;;
    *) sed -n '5,26p' "${BASH_SOURCE[0]}" >&2; exit 2 ;;
esac
