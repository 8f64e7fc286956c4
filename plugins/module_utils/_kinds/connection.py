# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Connections as daemon objects. PRIVATE to the collection.

Presence comes from get-conns (connections loaded over VICI only), what the
daemon reports from list-conns. list-conns leaves out about two thirds of what
load-conn accepts and rewrites much of the rest, so the drift check compares
only what it reports faithfully, in forms checked against the daemon, and
says nothing when in doubt: a false drift would make every run "changed".
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Optional, Sequence, Tuple

from .._operations.algorithms import unavailable_algorithms
from .._operations.intent import start_action
from .._operations.tunnels import MODES as SA_UPDATE_MODES
from .._operations.tunnels import Subject, resolve_mode, retry_window
from .._operations.tunnels import after_apply as sa_step
from .._operations.tunnels import before as sas_before
from .._operations.tunnels import warning as tunnels_down
from .._text.input import UserError, check_request
from .._engine.kind import ABSENT_ON_DAEMON, Action, Change, Item, Kind
from .._engine.plan import load_object, unload_object
from .._engine.probes import probe_name
from .._swanctl.schema import FILE_DIRS, KEY_SINCE, ConfigError, auth_rounds, canonical_connection, describe_blob
from .._swanctl.values import parse_version, version_problems
from ..vici.errors import ViciCommandFailed
from ..vici.session import Session

if TYPE_CHECKING:
    from .._base import ViciModule

_VERSIONS = {0: "IKEv1/2", 1: "IKEv1", 2: "IKEv2"}
_UNIQUE = {"no": "UNIQUE_NO", "never": "UNIQUE_NEVER", "replace": "UNIQUE_REPLACE", "keep": "UNIQUE_KEEP"}
_MODES = ("TUNNEL", "TRANSPORT", "TRANSPORT_PROXY", "BEET", "PASS", "DROP", "IPTFS")
_ACTIONS = {"none": "none", "clear": "none", "trap": "trap", "route": "trap", "start": "start", "restart": "start"}
# 5.9.0 to 5.9.5 print actions with the old names.
_OLD_ACTIONS = {"clear": "none", "hold": "trap", "restart": "start"}
_CLASSES = {"public key": "pubkey", "pre-shared key": "psk", "EAP": "eap", "XAuth": "xauth"}
_FQDN = re.compile(r"^@?[A-Za-z][A-Za-z0-9-]*(\.[A-Za-z0-9-]+)*$")
_DECIMAL = re.compile(r"^(0|[1-9][0-9]*)$")
# The default IKE rekey time when neither rekey_time nor reauth_time is set (vici_config.c).
DEFAULT_IKE_REKEY_TIME = 4 * 3600
# Many single-name list-conns calls cost more than one full listing beyond this.
_PER_NAME_LISTING_LIMIT = 8
UINT32 = 2 ** 32
UINT64 = 2 ** 64


def _decimal(value: Any) -> Optional[int]:
    if isinstance(value, str) and _DECIMAL.match(value):
        return int(value)
    return None


def auth_class(auth: Any) -> Optional[str]:
    """The class list-conns shows for an ``auth`` value (parse_auth's prefixes), or None if unsure."""
    if not isinstance(auth, str):
        return None
    if auth.startswith(("ike:", "pubkey", "rsa", "ecdsa")):  # case-sensitive in the daemon
        return "public key"
    lowered = auth.lower()
    if lowered == "psk":
        return "pre-shared key"
    if lowered.startswith("xauth"):
        return "XAuth"
    if lowered.startswith("eap"):
        return "EAP"
    return None


def reported_identity(value: Any) -> Optional[str]:
    """How list-conns prints an identity, for the forms where that is certain; else None."""
    if not isinstance(value, str):
        return None
    if value == "%any":
        return value
    if _FQDN.match(value):
        return value[1:] if value.startswith("@") else value
    try:
        address = ipaddress.IPv4Address(value)
    except ValueError:
        return None
    return value if str(address) == value else None


