# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A gateway's whole configuration as one tree, read into groups of plan items. PRIVATE to the collection.

The tree comes from the module's arguments or from a file (``src``). It has swanctl.conf's sections
(``connections``, ``secrets``, ``pools``, ``authorities``) plus ``certificates`` and ``private_keys`` given
as content or paths. Every object becomes an :class:`Item` of its :class:`Kind`, checked and named by its
path in the tree, grouped per kind in load order: credentials, authorities and pools before the connections
that use them.

Mapping of ``secrets`` to the daemon, as swanctl's ``load_creds.c`` does it:
the section name's prefix gives the type (``eap``, ``xauth``, ``ntlm``,
``ike``, ``ppk`` for shared secrets; ``private``, ``rsa``, ``ecdsa``,
``pkcs8`` for key files; ``token`` for PKCS#11 keys); the section name is the
shared secret's id (the ``id`` of the ``shared_secret`` module), and the
values of its keys starting with ``id`` are the owners (its ``owners``).

Section parsing needs the kinds' message builders (``_kinds/``), which in turn use the connection schema
(``_swanctl/``): it lives here, above both, so that imports keep flowing down.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any, Dict, List, Optional, Sequence, Set, Tuple

from .._engine.kind import Item
from .._engine.ledger import Ledger
from .._engine.plan import Group
from .._kinds.authority import AuthorityKind, authority_message
from .._kinds.certificate import CERT_TYPES, CertificateKind, certificate_message, certificate_name, read_certificate_data
from .._kinds.connection import ConnectionKind
from .._kinds.pool import POOL_ATTRIBUTES, PoolKind, pool_message
from .._kinds.private_key import PrivateKeyKind, TokenKeys, desired_key
from .._kinds.shared_secret import SharedSecretKind, shared_secret_message
from .._pki.source import read_managed_file
from .._swanctl.schema import ConfigError, canonical_connection, list_items
from .._swanctl.syntax import SWANCTL_SECTIONS
from .._text.input import InputError, check_request
from .src import read_source, source_format


#: The sections of the tree, in the order they are loaded.
SECTIONS = ("certificates", "private_keys", "secrets", "authorities", "pools", "connections")
#: Result groups: the daemon kinds a tree section feeds.
GROUPS = ("certificates", "private_keys", "secrets", "authorities", "pools", "connections")
DEFAULT_SWANCTL_DIR = "/etc/swanctl"
#: load_creds.c's order of prefixes: the first match wins ("ike" before "ikev2..." is the same).
SHARED_PREFIXES = ("eap", "xauth", "ntlm", "ike", "ppk")
KEY_PREFIXES = {"private": "private", "rsa": "rsa", "ecdsa": "ecdsa", "pkcs8": "pkcs8"}
#: The keys of an authorities entry.
AUTHORITY_KEYS = ("cacert", "file", "handle", "slot", "module", "crl_uris", "ocsp_uris", "cert_uri_base")
SECRET_PREFIXES = ("eap", "xauth", "ntlm", "ike", "ppk", "private", "rsa", "ecdsa", "pkcs8", "pkcs12", "token")


class Desired:
    """The whole tree as plan items, grouped by daemon kind in load order."""

    def __init__(self) -> None:
        self.groups: List[Group] = []
        self.named: Set[str] = set()
        self.warnings: List[str] = []
        #: The files the connections' bodies named and the tree read (certificates, public keys): the tree
        #: depends on more than its own text (config's unchanged-rerun shortcut is then not taken).
        self.files: List[str] = []

    def group(self, section: str) -> List[Group]:
        return [group for group in self.groups if group.section == section]


# -- the tree ---------------------------------------------------------------------------------------


def split_tree(tree: Mapping[str, Any], prefix: str = "tree.") -> Dict[str, Any]:
    """The sections of a whole swanctl.conf tree (from_swanctl_conf's output), checked; PREFIX names it in errors."""
    sections: Dict[str, Any] = {}
    for key, value in tree.items():
        if key not in SWANCTL_SECTIONS:
            raise InputError("%s%s: unknown top-level section; swanctl.conf has %s" % (prefix, key, ", ".join(SWANCTL_SECTIONS)))
        # A null section (YAML's 'connections:' with nothing under it) is not managed, as a section left out of
        # the module's own options is: purge never takes it for "empty" and removes everything of its kinds.
        sections[key] = value
    return sections


