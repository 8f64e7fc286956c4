#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: health
short_description: Check that the tunnels of a running strongSwan daemon run as declared, and bring back missing ones
version_added: 0.1.0
description:
  - Compares what the charon daemon runs (C(list-sas), C(list-policies)) with what was declared for each connection,
    per connection and child, and returns one entry per tunnel and a summary fit for C(assert) or C(failed_when).
  - The intent of a child is its declared C(start_action), from the load-conn message this collection last loaded
    for the connection (kept in the ledger). The daemon's C(list-conns) does not show C(start_action) or proposals.
    The ledger belongs to one run of the daemon; after charon restarts, its service's C(swanctl --load-all) loads
    the connections from files and the ledger has no entry for them.
  - For a connection the ledger has no entry for, the intent comes from the C(connections) sections of the
    swanctl.conf files in O(swanctl_conf) (for example the file the C(config) module or the roles persist), and its
    entry has RV(tunnels[].declared_from=file). A connection declared by neither counts as V(trap) when its trap
    policy is installed, else V(none), and its entry has RV(tunnels[].declared=false).
  - C(start_action=start) (or V(restart)) wants exactly one INSTALLED CHILD_SA per child; V(trap) wants the trap
    policy installed (or a CHILD_SA it triggered); V(none) reports what runs, and a child whose connection has an
    established IKE_SA without any CHILD_SA (a child the peer refused) counts as down.
  - Flags duplicates (two or more installed CHILD_SAs of one child, the known duplicate-initiate pitfall), IKE_SAs
    without CHILD_SA, and CHILD_SAs that run a proposal the declared C(esp_proposals) no longer allow (old
    parameters after a change the running SA never took; only detectable for declared proposals this collection
    can map to the daemon's algorithm names).
  - With O(reinitiate), initiates only the tunnels that are down, through the same re-initiator as the
    C(config) and C(connection) modules' C(sa_update), which reads C(list-sas) first and never makes a duplicate
    CHILD_SA. Check mode says what it would initiate and sends no mutating command.
  - With O(metrics_path), writes the state in the Prometheus text format for node_exporter's textfile collector.
author:
  - strongswan.vici contributors (@strongswan-vici)
extends_documentation_fragment:
  - strongswan.vici.vici
  - strongswan.vici.vici.ATTRIBUTES
attributes:
  check_mode:
    details: In check mode only read-only VICI commands are sent, and O(metrics_path) is not written.
  diff_mode:
    support: none
    details: The result lists the tunnels and what was re-initiated; there is no diff.
  idempotent:
    support: full
    details: Without O(reinitiate) nothing changes. With it, a second run finds the tunnels up and initiates nothing
      (unless a tunnel went down again, or the peer refused it).
options:
  connections:
    description:
      - Names of the connections to check. Every child of each is checked.
      - A named connection the daemon does not hold is reported with status V(missing) and the problem
        V(not_loaded).
      - Default is every connection the daemon holds (C(list-conns), all backends).
    type: list
    elements: str
  reinitiate:
    description:
      - Initiate every tunnel that is down and whose intent is not V(trap) (a missing trap policy is reported, not
        re-installed; see M(strongswan.vici.policy)), then report the state after it.
      - Each initiation is decided from a fresh C(list-sas), so a tunnel that came up meanwhile, or is being
        negotiated, is not initiated again. The wait for each initiation is bounded by O(timeout).
      - Takes the gateway lock, so that it does not race a C(config) run that is re-establishing tunnels.
      - In check mode nothing is initiated; RV(reinitiated) lists what would be, and the task reports a change.
    type: bool
    default: false
  metrics_path:
    description:
      - Write the result as Prometheus exposition text (format 0.0.4) to this file, for node_exporter's textfile
        collector (whose directory it should be in, with a name ending in C(.prom)).
      - The file is replaced atomically (a temporary file in the same directory, renamed over it) with mode
        C(0644). Its directory must exist.
      - Writing it is not a change of the daemon, so it never makes the task V(changed); it is not written in
        check mode.
      - "The series, all prefixed C(strongswan_vici_): per C(connection) and C(child): C(tunnel_state) (one series
        per C(state), 1 for the current one), C(tunnel_intended) (with the C(intent) label), C(tunnel_up),
        C(tunnel_healthy), C(tunnel_child_sas), the counters C(tunnel_bytes_in_total), C(tunnel_bytes_out_total),
        C(tunnel_packets_in_total), C(tunnel_packets_out_total) and the gauges C(tunnel_rekey_seconds) and
        C(tunnel_lifetime_seconds); per C(connection): C(ike_sas) and C(ike_established_seconds) (the age of
        the oldest established IKE_SA); per C(pool): C(pool_size) and C(pool_leases) (by C(status) online and
        offline); and C(health_healthy) and C(health_timestamp_seconds)."
    type: path
  swanctl_conf:
    description:
      - swanctl.conf files whose C(connections) sections declare the intent (C(start_action), C(esp_proposals)) of
        the connections the ledger has no entry for, typically after a daemon restart, when the service's
        C(swanctl --load-all) loaded them from these files. Give the file the C(config) module's C(persist) writes
        (for example C(/etc/swanctl/conf.d/site_to_site.conf)), or C(/etc/swanctl/swanctl.conf), which includes it.
      - The ledger wins for a connection it has an entry for. A connection in several files takes the last file's
        definition, as loading the files in this order would.
      - Read as swanctl reads them (includes relative to the file, templates). Only C(start_action) and
        C(esp_proposals) of the children are taken; nothing of a C(secrets) section is read into the result.
      - A file that does not exist or cannot be read, or is not valid swanctl.conf syntax, fails the task with a
        message that names this option and the file.
      - These files are not checked against what the daemon loaded; a file edited since it was loaded declares
        what it says now.
    type: list
    elements: path
    default: []
