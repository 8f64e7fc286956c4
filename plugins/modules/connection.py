#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: connection
short_description: Load or unload an IKE connection in a running strongSwan daemon
version_added: 0.1.0
description:
  - Manages one connection of the charon daemon over VICI (C(load-conn), C(unload-conn), C(get-conns),
    C(list-conns)), written exactly like a C(connections.<name>) section of swanctl.conf, without touching
    files or restarting anything.
  - "Keys are checked against the daemon's own schema (strongSwan 5.9 and 6.0) before anything is sent. An
    unknown key fails with its full path and the closest known key, for example
    C(children.net.esp_proposal: unknown key; did you mean 'esp_proposals'?)."
  - The daemon reports only part of a connection (not its proposals, start actions, lifetimes other than
    rekey times, and more). Whether a loaded connection is up to date is decided from a fingerprint of the
    exact message this module sent, kept on the managed host per daemon instance, plus a conservative
    comparison of what the daemon does report. A connection missing from the daemon (after a restart, or
    unloaded by someone else) is always loaded again; a change behind the module's back is detected as far
    as the daemon shows it (addresses, IKE version, authentication rounds and classes, simple identities,
    rekey and DPD times, uniqueness, children, their modes, actions, rekey limits and plain traffic
    selectors). A change the daemon does not report (for example only the proposals) made by another tool
    is not visible.
  - A change of only C(dpd_timeout) or C(dscp), which the daemon's own equality check ignores, is applied by
    unloading and loading the connection again.
  - Reloading a changed connection is what C(swanctl --load-conns) does too; as there, SAs of a replaced
    connection may be affected by its start actions.
author:
  - strongswan.vici contributors (@strongswan-vici)
extends_documentation_fragment:
  - strongswan.vici.vici
  - strongswan.vici.vici.ATTRIBUTES
  - strongswan.vici.vici.SA_UPDATE
