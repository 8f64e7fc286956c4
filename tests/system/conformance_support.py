# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Helpers of the corpus conformance test: stand-in credentials, module tasks, daemon snapshots.

Run as a script (``python3 conformance_support.py SOCKET OUT RESET_CONF``) it writes the daemon's view to
OUT as JSON and then empties the daemon with ``swanctl --load-all --clear`` of an empty swanctl.conf (not with
RESET_CONF ``-``); the
playbooks call it between corpus files so that both daemons are read by the same code.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from typing import Any, Dict, List, Optional, Tuple

from conftest import pki

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


def drop_inexpressible(tree: Dict[str, Any]) -> List[Tuple[str, str]]:
    """Remove from TREE what the modules (or this test's stand-ins) cannot express; [(identity, why)] of it.

    The rest of the file is still compared; swanctl loads the whole file, and the identities returned
    (``load-conn NAME``, ``load-authority NAME``, ``secret NAME``) are left out of both sides' comparison.
    """
    dropped = []
    conns = tree.get("connections") or {}
    for name, conn in list(conns.items()):
        if not isinstance(conn, dict):
            continue
        why = None
        for round_name, body in conn.items():
            if not isinstance(body, dict) or not round_name.lower().startswith(("local", "remote")):
                continue
            for key in ("certs", "cacerts", "pubkeys"):
                for item in _split(body.get(key, "")):
                    if os.path.isabs(item) and not item.startswith(("0x", "0s")):
                        why = "absolute credential path %s" % item
            for sub in body:
                if isinstance(body[sub], dict) and sub.lower().startswith(("cert", "cacert")):
                    why = "daemon-side certificate section %s.%s" % (round_name, sub)
        if why:
            del conns[name]
            dropped.append(("load-conn %s" % name, why))
    authorities = tree.get("authorities") or {}
    for name, body in list(authorities.items()):
        if isinstance(body, dict) and "cacert" not in body and (body.get("file") or body.get("handle")):
            del authorities[name]
            dropped.append(("load-authority %s" % name, "the daemon reads its certificate itself"))
    secrets = tree.get("secrets") or {}
    for name, body in list(secrets.items()):
        if name.startswith("token"):
            del secrets[name]
            dropped.append(("secret %s" % name, "a PKCS#11 token key (no token here)"))
        elif name.startswith(SHARED_PREFIXES) and isinstance(body, dict) and not any(
                str(key).startswith("id") for key in body):
            # swanctl loads it (it matches every identity); shared_secret refuses it, as config does, and asks
            # for owners: ['%any']
            del secrets[name]
            dropped.append(("load-shared %s" % name, "a shared secret without owners (the modules refuse it)"))
    return dropped


def references(tree: Dict[str, Any]) -> List[Tuple[str, str]]:
    """Every (directory, file name) the file makes swanctl read (after drop_inexpressible)."""
    refs = []
    for conn in (tree.get("connections") or {}).values():
        if not isinstance(conn, dict):
            continue
        for round_name, body in conn.items():
            if not isinstance(body, dict) or not round_name.lower().startswith(("local", "remote")):
                continue
            for key, folder in (("certs", "x509"), ("cacerts", "x509ca"), ("pubkeys", "pubkey")):
                for item in _split(body.get(key, "")):
                    if not item.startswith(("0x", "0s")):
                        refs.append((folder, item))
    for body in (tree.get("authorities") or {}).values():
        if isinstance(body, dict) and "cacert" in body:
            refs.append(("x509ca", body["cacert"]))
    for name, body in (tree.get("secrets") or {}).items():
        if not isinstance(body, dict):
            continue
        prefix = next((p for p in KEY_DIRS if name.startswith(p)), None)
        if prefix and "file" in body:
            refs.append((KEY_DIRS[prefix], body["file"]))
        elif name.startswith("pkcs12") and "file" in body:
            refs.append(("pkcs12", body["file"]))
    return refs


