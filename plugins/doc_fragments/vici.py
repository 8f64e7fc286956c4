# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    # The options every module of the collection shares.
    DOCUMENTATION = r"""
options:
  socket:
    description:
      - The daemon's VICI socket, as a URI like C(swanctl --uri) takes it.
      - V(unix:///path) for a UNIX socket (a bare absolute path works too), V(tcp://host:port) or
        V(tcp://[address]:port) for the TCP listener of the vici plugin.
      - If not set, the value of the E(STRONGSWAN_VICI_SOCKET) environment variable is used, and then
        the daemon's default.
      - Whoever can open this socket has full control over the daemon.
    type: str
    default: unix:///var/run/charon.vici
  timeout:
    description:
      - Seconds one VICI operation may take, from sending the request to the last byte of its reply
        (streamed events included).
      - If not set, the value of the E(STRONGSWAN_VICI_TIMEOUT) environment variable is used.
      - Must be a finite number above V(0) and at most V(86400) (one day); other values fail the module before it
        connects, naming the option.
      - Connecting also retries within this time while the daemon's socket is busy (its listen queue is full, as
        with many parallel runs).
    type: float
    default: 30
notes:
  - The modules talk to the daemon through the VICI socket on the managed host and need nothing but
    Python 3.8 or newer there; charon must run with the C(vici) plugin.
requirements:
  - strongSwan 5.9 or newer with the vici plugin (charon, charon-systemd), on the managed host.
seealso:
  - name: VICI protocol
    description: The specification of the protocol these modules speak.
    link: https://github.com/strongswan/strongswan/blob/master/src/libcharon/plugins/vici/README.md
  - name: swanctl.conf
    description: The configuration schema the configuration modules follow.
    link: https://docs.strongswan.org/docs/latest/swanctl/swanctlConf.html
"""

    # Attributes of a module that changes the daemon's state.
    ATTRIBUTES = r"""
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details: In check mode only read-only VICI commands are sent to the daemon.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
    details: Secrets are masked in the diff.
  idempotent:
    description: When run twice in a row outside check mode, with the same arguments, the second invocation indicates no change.
    support: full
  action_group:
    description: Use C(group/strongswan.vici.vici) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - strongswan.vici.vici
"""

    # Attributes of a read-only module.
    INFO_MODULE = r"""
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details: This module only reads and never changes anything.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: N/A
    details: This module never changes anything.
  idempotent:
    description: When run twice in a row outside check mode, with the same arguments, the second invocation indicates no change.
    support: full
  action_group:
    description: Use C(group/strongswan.vici.vici) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - strongswan.vici.vici
"""

    # The options of the modules that change connections: what a change does to the SAs they run.
    SA_UPDATE = r"""
options:
  sa_update:
    description:
      - What a change of a connection does to the SAs it runs. A changed connection reaches the daemon's
        configuration only; with C(start_action) V(none) or V(trap) its CHILD_SAs keep the old proposals and
        lifetimes, also through rekeyings (see the collection's docs/operating-tunnels.md).
      - V(reestablish) replaces the SAs that run old parameters, make-before-break (the new CHILD_SA is
        initiated before the old one is terminated; an old IKE_SA left without CHILD_SA is then closed), closes
        the SAs of a removed connection, and brings up a tunnel that should be up (C(start_action) V(start), or
        SAs before the change) within O(sa_timeout).
      - V(report) touches no SA and counts, in RV(sa_report), the CHILD_SAs still on old parameters.
      - V(never) touches no SA; RV(sa_report) says the tunnel still runs the old parameters.
      - V(auto) is V(reestablish) for a connection with a fixed peer and V(report) for remote access
        (C(remote_addrs) V(%any), a range or a subnet, or C(pools)), because re-creating every road warrior's SA must be
        a deliberate choice.
    type: str
    choices: [auto, reestablish, report, never]
    default: auto
  sa_timeout:
    description:
      - Seconds the run may spend, after its changes, waiting for and re-initiating tunnels that should be up
        (the retry window), for all connections together, from V(0) to V(300). The gateway lock (E(STRONGSWAN_VICI_LOCK_TIMEOUT),
        600 seconds by default) is held meanwhile, so keep it well below that wait.
    type: int
    default: 20
  down_fails:
    description:
      - Fail the task when a tunnel that should be up is down at the end of the run (listed in RV(down)).
      - By default that is a warning, so that a C(serial) play goes on to the peer, whose run brings the tunnel up.
    type: bool
    default: false
"""
