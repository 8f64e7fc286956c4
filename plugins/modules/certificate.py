#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: certificate
short_description: Load a certificate, CRL, attribute certificate or public key into a running strongSwan daemon
version_added: 0.1.0
description:
  - Loads one certificate into the charon daemon over VICI (C(load-cert), C(list-certs)), like a file in swanctl's
    C(x509/), C(x509ca/), C(x509aa/), C(x509ocsp/), C(x509ac/), C(x509crl/) or C(pubkey/) directories, without
    touching files or restarting anything.
  - The daemon lists every certificate it holds in DER, so the module compares the DER of the given certificate
    with that list; C(changed) is exact, and a certificate missing from the daemon (for example after a restart)
    is always loaded again. No state file is needed.
  - A PKCS#12 container (O(path) or base64 O(content), with O(passphrase)) is unpacked as swanctl unpacks the
    files of its C(pkcs12/) folder. Every certificate in it is loaded (C(certificates) lists them); load its
    private key with M(strongswan.vici.private_key) and the same container.
  - B(There is no O(state=absent).) VICI has no command to unload one certificate. The only way to remove
    certificates is C(clear-creds), which unloads B(all) certificates, private keys and shared secrets loaded
    over VICI (run it with M(strongswan.vici.command) and O(strongswan.vici.command#module:command=clear-creds), then load what should stay).
author:
  - strongswan.vici contributors (@strongswan-vici)
extends_documentation_fragment:
  - strongswan.vici.vici
  - strongswan.vici.vici.ATTRIBUTES
options:
  content:
    description:
      - The certificate as PEM text, or its DER encoded in base64 (for example the C(content) that
        M(ansible.builtin.slurp) returns).
      - Exactly one of O(content) and O(path) is required.
      - The PEM text may hold other blocks (a key, other kinds of certificates); exactly one block of the kind
        O(type) asks for must be in it.
      - Or a PKCS#12 container encoded in base64 (see O(passphrase)).
    type: str
  path:
    description:
      - Path of a PEM or DER file on the managed host, read by the module (the daemon never sees the path).
      - Or of a PKCS#12 container (C(.p12), C(.pfx); see O(passphrase)).
    type: path
  passphrase:
    description:
      - Passphrase of a PKCS#12 container given as O(path) or O(content), as in a C(secrets.pkcs12<suffix>)
        section of swanctl.conf. Without it, a container without a passphrase is opened.
      - The container is opened on the managed host with the Python package C(cryptography), or else the
        C(openssl) command (the passphrase is handed to it through a pipe, never on its command line or in its
        environment); every certificate in it is loaded (O(type=x509)), as swanctl does.
      - Ignored for PEM and DER certificates.
    type: str
  type:
    description:
      - What the data is.
      - V(x509) an X.509 certificate (PEM C(CERTIFICATE)), V(x509_ac) an attribute certificate (PEM
        C(ATTRIBUTE CERTIFICATE)), V(x509_crl) a certificate revocation list (PEM C(X509 CRL)), V(pubkey) a raw
        public key (PEM C(PUBLIC KEY) or C(RSA PUBLIC KEY)), for C(pubkeys) of connections that authenticate
        with raw keys.
    type: str
    choices: [x509, x509_ac, x509_crl, pubkey]
    default: x509
  flag:
    description:
      - Role of an X.509 certificate (O(type=x509) only).
      - V(ca) a trusted CA certificate (it must have the CA basic constraint; swanctl's C(x509ca/)), V(aa) a
        trusted attribute authority (C(x509aa/)), V(ocsp) a trusted OCSP signer (C(x509ocsp/)), V(none) an end
        entity or intermediate certificate (C(x509/)).
      - The daemon lists a certificate with the CA basic constraint as a CA whatever the flag, and keeps the flag a
        certificate was first loaded with. A certificate that is already loaded with another flag than V(ca),
        V(aa) or V(ocsp) asked for cannot get it without C(clear-creds); the module fails and says so rather than
        reporting an C(ok) that is not true. V(none) asks for no particular role and is satisfied by any.
    type: str
    choices: [none, ca, aa, ocsp]
    default: none
  state:
    description:
      - Only V(present). To remove certificates, see the description (C(clear-creds)).
    type: str
    choices: [present]
    default: present
notes:
  - The daemon keeps only the newest CRL of an issuer. Loading an older CRL than the one it has succeeds but
    leaves the daemon's CRL as it was; the module then warns, and reports C(changed) on every run.
  - A CA certificate used for a connection's trust is usually better loaded with M(strongswan.vici.authority),
    which can be unloaded and carries the CA's CRL and OCSP URIs.
seealso:
  - module: strongswan.vici.private_key
  - module: strongswan.vici.authority
  - module: strongswan.vici.connection
  - module: strongswan.vici.command
"""

EXAMPLES = r"""
# A certificate-based road-warrior gateway: CA certificate, host certificate and host key,
# then the connection that uses them (see strongswan.vici.connection and strongswan.vici.pool).
- name: Load the CA certificate
  strongswan.vici.certificate:
    content: "{{ lookup('ansible.builtin.file', 'pki/ca.pem') }}"
    flag: ca
  register: ca

- name: Load the gateway certificate from the managed host
  strongswan.vici.certificate:
    path: /etc/swanctl/x509/gw.example.com.pem
  register: gw_cert

- name: Load the gateway key
  strongswan.vici.private_key:
    path: /etc/swanctl/private/gw.example.com.pem
  register: gw_key

- name: The certificate and the key belong together
  ansible.builtin.assert:
    that: gw_cert.key_id == gw_key.id

- name: Virtual IP addresses for the road warriors
  strongswan.vici.pool:
    name: rw
    addrs: 10.10.0.0/24
    dns: [10.10.0.1]

- name: The road-warrior connection, authenticated with these credentials
  strongswan.vici.connection:
    name: rw
    config:
      pools: [rw]
      local:
        auth: pubkey
        certs: [/etc/swanctl/x509/gw.example.com.pem]
        id: gw.example.com
      remote:
        auth: pubkey
        cacerts: ["{{ lookup('ansible.builtin.file', 'pki/ca.pem') }}"]
      children:
        rw:
          local_ts: [10.1.0.0/16]

- name: A CRL
  strongswan.vici.certificate:
    path: /etc/swanctl/x509crl/ca.crl
    type: x509_crl

- name: A peer's raw public key
  strongswan.vici.certificate:
    content: "{{ peer_public_key_pem }}"
    type: pubkey

- name: The certificate(s) and the key of a PKCS#12 container, as swanctl loads pkcs12/gw.p12
  strongswan.vici.certificate:
    path: /etc/swanctl/pkcs12/gw.p12
    passphrase: "{{ vault_gw_p12_passphrase }}"

- name: The key of the same container
  strongswan.vici.private_key:
    path: /etc/swanctl/pkcs12/gw.p12
    passphrase: "{{ vault_gw_p12_passphrase }}"

- name: The only way to remove certificates - every credential loaded over VICI goes
  strongswan.vici.command:
    command: clear-creds
"""

RETURN = r"""
action:
  description: What the module did (or would do in check mode) - V(load) or V(none).
  returned: always
  type: str
  sample: load
sha256:
  description: SHA-256 fingerprint of the certificate's DER (hex).
  returned: always
  type: str
  sample: ede87748552e2b4a58e4b3f5b1a8c2d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f
subject:
  description: Subject distinguished name, as strongSwan prints it.
  returned: for X.509 certificates
  type: str
  sample: C=CH, O=Example, CN=gw.example.com
issuer:
  description: Issuer distinguished name.
  returned: for X.509 certificates and CRLs
  type: str
  sample: C=CH, O=Example, CN=Example CA
serial:
  description: Serial number (hex).
  returned: for X.509 certificates
  type: str
  sample: 3a8f29c1d0e2b4a6
not_before:
  description: Start of the validity period (UTC, ISO 8601).
  returned: for X.509 certificates
  type: str
  sample: "2026-01-01T00:00:00Z"
not_after:
  description: End of the validity period (UTC, ISO 8601).
  returned: for X.509 certificates
  type: str
  sample: "2029-01-01T00:00:00Z"
this_update:
  description: When the CRL was issued (UTC, ISO 8601).
  returned: for CRLs
  type: str
  sample: "2026-11-23T21:22:00Z"
next_update:
  description: When the next CRL is due (UTC, ISO 8601).
  returned: for CRLs that say so
  type: str
  sample: "2026-12-08T21:22:00Z"
revoked:
  description: Number of revoked certificates the CRL lists.
  returned: for CRLs
  type: str
  sample: "0"
certificates:
  description:
    - For a PKCS#12 container, every certificate in it (in container order) with the fields above; the fields
      above then describe the first one.
  returned: for PKCS#12 containers
  type: list
  elements: dict
  sample: [{sha256: ede87748552e2b4a58e4b3f5b1a8c2d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f, subject: "CN=gw.example.com"}]
key_id:
  description:
    - Key id of the certificate's public key (hex SHA-1 of it), the id the daemon gives the matching private key
      (see M(strongswan.vici.private_key)).
  returned: for X.509 certificates and public keys
  type: str
  sample: 82e845295950d9111a7b22dac3f362bee094a833
"""

from ansible_collections.strongswan.vici.plugins.module_utils._base import ViciModule
from ansible_collections.strongswan.vici.plugins.module_utils._kinds.certificate import CERTIFICATE_OPTIONS, run_module
from ansible_collections.strongswan.vici.plugins.module_utils._pki.source import CONTENT_OR_PATH


def main():
    ViciModule(
        dict(
            CERTIFICATE_OPTIONS,
            passphrase={"type": "str", "no_log": True},
            state={"type": "str", "choices": ["present"], "default": "present"},
        ),
        locks_gateway=True,
        **CONTENT_OR_PATH
    ).run(run_module)


if __name__ == "__main__":
    main()