def pkcs12_secret(tree: Dict[str, Any], filename: str) -> Optional[str]:
    """The secret swanctl opens pkcs12/FILENAME with: of a secrets.pkcs12* section whose file matches (any case)."""
    for name, body in (tree.get("secrets") or {}).items():
        if name.startswith("pkcs12") and isinstance(body, dict) and str(body.get("file", "")).lower() == filename.lower():
            for key, value in body.items():
                if key.startswith("secret"):
                    return str(value)
    return None


def make_pkcs12(cache: str, target: str, secret: str) -> None:
    """A stand-in container at TARGET: a key and its certificate (from the cache), under SECRET."""
    key = make_standin(cache, "private", "p12-" + os.path.basename(target) + ".pem")
    cert = key[:-len(".pem")] + ".crt"
    if not os.path.exists(cert):
        pki("--self", "--in", key, "--type", "ecdsa", "--lifetime", "3650", "--outform", "pem",
            "--dn", "C=CH, O=conformance, CN=%s" % os.path.basename(target), out=cert)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    subprocess.run(["openssl", "pkcs12", "-export", "-inkey", key, "-in", cert, "-passout", "stdin", "-out", target],
                   input=secret.encode() + b"\n", check=True, capture_output=True, timeout=60)


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
    pki("--gen", "--type", keytype, "--outform", "pem", *(["--size", "2048"] if keytype == "rsa" else []), out=key)
    if folder in KEY_DIRS.values():
        shutil.copy(key, target)
    elif folder == "pubkey":
        pki("--pub", "--in", key, "--outform", "pem", out=target)
    else:
        pki("--self", "--in", key, "--type", keytype, "--lifetime", "3650", "--dn", "C=CH, O=conformance, CN=%s" % stem,
            "--outform", "pem", *(["--ca"] if folder == "x509ca" else []), out=target)
    return target


def prepare(source: str, tree: Dict[str, Any], workdir: str, cache: str) -> None:
    """WORKDIR/swanctl.conf (start actions dropped, includes beside it) and the stand-in credentials."""
    os.makedirs(workdir, exist_ok=True)
    for folder, filename in references(tree):
        dest = os.path.join(workdir, folder, filename)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        if os.path.exists(dest):
            continue
        if folder == "pkcs12":
            make_pkcs12(cache, dest, pkcs12_secret(tree, filename) or "")
        else:
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


CERT_FOLDERS = (("x509", {"type": "x509", "flag": "none"}), ("x509ca", {"type": "x509", "flag": "ca"}),
                ("x509ocsp", {"type": "x509", "flag": "ocsp"}), ("x509aa", {"type": "x509", "flag": "aa"}),
                ("x509ac", {"type": "x509_ac"}), ("x509crl", {"type": "x509_crl"}), ("pubkey", {"type": "pubkey"}))


def credential_files(workdir: str) -> List[Tuple[str, str, Dict[str, Any]]]:
    """Like swanctl --load-creds, every file of the credential folders (it loads whole folders), as
    (module, FOLDER/FILE, module arguments): certificates, then private keys (without passphrase)."""
    out = []
    for module, folders in (("certificate", CERT_FOLDERS),
                            ("private_key", [(folder, {}) for folder in ("private", "rsa", "ecdsa", "pkcs8")])):
        for folder, options in folders:
            directory = os.path.join(workdir, folder)
            for filename in sorted(os.listdir(directory)) if os.path.isdir(directory) else []:
                out.append((module, "%s/%s" % (folder, filename), dict(options, path=os.path.join(directory, filename))))
    return out


