#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: config_info
short_description: Read a host's swanctl configuration (swanctl.conf, its includes and credential folders)
version_added: 0.1.0
description:
  - Reads what C(swanctl --load-all) would load on the managed host, without talking to the daemon - the
    swanctl.conf at O(path) with its C(include) statements, and the certificate and private key folders beside
    it - and returns it as the tree the C(strongswan.vici.config) module takes.
  - Files are resolved the way swanctl does it. The swanctl directory is the directory of O(path). Includes are
    relative to the including file and may be globs. Certificates are the regular files directly in C(x509/),
    C(x509ca/), C(x509ocsp/), C(x509aa/), C(x509ac/), C(x509crl/) and C(pubkey/); private keys those in
    C(private/), C(rsa/), C(ecdsa/), C(pkcs8/) and C(pkcs12/). Symbolic links are followed, sub-folders are not
    read, missing folders are empty.
  - "Section references (C(name : other.section { })) are resolved, sections of the same name merged, values are
    text exactly as swanctl reads them (comma-separated lists stay strings)."
  - B(Secrets.) The C(secrets) section is returned with its owners, file names and token handles. Its secret
    values (PSKs, EAP/XAuth/NTLM/PPK passwords, key passphrases, C(secret*) keys, and token C(pin)s) are
    returned only when the task sets C(no_log=true), so that Ansible hides the whole result from its output and
    logs while the registered variable still holds it. Without C(no_log), they are left out and the module warns;
    so is every key of a C(secrets) section other than C(id*), C(file), C(handle), C(slot) and C(module), a
    misspelt one too.
  - Private key files are never read; only their paths are returned.
author:
  - strongswan.vici contributors (@strongswan-vici)
extends_documentation_fragment:
  - strongswan.vici.vici.INFO_MODULE
options:
  path:
    description:
      - The swanctl.conf to read, on the managed host. Its directory is the swanctl directory (as with
        C(swanctl --file)).
    type: path
    default: /etc/swanctl/swanctl.conf
  resolve_paths:
    description:
      - Make relative file names absolute, as swanctl reads them. A connection's C(certs), C(cacerts) and
        C(pubkeys) are in C(x509/), C(x509ca/) and C(pubkey/) of the swanctl directory, an authority's C(cacert)
        in C(x509ca/). Values that start with C(0x) or C(0s) are data, not names, and stay as they are.
      - With V(false), the values stay as written (relative names are then relative to the swanctl directory's
        folders, not to where a later task runs).
    type: bool
    default: true
  socket:
    description:
      - Not used; this module reads files only. Accepted so that C(module_defaults) for
        C(group/strongswan.vici.vici) apply to it as to the other modules.
    type: str
  timeout:
    description:
      - Not used; see O(socket).
    type: float
notes:
  - Run it with C(become) where C(/etc/swanctl) is readable by root only (it usually is).
  - The result is what the files say, not what the daemon holds; M(strongswan.vici.info) reads the daemon.
  - PKCS#11 tokens are C(token*) sections of C(secrets) (C(handle), C(slot), C(module), C(pin)), returned there.
seealso:
  - module: strongswan.vici.info
  - plugin: strongswan.vici.from_swanctl_conf
    plugin_type: filter
  - plugin: strongswan.vici.to_swanctl_conf
    plugin_type: filter
  - name: swanctl.conf
    description: The configuration file swanctl reads.
    link: https://docs.strongswan.org/docs/latest/swanctl/swanctlConf.html
  - name: swanctl directory layout
    description: The credential folders beside swanctl.conf.
    link: https://docs.strongswan.org/docs/latest/swanctl/swanctlDir.html
"""

EXAMPLES = r"""
- name: Read an existing gateway's configuration, secrets included (no_log keeps them out of the output)
  strongswan.vici.config_info:
  become: true
  no_log: true
  register: gateway

- name: Show what was found (without secrets)
  ansible.builtin.debug:
    msg: >-
      {{ gateway.connections | length }} connections, {{ gateway.secrets | length }} secrets,
      {{ gateway.pools | length }} pools, {{ gateway.certificates | length }} certificates,
      {{ gateway.private_keys | length }} private keys

- name: Only the structure, for review; secret values are left out (with a warning)
  strongswan.vici.config_info:
    path: /etc/swanctl/swanctl.conf
  become: true
  register: layout

- name: Certificates as the certificate module takes them
  strongswan.vici.certificate:
    path: "{{ item.path }}"
    type: "{{ item.type }}"
    flag: "{{ item.flag | default(omit) }}"
  loop: "{{ layout.certificates }}"
  loop_control:
    label: "{{ item.path }}"
"""

RETURN = r"""
connections:
  description: The C(connections) section, by connection name, with swanctl's own keys (values are text).
  returned: always
  type: dict
  sample: {gw: {remote_addrs: 192.0.2.2, local: {auth: pubkey, certs: /etc/swanctl/x509/moonCert.pem},
               children: {net: {local_ts: 10.1.0.0/16}}}}
