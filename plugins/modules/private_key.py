#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: private_key
short_description: Load or unload a private key (file, PEM text or PKCS#11 token) in a running strongSwan daemon
version_added: 0.1.0
description:
  - Manages one private key of the charon daemon over VICI (C(load-key), C(load-token), C(unload-key),
    C(get-keys)), like a key in swanctl's C(private/), C(rsa/), C(ecdsa/) or C(pkcs8/) directories or a
    C(secrets.token<suffix>) section of swanctl.conf, without touching files or restarting anything.
  - RSA, ECDSA, Ed25519 and Ed448 keys in PKCS#1, SEC1 or PKCS#8 form, as PEM or DER, optionally encrypted.
  - Or the private key of a PKCS#12 container (O(path), or O(content) in base64, with O(passphrase)), unpacked
    as swanctl unpacks the files of its C(pkcs12/) folder; load the container's certificates with
    M(strongswan.vici.certificate) and the same container.
  - The daemon names every key by its key id, the SHA-1 of the public key (for RSA of the DER RSAPublicKey, for
    ECDSA of the EC point, for Ed25519/Ed448 of the raw public key), which is what C(pki --keyid) prints as
    C(subjkey) and what certificates' key ids refer to. The module computes that id on the managed host and
    compares it with the ids the daemon lists, so C(changed) is exact, a key missing from the daemon (for example
    after a restart) is always loaded again, and no state file is needed. Where a key file lacks its public key,
    it is derived (EC on P-256, P-384 and P-521, Ed25519, Ed448) with the Python standard library.
  - The key material, the passphrase and the PIN never appear in the module's result, diff, warnings or errors.
author:
  - strongswan.vici contributors (@strongswan-vici)
extends_documentation_fragment:
  - strongswan.vici.vici
  - strongswan.vici.vici.ATTRIBUTES
options:
  content:
    description:
      - The private key as PEM text, or its DER encoded in base64 (for example the C(content) that
        M(ansible.builtin.slurp) returns).
      - Exactly one of O(content), O(path) and O(handle) is needed with O(state=present); with O(state=absent),
        O(id) alone is enough.
    type: str
  path:
    description:
      - Path of a PEM or DER private key file on the managed host, read by the module (the daemon never sees
        the path).
    type: path
  passphrase:
    description:
      - Passphrase of an encrypted key (PKCS#8 C(ENCRYPTED PRIVATE KEY), or legacy OpenSSL PEM encryption with
        a C(Proc-Type) header).
      - The key is decrypted on the managed host, and the daemon receives it unencrypted over its socket, as
        with C(swanctl --load-creds). Decrypting needs the Python package C(cryptography) in the Python that runs
        the module, or else the C(openssl) command (the passphrase is handed to it through a pipe, never on its
        command line or in its environment). Without either, the module fails and says so.
      - Ignored for keys that are not encrypted.
      - For a PKCS#12 container, its passphrase (the C(secret) of a C(secrets.pkcs12<suffix>) section of
        swanctl.conf); without it, a container without a passphrase is opened. The container must hold exactly
        one private key.
    type: str
  handle:
    description:
      - Hex CKA_ID of a private key on a PKCS#11 token (C(load-token); the daemon needs its C(pkcs11) plugin
        with the token's module configured in strongswan.conf).
      - The key stays on the token; its id is known only once the daemon has loaded it. The module keeps that
        id in its state file on the managed host (per daemon instance, see the collection's docs on
        idempotency) so that later runs compare it with the daemon's key list. Give O(id) as well to make the
        check independent of that file.
    type: str
  slot:
    description: Slot of the token that holds O(handle). Without it, all slots are searched.
    type: int
  module:
    description: Name of the PKCS#11 module (as configured in strongswan.conf) that holds O(handle).
    type: str
  pin:
    description:
      - PIN of the token that holds O(handle). Without it, the daemon cannot use the key unless the token needs
        no login.
      - A changed PIN alone does not reload a key the daemon already holds; remove the key and load it again to
        log in anew.
    type: str
  id:
    description:
      - The key id (40 hex digits, colons allowed), as C(get-keys) and C(pki --keyid) (C(subjkey)) show it.
      - With O(state=absent) alone, the key with this id is unloaded.
      - With O(content) or O(path), the key must have this id (a guard against loading the wrong key). With
        O(handle), the daemon's reply must show this id, and presence is checked by it.
    type: str
  state:
    description:
      - Whether the key is loaded.
      - With V(absent), the key is identified by O(id), or by its O(content)/O(path) (its id is computed), or
        for a token key by the id learnt when the module loaded it.
    type: str
    choices: [present, absent]
    default: present
notes:
  - Only keys loaded over VICI (by this module, C(swanctl --load-creds) or another VICI client) are listed
    by the daemon and can be unloaded; keys the daemon read by itself at start-up are not.
  - Unloading a key that a loaded connection uses makes that connection fail to authenticate until a key is
    loaded again.
seealso:
  - module: strongswan.vici.certificate
  - module: strongswan.vici.connection
  - name: swanctl --load-creds
    description: How swanctl loads keys and tokens.
    link: https://docs.strongswan.org/docs/latest/swanctl/swanctl.html
"""

EXAMPLES = r"""
- name: Host key of a certificate-based road-warrior gateway (the key stays on the managed host)
  strongswan.vici.private_key:
    path: /etc/swanctl/private/gw.example.com.pem
  register: gw_key

- name: The key id, to match it with the host certificate's key id
  ansible.builtin.debug:
    msg: "{{ gw_key.id }}"

- name: An encrypted key from the vault
  strongswan.vici.private_key:
    content: "{{ vault_gw_key_pem }}"
    passphrase: "{{ vault_gw_key_passphrase }}"

- name: A key on a PKCS#11 token (SoftHSM, smart card, HSM)
  strongswan.vici.private_key:
    handle: "01aa"
    module: softhsm
    pin: "{{ vault_token_pin }}"

- name: Remove a key by its id
  strongswan.vici.private_key:
    id: 82e845295950d9111a7b22dac3f362bee094a833
    state: absent
"""

RETURN = r"""
action:
  description: What the module did (or would do in check mode) - V(load), V(unload) or V(none).
  returned: always
  type: str
  sample: load
id:
  description:
    - The key id (hex SHA-1 of the public key) the daemon knows the key by.
    - Not returned for a token key whose id is not known yet (check mode before its first load).
  returned: when known
  type: str
  sample: 82e845295950d9111a7b22dac3f362bee094a833
type:
  description: The key's type as sent to the daemon.
  returned: with O(content) or O(path)
  type: str
  sample: rsa
size:
  description: The RSA modulus size in bits or the EC curve; empty for Ed25519 and Ed448.
  returned: with O(content) or O(path)
  type: str
  sample: "2048"
"""

from ansible_collections.strongswan.vici.plugins.module_utils._base import ViciModule
from ansible_collections.strongswan.vici.plugins.module_utils._kinds.private_key import KEY_FILE_OPTIONS, run_module


def main():
    ViciModule(
        {
            **KEY_FILE_OPTIONS,
            "handle": {"type": "str"},
            "slot": {"type": "int"},
            "module": {"type": "str"},
            "pin": {"type": "str", "no_log": True},
            "id": {"type": "str"},
            "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
        },
        mutually_exclusive=[("content", "path", "handle")],
        required_if=[("state", "present", ("content", "path", "handle"), True)],
        required_by={"slot": "handle", "module": "handle", "pin": "handle"},
        locks_gateway=True,
    ).run(run_module)


if __name__ == "__main__":
    main()