def desired_tree(params: Mapping[str, Any], ledger: Ledger, only: Optional[Mapping[str, Set[str]]] = None) -> Desired:
    """Every object of the tree, validated, as plan items grouped by kind.

    A section that is given (even as ``{}`` or ``[]``) is *named*: purge applies
    to its kinds. A section left out (None) is not managed at all.

    ``only`` (config's delta path, :mod:`.delta`): per section, the names of the entries to build items for;
    the groups then hold those items only. The checks and warnings that span the tree see every entry.
    """
    swanctl_dir = params.get("swanctl_dir") or DEFAULT_SWANCTL_DIR
    desired = Desired()
    sections = {name: params.get(name) for name in SECTIONS}
    for name in SWANCTL_SECTIONS + ("certificates", "private_keys"):
        value = sections[name]
        if value is None:
            continue
        if name in ("certificates", "private_keys"):
            if not isinstance(value, (list, tuple)):
                raise InputError("%s: expected a list, got %s" % (name, type(value).__name__))
        elif not isinstance(value, Mapping):
            raise InputError("%s: expected a dictionary of sections, got %s" % (name, type(value).__name__))
        desired.named.add(name)
    desired.groups, desired.warnings = read_groups(sections, swanctl_dir, ledger, desired.files, only)
    return desired


def tree_params(params: Mapping[str, Any]) -> Dict[str, Any]:
    """The module's arguments with ``tree`` or the file ``src`` (a whole swanctl.conf tree) split into its sections."""
    merged = dict(params)
    if params.get("src"):
        src = params["src"]
        fmt = source_format(src, params.get("src_format") or "auto")
        tree = read_source(src, fmt)
        if merged.get("swanctl_dir") is None and fmt == "swanctl_conf":
            # As swanctl --file: relative file names are in the folders beside the swanctl.conf read.
            merged["swanctl_dir"] = os.path.dirname(os.path.abspath(src))
        merged.update(split_tree(tree, "src %s: " % src))
    elif params.get("tree") is not None:
        if not isinstance(params["tree"], Mapping):
            raise InputError("tree: expected a dictionary (from_swanctl_conf's output), got %s" % type(params["tree"]).__name__)
        merged.update(split_tree(params["tree"]))
    return merged


# -- the entries' fingerprints (config's delta path) ---------------------------------------------------

#: The tree's sections of named entries: the delta path (_gateway/delta.py) compares them entry by entry.
NAMED_SECTIONS = ("connections", "secrets", "pools", "authorities")


def entry_texts(merged: Mapping[str, Any]) -> Optional[Dict[str, Any]]:
    """What the delta path compares of two trees (``merged``: :func:`tree_params`'s result): which sections
    are given (``sections``) and, per named section, each entry's name and its body as given, as one text
    (``entries``), in the tree's order. Only keyed fingerprints of the texts are kept (:func:`.shortcut.entry_prints`).

    The text keeps the order of every section (it matters to the daemon: children, auth rounds). None when the
    delta path does not take the tree: a section that is no dictionary (the full run says what is wrong), two
    entries of one name, certificates or private_keys given.
    """
    if merged.get("certificates") or merged.get("private_keys"):
        return None
    entries: Dict[str, List[List[str]]] = {}
    for section in NAMED_SECTIONS:
        value = merged.get(section)
        if value is None:
            continue
        if not isinstance(value, Mapping):
            return None
        listed: List[List[str]] = []
        seen: Set[str] = set()
        for name, body in value.items():
            name = str(name)
            if name in seen:
                return None
            seen.add(name)
            try:
                listed.append([name, json.dumps([section, name, body], separators=(",", ":"), default=repr)])
            except (TypeError, ValueError):  # a value that contains itself, for example
                return None
        entries[section] = listed
    return {"sections": [name for name in SECTIONS if merged.get(name) is not None], "entries": entries}


def valid_prints(prints: Any) -> bool:
    """Whether ``prints`` (as a record keeps them) has the form :func:`entry_texts` gives."""
    if not isinstance(prints, dict) or not isinstance(prints.get("sections"), list) or not isinstance(prints.get("entries"), dict):
        return False
    return all(section in NAMED_SECTIONS and isinstance(listed, list)
               and all(isinstance(entry, list) and len(entry) == 2 and all(isinstance(part, str) for part in entry)
                       for entry in listed)
               for section, listed in prints["entries"].items())


# -- values ---------------------------------------------------------------------------------------


