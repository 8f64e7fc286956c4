#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: pool
short_description: Load or unload a virtual IP address pool in a running strongSwan daemon
version_added: 0.1.0
description:
  - Manages one virtual IP address pool of the charon daemon over VICI (C(load-pool), C(unload-pool), C(get-pools)),
    like a C(pools.<name>) section of swanctl.conf, without touching files or restarting anything.
    Connections hand out addresses from it with their C(pools) option.
  - The daemon reports a pool's first address and size, but none of its attributes (DNS servers and so on).
    The module predicts the first address and size from O(addrs) exactly as charon computes them, so a pool
    whose range was changed or that was unloaded behind the module's back is detected; whether the attributes
    are up to date is decided from a keyed fingerprint kept on the managed host (see the collection's docs on
    idempotency). A pool missing from the daemon, for example after a restart, is always loaded again.
  - Reloading a pool with the same range keeps its leases and replaces its attributes; clients get the new
    attributes when they next connect. A pool whose range changes is replaced only while no lease is online;
    otherwise the module fails, naming the pool and the number of online leases.
  - Pools loaded over VICI are served by the C(vici) plugin itself; the C(attr) plugin (attributes from
    strongswan.conf) is not needed for them.
author:
  - strongswan.vici contributors (@strongswan-vici)
extends_documentation_fragment:
  - strongswan.vici.vici
  - strongswan.vici.vici.ATTRIBUTES
options:
  name:
    description:
      - Name of the pool, as connections refer to it in their C(pools) option.
    type: str
    required: true
  addrs:
    description:
      - The addresses the pool hands out, as swanctl.conf's C(addrs).
      - A subnet in CIDR notation (V(10.3.0.0/24), V(fd00:3::/120)), a single address, or a range
        V(10.3.0.10-10.3.0.99).
      - For a subnet the network and broadcast addresses are not handed out. An address inside the subnet
        (V(10.3.0.10/24)) starts the pool there. Pools are limited to 2^31 addresses.
      - Required with O(state=present).
    type: str
  dns:
    description: DNS servers handed to clients (C(INTERNAL_IP4_DNS)/C(INTERNAL_IP6_DNS)).
    type: list
    elements: str
  nbns:
    description: WINS servers (C(INTERNAL_IP4_NBNS)).
    type: list
    elements: str
  dhcp:
    description: DHCP servers (C(INTERNAL_IP4_DHCP)/C(INTERNAL_IP6_DHCP)).
    type: list
    elements: str
  netmask:
    description: Netmasks of the internal network (C(INTERNAL_IP4_NETMASK)).
    type: list
    elements: str
  server:
    description: Internal servers (C(INTERNAL_IP4_SERVER)/C(INTERNAL_IP6_SERVER)).
    type: list
    elements: str
  subnet:
    description: Protected subnets, in CIDR notation (C(INTERNAL_IP4_SUBNET)/C(INTERNAL_IP6_SUBNET)).
    type: list
    elements: str
  split_include:
    description: Subnets to tunnel, in CIDR notation (Cisco Unity C(UNITY_SPLIT_INCLUDE), IKEv1 clients).
    type: list
    elements: str
  split_exclude:
    description: Subnets not to tunnel, in CIDR notation (Cisco Unity C(UNITY_LOCAL_LAN), IKEv1 clients).
    type: list
    elements: str
  p_cscf:
    description:
      - P-CSCF servers (RFC 7651).
      - Needs strongSwan 6.0.3 or later; older daemons reject the pool (C(invalid attribute) for V(p_cscf)).
    type: list
    elements: str
  attributes:
    description:
      - Other configuration attributes, by number, each with a list of values, like the numeric keys of a
        swanctl.conf pool. A value that parses as an IP address or subnet is sent in binary form, anything
        else as the raw text.
      - 'Example: C({25: ["1.2.3.4"]}). Attribute numbers are 1 to 32767.'
    type: dict
    default: {}
  state:
    description: Whether the pool is loaded.
    type: str
    choices: [present, absent]
    default: present
notes:
  - The daemon keeps pools only in memory; a restart forgets them (the next run of this module loads them again).
  - Unloading a pool with online leases fails; the module says how many leases are online.
"""

EXAMPLES = r"""
- name: Address pool for road warriors, with DNS servers
  strongswan.vici.pool:
    name: rw-pool
    addrs: 10.3.0.0/24
    dns: [10.1.0.53, 10.1.0.54]

- name: Certificate-based road warrior connection that hands out addresses from that pool
  strongswan.vici.connection:
    name: rw
    config:
      local_addrs: [203.0.113.10]
      pools: [rw-pool]
      local:
        auth: pubkey
        certs: [/etc/swanctl/x509/gw.pem]
        id: gw.example.com
      remote:
        auth: pubkey
      children:
        rw:
          local_ts: [10.1.0.0/16]

- name: IPv6 pool from a range, with a numbered attribute (25 is INTERNAL_DNS_DOMAIN, RFC 8598)
  strongswan.vici.pool:
    name: rw-pool6
    addrs: fd00:3::10-fd00:3::ff
    dns: [fd00:1::53]
    attributes:
      25: [corp.example.com]

- name: Remove a pool
  strongswan.vici.pool:
    name: old-pool
    state: absent
"""

RETURN = r"""
action:
  description: What the module did (or would do in check mode) - V(load), V(unload) or V(none).
  returned: always
  type: str
  sample: load
name:
  description: The pool's name.
  returned: always
  type: str
  sample: rw-pool
base:
  description:
    - The first address the daemon reports for the pool (as C(get-pools) prints it).
    - For a subnet given as its network id, strongSwan 6 reports the first address it hands out
      (V(10.3.0.1) for V(10.3.0.0/24)), strongSwan 5 the network id (V(10.3.0.0)).
  returned: when O(state=present)
  type: str
  sample: 10.3.0.0
size:
  description: The number of addresses the pool hands out (as C(get-pools) reports it).
  returned: when O(state=present)
  type: int
  sample: 254
"""

from ansible_collections.strongswan.vici.plugins.module_utils._base import ViciModule
from ansible_collections.strongswan.vici.plugins.module_utils._kinds.pool import POOL_ATTRIBUTES, run_module


def main():
    spec = {
        "name": {"type": "str", "required": True},
        "addrs": {"type": "str"},
        "attributes": {"type": "dict", "default": {}},
        "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
    }
    for attribute in POOL_ATTRIBUTES:
        spec[attribute] = {"type": "list", "elements": "str"}
    ViciModule(spec, required_if=[("state", "present", ("addrs",))], locks_gateway=True).run(run_module)


if __name__ == "__main__":
    main()
