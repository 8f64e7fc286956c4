#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: sa
short_description: Bring IKE and CHILD SAs of a running strongSwan daemon up, down, rekey or redirect them
version_added: 0.1.0
description:
  - Controls the security associations of the charon daemon over VICI (C(initiate), C(terminate), C(rekey),
    C(redirect)), by the names of the loaded connection (O(ike)) and its child (O(child)), like
    C(swanctl --initiate/--terminate/--rekey/--redirect), but idempotent.
  - The daemon's C(initiate) is not idempotent (initiating a CHILD_SA that is being negotiated, or one that runs in another
    IKE_SA, adds a duplicate; strongSwan 5.9.8 and 6.0.1 refuse only an installed duplicate within the same IKE_SA), so the module
    reads C(list-sas) first and only initiates when no matching SA is established or being negotiated.
  - With O(wait_timeout), the module waits until the SA is established (or gone), using the daemon's own answer to
    C(initiate)/C(terminate) and its C(ike-updown)/C(child-updown) events, never fixed sleeps.
  - On failure the message quotes the daemon's error, names the connection, and adds the few lines of the daemon's
    log that explain it (for example C(received AUTHENTICATION_FAILED notify error)), plus a plain-language hint.
author:
  - strongswan.vici contributors (@strongswan-vici)
extends_documentation_fragment:
  - strongswan.vici.vici
  - strongswan.vici.vici.ATTRIBUTES
attributes:
  diff_mode:
    support: full
    details: The diff lists the SAs of the task (C(name[id] state, child{id} state)) before and after.
  idempotent:
    support: partial
    details: V(up) and V(down) are idempotent; V(rekeyed) always changes an established SA, V(redirected) every
      matching one.
