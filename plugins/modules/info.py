#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: info
short_description: Gather facts from a running strongSwan daemon over VICI
version_added: 0.1.0
description:
  - Reads what the charon daemon reports over its VICI socket - version, statistics, connections, SAs,
    policies, certificates, authorities, pools, key and shared-secret ids, algorithms and IKE counters.
  - Only read-only VICI commands are sent; the module never changes the daemon.
  - Keys keep the daemon's names as documented in the VICI protocol (for example C(local-host)); an SA's C(child-sas)
    section becomes the list RV(sas[].child_sas). Every value is text.
author:
  - strongswan.vici contributors (@strongswan-vici)
extends_documentation_fragment:
  - strongswan.vici.vici
  - strongswan.vici.vici.INFO_MODULE
options:
  gather:
    description:
      - What to read. V(all) reads everything.
      - V(version) (C(version)), V(stats) (C(stats)), V(conns) (C(list-conns) and C(get-conns)), V(sas) (C(list-sas)),
        V(policies) (C(list-policies)), V(certs) (C(list-certs)), V(authorities) (C(list-authorities)),
        V(pools) (C(get-pools)), V(keys) (C(get-keys)), V(shared) (C(get-shared)),
        V(algorithms) (C(get-algorithms)), V(counters) (C(get-counters), needs the daemon's C(counters) plugin).
    type: list
    elements: str
    choices: [all, version, stats, conns, sas, policies, certs, authorities, pools, keys, shared, algorithms, counters]
    default: [version, stats, conns, sas]
  pool_leases:
    description:
      - With O(gather=pools), also list each pool's leases (address, identity, online or offline).
      - Large pools make this reply large.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Read version, statistics, connections and SAs
  strongswan.vici.info:
  register: vpn

- name: Show the established IKE_SAs
  ansible.builtin.debug:
    msg: "{{ vpn.sas | selectattr('state', 'equalto', 'ESTABLISHED') | map(attribute='name') | list }}"

- name: Everything, from a daemon listening on a non-default socket
  strongswan.vici.info:
    socket: unix:///run/strongswan/charon.vici
    gather: [all]
    pool_leases: true

- name: Fail when the tunnel to the branch office is not up
  strongswan.vici.info:
    gather: [sas]
  register: vpn
  failed_when: >-
    vpn.sas | selectattr('name', 'equalto', 'branch')
            | selectattr('state', 'equalto', 'ESTABLISHED') | list | length == 0
"""

RETURN = r"""
version:
  description: The daemon's C(version) reply.
  returned: when O(gather) contains V(version)
  type: dict
  sample: {daemon: charon, version: 5.9.8, sysname: Linux, release: 6.1.0, machine: x86_64}
stats:
  description: The daemon's C(stats) reply (uptime, workers, queues, IKE_SA counts, loaded plugins).
  returned: when O(gather) contains V(stats)
  type: dict
  sample: {uptime: {running: 7 seconds, since: "Nov 23 20:44:47 2026"}, ikesas: {total: "0", half-open: "0"}}
conns:
  description:
    - Loaded connections by name, as C(list-conns) reports them, from every configuration backend.
    - The daemon reports only part of a connection's configuration (for example no proposals).
  returned: when O(gather) contains V(conns)
  type: dict
  sample: {gw: {version: IKEv2, local_addrs: ["%any"], remote_addrs: [192.0.2.1], children: {net: {mode: TUNNEL}}}}
vici_conns:
  description: Names of the connections loaded over VICI, in load order.
  returned: when O(gather) contains V(conns)
  type: list
  elements: str
  sample: [gw]
sas:
  description:
    - IKE_SAs as C(list-sas) reports them, one item per IKE_SA (several can share a name).
    - Each item has its C(name) and a C(child_sas) list whose items have their C(name) too.
  returned: when O(gather) contains V(sas)
  type: list
  elements: dict
  sample: [{name: gw, uniqueid: "1", state: ESTABLISHED, remote-host: 198.18.0.2, child_sas: [{name: net, state: INSTALLED}]}]
  contains:
    name:
      description: The IKE_SA's connection name.
      type: str
    child_sas:
      description: The IKE_SA's CHILD_SAs, each with its C(name), C(state), traffic selectors and counters.
      type: list
      elements: dict
policies:
  description: Installed trap, drop and pass policies by C(<ike>/<child>) key, as C(list-policies) reports them.
  returned: when O(gather) contains V(policies)
  type: dict
certs:
  description:
    - Certificates the daemon holds, from every credential source.
    - C(pem) holds the certificate, CRL or public key. X.509 certificates also have C(subject), C(issuer),
      C(serial), C(not_before) and C(not_after) (ISO 8601, UTC).
  returned: when O(gather) contains V(certs)
  type: list
  elements: dict
authorities:
  description: Certification authorities by name, as C(list-authorities) reports them.
  returned: when O(gather) contains V(authorities)
  type: dict
pools:
  description: Virtual IP pools by name (C(base), C(size), C(online), C(offline), and C(leases) with O(pool_leases)).
  returned: when O(gather) contains V(pools)
  type: dict
  sample: {rw: {base: 10.3.0.1, size: "14", online: "0", offline: "0"}}
keys:
  description: Ids of the private keys loaded over VICI (SHA-1 of the public key, hex).
  returned: when O(gather) contains V(keys)
  type: list
  elements: str
shared:
  description: Ids of the shared secrets loaded over VICI. Secrets themselves are never reported.
  returned: when O(gather) contains V(shared)
  type: list
  elements: str
algorithms:
  description: Loaded algorithms by kind, each mapping an algorithm to the plugin providing it.
  returned: when O(gather) contains V(algorithms)
  type: dict
counters:
  description: IKE event counters by connection name (the empty name holds the global counters).
  returned: when O(gather) contains V(counters)
  type: dict
"""

from ansible_collections.strongswan.vici.plugins.module_utils._base import ViciModule
from ansible_collections.strongswan.vici.plugins.module_utils._operations.info import GATHERERS, run


def main():
    module = ViciModule(
        {
            "gather": {
                "type": "list",
                "elements": "str",
                "choices": ["all"] + list(GATHERERS),
                "default": ["version", "stats", "conns", "sas"],
            },
            "pool_leases": {"type": "bool", "default": False},
        }
    )

    module.run(run)


if __name__ == "__main__":
    main()
