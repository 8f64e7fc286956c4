#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: authority
short_description: Load or unload a certification authority (CA certificate with CRL/OCSP URIs) in a running strongSwan daemon
version_added: 0.1.0
description:
  - Manages one certification authority of the charon daemon over VICI (C(load-authority), C(unload-authority),
    C(get-authorities), C(list-authorities)), like an C(authorities.<name>) section of swanctl.conf, without
    touching files or restarting anything.
  - An authority is a CA certificate plus where to fetch revocation information for the certificates it issued
    (CRL distribution points, OCSP responders) and, optionally, a base URI for hash-and-URL certificates.
  - The daemon reports an authority's CRL and OCSP URIs, its certificate URI base and the CA certificate's
    subject, but not the certificate itself. Whether a loaded authority is up to date is decided from a keyed
    fingerprint kept on the managed host (see the collection's docs on idempotency) and cross-checked with what
    the daemon reports, so an authority changed or unloaded behind the module's back is detected. An authority
    missing from the daemon, for example after a restart, is always loaded again.
author:
  - strongswan.vici contributors (@strongswan-vici)
extends_documentation_fragment:
  - strongswan.vici.vici
  - strongswan.vici.vici.ATTRIBUTES
options:
  name:
    description: Name of the authority in the daemon (swanctl uses the section name).
    type: str
    required: true
  cacert:
    description:
      - The CA certificate, as PEM text or as the path of a PEM or DER file on the managed host (read by the
        module and sent to the daemon).
      - It must be a CA certificate (basicConstraints CA:TRUE); otherwise the daemon answers
        C(CA certificate missing) with the authority's name.
      - Exactly one of O(cacert), O(file) and O(handle) is required with O(state=present).
    type: str
  file:
    description:
      - Path of the CA certificate file as the B(daemon) reads it (swanctl.conf's C(file)).
      - The daemon reads the file when the authority is loaded; a file replaced later with the same path is not
        noticed by this module. Prefer O(cacert) to have the certificate's content tracked.
    type: path
  handle:
    description:
      - Hex CKA_ID of the CA certificate on a PKCS#11 token (needs the daemon's C(pkcs11) plugin).
    type: str
  slot:
    description: Slot of the token that holds O(handle). Without it, all slots are searched.
    type: int
  module:
    description: Name of the PKCS#11 module (as configured in strongswan.conf) that holds O(handle).
    type: str
  crl_uris:
    description:
      - CRL distribution points for certificates issued by this CA, tried in order.
    type: list
    elements: str
    default: []
  ocsp_uris:
    description:
      - OCSP responders for certificates issued by this CA, tried in order.
    type: list
    elements: str
    default: []
  cert_uri_base:
    description:
      - Base URI for hash-and-URL encoded certificates (RFC 7296) issued by this CA; the SHA-1 hash of a
        certificate is appended to it.
    type: str
  state:
    description: Whether the authority is loaded.
    type: str
    choices: [present, absent]
    default: present
notes:
  - The daemon keeps authorities only in memory; a restart forgets them (the next run of this module loads them
    again).
  - Unloading an authority also removes its CA certificate from the daemon unless the certificate was loaded
    separately (for example with M(strongswan.vici.certificate)).
seealso:
  - module: strongswan.vici.certificate
"""

EXAMPLES = r"""
- name: CA with a CRL distribution point and an OCSP responder
  strongswan.vici.authority:
    name: example-ca
    cacert: /etc/swanctl/x509ca/example-ca.pem
    crl_uris:
      - http://crl.example.com/example-ca.crl
    ocsp_uris:
      - http://ocsp.example.com

- name: CA certificate given inline, with a base URI for hash-and-URL certificates
  strongswan.vici.authority:
    name: branch-ca
    cacert: "{{ lookup('ansible.builtin.file', 'files/branch-ca.pem') }}"
    cert_uri_base: http://certs.example.com/branch/

- name: CA certificate the daemon reads itself
  strongswan.vici.authority:
    name: site-ca
    file: /etc/swanctl/x509ca/site-ca.pem

- name: Remove an authority
  strongswan.vici.authority:
    name: old-ca
    state: absent
"""

RETURN = r"""
action:
  description: What the module did (or would do in check mode) - V(load), V(unload) or V(none).
  returned: always
  type: str
  sample: load
name:
  description: The authority's name.
  returned: always
  type: str
  sample: example-ca
subject:
  description: Subject DN of the CA certificate given in O(cacert).
  returned: when O(cacert) is given
  type: str
  sample: C=CH, O=Example, CN=Example Root CA
"""

from ansible_collections.strongswan.vici.plugins.module_utils._kinds.authority import run_module
from ansible_collections.strongswan.vici.plugins.module_utils._base import ViciModule


def main():
    ViciModule(
        {
            "name": {"type": "str", "required": True},
            "cacert": {"type": "str"},
            "file": {"type": "path"},
            "handle": {"type": "str"},
            "slot": {"type": "int"},
            "module": {"type": "str"},
            "crl_uris": {"type": "list", "elements": "str", "default": []},
            "ocsp_uris": {"type": "list", "elements": "str", "default": []},
            "cert_uri_base": {"type": "str"},
            "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
        },
        mutually_exclusive=[("cacert", "file", "handle")],
        required_if=[("state", "present", ("cacert", "file", "handle"), True)],
        required_by={"slot": "handle", "module": "handle"},
        locks_gateway=True,
    ).run(run_module)


if __name__ == "__main__":
    main()