options:
  ike:
    description:
      - Name of the connection (IKE_SA configuration), as in swanctl.conf's C(connections.<name>).
      - With O(state=up) and no O(child), only the IKE_SA is established, without CHILD_SAs (the daemon's behaviour).
      - At least one of O(ike), O(child) and O(remote_ids) is required, except with O(state=redirected).
      - With O(remote_ids), only the IKE_SAs of this connection are terminated.
    type: str
  child:
    description:
      - Name of the child (CHILD_SA configuration), as in C(connections.<ike>.children.<name>).
      - Without O(ike), the first loaded connection with a child of that name is used for V(up); V(down) and
        V(rekeyed) act on every CHILD_SA of that name.
      - Not used with V(redirected), which moves whole IKE_SAs.
      - Mutually exclusive with O(remote_ids).
    type: str
  state:
    description:
      - V(up) initiates the SA unless one is already established or being negotiated (for example by a trap or a
        previous task); with O(wait_timeout) it waits for that negotiation to finish.
      - V(down) terminates the matching SAs, established or connecting. With O(child), only the CHILD_SAs are closed
        and the IKE_SA stays; with only O(ike), the IKE_SA goes with all its CHILD_SAs. Nothing to terminate is no change.
      - V(rekeyed) rekeys the established CHILD_SAs (with O(child)) or IKE_SAs (only O(ike)); always a change.
        It fails when no established SA matches.
      - V(redirected) asks the peers of matching IKEv2 SAs to reconnect to O(gateway) (RFC 5685); the daemon must be
        the responder and the peers must support redirection. Nothing matching is no change.
    type: str
    choices: [up, down, rekeyed, redirected]
    default: up
  wait_timeout:
    description:
      - Seconds to wait for the SA to be established (V(up)), terminated (V(down)) or replaced by its rekeyed successor
        (V(rekeyed)). The module fails if that does not happen in time.
      - V(0) does not wait; for V(up) the daemon is told to initiate and the module returns at once (fire and forget),
        so a failure is not reported.
      - When an initiation times out the daemon keeps trying in the background, as it does for C(swanctl --initiate).
      - Must be a finite number from V(0) to V(86400) (one day).
    type: float
    default: 30
  force:
    description:
      - With V(down) and an IKE_SA, delete it without waiting for the peer to confirm (C(terminate force=yes)).
        Useful when the peer is gone.
    type: bool
    default: false
  reauth:
    description: With V(rekeyed) and an IKE_SA, reauthenticate instead of rekeying (a new IKE_SA with new authentication).
    type: bool
    default: false
  gateway:
    description: With V(redirected), the address or name of the gateway the peers are sent to. Required then.
    type: str
  peer_ip:
    description:
      - With V(redirected), only SAs whose peer address is in this address, subnet (CIDR) or V(from-to) range.
    type: str
  peer_id:
    description:
      - With V(redirected), only SAs whose peer identity matches this one (wildcards C(*) allowed).
    type: str
  remote_ids:
    description:
      - With O(state=down), terminate every IKE_SA (with all its CHILD_SAs; established or being negotiated) whose peer
        authenticated as one of these identities. An identity matches when it equals the SA's C(remote-id), its
        C(remote-eap-id) or its C(remote-xauth-id) exactly (no wildcards), as C(list-sas) prints them; give a
        certificate's identity in every form the peer may use, for example both V(gw-b.example.com) and
        V(CN=gw-b.example.com).
      - With O(ike), only the IKE_SAs of that connection; otherwise those of every connection.
      - Loading a CRL or removing a user ends no established SA; this ends them. Each IKE_SA is terminated by its
        unique id (C(terminate ike-id)), with O(force) and O(wait_timeout) as for any V(down). Nothing matching is no
        change. RV(terminated_sas) names what was (in check mode would be) terminated.
      - Only with O(state=down); mutually exclusive with O(child). Must not be empty nor hold an empty identity.
      - The name says what is compared (the daemon's C(remote-*id) keys); O(peer_id) is the redirect filter with
        wildcards, on C(remote-id) only.
    type: list
    elements: str
notes:
  - The result's RV(sas) lists the IKE_SAs the task is about, with the same keys as the P(strongswan.vici.info#module)
    module's C(sas), read after the operation.
  - In check mode only C(list-sas) and C(list-conns) are sent.
seealso:
  - module: strongswan.vici.info
  - module: strongswan.vici.connection
  - module: strongswan.vici.policy
"""

EXAMPLES = r"""
- name: Bring the tunnel to the branch office up and wait until it is established
  strongswan.vici.sa:
    ike: branch
    child: branch-net
    state: up
    wait_timeout: 20

- name: Start it without waiting (fire and forget)
  strongswan.vici.sa:
    ike: branch
    child: branch-net
    wait_timeout: 0

- name: Close only the CHILD_SA (the IKE_SA stays up)
  strongswan.vici.sa:
    ike: branch
    child: branch-net
    state: down

- name: Close the IKE_SA and all its CHILD_SAs, even if the peer no longer answers
  strongswan.vici.sa:
    ike: branch
    state: down
    force: true
    wait_timeout: 5

- name: Rekey the CHILD_SA now and wait for its successor
  strongswan.vici.sa:
    ike: branch
    child: branch-net
    state: rekeyed
    wait_timeout: 10

- name: Reauthenticate the IKE_SA
  strongswan.vici.sa:
    ike: branch
    state: rekeyed
    reauth: true

- name: End at once the SAs of a peer whose certificate was revoked (loading the CRL ends none)
  strongswan.vici.sa:
    ike: branch
    remote_ids: [branch.example.com, "CN=branch.example.com"]
    state: down
    force: true
    wait_timeout: 10
  register: revoked

- name: Say which IKE_SAs were ended
  ansible.builtin.debug:
    msg: "{{ revoked.terminated_sas | map(attribute='name') | zip(revoked.terminated_sas | map(attribute='uniqueid'))
             | map('join', '[') | map('regex_replace', '$', ']') | join(', ') }}"

