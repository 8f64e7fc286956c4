#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: settings
short_description: Make a running strongSwan daemon re-read strongswan.conf
version_added: 0.1.0
description:
  - Sends C(reload-settings) over VICI, like C(swanctl --reload-settings). The daemon re-reads strongswan.conf,
    reopens its loggers and reloads the plugins that support it. Connections, credentials and SAs are not touched.
  - The daemon does not say whether anything differed, so the module always reports a change; run it from a handler
    notified by the task that writes strongswan.conf.
author:
  - strongswan.vici contributors (@strongswan-vici)
extends_documentation_fragment:
  - strongswan.vici.vici
  - strongswan.vici.vici.ATTRIBUTES
attributes:
  check_mode:
    support: full
    details: In check mode nothing is sent and a change is reported.
  diff_mode:
    support: none
    details: The daemon does not report its settings.
  idempotent:
    support: none
    details: Every run reloads and reports a change.
options: {}
notes:
  - Settings read only at start-up (for example the plugin list, C(port) or the vici socket) need a restart of the
    daemon.
seealso:
  - module: strongswan.vici.info
  - name: strongswan.conf
    description: The daemon's settings file.
    link: https://docs.strongswan.org/docs/latest/config/strongswanConf.html
"""

EXAMPLES = r"""
- name: Write strongswan.conf
  ansible.builtin.template:
    src: strongswan.conf.j2
    dest: /etc/strongswan.conf
  notify: Reload strongSwan settings

# in handlers:
- name: Reload strongSwan settings
  strongswan.vici.settings:
"""

RETURN = r"""
action:
  description: V(reload), also in check mode (where nothing is sent).
  returned: always
  type: str
  sample: reload
"""

from ansible_collections.strongswan.vici.plugins.module_utils._base import ViciModule


def main():
    module = ViciModule({})

    def run(vici):
        if not vici.check_mode:
            # success=no (e.g. a syntax error in strongswan.conf) raises and fails the module with the errmsg.
            vici.session.reload_settings()
        vici.exit(changed=True, action="reload")

    module.run(run)


if __name__ == "__main__":
    main()