def _text(path: str, value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise InputError("%s: expected a text value, got %s" % (path, type(value).__name__))
    return str(value)


def _values(path: str, value: Any) -> List[str]:
    """A swanctl list value: a comma-separated string or a list."""
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [_text("%s[%d]" % (path, index), item).strip() for index, item in enumerate(value)]
    return list_items(_text(path, value))


def _section(path: str, value: Any) -> Dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InputError("%s: expected a section (a dictionary), got %s" % (path, type(value).__name__))
    return dict(value)


def _int(path: str, value: Any) -> Optional[int]:
    if value is None:
        return None
    try:
        return int(_text(path, value), 0)
    except ValueError:
        raise InputError("%s: '%s' is not a number" % (path, value)) from None


def _only(path: str, body: Mapping[str, Any], allowed: Sequence[str], prefixed: Sequence[str] = ()) -> None:
    for key in body:
        if key not in allowed and not any(str(key).startswith(prefix) for prefix in prefixed):
            raise InputError("%s.%s: unknown key; known are %s" % (path, key, ", ".join(list(allowed) + [p + "*" for p in prefixed])))


def check_size(path: str, message: Mapping[str, Any], command: str = "load") -> None:
    """Reject an object the daemon would refuse by its size: a value over 65535 bytes, a message over 512 KiB.

    The one rule of every module (:func:`.._text.input.check_request`), applied to every object of the tree
    while it is read: in check mode as in the real run, and before the first mutating command, so a value the
    wire cannot carry never leaves a tree half applied.
    """
    check_request(command, message, path)


# -- sections ---------------------------------------------------------------------------------------


def secret_type(name: str) -> Optional[str]:
    """The prefix that decides a secrets section's type, as load_creds.c matches it (case-sensitive)."""
    return next((prefix for prefix in SECRET_PREFIXES if name.startswith(prefix)), None)


def shared_owners(path: str, body: Mapping[str, Any]) -> List[str]:
    """Owners of a shared secret: the values of every key starting with ``id``, in order."""
    owners: List[str] = []
    for key, value in body.items():
        if str(key).startswith("id"):
            owners.extend(_values("%s.%s" % (path, key), value) if isinstance(value, (list, tuple)) else
                          [_text("%s.%s" % (path, key), value)])
    return owners


def shared_items(secrets: Mapping[str, Any]) -> List[Item]:
    items = []
    for name, raw in secrets.items():
        prefix = secret_type(str(name))
        if prefix not in SHARED_PREFIXES:
            continue
        path = "secrets.%s" % name
        body = _section(path, raw)
        _only(path, body, ("secret",), ("id",))
        if body.get("secret") in (None, ""):
            raise InputError("%s.secret: missing (a %s secret needs its value)" % (path, prefix))
        owners = shared_owners(path, body)
        try:
            message = shared_secret_message(str(name), prefix, _text(path + ".secret", body["secret"]), owners,
                                            any_owner="id: '%any' (the id and id-* keys name the owners)")
        except InputError as error:
            raise InputError("%s: %s" % (path, error)) from None
        check_size(path, message)
        items.append(Item(str(name), message))
    return items


def key_items(secrets: Mapping[str, Any], private_keys: Sequence[Mapping[str, Any]], swanctl_dir: str,
              ledger: Ledger) -> Group:
    """Private keys from ``secrets`` (key files, tokens) and from ``private_keys``; names are key ids.

    The group's kind knows the token keys' messages: their ids are learnt when they are loaded.
    """
    items: List[Item] = []
    labels: Dict[str, str] = {}
    token_messages: Dict[str, Dict[str, Any]] = {}
    seen: Dict[str, str] = {}

    def add(path: str, item: Item) -> None:
        if item.name in seen:
            raise InputError("%s: the same private key as %s (key id %s); give each key once" % (path, seen[item.name], item.name))
        seen[item.name] = path
        check_size(path, item.message or {})
        items.append(item)
        labels[item.name] = path

    tokens = TokenKeys(ledger)
    for name, raw in secrets.items():
        prefix = secret_type(str(name))
        path = "secrets.%s" % name
        if prefix == "pkcs12":
            raise InputError("%s: PKCS#12 containers are not supported; give the key (secrets.private-*) and the "
                             "certificates (certificates) separately" % path)
        if prefix in KEY_PREFIXES:
            body = _section(path, raw)
            _only(path, body, ("file", "secret"))
            if not body.get("file"):
                raise InputError("%s.file: missing (the key file, relative to %s/%s or absolute)" % (path, swanctl_dir, prefix))
            file_path = _text(path + ".file", body["file"])
            if not os.path.isabs(file_path):
                file_path = os.path.join(swanctl_dir, KEY_PREFIXES[prefix], file_path)
            passphrase = _text(path + ".secret", body["secret"]) if body.get("secret") not in (None, "") else None
            try:
                item, _info = desired_key("present", path=file_path, passphrase=passphrase)
            except InputError as error:
                raise InputError("%s: %s" % (path, error)) from None
            add(path, item)
        elif prefix == "token":
            body = _section(path, raw)
            _only(path, body, ("handle", "slot", "module", "pin"))
            if not body.get("handle"):
                raise InputError("%s.handle: missing (the key object's CKA_ID on the token, hex)" % path)
            pin = _text(path + ".pin", body["pin"]) if body.get("pin") not in (None, "") else None
            module = _text(path + ".module", body["module"]) if body.get("module") else None
            try:
                item, _info = desired_key("present", handle=_text(path + ".handle", body["handle"]),
                                          slot=_int(path + ".slot", body.get("slot")), module=module, pin=pin, tokens=tokens)
            except InputError as error:
                raise InputError("%s: %s" % (path, error)) from None
            add(path, item)
            token_messages[item.name] = item.message or {}
    for index, entry in enumerate(private_keys):
        path = "private_keys[%d]" % index
        body = _section(path, entry)
        try:
            item, _info = desired_key("present", content=body.get("content"), path=body.get("path"),
                                      passphrase=body.get("passphrase"))
        except InputError as error:
            raise InputError("%s: %s" % (path, error)) from None
        add(path, item)
    return Group("private_keys", PrivateKeyKind(tokens, token_messages), items, labels)


def certificate_groups(certificates: Sequence[Mapping[str, Any]]) -> List[Group]:
    by_type: Dict[str, Group] = {}
    flags: Dict[str, Tuple[str, str]] = {}
    for index, entry in enumerate(certificates):
        path = "certificates[%d]" % index
        body = _section(path, entry)
        cert_type = str(body.get("type") or "x509")
        flag = str(body.get("flag") or "none")
        try:
            if cert_type not in CERT_TYPES:
                raise InputError("type must be one of %s, not '%s'" % (", ".join(CERT_TYPES), cert_type))
            der = read_certificate_data(cert_type, body.get("content"), body.get("path"))
            message = certificate_message(cert_type, flag, der)
        except InputError as error:
            raise InputError("%s: %s" % (path, error)) from None
        name = certificate_name(der)
        if name in flags:
            other, other_flag = flags[name]
            if other_flag != flag:
                raise InputError("%s: the same certificate as %s with another flag (%s, not %s)" % (path, other, flag, other_flag))
            continue  # the same certificate twice: once is enough
        flags[name] = (path, flag)
        check_size(path, message)
        group = by_type.setdefault(cert_type, Group("certificates", CertificateKind(cert_type), [], {}))
        group.items.append(Item(name, message))
        group.labels[name] = path
    return list(by_type.values())


def _swanctl_path(value: str, swanctl_dir: str, folder: str) -> str:
    if "-----BEGIN" in value or os.path.isabs(value):
        return value
    return os.path.join(swanctl_dir, folder, value)


def authority_items(authorities: Mapping[str, Any], swanctl_dir: str) -> List[Item]:
    items = []
    for name, raw in authorities.items():
        path = "authorities.%s" % name
        body = _section(path, raw)
        _only(path, body, AUTHORITY_KEYS)
        cacert = body.get("cacert")
        try:
            message = authority_message(
                cacert=_swanctl_path(_text(path + ".cacert", cacert), swanctl_dir, "x509ca") if cacert else None,
                file=_text(path + ".file", body["file"]) if body.get("file") else None,
                handle=_text(path + ".handle", body["handle"]) if body.get("handle") else None,
                slot=_int(path + ".slot", body.get("slot")),
                module=_text(path + ".module", body["module"]) if body.get("module") else None,
                crl_uris=_values(path + ".crl_uris", body.get("crl_uris")),
                ocsp_uris=_values(path + ".ocsp_uris", body.get("ocsp_uris")),
                cert_uri_base=_text(path + ".cert_uri_base", body["cert_uri_base"]) if body.get("cert_uri_base") else None,
            )
        except InputError as error:
            raise InputError("%s: %s" % (path, error)) from None
        check_size(path, message)
        items.append(Item(str(name), message))
    return items


def pool_items(pools: Mapping[str, Any]) -> List[Item]:
    items = []
    for name, raw in pools.items():
        path = "pools.%s" % name
        body = _section(path, raw)
        if not body.get("addrs"):
            raise InputError("%s.addrs: missing (a subnet, an address or a range 'a-b')" % path)
        attributes: Dict[str, Any] = {}
        custom: Dict[str, Any] = {}
        for key, value in body.items():
            if key == "addrs":
                continue
            if str(key).strip().isdigit():
                custom[str(key)] = _values("%s.%s" % (path, key), value)
            elif key in POOL_ATTRIBUTES:
                attributes[key] = _values("%s.%s" % (path, key), value)
            else:
                raise InputError("%s.%s: unknown pool key; known are addrs, %s and attribute numbers"
                                 % (path, key, ", ".join(POOL_ATTRIBUTES)))
        try:
            message = pool_message(_text(path + ".addrs", body["addrs"]), attributes, custom)
        except InputError as error:
            raise InputError("%s: %s" % (path, error)) from None
        items.append(Item(str(name), message))
    return items


def connection_items(connections: Mapping[str, Any], swanctl_dir: str, files: Optional[List[str]] = None) -> List[Item]:
    """The connections' plan items; FILES, if given, gets the path of every file their bodies named and were read."""
    items = []

    def reader(path: str) -> bytes:
        if files is not None:
            files.append(path)
        return read_managed_file(path)

    for name, body in connections.items():
        try:
            message = canonical_connection(str(name), body, reader, swanctl_dir=swanctl_dir)
        except ConfigError as error:
            raise InputError("connections.%s: %s" % (name, error.detail)) from None
        check_size("connections.%s" % name, {name: message}, "load-conn")
        items.append(Item(str(name), message))
    return items


def pool_references(connections: Mapping[str, Any], pools: Optional[Mapping[str, Any]]) -> List[str]:
    """Warnings for connections that name pools the tree does not define."""
    if pools is None:
        return []
    warnings = []
    for name, body in connections.items():
        if not isinstance(body, Mapping):
            continue
        for pool in _values("connections.%s.pools" % name, body.get("pools")):
            if pool not in pools:
                warnings.append("connections.%s.pools: pool '%s' is not defined in pools; the daemon accepts the name, "
                                "but assigns no address from it unless another plugin (dhcp, eap-radius, ...) provides "
                                "a pool of that name" % (name, pool))
    return warnings


def read_groups(sections: Mapping[str, Any], swanctl_dir: str, ledger: Ledger,
                files: Optional[List[str]] = None, only: Optional[Mapping[str, Set[str]]] = None) -> Tuple[List[Group], List[str]]:
    """The groups of plan items of a tree's sections (None: not managed), in load order, and warnings.

    FILES, if given, gets the files the connections read (see :func:`connection_items`). ONLY, if given, names
    per section the entries that become items (see :func:`desired_tree`).

    Credentials, authorities and pools come before the connections that use them.
    """
    groups: List[Group] = []
    warnings: List[str] = []

    def entries(name: str) -> Any:
        """The section's entries that become items (all of them, unless ONLY says)."""
        value = sections[name]
        if only is None or not isinstance(value, Mapping):
            return value
        wanted = only.get(name, ())
        return {key: body for key, body in value.items() if str(key) in wanted}

    if sections["certificates"] is not None:
        groups.extend(certificate_groups(sections["certificates"]))
    secrets = _section("secrets", sections["secrets"])
    for name in secrets:
        if secret_type(str(name)) is None:
            raise InputError("secrets.%s: unknown kind of secret; the section name must start with one of %s "
                             "(as swanctl reads it)" % (name, ", ".join(SECRET_PREFIXES)))
    built_secrets = _section("secrets", entries("secrets"))
    if sections["secrets"] is not None or sections["private_keys"] is not None:
        groups.append(key_items(built_secrets, sections["private_keys"] or [], swanctl_dir, ledger))
    if sections["secrets"] is not None:
        groups.append(Group("secrets", SharedSecretKind(), shared_items(built_secrets), {}))
    if sections["authorities"] is not None:
        groups.append(Group("authorities", AuthorityKind(), authority_items(entries("authorities"), swanctl_dir), {}))
    if sections["pools"] is not None:
        groups.append(Group("pools", PoolKind(), pool_items(entries("pools")), {}))
    if sections["connections"] is not None:
        warnings.extend(pool_references(sections["connections"], sections["pools"]))
        groups.append(Group("connections", ConnectionKind(), connection_items(entries("connections"), swanctl_dir, files), {}))
    return groups, warnings