notes:
  - The traffic counters are summed over a child's installed CHILD_SAs; a rekeying replaces the SA and its counters
    start again from 0, a counter reset that Prometheus' C(rate()) and C(increase()) handle.
  - "A task can gate on the result, for example C(failed_when: not result.summary.healthy), or
    C(that: result.summary.up == result.summary.intended)."
seealso:
  - module: strongswan.vici.sa
  - module: strongswan.vici.info
  - module: strongswan.vici.config
  - name: Operating tunnels
    description: The collection's docs/operating-tunnels.md, section "Tunnel health".
    link: https://github.com/strongswan-vici/strongswan.vici/blob/main/docs/operating-tunnels.md
"""

EXAMPLES = r"""
- name: Fail the play unless every intended tunnel runs as declared
  strongswan.vici.health:
  register: health
  failed_when: not health.summary.healthy

- name: Bring back what is missing, and say what was initiated
  strongswan.vici.health:
    reinitiate: true
  register: health

- name: Check two connections only, and write the metrics for node_exporter
  strongswan.vici.health:
    connections: [branch, datacenter]
    metrics_path: /var/lib/prometheus/node-exporter/strongswan.prom

- name: After a daemon restart, take the intent from the persisted file, and bring back what is missing
  strongswan.vici.health:
    swanctl_conf: [/etc/swanctl/conf.d/site_to_site.conf]
    reinitiate: true

- name: Assert that all intended tunnels are up (duplicates or old parameters tolerated)
  ansible.builtin.assert:
    that:
      - health.summary.up == health.summary.intended