def _glibc_prints_ipv4_tail(address: ipaddress.IPv6Address) -> bool:
    """inet_ntop writes ::a.b.c.d and ::ffff:a.b.c.d where Python writes hex groups."""
    words = [(int(address) >> (16 * (7 - index))) & 0xFFFF for index in range(8)]
    best_base, best_len, base, length = -1, 0, -1, 0
    for index, word in enumerate(words + [1]):
        if word == 0 and index < 8:
            if base < 0:
                base, length = index, 0
            length += 1
        elif base >= 0:
            if length > best_len:
                best_base, best_len = base, length
            base = -1
    return best_base == 0 and (best_len == 6 or (best_len == 5 and words[5] == 0xFFFF))


def reported_selector(value: Any) -> Optional[str]:
    """How list-conns prints a traffic selector (subnet masked, /32 added), for plain subnets; else None."""
    if value == "dynamic":
        return "dynamic"
    if not isinstance(value, str) or any(char in value for char in "[]-"):
        return None
    return _reported_subnet(value)


# Parsing with ipaddress is most of the drift check's time; gateways repeat their subnets across connections.
@functools.lru_cache(maxsize=4096)
def _reported_subnet(value: str) -> Optional[str]:
    try:
        network = ipaddress.ip_network(value, strict=False)
    except ValueError:
        return None
    if isinstance(network, ipaddress.IPv6Network) and _glibc_prints_ipv4_tail(network.network_address):
        return None
    return str(network)


def _reported_selectors(values: Any) -> Optional[List[str]]:
    if not values:
        return ["dynamic"]
    result = []
    for value in values:
        shown = reported_selector(value)
        if shown is None:
            return None
        result.append(shown)
    return sorted(set(result))