def module_tasks(tree: Dict[str, Any], workdir: str, socket: str, available: set, tag: str) -> List[Dict[str, Any]]:
    """The module tasks that load what swanctl --load-all loads from this tree (creds, authorities, pools, conns)."""
    tasks = []

    def task(module, name, args):
        tasks.append({"name": "%s %s %s" % (tag, module, name), "strongswan.vici.%s" % module: dict(args, socket=socket),
                      "ignore_errors": True})

    for module, label, args in credential_files(workdir):
        if module in available:
            task(module, label, args)
    # Like swanctl's pkcs12/ folder: every certificate and the key of each container it can open.
    directory = os.path.join(workdir, "pkcs12")
    for filename in sorted(os.listdir(directory)) if os.path.isdir(directory) else []:
        secret = pkcs12_secret(tree, filename)
        for module in ("certificate", "private_key"):
            if module in available and secret is not None:
                task(module, "pkcs12/%s" % filename, {"path": os.path.join(directory, filename), "passphrase": secret})
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


# -- what was sent: recorded VICI messages, normalised -------------------------------------------

MARK_COMMAND = "x-conformance-mark"  # sent between the module passes; the daemon answers "unknown command"
MUTATING = ("load-conn", "load-cert", "load-key", "load-token", "load-shared", "load-authority", "load-pool",
            "unload-conn", "unload-key", "unload-shared", "unload-authority", "unload-pool", "clear-creds")
# Keys of load-conn whose values the daemon parses as times, byte counts or booleans (vici_config.c), written
# down here, independently of the collection's schema, so that the comparison does not inherit its mistakes.
TIME_KEYS = {"dpd_delay", "dpd_timeout", "reauth_time", "rekey_time", "over_time", "rand_time", "life_time",
             "inactivity"}
BYTES_KEYS = {"rekey_bytes", "life_bytes", "rand_bytes"}
BOOL_KEYS = {"aggressive", "pull", "encap", "mobike", "send_certreq", "ppk_required", "mediation", "hostaccess",
             "policies", "policies_fwd_out", "mark_in_sa", "ipcomp", "sha256_96", "copy_df", "copy_ecn", "icmp"}
FILE_KEYS = {"certs", "cacerts", "pubkeys", "cacert", "cert"}
SECRET_KEYS = {"data", "pin", "secret"}  # never shown: compared by digest
GENERIC_KEY_TYPES = {"any", "private", "pkcs8"}
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
_BYTE_UNITS = {"": 1, "k": 1024, "m": 1024 ** 2, "g": 1024 ** 3}
_PEM = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \1-----", re.DOTALL)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def _der_items(value: bytes) -> List[bytes]:
    """PEM blocks as DER (headers dropped), or the value itself when it is not PEM."""
    blocks = _PEM.findall(value)
    if not blocks:
        return [value]
    out = []
    for _label, body in blocks:
        lines = [line for line in body.strip().splitlines() if b":" not in line]
        out.append(base64.b64decode(b"".join(line.strip() for line in lines)))
    return out


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return "bytes:" + _digest(value)
    return str(value)


def _amount(value: str, units: Dict[str, int]) -> str:
    match = re.match(r"^\s*([0-9]+)\s*([A-Za-z]?)\s*$", value)
    if match and match.group(2).lower() in units:
        return str(int(match.group(1)) * units[match.group(2).lower()])
    return value


def normalise_value(key: str, value: Any) -> Any:
    """One value in the form both sides are compared in.

    Certificates and public keys (PEM or DER, one or several) become digests of their DER; secrets digests of
    their bytes; times and byte counts numbers (``10m`` -> ``600``, ``1k`` -> ``1024``); booleans ``yes``/``no``;
    ``type`` and ``flag`` lower case; empty lists are dropped. Lists keep their order (it matters to the daemon).
    """
    if isinstance(value, dict):
        # An empty list is no list: the daemon's parser calls a list key's handler once per item.
        return {name: normalise_value(name, item) for name, item in value.items() if item != []}
    if isinstance(value, list):
        if key in FILE_KEYS:
            return ["der:" + _digest(der) for item in value for der in _der_items(item)]
        return [normalise_value(key, item) for item in value]
    if key in SECRET_KEYS:
        return "secret:" + _digest(value if isinstance(value, bytes) else str(value).encode())
    if key in FILE_KEYS and isinstance(value, bytes):
        return "der:" + "+".join(_digest(der) for der in _der_items(value))
    text = _text(value)
    if key in TIME_KEYS:
        return _amount(text, _UNITS)
    if key in BYTES_KEYS:
        return _amount(text, _BYTE_UNITS)
    if key in BOOL_KEYS:
        lowered = text.lower()
        return "yes" if lowered in ("yes", "true", "enabled", "1") else "no" if lowered in (
            "no", "false", "disabled", "0") else text
    if key in ("type", "flag"):
        return text.lower()
    return text


