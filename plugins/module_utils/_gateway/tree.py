# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A gateway's whole configuration as one tree, converged in one session. PRIVATE to the collection.

The tree has swanctl.conf's sections (``connections``, ``secrets``, ``pools``,
``authorities``) plus ``certificates`` and ``private_keys`` given as content
or paths. Every object becomes an :class:`Item` of its :class:`Kind`; each
kind is read once (one snapshot per kind, not per object), planned with the
same engine as the single-object modules, and applied in dependency order:
credentials, authorities and pools before the connections that use them;
when purging, connections before the pools they used.

Mapping of ``secrets`` to the daemon, as swanctl's ``load_creds.c`` does it:
the section name's prefix gives the type (``eap``, ``xauth``, ``ntlm``,
``ike``, ``ppk`` for shared secrets; ``private``, ``rsa``, ``ecdsa``,
``pkcs8`` for key files; ``token`` for PKCS#11 keys); the section name is the
shared secret's id (the ``id`` of the ``shared_secret`` module), and the
values of its keys starting with ``id`` are the owners (its ``owners``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Callable, Dict, List, NamedTuple, Optional, Sequence, Tuple

from .._kinds.authority import AuthorityKind, authority_message
from .._kinds.certificate import CERT_TYPES, CertificateKind, certificate_message, certificate_name, read_certificate_data
from .src import read_source, source_format
from .._kinds.connection import ConnectionKind
from .._kinds.shared_secret import SharedSecretKind, shared_secret_message
from .._text.input import InputError
from .._kinds.private_key import PrivateKeyKind, TokenKeys, desired_key
from .._kinds.pool import POOL_ATTRIBUTES, PoolKind, pool_message
from .invocation import masked_params, secret_values
from .persist import PersistError, current_digest, digest, file_text, read_record, trust, write, write_record
from .._engine.canonical import canonical_text
from .._engine.identity import instance_identity, same_instance
from .._engine.ledger import Ledger
from .._text.secrets import MASK
from .._engine.state import ApplyError, Change, Item, Kind, apply, plan, remember, state_after_failure
from .._text.printable import blobs_summarized
from .._swanctl.schema import ConfigError, canonical_connection, list_items
from ..vici.errors import ViciError
from ..vici.session import Session
from ..vici.wire import MAX_SEGMENT_SIZE, encode_message

#: The sections of the tree, in the order they are loaded.
SECTIONS = ("certificates", "private_keys", "secrets", "authorities", "pools", "connections")
#: swanctl.conf's own top-level sections (what ``tree`` may hold besides certificates/private_keys).
SWANCTL_SECTIONS = ("connections", "secrets", "pools", "authorities")
#: Result groups: the daemon kinds a tree section feeds.
GROUPS = ("certificates", "private_keys", "secrets", "authorities", "pools", "connections")
#: load_creds.c's order of prefixes: the first match wins ("ike" before "ikev2..." is the same).
SHARED_PREFIXES = ("eap", "xauth", "ntlm", "ike", "ppk")
KEY_PREFIXES = {"private": "private", "rsa": "rsa", "ecdsa": "ecdsa", "pkcs8": "pkcs8"}
SECRET_PREFIXES = ("eap", "xauth", "ntlm", "ike", "ppk", "private", "rsa", "ecdsa", "pkcs8", "pkcs12", "token")
#: Room for the packet header (type, command name) inside one segment.
_HEADER_ROOM = 2 + 255
DEFAULT_SWANCTL_DIR = "/etc/swanctl"


class Group(NamedTuple):
    """The desired objects of one daemon kind, from one tree section."""

    section: str
    kind: Kind
    items: List[Item]
    #: Display name for each item name (a private key's section, for example), when it differs.
    labels: Dict[str, str]


class Desired:
    """The whole tree as plan items, grouped by daemon kind in load order."""

    def __init__(self) -> None:
        self.groups: List[Group] = []
        self.named: set = set()
        self.warnings: List[str] = []
        self.tokens: Dict[str, Dict[str, Any]] = {}

    def group(self, section: str) -> List[Group]:
        return [group for group in self.groups if group.section == section]


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


def check_size(path: str, message: Mapping[str, Any]) -> None:
    """Reject an object whose message the daemon would refuse (larger than one VICI segment).

    ``ascii()`` of a message (computed in C) is never shorter than its wire
    form: every key, value, list item and section costs at least as many
    characters as bytes on the wire, non-ASCII text is escaped to more
    characters than its UTF-8 bytes. Only objects near the limit are encoded
    to measure them exactly.
    """
    if len(ascii(message)) + _HEADER_ROOM <= MAX_SEGMENT_SIZE:
        return
    try:
        size = len(encode_message(message))
    except ViciError as error:
        raise InputError("%s: %s" % (path, error)) from None
    if size + _HEADER_ROOM > MAX_SEGMENT_SIZE:
        raise InputError("%s: its VICI message would have %d bytes, more than the daemon's limit of %d (512 KiB); "
                         "split it (fewer certificates inline, or several objects)" % (path, size, MAX_SEGMENT_SIZE))


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
        if not owners:
            raise InputError("%s: no owners (id or id-* keys). A secret without owners matches every identity; if "
                             "that is what you want, say so with id: '%%any'" % path)
        try:
            message = shared_secret_message(str(name), prefix, _text(path + ".secret", body["secret"]), owners)
        except InputError as error:
            raise InputError("%s: %s" % (path, error)) from None
        check_size(path, message)
        items.append(Item(str(name), message))
    return items


def key_items(secrets: Mapping[str, Any], private_keys: Sequence[Mapping[str, Any]], swanctl_dir: str,
              ledger: Ledger, desired: Desired) -> Tuple[List[Item], Dict[str, str]]:
    """Private keys from ``secrets`` (key files, tokens) and from ``private_keys``; names are key ids."""
    items: List[Item] = []
    labels: Dict[str, str] = {}
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
            desired.tokens[item.name] = item.message or {}
    for index, entry in enumerate(private_keys):
        path = "private_keys[%d]" % index
        body = _section(path, entry)
        try:
            item, _info = desired_key("present", content=body.get("content"), path=body.get("path"),
                                      passphrase=body.get("passphrase"))
        except InputError as error:
            raise InputError("%s: %s" % (path, error)) from None
        add(path, item)
    return items, labels


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
        _only(path, body, ("cacert", "file", "handle", "slot", "module", "crl_uris", "ocsp_uris", "cert_uri_base"))
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


def connection_items(connections: Mapping[str, Any], swanctl_dir: str) -> List[Item]:
    items = []
    for name, body in connections.items():
        try:
            message = canonical_connection(str(name), body, swanctl_dir=swanctl_dir)
        except ConfigError as error:
            raise InputError("connections.%s" % str(error)[len("connection "):].replace("'", "", 2)) from None
        check_size("connections.%s" % name, message)
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


# -- the tree ---------------------------------------------------------------------------------------


def split_tree(tree: Mapping[str, Any], prefix: str = "tree.") -> Dict[str, Any]:
    """The sections of a whole swanctl.conf tree (from_swanctl_conf's output), checked; PREFIX names it in errors."""
    sections: Dict[str, Any] = {}
    for key, value in tree.items():
        if key not in SWANCTL_SECTIONS:
            raise InputError("%s%s: unknown top-level section; swanctl.conf has %s" % (prefix, key, ", ".join(SWANCTL_SECTIONS)))
        sections[key] = value if value is not None else {}
    return sections


def desired_tree(params: Mapping[str, Any], ledger: Ledger) -> Desired:
    """Every object of the tree, validated, as plan items grouped by kind.

    A section that is given (even as ``{}`` or ``[]``) is *named*: purge applies
    to its kinds. A section left out (None) is not managed at all.
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
    if sections["certificates"] is not None:
        desired.groups.extend(certificate_groups(sections["certificates"]))
    secrets = _section("secrets", sections["secrets"])
    for name in secrets:
        if secret_type(str(name)) is None:
            raise InputError("secrets.%s: unknown kind of secret; the section name must start with one of %s "
                             "(as swanctl reads it)" % (name, ", ".join(SECRET_PREFIXES)))
    if sections["secrets"] is not None or sections["private_keys"] is not None:
        keys, labels = key_items(secrets, sections["private_keys"] or [], swanctl_dir, ledger, desired)
        desired.groups.append(Group("private_keys", PrivateKeyKind(), keys, labels))
    if sections["secrets"] is not None:
        desired.groups.append(Group("secrets", SharedSecretKind(), shared_items(secrets), {}))
    if sections["authorities"] is not None:
        desired.groups.append(Group("authorities", AuthorityKind(), authority_items(sections["authorities"], swanctl_dir), {}))
    if sections["pools"] is not None:
        desired.groups.append(Group("pools", PoolKind(), pool_items(sections["pools"]), {}))
    if sections["connections"] is not None:
        items = connection_items(sections["connections"], swanctl_dir)
        desired.groups.append(Group("connections", ConnectionKind(), items, {}))
        desired.warnings.extend(pool_references(sections["connections"], sections["pools"]))
    return desired


# -- plan and apply ---------------------------------------------------------------------------------


class Planned(NamedTuple):
    group: Group
    snapshot: Dict[str, Any]
    changes: List[Change]


def adopt(ledger: Ledger, group: Group, snapshot: Mapping[str, Any]) -> int:
    """Record present objects that have no ledger entry as ours (the daemon loaded our persisted file).

    Only called when :mod:`._persist` has established that this daemon
    instance started after our file was written and the file is unchanged.
    The drift check still runs on every adopted object.
    """
    if group.kind.presence_is_identity:
        return 0
    count = 0
    for item in group.items:
        if item.message is not None and item.name in snapshot and ledger.get(group.kind.label, item.name) is None:
            canonical = canonical_text(item.message)
            remember(group.kind, ledger, item.name, ledger.fingerprint_text(canonical), item.message, canonical=canonical)
            count += 1
    return count


def distrust(ledger: Ledger, group: Group) -> None:
    """Forget our entries for a group's objects: they are reloaded (the persisted file was edited by hand)."""
    for item in group.items:
        if ledger.get(group.kind.label, item.name) is not None:
            ledger.entries.pop("%s/%s" % (group.kind.label, item.name), None)


def purge_changes(group: Group, snapshot: Mapping[str, Any], protected: Sequence[str] = ()) -> List[Change]:
    """Unloads for every object of the group's kind that the daemon holds and the tree does not."""
    wanted = {item.name for item in group.items} | set(protected)
    changes = []
    for name in sorted(snapshot):
        if name in wanted:
            continue
        before = blobs_summarized(group.kind.describe_reported(name, snapshot[name]))
        changes.append(Change(name, "unload", "not in the tree (purge)", before, {}, ""))
    return changes


def plan_tree(session: Session, desired: Desired, ledger: Ledger, purge: bool,
              trust: Optional[Callable[[Group, Dict[str, Any]], None]] = None) -> List[Planned]:
    """Read each kind once and plan every group (plus purges). Sends read-only commands only."""
    planned = []
    for group in desired.groups:
        snapshot = group.kind.snapshot(session)
        if trust is not None:
            trust(group, snapshot)
        changes = plan(group.kind, group.items, snapshot, ledger)
        if isinstance(group.kind, CertificateKind):
            for item in group.items:
                problem = group.kind.conflict(session, item.name, item.message or {})
                if problem:
                    raise InputError("%s: %s" % (group.labels.get(item.name, item.name), problem))
        elif purge:
            changes.extend(purge_changes(group, snapshot))
        planned.append(Planned(group, snapshot, changes))
    return planned


def _category(change: Change, snapshot: Mapping[str, Any]) -> str:
    if change.action is None:
        return "unchanged"
    if change.action == "unload":
        return "removed"
    return "changed" if change.name in snapshot else "added"


def summary(planned: Sequence[Planned]) -> Dict[str, Dict[str, List[str]]]:
    """Per tree section: the names added, changed, removed and unchanged."""
    result: Dict[str, Dict[str, List[str]]] = {}
    for entry in planned:
        lists = result.setdefault(entry.group.section, {"added": [], "changed": [], "removed": [], "unchanged": []})
        for change in entry.changes:
            lists[_category(change, entry.snapshot)].append(entry.group.labels.get(change.name, change.name))
    return result


def gateway_diff(planned: Sequence[Planned]) -> Dict[str, Any]:
    """One diff for the gateway: before and after of every object that changes, secrets masked."""
    before: Dict[str, Any] = {}
    after: Dict[str, Any] = {}
    for entry in planned:
        for change in entry.changes:
            if change.action is None:
                continue
            label = entry.group.labels.get(change.name, change.name)
            if change.before or change.action != "load" or change.name in entry.snapshot:
                before.setdefault(entry.group.section, {})[label] = change.before
            if change.action != "unload":
                after.setdefault(entry.group.section, {})[label] = change.after
    return {"before_header": "daemon", "after_header": "tree", "before": before, "after": after}


class TreeError(Exception):
    """Applying failed part-way; ``done`` lists what was applied before."""

    def __init__(self, where: str, failure: ApplyError, done: List[Dict[str, str]]) -> None:
        super().__init__("%s: %s" % (where, failure.error))
        self.where = where
        self.error = failure.error
        self.failure = failure
        self.done = done


def apply_tree(session: Session, planned: Sequence[Planned], ledger: Ledger, desired: Desired) -> List[Dict[str, str]]:
    """Carry out the plan: loads in section order, then unloads with connections first.

    Stops at the first daemon error (:class:`TreeError`, naming the object and
    quoting the daemon's errmsg); the ledger keeps exactly what was applied.
    """
    loads = [(entry, [change for change in entry.changes if change.action in ("load", "reload")]) for entry in planned]
    unloads = [(entry, [change for change in entry.changes if change.action == "unload"]) for entry in reversed(planned)]
    done: List[Dict[str, str]] = []
    tokens = TokenKeys(ledger)
    loaded_keys: set = set()
    # apply() saves the ledger after each kind; one write for the whole tree, at the end, is enough.
    ledger.save = lambda: True  # type: ignore[method-assign]
    try:
        for entry, changes in loads + unloads:
            _apply_group(session, entry, changes, ledger, desired, tokens, loaded_keys, done)
    finally:
        del ledger.save
        ledger.save()
    return done


def _apply_group(session: Session, entry: Planned, changes: List[Change], ledger: Ledger, desired: Desired,
                 tokens: TokenKeys, loaded_keys: set, done: List[Dict[str, str]]) -> None:
    group = entry.group
    if isinstance(group.kind, PrivateKeyKind):
        # A token key whose id was unknown is loaded under a placeholder name: never purge it right after.
        changes = [change for change in changes if change.action != "unload" or change.name not in loaded_keys]
    if not changes:
        return
    try:
        replies = apply(group.kind, session, changes, ledger)
    except ApplyError as failure:
        done.extend(_done(group, failure.applied))
        label = group.labels.get(failure.change.name, failure.change.name)
        raise TreeError("%s '%s'" % (group.section, label), failure, done) from None
    done.extend(_done(group, changes))
    if isinstance(group.kind, PrivateKeyKind) and changes[0].action != "unload":
        for change, reply in zip(changes, replies):
            message = desired.tokens.get(change.name)
            if isinstance(reply.get("id"), str):
                loaded_keys.add(reply["id"])
                if message is not None:
                    tokens.remember(message, reply["id"])


def _done(group: Group, changes: Sequence[Change]) -> List[Dict[str, str]]:
    return [{"section": group.section, "name": group.labels.get(change.name, change.name), "action": change.action or "none"}
            for change in changes]


# -- the module's run -------------------------------------------------------------------------------


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


def persisted_tree(params: Mapping[str, Any]) -> Dict[str, Any]:
    """The swanctl.conf sections to write (certificates and private_keys options have no place there).

    swanctl.conf names certificate files; PEM text given inline cannot be written there.
    """
    tree = {name: params.get(name) for name in SWANCTL_SECTIONS if params.get(name)}
    for name, body in (tree.get("authorities") or {}).items():
        if isinstance(body, Mapping) and "-----BEGIN" in str(body.get("cacert", "")):
            raise PersistError("persist: authorities.%s.cacert is PEM text; swanctl.conf takes a file name (in x509ca/ "
                               "or absolute)" % name)
    for name, body in (tree.get("connections") or {}).items():
        for round_name, section in (body.items() if isinstance(body, Mapping) else []):
            if not isinstance(section, Mapping):
                continue
            for key in ("certs", "cacerts", "pubkeys"):
                if "-----BEGIN" in str(section.get(key, "")):
                    raise PersistError("persist: connections.%s.%s.%s holds PEM text; swanctl.conf takes file names "
                                       "(in swanctl's folders or absolute)" % (name, round_name, key))
    return tree


def run(vici: Any) -> None:
    """The config module: plan the tree against the daemon, apply it, persist it, report per section.

    Every exit carries ``invocation`` with secrets masked (the module disables Ansible's value scrubbing,
    which would take minutes on thousands of objects).
    """
    try:
        _run(vici)
    except ViciError as error:
        vici.fail_from(error, invocation={"module_args": masked_params(vici.params)})


def _run(vici: Any) -> None:
    params = vici.params
    scrub = secret_values(params)

    def fail(message: str, **details: Any) -> None:
        for value in scrub:
            message = message.replace(value, MASK)
        vici.fail(message, invocation={"module_args": masked_params(params)}, **details)

    try:
        merged = tree_params(params)
    except InputError as error:
        fail(str(error))
        return
    # The values of a tree read from src are not among the arguments: scrub them as well.
    scrub.extend(secret_values(merged))
    where = "src %s: " % params["src"] if params.get("src") else ""
    session = vici.session
    ledger = vici.ledger
    try:
        desired = desired_tree(merged, ledger)
    except InputError as error:
        fail(where + str(error))
        return
    for warning in desired.warnings:
        vici.module.warn(warning)

    persist = params.get("persist")
    if persist and params.get("src") and os.path.realpath(persist) == os.path.realpath(params["src"]):
        fail("persist: %s is the src file itself; persist writes the tree rendered anew (comments and includes "
             "lost), so name another file (typically in conf.d/)" % persist)
        return
    text = text_digest = on_disk = None
    state = "unknown"
    if persist:
        try:
            text = file_text(persisted_tree(merged))
            text_digest = digest(text)
            on_disk = current_digest(persist)
        except PersistError as error:
            fail(str(error))
            return
        state = trust(read_record(session.endpoint, persist), on_disk, text_digest, ledger.instance)
        if merged.get("certificates") or merged.get("private_keys"):
            vici.module.warn("persist: the certificates and private_keys options are loaded, but not written to %s "
                             "(swanctl.conf cannot hold them; put the files in swanctl's x509/ and private/ folders, or "
                             "use secrets.private-* sections)" % persist)

    def trust_group(group: Group, snapshot: Dict[str, Any]) -> None:
        if state == "loaded":
            adopt(ledger, group, snapshot)
        elif state == "edited":
            distrust(ledger, group)

    try:
        planned = plan_tree(session, desired, ledger, bool(params.get("purge")), trust_group)
    except InputError as error:
        fail(str(error))
        return
    result: Dict[str, Any] = {"sections": summary(planned)}
    changed = any(change.action for entry in planned for change in entry.changes)
    if state == "edited":
        vici.module.warn("persist: %s was changed since this module wrote it; every object of the tree is loaded "
                         "again and the file is rewritten" % persist)
    if not vici.check_mode:
        try:
            if changed:
                apply_tree(session, planned, ledger, desired)
            elif state == "loaded":
                ledger.save()  # remember the adopted objects for this daemon instance
        except TreeError as failure:
            _warn_notes(vici, ledger)
            result["applied"] = failure.done
            vici.fail_from(failure.error, context=failure.where, suffix=state_after_failure(failure.where, failure.failure),
                           applied=failure.done, daemon_state=failure.failure.outcome, sections=result["sections"],
                           invocation={"module_args": masked_params(params)})
            return
    if persist and text is not None and text_digest is not None:
        file_changed = on_disk != text_digest
        result["persist"] = {"path": persist, "changed": file_changed}
        if not vici.check_mode:
            try:
                if file_changed:
                    if params.get("backup") and on_disk is not None:
                        result["persist"]["backup_file"] = vici.module.backup_local(persist)
                    write(persist, text)
                if file_changed or state != "loaded":
                    # Which daemon was running when the file got this content; a restart meanwhile makes it unknown.
                    now = instance_identity(session.endpoint, str(session.stats().get("uptime", {}).get("since", "")))
                    write_record(session.endpoint, persist, text_digest, ledger.instance if same_instance(now, ledger.instance) else "")
            except PersistError as error:
                fail(str(error), sections=result["sections"], applied=result.get("applied", []))
                return
        changed = changed or file_changed
    _warn_notes(vici, ledger)
    vici.exit(changed=changed, diff=gateway_diff(planned), invocation={"module_args": masked_params(params)}, **result)


def _warn_notes(vici: Any, ledger: Ledger) -> None:
    for note in ledger.notes:
        vici.module.warn(note)