"""

RETURN = r"""
tunnels:
  description: One entry per connection and child (after the re-initiation, if any), by connection and child name.
  returned: always
  type: list
  elements: dict
  contains:
    connection:
      description: The connection's name.
      type: str
      sample: branch
    child:
      description: The child's name (empty for a connection the daemon does not hold).
      type: str
      sample: branch-net
    intent:
      description: The declared C(start_action), as V(start), V(trap) or V(none).
      type: str
      sample: start
    declared:
      description: Whether the intent was declared, in the ledger or in a file of O(swanctl_conf).
      type: bool
      sample: true
    declared_from:
      description:
        - Where the declared intent came from; V(ledger) (the load-conn message this collection loaded) or V(file)
          (a file of O(swanctl_conf), for a connection the ledger has no entry for); null when not declared.
      type: str
      sample: ledger
    status:
      description:
        - V(up) (a CHILD_SA installed), V(trapped) (trap policy installed, no CHILD_SA), V(connecting),
          V(down) (should run and does not), V(idle) (not intended and not running), V(missing) (connection not
          loaded).
      type: str
      sample: up
    trap_installed:
      description: Whether the child's trap policy is installed.
      type: bool
      sample: false
    child_sas:
      description: The CHILD_SAs of the child, in any state.
      type: list
      elements: dict
      sample:
        - uniqueid: "4"
          state: INSTALLED
          ike_uniqueid: "3"
          proposal: AES_GCM_16/128
          old_parameters: false
    problems:
      description:
        - One line per problem, each starting with its code followed by a colon, one of V(not_loaded), V(down),
          V(connecting), V(duplicate), V(no_child), V(stale).
      type: list
      elements: str
      sample: ["duplicate: 2 CHILD_SAs of branch/branch-net are installed (unique ids 4, 6)"]
    healthy:
      description: Whether the tunnel has no problem.
      type: bool
      sample: true
summary:
  description: Counts over RV(tunnels), fit for C(assert) and C(failed_when).
  returned: always
  type: dict
  contains:
    healthy:
      description: True when no tunnel has a problem.
      type: bool
      sample: true
    tunnels:
      description: Number of entries in RV(tunnels).
      type: int
      sample: 3
    intended:
      description: Tunnels whose intent is V(start) or V(trap).
      type: int
      sample: 2
    up:
      description: Intended tunnels that run as intended (status V(up) or V(trapped)).
      type: int
      sample: 2
    down:
      description: Tunnels that should run and do not.
      type: int
      sample: 0
    connecting:
      description: Intended tunnels being negotiated.
      type: int
      sample: 0
    duplicates:
      description: Children with two or more installed CHILD_SAs.
      type: int
      sample: 0
    no_child:
      description: Established IKE_SAs without any CHILD_SA.
      type: int
      sample: 0
    stale:
      description: Installed CHILD_SAs on a proposal the declared C(esp_proposals) no longer allow.
      type: int
      sample: 0
    not_loaded:
      description: Named connections the daemon does not hold.
      type: int
      sample: 0
    problems:
      description: The problem codes that occur.
      type: list
      elements: str
      sample: []
reinitiated:
  description:
    - With O(reinitiate), one item per tunnel that was down and not V(trap), with what happened.
    - C(outcome) is V(up) (a CHILD_SA is installed now), V(failed) (see C(error) and C(log)), V(already up) (it
      came up or was being negotiated meanwhile, nothing sent) or, in check mode, V(would initiate).
  returned: always
  type: list
  elements: dict
  sample:
    - tunnel: branch/branch-net
      outcome: up
      initiated: true
      child_sas: ["7"]
metrics:
  description: With O(metrics_path), the file and whether it was written (not in check mode), with its line count.
  returned: when O(metrics_path) is set
  type: dict
  sample:
    path: /var/lib/prometheus/node-exporter/strongswan.prom
    written: true
    lines: 64
"""

from ansible_collections.strongswan.vici.plugins.module_utils._base import ViciModule
from ansible_collections.strongswan.vici.plugins.module_utils._gateway.config_info import declared_children
from ansible_collections.strongswan.vici.plugins.module_utils._operations.health import run


def _run(vici):
    """Read the O(swanctl_conf) files here (this layer may read swanctl.conf), pass plain dicts down."""
    run(vici, declared_children(vici.params["swanctl_conf"] or []))


def main():
    module = ViciModule(
        {
            "connections": {"type": "list", "elements": "str"},
            "reinitiate": {"type": "bool", "default": False},
            "metrics_path": {"type": "path"},
            "swanctl_conf": {"type": "list", "elements": "path", "default": []},
        },
    )
    module.run(_run)


if __name__ == "__main__":
    main()