def _key_id(data: bytes) -> str:
    from ansible_collections.strongswan.vici.plugins.module_utils._pki.keys import load_private_key  # noqa: E501 pylint: disable=import-outside-toplevel
    try:
        return load_private_key(data, None, "data").key_id
    except Exception:  # pylint: disable=broad-except
        return "unparsable:" + _digest(data)


def normalise_message(name: str, request: Any) -> Optional[Tuple[str, Dict[str, Any]]]:
    """(identity, normalised body) of one mutating request, or None for read-only commands and marks."""
    if name not in MUTATING or not isinstance(request, dict):
        return None
    if name.startswith("unload-") or name == "clear-creds":
        return None  # swanctl unloads what the file lacks; both daemons start empty, so nothing to compare
    if name in ("load-conn", "load-pool", "load-authority") and len(request) == 1:
        (object_name, body), = request.items()
        return "%s %s" % (name, object_name), normalise_value("", body)
    if name == "load-cert":
        data = request.get("data", b"")
        ders = _der_items(data) if isinstance(data, bytes) else [b""]
        body = normalise_value("", {key: value for key, value in request.items() if key != "data"})
        body.setdefault("flag", "none") if body.get("type") == "x509" else None  # pylint: disable=expression-not-assigned
        return "load-cert %s" % "+".join(_digest(der) for der in ders), body
    if name == "load-key":
        data = request.get("data", b"")
        key_id = _key_id(data) if isinstance(data, bytes) else "?"
        body = {"type": normalise_value("type", request.get("type", b""))}
        if body["type"] in GENERIC_KEY_TYPES:
            body = {}
        return "load-key %s" % key_id, body
    if name == "load-shared":
        body = normalise_value("", request)
        return "load-shared %s" % body.pop("id", "?"), body
    if name == "load-token":
        body = normalise_value("", request)
        return "load-token %s" % body.get("handle", "?"), body
    return "%s ?" % name, normalise_value("", request)


def succeeded(response: Any) -> bool:
    return isinstance(response, dict) and response.get("success") == b"yes"


def sent(exchanges: List[Any]) -> Dict[str, Dict[str, Any]]:
    """identity -> {"bodies": [distinct normalised bodies], "accepted": whether the daemon accepted any}."""
    out: Dict[str, Dict[str, Any]] = {}
    for exchange in exchanges:
        normalised = normalise_message(exchange.name, exchange.request)
        if normalised is None:
            continue
        identity, body = normalised
        entry = out.setdefault(identity, {"bodies": [], "accepted": False})
        if body not in entry["bodies"]:
            entry["bodies"].append(body)
        entry["accepted"] = entry["accepted"] or succeeded(exchange.response)
    return out


def _show(value: Any) -> str:
    return json.dumps(value, sort_keys=True)[:200]