def _section(message: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    for key, value in message.items():
        if key.lower() == name and isinstance(value, Mapping):
            return value
    return {}


def _rounds_reported(reported: Mapping[str, Any], side: str) -> List[Mapping[str, Any]]:
    found: List[Tuple[int, Mapping[str, Any]]] = []
    for key, value in reported.items():
        if key.startswith(side + "-") and isinstance(value, Mapping):
            number = _decimal(key[len(side) + 1:])
            if number is not None:
                found.append((number, value))
    return [entry[1] for entry in sorted(found, key=lambda entry: entry[0])]


def _compare(what: str, expected: Any, reported: Any) -> Optional[str]:
    if expected is None or expected == reported:
        return None
    return "%s is %s, not %s" % (what, _show(reported), _show(expected))


def _show(value: Any) -> str:
    if value is None:
        return "unset"
    if isinstance(value, (list, tuple, set)):
        return "[%s]" % ", ".join(str(item) for item in value)
    return "'%s'" % value


def seconds(value: Any) -> Optional[int]:
    """The number of seconds a canonical time value means, or None if not plainly decimal."""
    if isinstance(value, str) and value.isdigit() and (value == "0" or not value.startswith("0")):
        return int(value)
    return None


def describe_connection(message: Mapping[str, Any]) -> Dict[str, Any]:
    """``message`` with certificate and key data replaced by their descriptions (for diffs and the ledger)."""
    out: Dict[str, Any] = {}
    for key, value in message.items():
        if isinstance(value, Mapping):
            out[key] = describe_connection(value)
        elif key in FILE_DIRS and isinstance(value, list):
            out[key] = [describe_blob(key, item) for item in value]
        else:
            out[key] = value
    return out


def effective_dpd_timeout(message: Mapping[str, Any]) -> Optional[int]:
    """The dpd_timeout the daemon ends up with: never below a non-zero dpd_delay (peer_cfg_create)."""
    delay, timeout = seconds(message.get("dpd_delay", "0")), seconds(message.get("dpd_timeout", "0"))
    if delay is None or timeout is None or delay >= UINT32 or timeout >= UINT32:
        return None
    return delay if delay and timeout and delay > timeout else timeout


def _peer_checks(message: Mapping[str, Any], reported: Mapping[str, Any]) -> Iterable[Optional[str]]:
    version = _decimal(message.get("version", "0"))
    yield _compare("version", _VERSIONS.get(version) if version is not None else None, reported.get("version"))
    for key in ("local_addrs", "remote_addrs"):
        yield _compare(key, list(message.get(key) or ["%any"]), list(reported.get(key) or []))
    if message.get("mediation") not in ("yes",):  # mediation forces UNIQUE_REPLACE
        unique = message.get("unique", "no")
        yield _compare("unique", _UNIQUE.get(unique.lower()) if isinstance(unique, str) else None, reported.get("unique"))
    rekey, reauth = message.get("rekey_time"), message.get("reauth_time")
    if rekey is None and reauth is None:
        expected: Dict[str, Optional[int]] = {"rekey_time": DEFAULT_IKE_REKEY_TIME, "reauth_time": 0}
    else:
        expected = {"rekey_time": seconds(rekey) if rekey is not None else 0,
                    "reauth_time": seconds(reauth) if reauth is not None else 0}
    expected["dpd_delay"] = seconds(message.get("dpd_delay", "0"))
    expected["dpd_timeout"] = effective_dpd_timeout(message)
    for key in ("rekey_time", "reauth_time", "dpd_delay", "dpd_timeout"):
        value = expected[key]
        if value is None or value >= UINT32:
            continue
        # dpd_* are left out when 0.
        yield _compare(key, str(value), reported.get(key, "0" if key.startswith("dpd") else None))
    for key in ("local_port", "remote_port"):
        # 6.0.3 and later only; the defaults depend on the daemon's sockets.
        if key in reported and key in message:
            yield _compare(key, str(_decimal(message[key])) if _decimal(message[key]) is not None else None, reported[key])


def _auth_checks(message: Mapping[str, Any], reported: Mapping[str, Any]) -> Iterable[Optional[str]]:
    for side in ("local", "remote"):
        wanted = auth_rounds(message, side == "local")
        shown = _rounds_reported(reported, side)
        # The daemon adds one empty round to a side that has none.
        if len(shown) != max(1, len(wanted)):
            yield "%s has %d authentication round(s), not %d" % (side, len(shown), max(1, len(wanted)))
            continue
        for number, (want, show) in enumerate(zip(wanted, shown), 1):
            what = "%s round %d" % (side, number)
            yield _compare(what + " auth class", auth_class(want.get("auth")), show.get("class"))
            yield _compare(what + " id", reported_identity(want.get("id")), show.get("id"))


def _child_checks(message: Mapping[str, Any], reported: Mapping[str, Any]) -> Iterable[Optional[str]]:
    wanted = _section(message, "children")
    children = reported.get("children")
    shown: Mapping[str, Any] = children if isinstance(children, Mapping) else {}
    if set(wanted) != set(shown):
        yield "children are %s, not %s" % (_show(sorted(shown)), _show(sorted(wanted)))
        return
    for name, child in wanted.items():
        show: Mapping[str, Any] = shown[name] if isinstance(shown[name], Mapping) else {}
        what = "child %s" % name
        mode = str(child.get("mode", "tunnel")).upper()
        yield _compare(what + " mode", mode if mode in _MODES else None, show.get("mode"))
        for key in ("rekey_time", "rekey_bytes", "rekey_packets"):
            if key in child:
                value = _decimal(child[key])
                # The daemon saturates larger values at 2**64 - 1.
                known = value is not None and value < UINT64
                yield _compare("%s %s" % (what, key), str(value) if known else None, show.get(key))
        for key in ("dpd_action", "close_action"):
            action = _ACTIONS.get(str(child.get(key, "none")).lower())
            shown_action: Any = show.get(key)
            yield _compare("%s %s" % (what, key), action, _OLD_ACTIONS.get(shown_action, shown_action))
        for key, shown_key in (("local_ts", "local-ts"), ("remote_ts", "remote-ts")):
            yield _compare("%s %s" % (what, key), _reported_selectors(child.get(key)), sorted(set(show.get(shown_key) or [])))
        if "interface" in child:
            yield _compare(what + " interface", child["interface"], show.get("interface"))
        if "priority" in child and _decimal(child["priority"]) is not None:
            priority = _decimal(child["priority"])
            yield _compare(what + " priority", str(priority) if priority else None, show.get("priority"))


def connection_drift(message: Mapping[str, Any], reported: Any) -> Optional[str]:
    """Why ``reported`` (one list-conn entry) certainly differs from the canonical ``message``, or None."""
    if not isinstance(reported, Mapping):
        return None
    for checks in (_peer_checks, _auth_checks, _child_checks):
        for reason in checks(message, reported):
            if reason:
                return reason
    return None


def describe_reported_connection(reported: Any) -> Dict[str, Any]:
    """A list-conn entry in swanctl.conf's schema, as far as it maps (for a diff's "before")."""
    if not isinstance(reported, Mapping):
        return {}
    out: Dict[str, Any] = {}
    for key in ("local_addrs", "remote_addrs"):
        out[key] = list(reported.get(key) or [])
    version = {value: str(number) for number, value in _VERSIONS.items()}.get(reported.get("version", ""))
    if version is not None:
        out["version"] = version
    for key in ("local_port", "remote_port", "reauth_time", "rekey_time", "dpd_delay", "dpd_timeout", "ppk_id"):
        if key in reported:
            out[key] = reported[key]
    if str(reported.get("unique", "")).startswith("UNIQUE_"):
        out["unique"] = reported["unique"][len("UNIQUE_"):].lower()
    for side in ("local", "remote"):
        for number, body in enumerate(_rounds_reported(reported, side), 1):
            out["%s-%d" % (side, number)] = _describe_round(body)
    children: Dict[str, Any] = {}
    for name, body in (reported.get("children") or {}).items():
        if not isinstance(body, Mapping):
            continue
        child: Dict[str, Any] = {}
        for key, value in body.items():
            if key in ("local-ts", "remote-ts"):
                child[key.replace("-", "_")] = value
            elif key == "mode":
                child[key] = str(value).lower()
            else:
                child[key] = value
        children[name] = child
    out["children"] = children
    return out


def _describe_round(body: Mapping[str, Any]) -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    auth = _CLASSES.get(body.get("class", ""))
    if auth == "eap" and str(body.get("eap-type", "")).startswith("EAP_"):
        auth = "eap-" + body["eap-type"][4:].lower()
    elif auth == "xauth" and body.get("xauth"):
        auth = "xauth-" + body["xauth"]
    if auth:
        out["auth"] = auth
    for key in ("id", "ca_id", "aaa_id", "eap_id", "xauth_id"):
        if key in body:
            out[key] = body[key]
    revocation = {"GOOD": "strict", "SKIPPED": "ifuri"}.get(body.get("revocation", ""))
    if revocation:
        out["revocation"] = revocation
    for key in ("groups", "cert_policy"):
        if body.get(key):
            out[key] = body[key]
    for key in ("certs", "cacerts"):
        if body.get(key):
            out[key] = ["<certificate subject='%s'>" % subject for subject in body[key]]
    return out


class ConnectionKind(Kind):
    """load-conn / unload-conn / get-conns / list-conns.

    ``names`` limits the listing to the connections the caller manages (one
    list-conns per name for a few names, one full listing otherwise).
    """

    label = "connection"
    listing = (("list-conns", "list-conn"),)
    listing_filter = "ike"
    secret_paths = ()
    # A connection's message holds no secret (PSKs are shared_secret objects):
    # the ledger keeps it whole, to load it back if a replacement fails.
    restorable = True
    not_found = "unload: connection '{name}' not found"

    def __init__(self, names: Optional[Iterable[str]] = None) -> None:
        self.names = None if names is None else set(names)

    def snapshot(self, session: Session) -> Dict[str, Any]:
        loaded = [str(name) for name in session.get_conns().get("conns", []) or []]
        wanted = loaded if self.names is None else [name for name in loaded if name in self.names]
        if self.names is not None and len(wanted) <= _PER_NAME_LISTING_LIMIT:
            events: List[Dict[str, Any]] = []
            for name in wanted:
                events.extend(session.list_conns(ike=name))
        else:
            events = session.list_conns()
        reported: Dict[str, Any] = {}
        ambiguous = set()
        for event in events:
            for name, body in event.items():
                if name in reported:
                    # Another backend (stroke) has a config of that name: we cannot tell them apart.
                    ambiguous.add(name)
                reported[name] = body
        return {name: None if name in ambiguous else reported.get(name) for name in wanted}

    def preflight(self, session: Session, items: Sequence[Item]) -> None:
        """Refuse keys and values the running daemon's release lacks (``mode = iptfs`` before 6.0.2, the key
        ``icmp`` before 6.0.5), naming them; what no release accepts canonical_connection refused already.
        Asks the daemon its version (read-only) only when a connection is loaded."""
        messages = [item for item in items if item.message is not None]
        if not messages:
            return
        version = parse_version(session.version().get("version", ""))
        for item in messages:
            problems = version_problems(item.message or {}, version, KEY_SINCE)
            if problems:
                path, why = problems[0]
                raise ConfigError("%s: %s" % (path, why), item.name)

    def drift(self, name: str, message: Mapping[str, Any], reported: Any) -> Optional[str]:
        return connection_drift(message, reported)

    def needs_unload(self, previous: Mapping[str, Any], message: Mapping[str, Any]) -> bool:
        # The daemon's equality check ignores these two: a change would take
        # the "updated" path and leave the old values active.
        return any(previous.get(key) != message.get(key) for key in ("dpd_timeout", "dscp"))

    def redact(self, message: Mapping[str, Any]) -> Dict[str, Any]:
        return describe_connection(message)

    def describe_reported(self, name: str, reported: Any) -> Dict[str, Any]:
        return describe_reported_connection(reported)

    def validate(self, session: Session, name: str, message: Mapping[str, Any]) -> None:
        """Load ``message`` under a throw-away name, then unload it: the daemon's verdict, with no effect.

        Every child's start_action is forced to none, so the probe neither
        initiates nor installs a trap policy.
        """
        probe = probe_name(name)
        load_object(self, session, probe, probe_message(message), ABSENT_ON_DAEMON)
        unload_object(self, session, probe)

    def exists(self, session: Session, name: str) -> Optional[bool]:
        return name in [str(conn) for conn in session.get_conns().get("conns", []) or []]

    def send_load(self, session: Session, name: str, message: Mapping[str, Any]) -> Dict[str, Any]:
        return session.load_conn({name: message})

    def send_unload(self, session: Session, name: str) -> None:
        session.unload_conn(name)

    def hint(self, session: Session, name: str, message: Optional[Mapping[str, Any]], error: ViciCommandFailed) -> str:
        return _version_hint(error.errmsg)

    def kept_old_values(self, session: Session, name: str, message: Mapping[str, Any], reported: Any) -> bool:
        """Whether the daemon kept an older dpd_timeout for ``name`` when it just loaded ``message``.

        The daemon's equality check ignores dpd_timeout, so a connection loaded
        by someone else (or changed behind our back) that differs from ours in
        dpd_timeout only keeps its value. Asks the daemon (list-conns) only
        when the snapshot's ``reported`` cannot rule that out.
        """
        wanted = effective_dpd_timeout(message)
        if wanted is None or reported is ABSENT_ON_DAEMON:
            return False  # nothing old can linger in a connection that was not there
        if isinstance(reported, Mapping) and reported.get("dpd_timeout", "0") == str(wanted):
            return False  # it had our dpd_timeout already, kept or not
        shown = [event[name] for event in session.list_conns(ike=name) if name in event]
        return len(shown) == 1 and shown[0].get("dpd_timeout", "0") != str(wanted)


# What a connection change does to its SAs (_operations/tunnels.py), for the config run as for this module.
__all__ = ["SA_UPDATE_MODES", "Subject", "retry_window", "sa_step", "sa_step_names", "sas_before", "starts_by_itself",
           "tunnels_down", "tunnel_subjects"]


def tunnel_subjects(changes: Sequence[Change], mode: str, per_connection: Optional[Mapping[str, str]] = None) -> List[Subject]:
    """The connections whose SAs a run reports on (_operations/tunnels.py): changed, added and removed ones, and
    unchanged ones with a child that starts by itself (down is then worth a warning). ``mode`` is sa_update,
    ``per_connection`` overrides it by name."""
    subjects = []
    for change in changes:
        if change.action == Action.UNLOAD:
            config = change.reported if isinstance(change.reported, Mapping) else {}
            kind = "removed"
        elif change.message is None:
            continue
        else:
            config = change.message
            present = change.reported is not ABSENT_ON_DAEMON
            kind = "unchanged" if change.action is None else "changed" if present else "added"
        if kind == "unchanged" and not any(start_action(child) == "start" for child in _children(config).values()):
            continue
        subjects.append(Subject(change.name, kind, config, resolve_mode((per_connection or {}).get(change.name, mode), config)))
    return subjects


def sa_step_names(changes: Sequence[Change]) -> List[str]:
    """The connections whose SAs the SA step may look at, read before the apply: those changed, added or removed,
    and unchanged ones with a child that starts by itself (``start``, ``restart``, ``trap|start``)."""
    return [change.name for change in changes if change.action is not None or starts_by_itself(change.message or {})]


def starts_by_itself(config: Mapping[str, Any]) -> bool:
    """Whether a connection has a child that starts by itself (``start``, ``restart``, ``trap|start``): the SA
    step looks at its SAs in every run."""
    return any("start" in str(child.get("start_action", "")).lower() for child in _children(config).values())


def _children(config: Mapping[str, Any]) -> Mapping[str, Any]:
    found = _section(config, "children")
    return {name: body for name, body in found.items() if isinstance(body, Mapping)}


def probe_message(message: Mapping[str, Any]) -> Dict[str, Any]:
    """``message`` with every child's start_action set to none (a copy)."""
    probe: Dict[str, Any] = dict(message)
    for key, children in message.items():
        if key.lower() == "children" and isinstance(children, Mapping):
            probe[key] = {name: dict(child, start_action="none") if isinstance(child, Mapping) else child
                          for name, child in children.items()}
    return probe


def _version_hint(errmsg: str) -> str:
    match = re.match(r"^unknown option: (\w+), config discarded$", errmsg)
    if not match:
        return ""
    since = sorted({version for (_level, key), version in KEY_SINCE.items() if key == match.group(1)})
    if not since:
        return ""
    return " (the daemon is older than strongSwan %s, which added '%s')" % (since[0], match.group(1))


def run_module(vici: ViciModule) -> None:
    """The connection module: one connection, present (its swanctl.conf body) or absent."""
    params = vici.params
    name = params["name"]
    message = None
    if params["state"] == "present":
        if not params["config"]:
            raise UserError("config: must not be empty with state=present (an empty body loads a connection from "
                            "%any to %any with default settings); give at least remote_addrs, the authentication "
                            "rounds and the children, or use state=absent")
        message = canonical_connection(name, params["config"])
        # Check mode must fail where the real run would: encode the request and check its size here.
        check_request("load-conn", {name: message}, "connection '%s'" % name)
        for line in unavailable_algorithms(vici.session, message):
            vici.warn("connection '%s': %s" % (name, line))
    window = retry_window(params["sa_timeout"])
    kind = ConnectionKind([name])
    vici.hold_gateway()  # the SAs before the change are read under the lock the change is made under
    before = sas_before(vici.session, [Subject(name, "", {}, "")])
    changes = vici.converge(kind, [Item(name, message)])[0]
    result: Dict[str, Any] = {"name": name, "reason": changes[0].reason}
    if message is not None:
        result["config"] = changes[0].after
    # What the plan decided (an unchanged connection is only watched when it should be up).
    subjects = tunnel_subjects(changes, params["sa_update"])
    settled = sa_step(vici.session, subjects, before, vici.check_mode, window)
    if settled.report:
        result["sa_report"] = settled.report
    if settled.down:
        result["down"] = settled.down
        if params["down_fails"]:
            vici.fail(tunnels_down(settled.down, vici.check_mode), **result)
        vici.warn(tunnels_down(settled.down, vici.check_mode))
    vici.exit_change(kind, changes[0], **result)
