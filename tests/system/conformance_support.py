# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Helpers of the corpus conformance test: stand-in credentials, module tasks, daemon snapshots.

Run as a script (``python3 conformance_support.py SOCKET OUT RESET_CONF``) it writes the daemon's view to
OUT as JSON and then empties the daemon with ``swanctl --load-all --clear`` of an empty swanctl.conf; the
playbooks call it between corpus files so that both daemons are read by the same code.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from typing import Any, Dict, List, Tuple

SHARED_PREFIXES = ("eap", "xauth", "ntlm", "ike", "ppk")
KEY_DIRS = {"private": "private", "rsa": "rsa", "ecdsa": "ecdsa", "pkcs8": "pkcs8"}
START_ACTION = re.compile(r"^(\s*)start_action\s*=.*$", re.MULTILINE)


class NotExpressible(Exception):
    """The file uses something the modules (or this test's stand-ins) cannot express."""


def _split(value: Any) -> List[str]:
    """A comma-separated swanctl.conf value split as swanctl does (``enumerator_create_token(v, ",", " ")``):
    separators inside single or double quotes do not split, the quotes themselves are dropped."""
    tokens, current, quote = [], "", None
    for char in str(value) + ",":
        if quote:
            if char == quote:
                quote = None
            else:
                current += char
        elif char in "'\"":
            quote = char
        elif char == ",":
            if current.strip(" "):
                tokens.append(current.strip(" "))
            current = ""
        else:
            current += char
    return tokens


def references(tree: Dict[str, Any]) -> List[Tuple[str, str]]:
    """Every (directory, file name) the file makes swanctl read, or NotExpressible."""
    refs = []
    for name, conn in (tree.get("connections") or {}).items():
        if not isinstance(conn, dict):
            continue
        for round_name, body in conn.items():
            if not isinstance(body, dict) or not round_name.lower().startswith(("local", "remote")):
                continue
            for key, folder in (("certs", "x509"), ("cacerts", "x509ca"), ("pubkeys", "pubkey")):
                for item in _split(body.get(key, "")):
                    if item.startswith(("0x", "0s")):
                        continue
                    if os.path.isabs(item):
                        raise NotExpressible("absolute credential path %s" % item)
                    refs.append((folder, item))
            for sub in body:
                if isinstance(body[sub], dict) and sub.lower().startswith(("cert", "cacert")):
                    raise NotExpressible("daemon-side certificate section %s.%s.%s" % (name, round_name, sub))
    for name, body in (tree.get("authorities") or {}).items():
        if isinstance(body, dict):
            if "cacert" in body:
                refs.append(("x509ca", body["cacert"]))
            elif body.get("file") or body.get("handle"):
                raise NotExpressible("authority %s reads its certificate daemon-side" % name)
    for name, body in (tree.get("secrets") or {}).items():
        if not isinstance(body, dict):
            continue
        prefix = next((p for p in KEY_DIRS if name.startswith(p)), None)
        if prefix:
            if "file" in body:
                refs.append((KEY_DIRS[prefix], body["file"]))
        elif name.startswith(("pkcs12", "token")):
            raise NotExpressible("secrets.%s (PKCS#12/token) has no module counterpart here" % name)
    return refs


def make_standin(cache: str, folder: str, filename: str) -> str:
    """A generated credential for FOLDER/FILENAME (cached): key, self-signed certificate, CA, public key."""
    target = os.path.join(cache, folder, filename)
    if os.path.exists(target):
        return target
    os.makedirs(os.path.dirname(target), exist_ok=True)
    stem = re.sub(r"[^A-Za-z0-9.-]", "-", os.path.splitext(filename)[0]) or "x"
    keytype = "rsa" if folder == "rsa" else "ed25519" if folder == "pkcs8" else "ecdsa"
    key = os.path.join(cache, ".keys", "%s-%s.key" % (folder, stem))
    os.makedirs(os.path.dirname(key), exist_ok=True)
    gen = ["pki", "--gen", "--type", keytype, "--outform", "pem"] + (["--size", "2048"] if keytype == "rsa" else [])
    with open(key, "wb") as out:
        subprocess.run(gen, check=True, stdout=out, stderr=subprocess.DEVNULL, timeout=60)
    if folder in KEY_DIRS.values():
        shutil.copy(key, target)
    elif folder == "pubkey":
        with open(target, "wb") as out:
            subprocess.run(["pki", "--pub", "--in", key, "--outform", "pem"], check=True, stdout=out,
                           stderr=subprocess.DEVNULL, timeout=60)
    else:
        cmd = ["pki", "--self", "--in", key, "--type", keytype, "--lifetime", "3650",
               "--dn", "C=CH, O=conformance, CN=%s" % stem, "--outform", "pem"]
        if folder == "x509ca":
            cmd.append("--ca")
        with open(target, "wb") as out:
            subprocess.run(cmd, check=True, stdout=out, stderr=subprocess.DEVNULL, timeout=60)
    return target


def prepare(source: str, tree: Dict[str, Any], workdir: str, cache: str) -> None:
    """WORKDIR/swanctl.conf (start actions dropped, includes beside it) and the stand-in credentials."""
    os.makedirs(workdir, exist_ok=True)
    for folder, filename in references(tree):
        dest = os.path.join(workdir, folder, filename)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        if not os.path.exists(dest):
            shutil.copy(make_standin(cache, folder, filename), dest)
    with open(source, encoding="utf-8") as handle:
        text = handle.read()
    with open(os.path.join(workdir, "swanctl.conf"), "w", encoding="utf-8") as out:
        out.write(START_ACTION.sub(r"\1# start_action dropped (root namespace daemon)", text))


