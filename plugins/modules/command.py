#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: command
short_description: Send any VICI command to a running strongSwan daemon
version_added: 0.1.0
description:
  - Sends one VICI command with a message and returns the daemon's reply and, for streamed commands, its events.
    For what no other module of the collection covers, or to script the daemon directly.
  - The request message (O(request)) is a mapping in the daemon's own schema (see the VICI protocol description).
    Mappings become sections, lists become lists, booleans V(yes)/V(no), numbers decimal strings.
  - Read-only commands (C(version), C(stats), C(list-*), C(get-*)) report no change; every other command reports a
    change, since the module cannot know what it did.
  - A reply with C(success=no) fails the module with the daemon's C(errmsg).
author:
  - strongswan.vici contributors (@strongswan-vici)
extends_documentation_fragment:
  - strongswan.vici.vici
  - strongswan.vici.vici.ATTRIBUTES
attributes:
  check_mode:
    support: full
    details: In check mode only read-only commands are sent; any other command is skipped and reported as a change.
  diff_mode:
    support: none
  idempotent:
    support: partial
    details: Read-only commands never change anything; other commands are sent every time.
options:
  command:
    description: The VICI command, for example V(version), V(list-sas), V(load-conn) or V(get-counters).
    type: str
    required: true
  request:
    description:
      - The request message (a mapping). Keys keep the daemon's names (C(ike-id), not C(ike_id)).
      - Named C(request) because Ansible reserves the option name C(message).
      - The option is C(no_log) - Ansible neither logs it (syslog, journal) nor echoes it on an argument error.
        In the module's result (C(invocation)) a copy is shown in which the values of keys named C(secret),
        C(password), C(passphrase), C(pin) or C(psk), and the C(data) of C(load-shared), C(load-key) and
        C(load-token), are replaced by C(********), whole (a list or a mapping nested under such a key too).
        Elsewhere in the result, a value equal to a secret is masked; a secret of 8 characters or more is also
        masked inside text, a shorter one is not (it would garble the messages, see the collection's docs).
      - The request is encoded and its size checked before anything is sent, in check mode too - the daemon
        accepts at most 512 KiB per message and 65535 bytes per value.
    type: dict
    default: {}
  event:
    description:
      - For a streamed command, the event it raises, collected into RV(events).
      - Known streamed commands use their event by default (C(list-sas) - C(list-sa), C(list-conns) - C(list-conn),
        C(list-policies) - C(list-policy), C(list-certs) - C(list-cert), C(list-authorities) - C(list-authority),
        C(initiate) and C(terminate) - C(control-log)). Set it to the empty string to not register any event.
    type: str
notes:
  - Binary values in replies (certificate DER in C(list-cert)) are returned as hex.
seealso:
  - module: strongswan.vici.info
  - name: VICI commands
    description: Every command, its request and reply.
    link: https://github.com/strongswan/strongswan/blob/master/src/libcharon/plugins/vici/README.md#client-initiated-commands
"""

EXAMPLES = r"""
- name: Global IKE counters
  strongswan.vici.command:
    command: get-counters
    request:
      all: true
  register: counters

- name: Load a connection in the daemon's own schema
  strongswan.vici.command:
    command: load-conn
    request:
      branch:
        remote_addrs: [198.51.100.10]
        local: {auth: psk, id: hq}
        remote: {auth: psk, id: branch}
        children:
          net: {local_ts: [10.1.0.0/16], remote_ts: [10.2.0.0/16]}

- name: List the SAs of one connection (a streamed command)
  strongswan.vici.command:
    command: list-sas
    request:
      ike: branch
  register: listed

- name: Reset the counters of one connection
  strongswan.vici.command:
    command: reset-counters
    request:
      name: branch
"""

RETURN = r"""
response:
  description: The daemon's reply, values as text.
  returned: when the command was sent
  type: dict
  sample: {daemon: charon, version: 5.9.8, sysname: Linux, release: 6.1.0, machine: x86_64}
events:
  description: The events the streamed command raised, in order (empty for other commands).
  returned: when the command was sent
  type: list
  elements: dict
  sample: [{branch: {uniqueid: "1", state: ESTABLISHED}}]
skipped_in_check_mode:
  description: True when check mode kept a command that changes the daemon from being sent.
  returned: in check mode
  type: bool
  sample: true
vici_errmsg:
  description: The daemon's C(errmsg) when it answered C(success=no).
  returned: failure
  type: str
"""

from ansible_collections.strongswan.vici.plugins.module_utils._base import ViciModule
from ansible_collections.strongswan.vici.plugins.module_utils._operations.command import mask_arguments, run
from ansible_collections.strongswan.vici.plugins.module_utils.vici.session import READ_ONLY_COMMANDS


def main():
    module = ViciModule(
        {
            "command": {"type": "str", "required": True},
            # no_log: ansible-core logs module arguments to syslog/journal and echoes them on argument errors.
            "request": {"type": "dict", "default": {}, "no_log": True},
            "event": {"type": "str"},
        },
        mask_arguments=mask_arguments,
    )
    # A command that can change the daemon runs under the gateway lock, as the declarative modules do.
    module.locks_gateway = module.params["command"] not in READ_ONLY_COMMANDS
    module.run(run)


if __name__ == "__main__":
    main()
