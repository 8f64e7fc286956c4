# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A model of charon's VICI plugin, small enough to read, for the module unit tests.

It keeps what was loaded and answers in the shapes strongSwan 5.9.8 sends. The replies, the
``errmsg`` texts, the key ids and the list-conn, list-cert and list-authority events were compared with
a real charon 5.9.8 (the harness of tests/integration/targets/setup_charon, same requests to both);
the list-sa, list-policy and control-log events follow the VICI README's layout (they need a peer or
a kernel, which that comparison did not have). What the model does not know it answers as an old
daemon does: CMD_UNKNOWN. ``commands`` records every command name in order, so that a test can say
which ones a check-mode run sent.

``refuse(command, errmsg)`` makes the next such command fail with ``success = no`` and that errmsg.
"""

from __future__ import annotations

import ipaddress

from cryptography import x509
from cryptography.hazmat.primitives import serialization

# The commands that change nothing in the daemon (what check mode may send).
READ_ONLY = frozenset((
    "version", "stats", "get-conns", "list-conns", "get-pools", "get-shared", "get-keys", "list-certs",
    "get-authorities", "list-authorities", "list-sas", "list-policies", "get-algorithms", "get-counters",
))

VERSION = {"daemon": "charon", "version": "5.9.8", "sysname": "Linux", "release": "6.1.0", "machine": "x86_64"}
# The daemon derives "since" from its start: the ledger uses it to tell daemon instances apart.
STATS = {
    "uptime": {"running": "5 minutes", "since": "Dec 01 04:21:14 2026"},
    "workers": {"total": "16", "idle": "10", "active": {"critical": "5", "high": "0", "medium": "1", "low": "0"}},
    "queues": {"critical": "0", "high": "0", "medium": "0", "low": "0"},
    "scheduled": "0",
    "ikesas": {"total": "0", "half-open": "0"},
    "plugins": ["charon", "random", "nonce", "openssl", "pem", "pkcs1", "x509", "pubkey", "vici", "kernel-netlink"],
}
ALGORITHMS = {
    "encryption": {"AES_CBC": "openssl", "AES_GCM_16": "openssl", "CHACHA20_POLY1305": "openssl"},
    "integrity": {"HMAC_SHA2_256_128": "openssl", "HMAC_SHA1_96": "openssl"},
    "aead": {"AES_GCM_16": "openssl"},
    "prf": {"PRF_HMAC_SHA2_256": "openssl"},
    "ke": {"CURVE_25519": "openssl", "ECP_256": "openssl", "MODP_2048": "openssl"},
}
# load-conn accepts these top-level keys (and more the tests do not use); others are refused.
CONN_KEYS = frozenset((
    "version", "local_addrs", "remote_addrs", "local_port", "remote_port", "proposals", "pools", "dpd_delay",
    "dpd_timeout", "unique", "reauth_time", "rekey_time", "encap", "mobike", "send_certreq", "send_cert",
    "children", "keyingtries", "fragmentation", "aggressive", "if_id_in", "if_id_out", "over_time",
))
_VERSIONS = {"0": "IKEv1/2", "1": "IKEv1", "2": "IKEv2"}
_AUTH_CLASSES = {"psk": "pre-shared key", "pubkey": "public key", "eap": "EAP", "xauth": "XAuth"}
_SHARED_TYPES = ("IKE", "EAP", "XAUTH", "NTLM", "PPK")
_CERT_TYPES = ("X509", "X509_AC", "X509_CRL", "OCSP_RESPONSE", "PUBKEY")


def text(value):
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def _der_cert(data):
    data = data.encode() if isinstance(data, str) else data
    if data.lstrip().startswith(b"-----BEGIN"):
        return x509.load_pem_x509_certificate(data)
    return x509.load_der_x509_certificate(data)


def _private_key(data):
    data = data.encode() if isinstance(data, str) else data
    if data.lstrip().startswith(b"-----BEGIN"):
        return serialization.load_pem_private_key(data, None)
    return serialization.load_der_private_key(data, None)


def _is_ca(cert):
    try:
        return cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False


def key_id(private_key):
    """charon's key id: SHA-1 of the subjectPublicKey bits (its KEYID_PUBKEY_SHA1), hex."""
    return x509.SubjectKeyIdentifier.from_public_key(private_key.public_key()).digest.hex()


