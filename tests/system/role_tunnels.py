# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The two site_to_site tunnels the certificate tests run the role with between two namespaced gateways: ``net``
(certificates) and ``pskt`` (a PSK, with identities of its own), and the site addresses behind each gateway."""

from __future__ import annotations


def cert_and_psk_tunnels(pair, psk):
    """``net`` (auth pubkey) and ``pskt`` (auth psk, ``psk``) between the pair's gateways gw-a and gw-b."""
    tunnel = {"name": "net", "auth": "pubkey",
              "ends": {"gw-a": {"address": pair.pair.a_ip, "subnets": ["198.51.100.11/32"]},
                       "gw-b": {"address": pair.pair.b_ip, "subnets": ["203.0.113.11/32"]}}}
    psk_tunnel = {"name": "pskt", "auth": "psk", "psk": psk,
                  "ends": {"gw-a": {"address": pair.pair.a_ip, "subnets": ["198.51.100.12/32"], "id": "a.psk.example"},
                           "gw-b": {"address": pair.pair.b_ip, "subnets": ["203.0.113.12/32"], "id": "b.psk.example"}}}
    return [tunnel, psk_tunnel]


def add_site_addresses(netns_pair):
    """The tunnels' subnets as addresses on each namespace's loopback (the traffic's ends)."""
    for number in (11, 12):
        netns_pair.a.ip("addr", "add", "198.51.100.%d/32" % number, "dev", "lo")
        netns_pair.b.ip("addr", "add", "203.0.113.%d/32" % number, "dev", "lo")


def role_task(tmp_path, pair, gateway, tunnels, **variables):
    """The site_to_site role for ``gateway`` (gw-a or gw-b of ``pair``), run from the controller with the gateway's
    own etc/ and socket, the CA in tmp_path/ca; gw-a brings the tunnels up: the gateways run after each other, not
    in parallel, so the responder's run ends before the initiator's. ``variables`` are more role variables."""
    daemon = pair.a if gateway == "gw-a" else pair.b
    return {"name": "site_to_site on %s" % gateway, "ansible.builtin.include_role": {"name": "strongswan.vici.site_to_site"},
            "vars": dict({
                "strongswan_vici_gateway": gateway, "strongswan_vici_tunnels": tunnels,
                "strongswan_vici_socket": daemon.socket_path, "strongswan_vici_etc": str(tmp_path / gateway),
                "strongswan_vici_s2s_forwarding": False, "strongswan_vici_s2s_ca_dir": str(tmp_path / "ca"),
                "strongswan_vici_s2s_wait": 15, "strongswan_vici_s2s_up": gateway == "gw-a"}, **variables)}


def make_swanctl_dirs(tmp_path):
    """swanctl's folders in each gateway's etc/ (tmp_path/gw-a, tmp_path/gw-b), as the package installs them."""
    for gateway in ("gw-a", "gw-b"):
        for sub in ("ecdsa", "x509", "x509ca", "x509crl", "conf.d"):
            (tmp_path / gateway / "swanctl" / sub).mkdir(parents=True)