def body_differences(path: str, reference: Any, actual: Any) -> List[str]:
    """Human-readable differences between two normalised bodies (paths like children.net.esp_proposals)."""
    if isinstance(reference, dict) and isinstance(actual, dict):
        problems = []
        for key in list(reference) + [key for key in actual if key not in reference]:
            where = "%s.%s" % (path, key) if path else key
            if key not in actual:
                problems.append("%s: swanctl sent %s, the modules nothing" % (where, _show(reference[key])))
            elif key not in reference:
                problems.append("%s: the modules sent %s, swanctl nothing" % (where, _show(actual[key])))
            else:
                problems += body_differences(where, reference[key], actual[key])
        return problems
    if isinstance(reference, list) != isinstance(actual, list):
        # A comma-separated string against a list: the daemon splits the string the same way.
        as_list = [item.strip() for item in (actual if isinstance(reference, list) else reference).split(",")
                   if item.strip()] if isinstance(actual if isinstance(reference, list) else reference, str) else None
        if as_list is not None and as_list == (reference if isinstance(reference, list) else actual):
            return []
    if reference != actual:
        return ["%s: swanctl sent %s, the modules %s" % (path or "message", _show(reference), _show(actual))]
    return []


def compare_sent(reference: Dict[str, Dict[str, Any]], actual: Dict[str, Dict[str, Any]],
                 skipped: Tuple[str, ...] = ()) -> Tuple[List[str], int, List[str], List[str]]:
    """Compare two ``sent()`` results: (problems, number of messages compared, identities rejected by both
    daemons, identities the daemon rejected from swanctl that the modules did not send).

    The last ones are fine when the module refused the object itself (the caller checks its task failed).
    Objects named in SKIPPED (identities like ``load-conn NAME``) are left out on both sides.
    """
    problems, rejected, refused, compared = [], [], [], 0
    for identity in sorted(set(reference) | set(actual)):
        if identity in skipped:
            continue
        ours, theirs = actual.get(identity), reference.get(identity)
        if theirs is None:
            problems.append("%s: sent by the modules only" % identity)
            continue
        if ours is None and not theirs["accepted"]:
            refused.append(identity)
            continue
        if ours is None:
            problems.append("%s: sent by swanctl only (%s)" % (identity, "accepted" if theirs["accepted"] else "rejected"))
            continue
        compared += 1
        if not theirs["accepted"] and not ours["accepted"]:
            rejected.append(identity)
        if theirs["bodies"][-1:] != ours["bodies"][-1:]:
            problems += ["%s: %s" % (identity, text) for text in body_differences("", theirs["bodies"][-1], ours["bodies"][-1])]
    return problems, compared, rejected, refused


def send_mark(uri: str, tag: str) -> None:
    """Send the MARK_COMMAND request through a recording proxy (the daemon replies "unknown command")."""
    import socket as _socket  # pylint: disable=import-outside-toplevel
    import struct  # pylint: disable=import-outside-toplevel
    name = MARK_COMMAND.encode()
    body = b"\x03" + bytes([3]) + b"tag" + struct.pack("!H", len(tag)) + tag.encode()
    segment = bytes([0, len(name)]) + name + body
    with _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM) as sock:
        sock.settimeout(30)
        sock.connect(uri[len("unix://"):] if uri.startswith("unix://") else uri)
        sock.sendall(struct.pack("!I", len(segment)) + segment)
        sock.recv(4096)


def split_at_marks(exchanges: List[Any]) -> List[List[Any]]:
    """The exchanges between MARK_COMMAND requests."""
    parts: List[List[Any]] = [[]]
    for exchange in exchanges:
        if exchange.name == MARK_COMMAND:
            parts.append([])
        else:
            parts[-1].append(exchange)
    return parts


if __name__ == "__main__":
    if sys.argv[1] == "mark":
        send_mark(sys.argv[2], sys.argv[3])
        sys.exit(0)
    sys.path.insert(0, os.environ.get("CONFORMANCE_COLLECTIONS", ""))
    SOCKET, OUT, EMPTY = sys.argv[1:4]
    with open(OUT, "w", encoding="utf-8") as handle:
        json.dump(snapshot(SOCKET), handle)
    if EMPTY != "-":  # "-": keep the daemon's state (the config module purges it between files)
        reset(SOCKET, EMPTY)
