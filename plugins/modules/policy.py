#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: policy
short_description: Install or uninstall the trap, pass or drop policy of a child in a running strongSwan daemon
version_added: 0.1.0
description:
  - Installs (C(install)) or removes (C(uninstall)) the kernel policy of a loaded child over VICI, like
    C(swanctl --install/--uninstall), idempotently (C(list-policies) is read first).
  - What is installed depends on the child's configuration. A child with C(mode=pass) or C(mode=drop) gets a
    bypass or drop policy (a shunt); any other child gets a trap policy, so that the first matching packet makes the
    daemon negotiate the CHILD_SA (what C(start_action=trap) does when the connection is loaded).
author:
  - strongswan.vici contributors (@strongswan-vici)
extends_documentation_fragment:
  - strongswan.vici.vici
  - strongswan.vici.vici.ATTRIBUTES
attributes:
  diff_mode:
    support: full
    details: The diff shows the policy as C(list-policies) reports it, before and after.
options:
  child:
    description: Name of the child (CHILD_SA configuration) whose policy is managed.
    type: str
    required: true
  ike:
    description:
      - Name of the connection the child belongs to. Needed when several connections have a child of that name.
    type: str
  state:
    description: Whether the policy is installed.
    type: str
    choices: [present, absent]
    default: present
notes:
  - Shunt (pass/drop) policies need the daemon's C(kernel-netlink) interface; the userspace C(kernel-libipsec)
    interface cannot install them.
  - A trap only triggers a negotiation with a kernel IPsec stack that reports acquires (C(kernel-netlink));
    C(kernel-libipsec) drops packets that match a trap without an SA.
  - Re-running with V(present) does not re-install a policy that is already there. To apply a changed child
    configuration, use V(absent) then V(present).
seealso:
  - module: strongswan.vici.sa
  - module: strongswan.vici.connection
  - module: strongswan.vici.info
"""

EXAMPLES = r"""
- name: Negotiate the tunnel on demand, when traffic for it appears
  strongswan.vici.policy:
    ike: branch
    child: branch-net

- name: Let traffic inside the LAN bypass IPsec (child with mode pass)
  strongswan.vici.policy:
    ike: passthrough
    child: lan-bypass

- name: Remove the trap again
  strongswan.vici.policy:
    ike: branch
    child: branch-net
    state: absent
"""

RETURN = r"""
action:
  description: What the module did (or would do in check mode) - V(install), V(uninstall) or V(none).
  returned: always
  type: str
  sample: install
policy:
  description:
    - The installed policy as C(list-policies) reports it, after the operation, with its C(key) (C(<ike>/<child>)).
      C(mode) is C(TUNNEL) or C(TRANSPORT) for a trap, C(PASS) or C(DROP) for a shunt.
    - Empty when no policy is installed.
  returned: always
  type: dict
  sample: {key: branch/branch-net, child: branch-net, ike: branch, mode: TUNNEL, local-ts: [10.1.0.0/16], remote-ts: [10.2.0.0/16]}
"""

from ansible_collections.strongswan.vici.plugins.module_utils._base import ViciModule
from ansible_collections.strongswan.vici.plugins.module_utils._operations.policy import run


def main():
    module = ViciModule(
        {
            "child": {"type": "str", "required": True},
            "ike": {"type": "str"},
            "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
        }
    )

    module.run(run)


if __name__ == "__main__":
    main()
