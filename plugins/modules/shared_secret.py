#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: shared_secret
short_description: Load or unload a shared secret (PSK, EAP, XAuth, NTLM, PPK) in a running strongSwan daemon
version_added: 0.1.0
description:
  - Manages one shared secret of the charon daemon over VICI (C(load-shared), C(unload-shared), C(get-shared)),
    like a C(secrets.<type><suffix>) section of swanctl.conf, without touching files or restarting anything.
  - The daemon reports only the ids of its shared secrets, never their value or owners. Whether a loaded
    secret is up to date is decided from a keyed fingerprint kept on the managed host (see the collection's
    docs on idempotency), so a changed O(secret) or O(owners) is detected and reloaded, and a secret missing
    from the daemon (for example after a restart) is always loaded again.
  - The secret never appears in the module's result, diff or warnings.
author:
  - strongswan.vici contributors (@strongswan-vici)
extends_documentation_fragment:
  - strongswan.vici.vici
  - strongswan.vici.vici.ATTRIBUTES
options:
  id:
    description:
      - Unique identifier of the secret in the daemon (swanctl uses the section name, for example V(ike-gw)).
      - Needed to list, replace and unload it.
    type: str
    required: true
  type:
    description: Kind of secret.
    type: str
    choices: [ike, eap, xauth, ntlm, ppk]
    default: ike
  secret:
    description:
      - The secret. As in swanctl.conf, a value starting with V(0x) is hex and one starting with V(0s) is base64.
      - Required with O(state=present).
    type: str
  owners:
    description:
      - Identities the secret belongs to (swanctl.conf's C(id) keys). Required with O(state=present).
      - A secret without owners would match every identity (the daemon offers it to every peer); it is refused,
        as the config module refuses it. Give the owner V(%any) if that is what you want.
    type: list
    elements: str
    default: []
  state:
    description: Whether the secret is loaded.
    type: str
    choices: [present, absent]
    default: present
"""

EXAMPLES = r"""
- name: Pre-shared key for a site-to-site tunnel
  strongswan.vici.shared_secret:
    id: ike-branch
    secret: "{{ vault_branch_psk }}"
    owners: [gw.example.com, branch.example.com]

- name: EAP password of a road warrior
  strongswan.vici.shared_secret:
    id: eap-carol
    type: eap
    secret: "{{ vault_carol_password }}"
    owners: [carol]

- name: Remove a secret
  strongswan.vici.shared_secret:
    id: ike-old
    state: absent
"""

RETURN = r"""
action:
  description: What the module did (or would do in check mode) - V(load), V(unload) or V(none).
  returned: always
  type: str
  sample: load
id:
  description: The secret's id.
  returned: always
  type: str
  sample: ike-branch
psk_proof:
  description:
    - When an IKE secret is loaded (added or changed; in check mode, would be), when the new PSK is proven, as
      M(strongswan.vici.config) returns it (see its RV(strongswan.vici.config#module:psk_proof)) - one entry, with
      V(secret) (the id), V(owners), V(proven), V(when) and V(ike_sas), the established IKE_SAs still on the old
      authentication, each with V(when) it proves the new PSK and V(prove_now). Never the secret's value.
  returned: when an IKE secret is loaded
  type: list
  elements: dict
  sample: [{secret: ike-branch, owners: [gw.example.com, branch.example.com], proven: false,
            when: "at each listed IKE_SA's next authentication (see ike_sas)",
            ike_sas: [{name: branch, uniqueid: "4", proven: false, reauth_in: null,
                       when: "when a new IKE_SA is made (no reauthentication scheduled; rekeying does not authenticate)",
                       prove_now: "strongswan.vici.sa: ike=branch state=rekeyed reauth=true (once the peer has the new PSK too)"}]}]
"""

from ansible_collections.strongswan.vici.plugins.module_utils._base import ViciModule
from ansible_collections.strongswan.vici.plugins.module_utils._kinds.shared_secret import SHARED_SECRET_TYPES, run_module


def main():
    ViciModule(
        {
            "id": {"type": "str", "required": True},
            "type": {"type": "str", "choices": list(SHARED_SECRET_TYPES), "default": "ike"},
            "secret": {"type": "str", "no_log": True},
            "owners": {"type": "list", "elements": "str", "default": []},
            "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
        },
        required_if=[("state", "present", ("secret",))],
        locks_gateway=True,
    ).run(run_module)


if __name__ == "__main__":
    main()