def strip_start_actions(tree: Dict[str, Any]) -> None:
    for conn in (tree.get("connections") or {}).values():
        if isinstance(conn, dict):
            for child in (conn.get("children") or {}).values():
                if isinstance(child, dict):
                    child.pop("start_action", None)


def module_tasks(tree: Dict[str, Any], workdir: str, socket: str, available: set, tag: str) -> List[Dict[str, Any]]:
    """The module tasks that load what swanctl --load-all loads from this tree (creds, authorities, pools, conns)."""
    tasks = []

    def task(module, name, args):
        tasks.append({"name": "%s %s %s" % (tag, module, name), "strongswan.vici.%s" % module: dict(args, socket=socket),
                      "ignore_errors": True})

    # Like swanctl --load-creds: every file in the credential folders (it loads whole folders).
    folders = (("x509", {"type": "x509", "flag": "none"}), ("x509ca", {"type": "x509", "flag": "ca"}),
               ("x509ocsp", {"type": "x509", "flag": "ocsp"}), ("x509aa", {"type": "x509", "flag": "aa"}),
               ("x509ac", {"type": "x509_ac"}), ("x509crl", {"type": "x509_crl"}), ("pubkey", {"type": "pubkey"}))
    if "certificate" in available:
        for folder, options in folders:
            for filename in sorted(os.listdir(os.path.join(workdir, folder))) if os.path.isdir(
                    os.path.join(workdir, folder)) else []:
                task("certificate", "%s/%s" % (folder, filename),
                     dict(options, path=os.path.join(workdir, folder, filename)))
    if "private_key" in available:
        for folder in ("private", "rsa", "ecdsa", "pkcs8"):
            directory = os.path.join(workdir, folder)
            for filename in sorted(os.listdir(directory)) if os.path.isdir(directory) else []:
                task("private_key", "%s/%s" % (folder, filename), {"path": os.path.join(directory, filename)})
    if "shared_secret" in available:
        for name, body in (tree.get("secrets") or {}).items():
            prefix = next((p for p in SHARED_PREFIXES if name.startswith(p)), None)
            if prefix and isinstance(body, dict) and "secret" in body:
                owners = [value for key, value in body.items() if key.startswith("id") and not isinstance(value, dict)]
                task("shared_secret", name, {"id": name, "type": prefix, "secret": body["secret"], "owners": owners})
    if "authority" in available:
        for name, body in (tree.get("authorities") or {}).items():
            args = {"name": name, "cacert": os.path.join(workdir, "x509ca", body["cacert"])}
            for key in ("crl_uris", "ocsp_uris"):
                if key in body:
                    args[key] = _split(body[key])
            if "cert_uri_base" in body:
                args["cert_uri_base"] = body["cert_uri_base"]
            task("authority", name, args)
    if "pool" in available:
        for name, body in (tree.get("pools") or {}).items():
            args: Dict[str, Any] = {"name": name}
            custom = {}
            for key, value in body.items():
                if key == "addrs":
                    args["addrs"] = value
                elif key.isdigit():
                    custom[key] = _split(value)
                else:
                    args[key] = _split(value)
            if custom:
                args["attributes"] = custom
            task("pool", name, args)
    if "connection" in available:
        for name, body in (tree.get("connections") or {}).items():
            config = json.loads(json.dumps(body))
            for round_name, round_body in config.items():
                if isinstance(round_body, dict) and round_name.lower().startswith(("local", "remote")):
                    for key, folder in (("certs", "x509"), ("cacerts", "x509ca"), ("pubkeys", "pubkey")):
                        if key in round_body:
                            round_body[key] = [item if item.startswith(("0x", "0s"))
                                               else os.path.join(workdir, folder, item) for item in _split(round_body[key])]
            task("connection", name, {"name": name, "config": config})
    return tasks


# -- daemon views ------------------------------------------------------------------------------


def snapshot(socket: str) -> Dict[str, Any]:
    """What the daemon reports: list-conns, get-shared, get-keys, get-pools, list-authorities, list-certs."""
    from ansible_collections.strongswan.vici.plugins.module_utils.vici.session import Session

    def text(value):
        if isinstance(value, bytes):
            return value.hex()
        if isinstance(value, dict):
            return {key: text(item) for key, item in value.items()}
        if isinstance(value, list):
            return [text(item) for item in value]
        return value

    with Session(socket, timeout=30) as vici:
        conns = {}
        for event in vici.list_conns():
            conns.update(text(event))
        authorities = {}
        for event in vici.list_authorities():
            authorities.update(text(event))
        certs = sorted("%s/%s/%s" % (cert.get("type"), cert.get("flag", ""),
                                     hashlib.sha256(cert["data"] if isinstance(cert["data"], bytes)
                                                    else str(cert["data"]).encode()).hexdigest()[:16])
                       for cert in vici.list_certs())
        return {
            "conns": conns,
            "shared": sorted(vici.get_shared().get("keys", [])),
            "keys": sorted(vici.get_keys().get("keys", [])),
            "pools": text(vici.get_pools()),
            "authorities": authorities,
            "certs": certs,
        }


def reset(socket: str, empty_conf: str) -> None:
    subprocess.run(["swanctl", "--load-all", "--clear", "--noprompt", "--file", empty_conf, "--uri", socket],
                   check=False, capture_output=True, timeout=60)


if __name__ == "__main__":
    sys.path.insert(0, os.environ.get("CONFORMANCE_COLLECTIONS", ""))
    SOCKET, OUT, EMPTY = sys.argv[1:4]
    with open(OUT, "w", encoding="utf-8") as handle:
        json.dump(snapshot(SOCKET), handle)
    reset(SOCKET, EMPTY)