options:
  name:
    description:
      - Name of the connection (the C(<name>) of C(connections.<name>)).
    type: str
    required: true
  state:
    description:
      - V(present) loads the connection unless the daemon already has exactly this one.
      - V(absent) unloads it; a connection that is not loaded is not an error.
    type: str
    choices: [present, absent]
    default: present
  config:
    description:
      - The body of the C(connections.<name>) section in swanctl.conf's schema, see
        U(https://docs.strongswan.org/docs/latest/swanctl/swanctlConf.html). Key names are exactly those of
        swanctl.conf (case-sensitive), for example C(local_addrs), C(remote_addrs), C(version), C(proposals),
        C(dpd_delay), C(pools), C(children).
      - Authentication rounds are sub-sections whose names start with V(local) or V(remote) (V(local),
        V(local-2), V(remote-eap), ...). They are used in the order given unless they have a C(round) key.
        Certificate sections inside a round (names starting with V(cert) or V(cacert)) take C(file),
        C(handle), C(slot) and C(module), which the daemon reads itself.
      - Children are the sub-sections of C(children), each with keys like C(local_ts), C(remote_ts),
        C(esp_proposals), C(mode), C(start_action), C(updown).
      - List-valued keys (C(local_addrs), C(remote_addrs), C(proposals), C(vips), C(pools), C(groups),
        C(cert_policy), C(esp_proposals), C(ah_proposals), C(local_ts), C(remote_ts)) take a YAML list or
        swanctl's comma-separated string.
      - Boolean keys take YAML booleans or the words the daemon knows (V(yes), V(no), V(true), V(false), ...).
        Numbers may be YAML integers. Times take swanctl's forms (V(3600), V(60m), V(1h), V(1d)) and byte
        counts its units (V(500M)); simple forms are sent as the number of seconds or bytes the daemon reads.
      - C(certs), C(cacerts) and C(pubkeys) in a round take, per item, PEM text, a path to a PEM or DER file on
        the managed host (relative paths are looked up like swanctl does, in C(x509/), C(x509ca/) or
        C(pubkey/) under E(SWANCTL_DIR) or C(/etc/swanctl)), or swanctl's V(0x)/V(0s) inline forms. Files are
        read on the managed host and their content sent; the diff shows a certificate's subject and digest,
        never the data.
      - A key whose value is V(null) is left out, which is handy with templated values.
      - Checked before anything is sent, in check mode too - names of children and rounds (non-empty printable
        ASCII), C(version) (V(0), V(1) or V(2)), empty list items (an empty string in C(local_addrs)), prefix lengths of
        addresses and traffic selectors (V(10.0.0.0/33) is refused, the daemon would make it V(/32)),
        algorithm keywords with impossible sizes in proposals (V(aes257), V(sha999), V(modp1000)), values of
        at most 65535 bytes and a C(load-conn) message of at most 512 KiB.
      - Every value is also checked as the daemon parses it, naming the key - enumerations (C(mode),
        C(start_action), C(dpd_action), C(hw_offload), ...), C(auth), numbers, times and byte counts, marks,
        interface IDs, virtual IPs, traffic selectors (protocol and port names looked up on the managed host),
        every proposal keyword and the proposal as a whole, and printable ASCII for text (a non-ASCII C(id)
        is refused). What only some strongSwan releases accept (V(iptfs) since 6.0.2, V(trap|start) since
        5.9.6, C(ke1_) key exchanges since 6.0.0, the key C(icmp) since 6.0.5) is checked against the running
        daemon's version and named as what that release lacks.
      - A proposal naming an algorithm the daemon implements no plugin for (C(get-algorithms), for example
        C(serpent128) or C(ntru128) on most builds) loads, but can never be negotiated; the module warns.
      - Required, and not empty, with O(state=present).
    type: dict
notes:
  - The fingerprints are kept in a small file on the managed host (see the collection's documentation on
    idempotency), never anything secret; connections hold no secrets anyway (PSKs and EAP passwords are
    shared secrets, see M(strongswan.vici.shared_secret)).
  - A key the parser of the running daemon does not know yet (for example C(icmp) before strongSwan 6.0.5)
    is rejected by the daemon; the error says which release added it.
seealso:
  - module: strongswan.vici.shared_secret
  - module: strongswan.vici.info
"""

EXAMPLES = r"""
- name: Site-to-site tunnel with a pre-shared key
  strongswan.vici.connection:
    name: branch
    config:
      version: 2
      local_addrs: 203.0.113.1
      remote_addrs: 198.51.100.1
      proposals: aes256gcm16-prfsha384-ecp384
      dpd_delay: 30s
      local:
        auth: psk
        id: gw.example.com
      remote:
        auth: psk
        id: branch.example.com
      children:
        net:
          local_ts: 10.1.0.0/16
          remote_ts: 10.2.0.0/16
          esp_proposals: [aes256gcm16-ecp384]
          start_action: trap
          dpd_action: restart

- name: The PSK for it
  strongswan.vici.shared_secret:
    id: ike-branch
    secret: "{{ vault_branch_psk }}"
    owners: [gw.example.com, branch.example.com]

- name: Road warriors with certificates, addresses from a pool
  strongswan.vici.connection:
    name: rw
    config:
      version: 2
      local_addrs: 203.0.113.1
      pools: [rw_pool]
      send_cert: always
      local:
        auth: pubkey
        certs: /etc/swanctl/x509/gwCert.pem
        id: vpn.example.com
      remote:
        auth: pubkey
        cacerts: "{{ lookup('ansible.builtin.file', 'files/ca.pem') }}"
      children:
        rw:
          local_ts: 10.1.0.0/16
          esp_proposals: aes128gcm16-x25519

- name: Road warriors with EAP (MSCHAPv2) behind a server certificate
  strongswan.vici.connection:
    name: rw-eap
    config:
      version: 2
      pools: rw_pool
      local:
        auth: pubkey
        certs: gwCert.pem
        id: vpn.example.com
      remote:
        auth: eap-mschapv2
        eap_id: "%any"
      children:
        rw:
          local_ts: 0.0.0.0/0
          rekey_time: 1h

- name: Remove a connection
  strongswan.vici.connection:
    name: old-branch
    state: absent
"""

RETURN = r"""
action:
  description:
    - What the module did (or would do in check mode) - V(load), V(reload) (unload, then load, for a change
      the daemon would otherwise ignore), V(unload) or V(none).
  returned: always
  type: str
  sample: load
reason:
  description: Why, in a few words (for example V(not loaded), V(configuration differs), V(up to date)).
  returned: always
  type: str
  sample: up to date
name:
  description: The connection's name.
  returned: always
  type: str
  sample: branch
sa_report:
  description:
    - Per changed, added or removed connection that had SAs or should be up (and unchanged one that should be up), its IKE_SAs and CHILD_SAs
      V(before) and V(after) the run (unique ids, state, SPIs, the CHILD_SA's negotiated V(proposal)), and per child
      the V(outcome) - V(kept), V(re-established), V(up), V(closed), V(down) or V(none); V(old_parameters)
      where a CHILD_SA still runs the configuration before the change.
    - In check mode, predicted from C(list-sas) and the daemon release's measured reload behaviour.
  returned: when a connection changed, or one that should be up is watched
  type: dict
  sample: {branch: {change: changed, sa_update: reestablish, children: {net: {outcome: re-established, should_be_up: true, old_parameters: false}}}}
down:
  description: The tunnels (V(connection/child)) that should be up and are not at the end of the run.
  returned: when any
  type: list
  elements: str
  sample: [branch/net]
config:
  description:
    - The canonical connection as sent to the daemon, in swanctl.conf's schema (lists as lists, booleans as
      V(yes)/V(no), times in seconds); certificate and key data are replaced by a description.
  returned: when O(state=present)
  type: dict
  sample: {version: "2", local_addrs: [203.0.113.1], remote: {auth: psk}, children: {net: {start_action: trap}}}
"""

from ansible_collections.strongswan.vici.plugins.module_utils._base import ViciModule
from ansible_collections.strongswan.vici.plugins.module_utils._kinds.connection import run_module


def main():
    ViciModule(
        {
            "name": {"type": "str", "required": True},
            "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
            "config": {"type": "dict"},
            "sa_update": {"type": "str", "choices": ["auto", "reestablish", "report", "never"], "default": "auto"},
            "sa_timeout": {"type": "int", "default": 20},
            "down_fails": {"type": "bool", "default": False},
        },
        required_if=[("state", "present", ("config",))],
        locks_gateway=True,
    ).run(run_module)


if __name__ == "__main__":
    main()