def _subject(cert):
    # charon prints DNs with ", " between RDNs in the order of the certificate (not RFC 4514's reversed order).
    return ", ".join(rdn.rfc4514_string() for rdn in cert.subject.rdns)


def _seconds(value):
    """A swanctl.conf time (30, 30s, 5m, 2h, 1d) in seconds, as the daemon lists it."""
    value = text(value)
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    if value and value[-1] in units:
        return str(int(value[:-1]) * units[value[-1]])
    return value


def _listed_conn(body):
    """A list-conn entry for a load-conn body, as charon 5.9.8 reports the keys the tests use."""
    entry = {
        "local_addrs": list(body.get("local_addrs") or ["%any"]),
        "remote_addrs": list(body.get("remote_addrs") or ["%any"]),
        "version": _VERSIONS.get(text(body.get("version", "0")), "IKEv1/2"),
        "reauth_time": _seconds(body.get("reauth_time", "0")),
        "rekey_time": _seconds(body.get("rekey_time", "14400")),
        "unique": "UNIQUE_" + text(body.get("unique", "no")).upper(),
    }
    # Shown only when set.
    for key in ("dpd_delay", "dpd_timeout"):
        if _seconds(body.get(key, "0")) != "0":
            entry[key] = _seconds(body[key])
    for side in ("local", "remote"):
        rounds = [(key, value) for key, value in body.items() if key == side or key.startswith(side + "-")]
        for number, (_key, auth) in enumerate(rounds, 1):
            listed = {}
            if "id" in auth:
                listed["id"] = text(auth["id"])
            method = text(auth.get("auth", "pubkey"))
            listed["class"] = _AUTH_CLASSES.get(method.split("-")[0], "public key")
            listed.update({"groups": [], "cert_policy": [], "certs": [], "cacerts": []})
            entry["%s-%d" % (side, number)] = listed
    children = {}
    for name, child in (body.get("children") or {}).items():
        children[name] = {
            "mode": text(child.get("mode", "tunnel")).upper(),
            "rekey_time": _seconds(child.get("rekey_time", "3600")),
            "rekey_bytes": "0",
            "rekey_packets": "0",
            "dpd_action": text(child.get("dpd_action", "none")),
            "close_action": text(child.get("close_action", "none")),
            "local-ts": list(child.get("local_ts") or ["dynamic"]),
            "remote-ts": list(child.get("remote_ts") or ["dynamic"]),
        }
    entry["children"] = children
    return entry


def failed(errmsg, **extra):
    return [], dict({"success": "no", "errmsg": errmsg}, **extra)


OK = ([], {"success": "yes"})