- name: Send the road warriors of one subnet to another gateway
  strongswan.vici.sa:
    ike: rw
    state: redirected
    peer_ip: 10.10.0.0/16
    gateway: vpn2.example.com
"""

RETURN = r"""
action:
  description: What the module did (or would do in check mode) - V(initiate), V(terminate), V(rekey), V(redirect) or V(none).
  returned: always
  type: str
  sample: initiate
sas:
  description:
    - The IKE_SAs the task is about, after the operation, as P(strongswan.vici.info#module) returns them
      (daemon key names, a C(name) and a C(child_sas) list whose items have their C(name)).
    - With O(child), the IKE_SAs that hold a CHILD_SA of that name; with only O(ike), the IKE_SAs of that connection.
  returned: always
  type: list
  elements: dict
  sample:
    - name: branch
      uniqueid: "1"
      state: ESTABLISHED
      remote-host: 198.18.0.2
      child_sas: [{name: branch-net, uniqueid: "1", state: INSTALLED, bytes-in: "0", bytes-out: "0"}]
log:
  description:
    - The lines of the daemon's control log that explain the outcome (milestones and errors; packet chatter is
      dropped), as C(swanctl) prints them. Also part of the failure result.
  returned: when the module initiated, terminated or waited
  type: list
  elements: str
  sample: ["[IKE] <branch|1> initiating IKE_SA branch[1] to 198.18.0.2", "[IKE] <branch|1> received AUTHENTICATION_FAILED notify error"]
matches:
  description: How many SAs the daemon's C(terminate), C(rekey) or C(redirect) matched.
  returned: when the daemon reported it
  type: int
  sample: 1
terminated:
  description:
    - How many SAs the daemon's C(terminate) closed.
    - With O(remote_ids), how many IKE_SAs were terminated.
  returned: when O(state=down) terminated something
  type: int
  sample: 1
terminated_sas:
  description:
    - With O(remote_ids), the IKE_SAs terminated (in check mode, those that would be), before they went.
  returned: when O(remote_ids) is given
  type: list
  elements: dict
  contains:
    name:
      description: The connection's name.
      type: str
    uniqueid:
      description: The IKE_SA's unique id.
      type: str
    state:
      description: The IKE_SA's state before it was terminated.
      type: str
    remote_id:
      description: The peer's IKE identity (C(remote-id)).
      type: str
    remote_host:
      description: The peer's address.
      type: str
    identity:
      description: The identity of O(remote_ids) that matched (the remote, EAP or XAuth identity).
      type: str
    child_sas:
      description: The unique ids of its CHILD_SAs.
      type: list
      elements: str
  sample:
    - {name: branch, uniqueid: "4", state: ESTABLISHED, remote_id: branch.example.com, remote_host: 198.18.0.2,
       identity: branch.example.com, child_sas: ["7"]}
vici_errmsg:
  description: The daemon's own error message.
  returned: failure
  type: str
  sample: establishing CHILD_SA 'branch-net' failed
"""

from ansible_collections.strongswan.vici.plugins.module_utils._base import ViciModule
from ansible_collections.strongswan.vici.plugins.module_utils._operations.sa import run


def main():
    module = ViciModule(
        {
            "ike": {"type": "str"},
            "child": {"type": "str"},
            "state": {"type": "str", "choices": ["up", "down", "rekeyed", "redirected"], "default": "up"},
            "wait_timeout": {"type": "float", "default": 30.0},
            "force": {"type": "bool", "default": False},
            "reauth": {"type": "bool", "default": False},
            "gateway": {"type": "str"},
            "peer_ip": {"type": "str"},
            "peer_id": {"type": "str"},
            "remote_ids": {"type": "list", "elements": "str"},
        },
        mutually_exclusive=[("remote_ids", "child")],
        required_if=[("state", "redirected", ("gateway",)), ("state", "redirected", ("ike", "peer_ip", "peer_id"), True)],
        seconds=("wait_timeout",),
    )

    module.run(run)


if __name__ == "__main__":
    main()