secrets:
  description:
    - The C(secrets) section, by section name (C(ike-x), C(eap-x), C(xauth-x), C(ntlm-x), C(ppk-x), C(private-x),
      C(rsa-x), C(ecdsa-x), C(pkcs8-x), C(pkcs12-x), C(token-x)), with owners (C(id), C(id-*)), C(file) and token
      keys.
    - B(Contains secrets) (C(secret*) and C(pin) values) when the task runs with C(no_log=true); without it every
      key but C(id*), C(file), C(handle), C(slot) and C(module) is left out (see RV(secrets_included)).
  returned: always
  type: dict
  sample: {ike-branch: {id-a: moon.strongswan.org, id-b: sun.strongswan.org}}
pools:
  description: The C(pools) section, by pool name.
  returned: always
  type: dict
  sample: {rw: {addrs: 10.3.0.0/24, dns: 10.1.0.53}}
authorities:
  description: The C(authorities) section, by authority name.
  returned: always
  type: dict
  sample: {strongswan: {cacert: /etc/swanctl/x509ca/strongswanCert.pem, crl_uris: "http://crl.strongswan.org/strongswan.crl"}}
certificates:
  description:
    - Certificate files of the credential folders, in swanctl's load order (folder by folder, names sorted),
      with the options M(strongswan.vici.certificate) and the C(certificates) option of C(strongswan.vici.config)
      take.
  returned: always
  type: list
  elements: dict
  sample: [{path: /etc/swanctl/x509ca/caCert.pem, type: x509, flag: ca}, {path: /etc/swanctl/x509crl/ca.crl, type: x509_crl}]
  contains:
    path:
      description: Absolute path of the file.
      type: str
    type:
      description: V(x509) (C(x509/), C(x509ca/), C(x509ocsp/), C(x509aa/)), V(x509_ac) (C(x509ac/)), V(x509_crl) (C(x509crl/)) or V(pubkey) (C(pubkey/)).
      type: str
    flag:
      description: V(none), V(ca), V(ocsp) or V(aa), after the folder.
      type: str
      returned: for type V(x509)
private_keys:
  description:
    - Private key files in C(private/), C(rsa/), C(ecdsa/) and C(pkcs8/) (paths only; their content is never
      read) in swanctl's load order, as the C(private_keys) option of C(strongswan.vici.config) takes them.
    - A key that a RV(secrets) section names (C(private-x), C(rsa-x) ... with C(file) and its passphrase in
      C(secret)) is not listed; that section loads it, as in swanctl. With O(resolve_paths), the section's C(file)
      gets the file's exact name (swanctl compares names ignoring case).
  returned: always
  type: list
  elements: dict
  sample: [{path: /etc/swanctl/private/moonKey.pem}]
  contains:
    path:
      description: Absolute path of the file.
      type: str
pkcs12:
  description:
    - PKCS#12 containers in C(pkcs12/) (key and certificates in one file). C(strongswan.vici.config) cannot load
      them; the module warns. Extract the key and certificates (for example with C(openssl pkcs12)).
  returned: always
  type: list
  elements: dict
  sample: [{path: /etc/swanctl/pkcs12/moon.p12, passphrase_secrets: [pkcs12-moon]}]
  contains:
    path:
      description: Absolute path of the file.
      type: str
    passphrase_secrets:
      description: Names of the RV(secrets) sections that hold its passphrase (C(pkcs12*) sections whose C(file) is this file's name).
      type: list
      elements: str
files:
  description: Every configuration file read, O(path) first, then its includes in the order swanctl reads them.
  returned: always
  type: list
  elements: str
  sample: [/etc/swanctl/swanctl.conf, /etc/swanctl/conf.d/gateway.conf]
missing_includes:
  description:
    - Include statements that name a file which does not exist (not a glob). swanctl skips them silently; so
      does this module, and it warns.
  returned: always
  type: list
  elements: str
  sample: [/etc/swanctl/swanctl_base.conf]
merged:
  description:
    - Connections, secrets, pools and authorities defined in two places (usually two files of C(conf.d/)), each
      naming both places. swanctl merges the two definitions silently, and so does this module, which warns.
      The C(from_swanctl_conf) filter, which makes a tree to apply, refuses such a file, naming both places.
  returned: always
  type: list
  elements: str
  sample: ["connections.gw: defined in /etc/swanctl/conf.d/a.conf and again in /etc/swanctl/conf.d/b.conf"]
ignored:
  description: Other top-level names in the file, which swanctl does not load.
  returned: always
  type: list
  elements: str
  sample: []
secrets_included:
  description: Whether RV(secrets) holds the secret values (only when the task has C(no_log) set).
  returned: always
  type: bool
secret_values_left_out:
  description: How many secret values were left out of RV(secrets) (V(0) when RV(secrets_included)).
  returned: always
  type: int
swanctl_dir:
  description: The swanctl directory (the directory of O(path)).
  returned: always
  type: str
  sample: /etc/swanctl
path:
  description: The absolute path of the swanctl.conf read.
  returned: always
  type: str
  sample: /etc/swanctl/swanctl.conf
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.strongswan.vici.plugins.module_utils._gateway.config_info import run


def main():
    module = AnsibleModule(
        argument_spec={
            "path": {"type": "path", "default": "/etc/swanctl/swanctl.conf"},
            "resolve_paths": {"type": "bool", "default": True},
            "socket": {"type": "str"},
            "timeout": {"type": "float"},
        },
        supports_check_mode=True,
    )
    run(module)


if __name__ == "__main__":
    main()