class FakeCharon:
    """The daemon's state and its answer to each command (see the module docstring)."""

    def __init__(self):
        self.commands = []
        self.requests = []
        self.conns = {}
        self.pools = {}
        self.shared = {}
        self.keys = {}
        self.certs = []
        self.authorities = {}
        self.policies = {}
        self.sas = []
        self.refusals = {}
        self.online_leases = {}

    def refuse(self, command, errmsg):
        self.refusals[command] = errmsg

    def mutating(self):
        """The commands received that change the daemon's state."""
        return [name for name in self.commands if name not in READ_ONLY]

    def __call__(self, name, message):
        self.commands.append(name)
        self.requests.append((name, message))
        if name in self.refusals:
            return failed(self.refusals.pop(name))
        answer = getattr(self, "cmd_" + name.replace("-", "_"), None)
        return None if answer is None else answer(message)

    # -- queries -----------------------------------------------------------------------------------

    def cmd_version(self, _message):
        return [], dict(VERSION)

    def cmd_stats(self, _message):
        return [], dict(STATS, ikesas={"total": str(len(self.sas)), "half-open": "0"})

    def cmd_get_algorithms(self, _message):
        return [], ALGORITHMS

    def cmd_get_counters(self, _message):
        return [], {"counters": {}, "success": "yes"}

    def cmd_reload_settings(self, _message):
        return OK

    # -- connections -------------------------------------------------------------------------------

    def cmd_get_conns(self, _message):
        return [], {"conns": list(self.conns)}

    def cmd_list_conns(self, message):
        wanted = message.get("ike")
        return [("list-conn", {name: _listed_conn(body)}) for name, body in self.conns.items()
                if wanted in (None, name)], {}

    def cmd_load_conn(self, message):
        for name, body in message.items():
            for key in body:
                if key not in CONN_KEYS and key.split("-")[0] not in ("local", "remote"):
                    return failed("unknown option: %s, config discarded" % key)
            self.conns[name] = body
        return OK

    def cmd_unload_conn(self, message):
        name = message.get("name")
        if name not in self.conns:
            return failed("unload: connection '%s' not found" % name)
        del self.conns[name]
        return OK

    # -- pools -------------------------------------------------------------------------------------

    def cmd_get_pools(self, message):
        wanted = message.get("name")
        reply = {}
        for name, body in self.pools.items():
            if wanted not in (None, name):
                continue
            network = ipaddress.ip_network(text(body["addrs"]), strict=False)
            reply[name] = {"base": str(network.network_address), "size": str(max(network.num_addresses - 2, 1)),
                           "online": str(self.online_leases.get(name, 0)), "offline": "0"}
            if message.get("leases") == "yes":
                reply[name]["leases"] = {}
        return [], reply

    def cmd_load_pool(self, message):
        for name, body in message.items():
            try:
                ipaddress.ip_network(text(body.get("addrs", "")), strict=False)
            except ValueError:
                return failed("invalid addrs value: %s" % text(body.get("addrs", "")))
            self.pools[name] = body
        return OK

    def cmd_unload_pool(self, message):
        name = message.get("name")
        if name not in self.pools:
            return failed("%s not found" % name)
        del self.pools[name]
        return OK

    # -- credentials -------------------------------------------------------------------------------

    def cmd_get_shared(self, _message):
        return [], {"keys": list(self.shared)}

    def cmd_load_shared(self, message):
        if text(message.get("type", "")).upper() not in _SHARED_TYPES:
            return failed("invalid shared key type: %s" % text(message.get("type")))
        self.shared[text(message["id"])] = message
        return OK

    def cmd_unload_shared(self, message):
        self.shared.pop(text(message.get("id")), None)  # 5.9.8 says yes for an unknown id too
        return OK

    def cmd_get_keys(self, _message):
        return [], {"keys": list(self.keys)}

    def cmd_load_key(self, message):
        try:
            private_key = _private_key(message.get("data", b""))
        except ValueError:
            return failed("parsing %s private key failed" % text(message.get("type", "any")).upper())
        identifier = key_id(private_key)
        self.keys[identifier] = message
        return [], {"success": "yes", "id": identifier}

    def cmd_unload_key(self, message):
        if text(message.get("id")) not in self.keys:
            return failed("key not found")
        del self.keys[text(message["id"])]
        return OK

    def cmd_load_cert(self, message):
        cert_type = text(message.get("type", "")).upper()
        data = message.get("data", b"")
        data = data.encode() if isinstance(data, str) else data
        flag = text(message.get("flag", "none")).upper()
        if cert_type == "X509":
            try:
                cert = _der_cert(data)
            except ValueError:
                return failed("parsing X509 certificate failed")
            # A CA certificate is listed as CA whatever the flag it was loaded with.
            if _is_ca(cert):
                flag = "CA"
            entry = {"type": "X509", "flag": flag, "data": cert.public_bytes(serialization.Encoding.DER),
                     "key": x509.SubjectKeyIdentifier.from_public_key(cert.public_key()).digest.hex()}
        else:
            entry = {"type": cert_type, "data": data}
        if not any(listed["data"] == entry["data"] for listed in self.certs):
            self.certs.append(entry)
        return OK

    def cmd_list_certs(self, message):
        wanted = text(message.get("type", "any")).upper()
        events = []
        for cert in self.certs:
            if wanted not in ("ANY", cert["type"]):
                continue
            event = {key: value for key, value in cert.items() if key != "key"}
            # 5.9.8 adds has_privkey only when the private key is loaded (and no subject or dates).
            if cert.get("key") in self.keys:
                event = {"type": event["type"], "flag": event["flag"], "has_privkey": "yes", "data": event["data"]}
            events.append(("list-cert", event))
        return events, {}

    def cmd_get_authorities(self, _message):
        return [], {"authorities": list(self.authorities)}

    def cmd_list_authorities(self, message):
        wanted = message.get("name")
        return [("list-authority", {name: body}) for name, body in self.authorities.items()
                if wanted in (None, name)], {}

    def cmd_load_authority(self, message):
        for name, body in message.items():
            try:
                cert = _der_cert(body.get("cacert", b""))
            except ValueError:
                cert = None
            if cert is None or not _is_ca(cert):
                return failed("CA certificate missing: %s" % name)
            self.authorities[name] = {"cacert": _subject(cert), "crl_uris": list(body.get("crl_uris", [])),
                                      "ocsp_uris": list(body.get("ocsp_uris", []))}
            if body.get("cert_uri_base"):
                self.authorities[name]["cert_uri_base"] = text(body["cert_uri_base"])
        return OK

    def cmd_unload_authority(self, message):
        name = message.get("name")
        if name not in self.authorities:
            return failed("unload: authority '%s' not found" % name)
        del self.authorities[name]
        return OK

    # -- SAs and policies --------------------------------------------------------------------------

    def _find_child(self, child, ike):
        for name, body in self.conns.items():
            if ike not in (None, name):
                continue
            if child is None or child in (body.get("children") or {}):
                return name
        return None

    def cmd_list_sas(self, message):
        wanted = message.get("ike")
        return [("list-sa", sa) for sa in self.sas if wanted in (None, *sa)], {}

    def cmd_initiate(self, message):
        child, ike = message.get("child"), message.get("ike")
        conn = self._find_child(child, ike)
        if conn is None:
            return failed("CHILD_SA config '%s' not found" % (child or ike))
        unique = str(len(self.sas) + 1)
        children = {}
        if child:
            children["%s-%s" % (child, unique)] = {
                "name": child, "uniqueid": unique, "reqid": unique, "state": "INSTALLED", "mode": "TUNNEL",
                "protocol": "ESP", "spi-in": "c1a2b3c4", "spi-out": "c5d6e7f8",
                "local-ts": ["10.1.0.0/16"], "remote-ts": ["10.2.0.0/16"],
            }
        self.sas.append({conn: {
            "uniqueid": unique, "version": "2", "state": "ESTABLISHED", "local-host": "192.0.2.1",
            "local-port": "500", "local-id": "gw.example.com", "remote-host": "192.0.2.2", "remote-port": "500",
            "remote-id": "peer.example.com", "initiator": "yes", "established": "0", "child-sas": children,
        }})
        log = {"group": "IKE", "level": "1", "ikesa-name": conn, "ikesa-uniqueid": unique,
               "msg": "IKE_SA %s[%s] established between 192.0.2.1[gw.example.com]...192.0.2.2[peer.example.com]"
                      % (conn, unique)}
        return [("control-log", log)], {"success": "yes"}

    def cmd_terminate(self, message):
        ike = message.get("ike")
        child = message.get("child")
        ike_id = message.get("ike-id")
        matching = [sa for sa in self.sas if (ike is None or ike in sa) and (
            child is None or any(c.get("name") == child for body in sa.values() for c in body["child-sas"].values()))
            and (ike_id is None or any(str(body.get("uniqueid")) == str(ike_id) for body in sa.values()))]
        if not matching:
            return failed("no matching SAs to terminate found", matches="0", terminated="0")
        for sa in matching:
            self.sas.remove(sa)
        count = str(len(matching))
        return [], {"success": "yes", "matches": count, "terminated": count}

    def cmd_list_policies(self, message):
        wanted = message.get("child")
        return [("list-policy", {key: body}) for key, body in self.policies.items()
                if wanted in (None, body["child"])], {}

    def cmd_install(self, message):
        child, ike = message.get("child"), message.get("ike")
        conn = self._find_child(child, ike)
        if conn is None:
            return failed("configuration name not found")
        self.policies["%s/%s" % (conn, child)] = {"child": child, "ike": conn, "mode": "TUNNEL",
                                                  "local-ts": ["10.1.0.0/16"], "remote-ts": ["10.2.0.0/16"]}
        return OK

    def cmd_uninstall(self, message):
        child = message.get("child")
        for key, body in list(self.policies.items()):
            if body["child"] == child:
                del self.policies[key]
                return OK
        return failed("policy '%s' not found" % child)
