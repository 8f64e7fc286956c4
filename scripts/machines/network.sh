#!/usr/bin/env bash
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The network of one lab, made of network namespaces only: nothing is added to this machine's own namespace, so
# labs of two checkouts (or two Debian releases) may use the same addresses side by side.
#
#   network.sh wan LAB                                 the "internet": namespace <lab>-wan with a bridge, routing
#                                                      between the gateways' WAN subnets (it owns the last address of
#                                                      each, e.g. .254 in a /24); ssh to the machines goes through it
#   network.sh gateway LAB NAME WAN_CIDR [LAN_CIDR]    namespace <lab>-NAME for a machine: eth0 on the bridge with
#                                                      WAN_CIDR, default route via the WAN's router; with LAN_CIDR,
#                                                      lan0 with the subnet's first address and a LAN host behind it
#                                                      (namespace <lab>-NAME-lan, eth0 = the subnet's 10th address,
#                                                      default route via the gateway)
#   network.sh remove LAB                              delete every namespace of the lab (machines stopped first)
#   network.sh names LAB                               the lab's namespaces, one a line
#   network.sh address CIDR INDEX                      the INDEX-th address of CIDR's network, with the prefix
#
# Namespace names: sv<checkout id>-<LAB>-<name> (lib.sh). Forwarding on the gateways is left as a fresh Debian
# machine has it (off): turning it on is the job of the playbook, as on real hardware.

set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$HERE/lib.sh"

# usage: address CIDR INDEX -> ADDRESS/PREFIX, the INDEX-th address of CIDR's network (negative: from the end,
# -2 = the last host address)
address() {
    python3 - "$1" "$2" <<'PY'
import ipaddress, sys
net = ipaddress.ip_interface(sys.argv[1]).network
print("%s/%d" % (net[int(sys.argv[2])], net.prefixlen))
PY
}

ns_add() {
    [[ -e /run/netns/$1 ]] && die "network namespace $1 exists already (network.sh remove first)"
    ip netns add "$1"
    ip -n "$1" link set lo up
}

wan() {
    local ns
    ns=$(netns_name "$1" wan)
    ns_add "$ns"
    ip -n "$ns" link add wan type bridge
    ip -n "$ns" link set wan up
    # (no sysctl: a fresh Debian minbase host has no procps; /proc/sys/net is per network namespace)
    ip netns exec "$ns" sh -c "echo 1 >/proc/sys/net/ipv4/ip_forward"
}

gateway() {
    local lab=$1 name=$2 wan_cidr=$3 lan_cidr=${4:-} wan_ns gw_ns lan_ns router port
    [[ $name =~ ^[a-z][a-z0-9-]{0,19}$ && $name != wan ]] || die "machine name '$name': lower case, digits, '-' (not 'wan')"
    wan_ns=$(netns_name "$lab" wan)
    gw_ns=$(netns_name "$lab" "$name")
    [[ -e /run/netns/$wan_ns ]] || die "no WAN for lab $lab (network.sh wan $lab)"
    router=$(address "$wan_cidr" -2)
    # The WAN router takes the last host address of each WAN subnet once.
    # (not `ip | grep -q` under pipefail: grep's early exit can fail the pipeline with SIGPIPE)
    if [[ $(ip -n "$wan_ns" -o addr show dev wan) != *" $router "* ]]; then
        ip -n "$wan_ns" addr add "$router" dev wan
    fi
    ns_add "$gw_ns"
    port="p-$name"
    ip -n "$gw_ns" link add eth0 type veth peer name "${port:0:15}" netns "$wan_ns"
    ip -n "$wan_ns" link set "${port:0:15}" master wan up
    ip -n "$gw_ns" addr add "$wan_cidr" dev eth0
    ip -n "$gw_ns" link set eth0 up
    ip -n "$gw_ns" route add default via "${router%/*}"
    [[ -n $lan_cidr ]] || return 0
    lan_ns=$(netns_name "$lab" "$name-lan")
    ns_add "$lan_ns"
    ip -n "$gw_ns" link add lan0 type veth peer name eth0 netns "$lan_ns"
    ip -n "$gw_ns" addr add "$(address "$lan_cidr" 1)" dev lan0
    ip -n "$gw_ns" link set lan0 up
    ip -n "$lan_ns" addr add "$(address "$lan_cidr" 10)" dev eth0
    ip -n "$lan_ns" link set eth0 up
    ip -n "$lan_ns" route add default via "$(address "$lan_cidr" 1 | cut -d/ -f1)"
}

names() {
    local prefix
    prefix=$(netns_name "$1" "")
    ip netns list | awk '{print $1}' | grep -F -- "$prefix" | grep -E "^${prefix}[a-z0-9-]+$" || true
}

remove() {
    local ns
    for ns in $(names "$1"); do
        ip netns del "$ns"
    done
}

case ${1:-} in
    wan) wan "$2" ;;
    gateway) shift; gateway "$@" ;;
    remove) remove "$2" ;;
    names) names "$2" ;;
    address) address "$2" "$3" ;;
    *) sed -n '5,23p' "${BASH_SOURCE[0]}" >&2; exit 2 ;;
esac
