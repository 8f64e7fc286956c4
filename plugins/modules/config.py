#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: config
short_description: Converge a running strongSwan daemon to a gateway's whole configuration
version_added: 0.1.0
description:
  - Loads a whole swanctl.conf tree (connections, secrets, pools, authorities, plus certificates and private keys)
    into the charon daemon over VICI in one session, and optionally removes what the tree does not name
    (O(purge)) and writes the tree as a swanctl.conf file (O(persist)) so that it survives daemon restarts
    and C(swanctl --load-all).
  - Each section takes swanctl.conf's own keys, so the output of the P(strongswan.vici.from_swanctl_conf#filter)
    filter can be passed section by section, or whole as O(tree).
  - The same engine as the single-object modules decides what changed (presence on the daemon, the ledger's
    fingerprints, the drift check; see the collection's docs on idempotency). Each kind of object is read from
    the daemon once, not once per object.
  - Objects are loaded in dependency order (certificates, private keys, shared secrets, authorities, pools,
    connections) and purged in the reverse order (connections before the pools they use).
  - On the first error of the daemon the module stops; the message names the object and quotes the daemon's
    errmsg, RV(applied) lists what was done before, and the ledger matches it. A rerun after fixing the input
    completes the work.
  - 64 or more new objects of one kind (a first apply) are loaded over four sessions at once, each kind still
    after the kinds it depends on. The first error stops every session before its next request; RV(applied) then
    lists every object the daemon accepted, which may include objects after the failed one in the tree's order.
  - An unchanged rerun takes a shortcut. After a run that left the daemon holding the tree, the module keeps a
    record beside its ledger; a run with the same arguments and the same O(src) file reads only the daemon's
    listings of the tree's kinds (C(list-conns), C(get-shared), ...) and compares a digest of them, undecoded,
    with the record. Anything loaded, changed or unloaded behind the module's back (swanctl, another VICI client)
    changes a listing, and the run plans every object as usual, reporting and repairing the drift. Not taken
    with O(persist), an O(src) in swanctl.conf format, trees that read certificate or key files, or connections
    with a child that starts by itself.
  - The action plugin of this module resolves O(connections), O(secrets), O(pools), O(authorities) and O(tree)
    itself and sends a tree of more than 64 KiB (as JSON) to the managed host as one file, mode 0600, in
    Ansible's remote temporary directory, removed when the module returns, also on failure. Small trees travel as
    arguments. The module masks the tree's secrets in C(invocation) and the results either way.
  - Secrets (PSKs, EAP/XAuth passwords, PINs, passphrases, private keys) never appear in the result, the diff,
    warnings or error messages.
author:
  - strongswan.vici contributors (@strongswan-vici)
extends_documentation_fragment:
  - strongswan.vici.vici
  - strongswan.vici.vici.ATTRIBUTES
  - strongswan.vici.vici.SA_UPDATE
options:
  connections:
    description:
      - The body of swanctl.conf's C(connections) section; each key is a connection name and its value the
        connection as in swanctl.conf (see M(strongswan.vici.connection) for the accepted forms).
      - Certificate and public key files named in C(certs), C(cacerts) and C(pubkeys) are read from
        O(swanctl_dir)'s C(x509/), C(x509ca/) and C(pubkey/) folders unless absolute.
    type: dict
  secrets:
    description:
      - The body of swanctl.conf's C(secrets) section. The section name's prefix gives the type, as
        C(swanctl --load-creds) reads it.
      - C(ike*), C(eap*), C(xauth*), C(ntlm*), C(ppk*) are shared secrets with a C(secret) value and owners in
        keys starting with C(id) (C(id), C(id-a), C(id-gw) ...). The section name is the secret's id in the
        daemon; this is the O(strongswan.vici.shared_secret#module:id) of the M(strongswan.vici.shared_secret)
        module, and the C(id*) values are its O(strongswan.vici.shared_secret#module:owners).
      - A shared secret needs at least one owner; set C(id) to V(%any) for a secret any identity may use.
      - C(private*), C(rsa*), C(ecdsa*), C(pkcs8*) are private key files (C(file), relative to the folder of that
        name in O(swanctl_dir) or absolute, and C(secret), the passphrase of an encrypted key).
      - C(token*) are keys on a PKCS#11 token (C(handle), C(slot), C(module), C(pin)).
      - PKCS#12 containers (C(pkcs12*)) are not supported.
    type: dict
  pools:
    description:
      - The body of swanctl.conf's C(pools) section (C(addrs), C(dns), C(nbns), ..., numbered attributes).
    type: dict
  authorities:
    description:
      - The body of swanctl.conf's C(authorities) section (C(cacert), C(file), C(handle), C(slot), C(module),
        C(crl_uris), C(ocsp_uris), C(cert_uri_base)). C(cacert) is PEM text, or a file relative to
        O(swanctl_dir)'s C(x509ca/) folder, or absolute.
    type: dict
  tree:
    description:
      - A whole swanctl.conf tree (for example C(lookup('file', 'swanctl.conf') | strongswan.vici.from_swanctl_conf)),
        instead of O(connections), O(secrets), O(pools) and O(authorities).
      - Only those four top-level sections are accepted.
      - A section whose value is null (YAML's C(connections:) with nothing under it) is not managed, as a
        section left out; O(purge) never takes it for an empty section. Write C({}) for "none of these".
    type: dict
  src:
    description:
      - A file on the managed host holding the tree, instead of O(tree), O(connections), O(secrets), O(pools) and
        O(authorities). Only its path travels as a task argument, so Ansible does not template, copy and
        transfer the tree; for thousands of objects this is much faster (see the collection's benchmarks).
      - A swanctl.conf (with its C(include) statements, read as swanctl reads them), or a JSON or YAML file
        holding the same dictionary as O(tree) (YAML needs PyYAML on the managed host). O(src_format) says which.
      - As with O(tree), the sections the file holds (even empty, as C(pools { })) are the ones O(purge) manages;
        a null section of a JSON or YAML file is not managed.
      - Input is bounded, each case refused naming the file. Only regular files are read (a FIFO or a device
        such as C(/dev/zero) is refused unread), at most 16 MiB each, and for a swanctl.conf at most 10 000
        files and 64 MiB with its includes; includes nest at most 16 deep and an include cycle is refused;
        sections (and JSON or YAML) nest at most 64 deep; a JSON object naming a key twice is refused.
      - O(certificates) and O(private_keys) can be given besides O(src).
      - Check mode reads the file too. Secrets in the file never appear in the result.
    type: path
  src_format:
    description:
      - How to read O(src). V(auto) goes by the file name's extension (C(.json), C(.yml) or C(.yaml), anything
        else is swanctl.conf).
    type: str
    choices: [auto, swanctl_conf, json, yaml]
    default: auto
  _tree_file:
    description:
      - Internal, set by the module's action plugin (a file in Ansible's remote temporary directory holding the tree
        options, removed by the action plugin); the action plugin refuses it in a task.
    type: path
  certificates:
    description: Certificates to load, as M(strongswan.vici.certificate) takes them. VICI cannot unload one certificate, so O(purge) leaves them.
    type: list
    elements: dict
    suboptions:
      type:
        description: Kind of object.
        type: str
        choices: [x509, x509_ac, x509_crl, pubkey]
        default: x509
      flag:
        description: X.509 flag.
        type: str
        choices: [none, ca, aa, ocsp]
        default: none
      content:
        description: PEM text or base64 DER.
        type: str
      path:
        description: A PEM or DER file on the managed host.
        type: path
  private_keys:
    description: Private keys to load, as M(strongswan.vici.private_key) takes them (besides C(secrets.private*) sections).
    type: list
    elements: dict
    suboptions:
      content:
        description: PEM text or base64 DER of the key.
        type: str
      path:
        description: A key file on the managed host.
        type: path
      passphrase:
        description: Passphrase of an encrypted key.
        type: str
  purge:
    description:
      - Unload every object the daemon holds (loaded over VICI) of the kinds the tree names and that the tree
        does not contain.
      - A section given, even empty (V({})), names its kinds; a section left out is not managed at all.
        O(secrets) names shared secrets and private keys; O(private_keys) names private keys.
      - Certificates are never purged (VICI has no command to unload one).
      - Check mode predicts exactly what would be removed.
    type: bool
    default: false
  persist:
    description:
      - Write the tree (O(connections), O(secrets), O(pools), O(authorities)) as swanctl.conf text to this path,
        atomically and with mode 0600, typically V(/etc/swanctl/conf.d/gateway.conf). The service's
        C(swanctl --load-all) at start and reload then loads the same state, and unloads nothing of it.
      - After a restart, a rerun with an unchanged tree reports no change and sends nothing that changes the
        daemon, because the daemon loaded exactly this file; a file changed by hand makes every object reload.
      - O(certificates) and O(private_keys) are not written (swanctl loads those from its folders).
    type: path
  backup:
    description: Keep a timestamped copy of the O(persist) file before replacing it.
    type: bool
    default: false
  sa_update_connections:
    description:
      - O(sa_update) per connection name, overriding it (V(auto), V(reestablish), V(report) or V(never)), for
        example V(reestablish) for a remote-access connection whose road warriors must move to a new proposal.
    type: dict
  swanctl_dir:
    description:
      - The swanctl directory relative file names in the tree refer to (as swanctl's C(--dir)).
      - Defaults to the directory of O(src) when that is a swanctl.conf (as C(swanctl --file)), else to
        V(/etc/swanctl).
    type: path
notes:
  - The tree's sections are not written to the managed host's system log (Ansible logs module arguments there);
    the result's C(invocation) shows them with secrets masked, and summarised beyond 20 entries per section.
  - In C(invocation), every value the module cannot classify as not secret is masked, so that masking does not
    depend on spelling - a key swanctl.conf does not have (C(local.secret), a misspelt C(secert)), an unknown
    top-level section, and in C(secrets) every key but C(id*), C(file), C(handle), C(slot) and C(module). This
    holds for argument errors too.
  - The ledger and the persist record are kept in the ledger directory (see the collection's docs on
    idempotency).
  - A changed or added IKE PSK (C(secrets.ike*)) is used at the next authentication of an IKE_SA only (a new IKE_SA
    or a reauthentication; IKE rekeying does not authenticate); RV(psk_proof) says which established IKE_SAs still
    run on the old one and when each proves the new one.
seealso:
  - module: strongswan.vici.connection
  - module: strongswan.vici.shared_secret
  - module: strongswan.vici.pool
  - module: strongswan.vici.authority
"""

EXAMPLES = r"""
- name: A site-to-site gateway, persisted for restarts
  strongswan.vici.config:
    connections:
      branch:
        local_addrs: [203.0.113.1]
        remote_addrs: [198.51.100.7]
        local: {auth: psk, id: gw.example.com}
        remote: {auth: psk, id: branch.example.com}
        children:
          net: {local_ts: [10.1.0.0/16], remote_ts: [10.2.0.0/16], start_action: trap}
    secrets:
      ike-branch:
        secret: "{{ vault_branch_psk }}"
        id-gw: gw.example.com
        id-branch: branch.example.com
    pools: {}
    purge: true
    persist: /etc/swanctl/conf.d/gateway.conf

- name: Thousands of connections, read on the managed host instead of passed as arguments
  strongswan.vici.config:
    src: /etc/swanctl/gateway.json  # written by a template or copy task; or a swanctl.conf
    purge: true
    persist: /etc/swanctl/conf.d/gateway.conf

- name: Take over an existing swanctl.conf
  strongswan.vici.config:
    tree: "{{ lookup('ansible.builtin.file', 'swanctl.conf') | strongswan.vici.from_swanctl_conf }}"
    persist: /etc/swanctl/conf.d/gateway.conf
"""

RETURN = r"""
sections:
  description:
    - Per tree section (V(connections), V(secrets), V(private_keys), V(certificates), V(pools), V(authorities)),
      the names V(added), V(changed), V(removed) and V(unchanged) (in check mode, what would be).
    - Private keys are named by their C(secrets) section or C(private_keys[n]); certificates by C(certificates[n]).
  returned: always
  type: dict
  sample: {connections: {added: [branch], changed: [], removed: [old], unchanged: [hq]}}
applied:
  description:
    - On a failure part-way, what was done before it, in order (V(section), V(name), V(action)).
    - When new objects of one kind were loaded over several sessions at once, every object the daemon accepted, also
      those after the failed one.
  returned: on failure
  type: list
  elements: dict
  sample: [{section: connections, name: branch, action: load}]
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
persist:
  description: The file written (V(path)), whether it V(changed), and the V(backup_file) if one was made.
  returned: when O(persist) is set
  type: dict
  sample: {path: /etc/swanctl/conf.d/gateway.conf, changed: true}
psk_proof:
  description:
    - Per IKE PSK the run loaded (added or changed; in check mode, would load), when the new PSK is proven. Never
      the secret's value.
    - V(secret) is its C(secrets) section, V(owners) its owners (V(%any) for every identity).
    - V(ike_sas) lists the established IKE_SAs it may authenticate - of a connection with a pre-shared key round,
      with a C(local-id) or C(remote-id) one of the owners matches (strongSwan's rule, wildcard owners approximated
      as shell patterns) - each with its V(name) and V(uniqueid), and V(proven) - V(true) for an IKE_SA made after
      the load (for example re-established by this run), else V(false) with V(when) (V(at its scheduled
      reauthentication in about N s), from the SA's reauthentication time in V(reauth_in), or V(when a new IKE_SA
      is made) when none is scheduled, as rekeying does not authenticate) and V(prove_now), how to prove it at once
      (M(strongswan.vici.sa) with O(strongswan.vici.sa#module:state=rekeyed) and
      O(strongswan.vici.sa#module:reauth=true), once the peer has the new PSK too).
    - V(proven) of the secret is V(true) when every IKE_SA listed is proven; with none listed, V(when) says it is
      proven at the next IKE_SA made with it.
    - An unchanged rerun (also by the unchanged-rerun shortcut) changes no secret and returns none.
  returned: when the run loads an IKE PSK
  type: list
  elements: dict
  sample: [{secret: ike-branch, owners: [gw.example.com, branch.example.com], proven: false,
            when: "at each listed IKE_SA's next authentication (see ike_sas)",
            ike_sas: [{name: branch, uniqueid: "4", proven: false, reauth_in: 3310,
                       when: at its scheduled reauthentication in about 3310 s,
                       prove_now: "strongswan.vici.sa: ike=branch state=rekeyed reauth=true (once the peer has the new PSK too)"}]}]
"""

import gc

from ansible_collections.strongswan.vici.plugins.module_utils._base import ViciModule
from ansible_collections.strongswan.vici.plugins.module_utils._gateway.report import mask_arguments
from ansible_collections.strongswan.vici.plugins.module_utils._gateway.run import run
from ansible_collections.strongswan.vici.plugins.module_utils._gateway.src import read_transfer
from ansible_collections.strongswan.vici.plugins.module_utils._kinds.certificate import CERTIFICATE_OPTIONS
from ansible_collections.strongswan.vici.plugins.module_utils._kinds.private_key import KEY_FILE_OPTIONS
from ansible_collections.strongswan.vici.plugins.module_utils._pki.source import CONTENT_OR_PATH
from ansible_collections.strongswan.vici.plugins.module_utils._text.input import UserError


def main():
    # A tree of thousands of objects is millions of Python objects that live to the end of the run; the cyclic
    # collector walked all of them again and again (0.4-0.9 s of a 5000-connection first apply, issue 21), and
    # finds next to nothing (the run makes few reference cycles: about 5 MB more peak RSS at N=5000 without it).
    # Reference counting still frees everything else. Switched back on for whoever runs main() in-process.
    collecting = gc.isenabled()
    gc.disable()
    try:
        _main()
    finally:
        if collecting:
            gc.enable()


def _main():
    module = ViciModule(
        {
            # no_log on every tree section: Ansible would otherwise write the arguments to the system log,
            # after matching every secret against their text (minutes for thousands of objects).
            "connections": {"type": "dict", "no_log": True},
            "secrets": {"type": "dict", "no_log": True},
            "pools": {"type": "dict", "no_log": True},
            "authorities": {"type": "dict", "no_log": True},
            "tree": {"type": "dict", "no_log": True},
            # The items take the certificate and private_key modules' own options (typed once, in their kinds).
            "certificates": dict(CONTENT_OR_PATH, type="list", elements="dict", options=CERTIFICATE_OPTIONS),
            "private_keys": dict(CONTENT_OR_PATH, type="list", elements="dict", no_log=False, options=KEY_FILE_OPTIONS),
            "purge": {"type": "bool", "default": False},
            "persist": {"type": "path"},
            "backup": {"type": "bool", "default": False},
            "swanctl_dir": {"type": "path"},
            "sa_update": {"type": "str", "choices": ["auto", "reestablish", "report", "never"], "default": "auto"},
            "sa_update_connections": {"type": "dict"},
            "sa_timeout": {"type": "int", "default": 20},
            "down_fails": {"type": "bool", "default": False},
            "src": {"type": "path"},
            "src_format": {"type": "str", "choices": ["auto", "swanctl_conf", "json", "yaml"], "default": "auto"},
            # Internal: the file the action plugin (plugins/action/config.py) wrote the tree options to, in
            # Ansible's remote temporary directory; it removes the file when the module returns.
            "_tree_file": {"type": "path"},
        },
        mutually_exclusive=[("tree", "connections"), ("tree", "secrets"), ("tree", "pools"), ("tree", "authorities"),
                            ("src", "tree"), ("src", "connections"), ("src", "secrets"), ("src", "pools"),
                            ("src", "authorities")],
        no_log=True,
        # Secrets are masked where they are used (results, diff, invocation: whatever the arguments hold that is
        # not known to be plain); matching every secret value against every string of a result with thousands of
        # objects would take minutes, so only the message and warnings are scrubbed as well.
        mask_arguments=mask_arguments,
        masked_results=True,
        locks_gateway=True,
    )
    tree_file = module.params.pop("_tree_file", None)
    if tree_file:
        try:
            module.add_arguments(read_transfer(tree_file))
        except UserError as error:
            module.fail(str(error))
    module.run(run)


if __name__ == "__main__":
    main()
