# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Virtual IP address pools as daemon objects. PRIVATE to the collection.

get-pools reports a pool's ``base`` and ``size`` but none of its attributes
(dns, nbns, ...). Presence and the address range are therefore checked against
the daemon, the attributes through the ledger fingerprint. :func:`pool_range`
predicts ``base`` and ``size`` exactly as charon computes them
(``mem_pool_create`` / ``mem_pool_create_range`` in
``src/libcharon/attributes/mem_pool.c``), so a range changed behind our back is
detected without ever flagging an unchanged pool.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence, Tuple, Union

from .._text.input import InputError, UserError
from .._engine.kind import Item, Kind
from ..vici.errors import ViciCommandFailed
from ..vici.session import Session

if TYPE_CHECKING:
    from .._base import ViciModule

IPAddress = Union[ipaddress.IPv4Address, ipaddress.IPv6Address]

#: Named attributes in the order load-pool takes them (vici_attribute.c ``pool_li``).
#: ``p_cscf`` exists since strongSwan 6.0.3; older daemons answer "invalid attribute: p_cscf".
POOL_ATTRIBUTES = ("dns", "nbns", "dhcp", "netmask", "server", "subnet", "split_include", "split_exclude", "p_cscf")

#: charon limits pools to 2^31 addresses (``POOL_LIMIT``).
POOL_LIMIT_BITS = 31
_U32 = 0xFFFFFFFF


def _address(text: str, field: str) -> IPAddress:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        raise InputError("%s: '%s' is not an IP address" % (field, text)) from None


def _low32(address: IPAddress) -> int:
    return int(address) & _U32


def pool_range(addrs: str, major: int = 5) -> Tuple[IPAddress, int]:
    """The ``base`` and ``size`` charon (strongSwan ``major``) reports for a pool with this ``addrs``.

    ``a-b`` is a range: base ``a``, size ``b - a + 1`` computed on the last 32
    bits (IPv6 ranges must not cross a /96). Anything else is ``address[/prefix]``:
    the base is the address *as given* (not masked); the size is the number of
    assignable addresses from there to the end of the subnet, without the
    broadcast address and, if the base is the network id, without that either
    (only for subnets of more than two addresses); at most 2^31 addresses.
    strongSwan 5 reports such a skipped network id as the base, strongSwan 6
    the first address it hands out (10.50.0.0/24: 10.50.0.0 on 5.9.8,
    10.50.0.1 on 6.0.1); the size is the same.
    """
    text = addrs
    if not text or text != text.strip() or any(char.isspace() for char in text):
        raise InputError("addrs: '%s' is not a CIDR subnet, an address or a range 'a-b' (no spaces)" % addrs)
    if "-" in text:
        first, last = text.split("-", 1)
        start, end = _address(first, "addrs"), _address(last, "addrs")
        if start.version != end.version:
            raise InputError("addrs: the range '%s' mixes IPv4 and IPv6" % addrs)
        if int(start) > int(end):
            raise InputError("addrs: the range '%s' ends before it starts" % addrs)
        if start.version == 6 and int(start) >> 32 != int(end) >> 32:
            raise InputError("addrs: the range '%s' is too large (an IPv6 range must lie within one /96)" % addrs)
        return start, (_low32(end) - _low32(start) + 1) & _U32
    if "/" in text:
        address_text, prefix_text = text.split("/", 1)
        base = _address(address_text, "addrs")
        if not prefix_text.isdigit() or int(prefix_text) > base.max_prefixlen:
            raise InputError("addrs: '%s' has an invalid prefix length (0 to %d)" % (addrs, base.max_prefixlen))
        prefix = int(prefix_text)
    else:
        base = _address(text, "addrs")
        prefix = base.max_prefixlen
    host_bits = min(base.max_prefixlen - prefix, POOL_LIMIT_BITS)
    size = 1 << host_bits
    offset = _low32(base) & ((1 << host_bits) - 1)  # charon's network_id_diff
    if size > 2:
        size -= offset if offset else 1  # skip up to the base, or the network id itself
        size -= 1  # the broadcast address
        if not offset and major >= 6:
            base = base + 1
    elif offset:
        size -= 1
    return base, size


def daemon_major(session: Session) -> int:
    """The daemon's strongSwan major version (5 when its version string is odd)."""
    match = re.match(r"\s*(\d+)\.", str(session.version().get("version", "")))
    return int(match.group(1)) if match else 5


def reported_base(text: Any) -> Optional[IPAddress]:
    """A get-pools ``base`` (printed with charon's %H: ``%any`` for 0.0.0.0) as an address, or None."""
    if not isinstance(text, str):
        return None
    if text == "%any":
        return ipaddress.IPv4Address(0)
    if text == "%any6":
        return ipaddress.IPv6Address(0)
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _attribute_values(field: str, values: Any, numeric: bool) -> List[str]:
    if isinstance(values, (str, int)):
        values = [values]
    if not isinstance(values, (list, tuple)):
        raise InputError("%s: expected a list of values, got %s" % (field, type(values).__name__))
    result = []
    for value in values:
        if not isinstance(value, (str, int)) or isinstance(value, bool):
            raise InputError("%s: expected text values, got %s" % (field, type(value).__name__))
        text = str(value).strip()
        if not text:
            raise InputError("%s: empty value" % field)
        if len(text) > 255:
            # charon stringifies attribute values into a 256-byte buffer.
            raise InputError("%s: value longer than 255 characters" % field)
        if not numeric:
            try:
                if "/" in text:
                    ipaddress.ip_network(text, strict=False)
                else:
                    ipaddress.ip_address(text)
            except ValueError:
                raise InputError("%s: '%s' is not an IP address or subnet" % (field, text)) from None
        result.append(text)
    return result


def pool_message(addrs: str, attributes: Mapping[str, Any], custom: Optional[Mapping[Any, Any]] = None) -> Dict[str, Any]:
    """The load-pool body of one pool, in canonical form.

    ``attributes`` maps the named attributes (``dns``, ...) to lists of
    addresses or subnets; ``custom`` maps attribute numbers to raw values.
    Empty lists are left out, so "no dns" and "dns: []" are the same pool.
    """
    pool_range(addrs)
    message: Dict[str, Any] = {"addrs": addrs}
    unknown = sorted(set(attributes) - set(POOL_ATTRIBUTES))
    if unknown:
        close = difflib.get_close_matches(unknown[0], POOL_ATTRIBUTES, n=1)
        raise InputError("unknown pool attribute '%s'%s; known are %s" % (
            unknown[0], " (did you mean '%s'?)" % close[0] if close else "", ", ".join(POOL_ATTRIBUTES)))
    for name in POOL_ATTRIBUTES:
        values = attributes.get(name)
        if values:
            message[name] = _attribute_values(name, values, numeric=False)
    numbered: Dict[int, List[str]] = {}
    for key, values in (custom or {}).items():
        text = str(key).strip()
        if not text.isdigit() or not 0 < int(text) < 32768:
            close = difflib.get_close_matches(text, POOL_ATTRIBUTES, n=1)
            hint = "did you mean the option '%s'?" % close[0] if close else "named attributes have their own options"
            raise InputError("attributes: '%s' is not an attribute number (1 to 32767); %s" % (key, hint))
        number = int(text)
        if number in numbered:
            raise InputError("attributes: attribute %d given twice" % number)
        if values in (None, [], ""):
            continue
        numbered[number] = _attribute_values("attributes.%d" % number, values, numeric=True)
    for number in sorted(numbered):
        message[str(number)] = numbered[number]
    return message


def leases_block(name: str, message: Optional[Mapping[str, Any]], reported: Any, major: int = 5) -> Optional[str]:
    """The error the daemon will give for this change because of online leases, or None.

    Lets check mode predict the failure of a real run: a pool with online leases
    can neither be unloaded nor moved to another range (same base and size is fine).
    """
    if not isinstance(reported, Mapping):
        return None
    try:
        online = int(reported.get("online", "0"))
    except (TypeError, ValueError):
        return None
    if not online:
        return None
    leases = "%d online lease%s" % (online, "" if online == 1 else "s")
    if message is None:
        return "%s has online leases, unable to unload (pool '%s' has %s; cannot unload it until those " \
               "clients disconnect)" % (name, name, leases)
    base, size = pool_range(message["addrs"], major)
    if reported_base(reported.get("base")) == base and str(reported.get("size")) == str(size):
        return None
    return "vici pool %s has online leases, unable to replace (pool '%s' has %s; cannot change its addresses " \
           "until those clients disconnect)" % (name, name, leases)


def _online_leases(session: Session, name: str) -> Optional[int]:
    try:
        reported = session.get_pools(name=name).get(name, {})
        return int(reported.get("online", ""))
    except Exception:  # pylint: disable=broad-except
        # Only used to enrich an error message; never hide the original error.
        return None


class PoolKind(Kind):
    """load-pool / unload-pool / get-pools."""

    label = "pool"
    listing = (("get-pools", None),)
    not_found = "{name} not found"

    def __init__(self, major: Optional[int] = None) -> None:
        #: The daemon's strongSwan major version (how it reports a pool's base); read by snapshot if None.
        self.major = major

    def snapshot(self, session: Session) -> Dict[str, Any]:
        if self.major is None:
            self.major = daemon_major(session)
        return {name: body for name, body in session.get_pools().items() if isinstance(body, dict)}

    def preflight(self, session: Session, items: Sequence[Item]) -> None:
        # Online leases make the daemon refuse a new range or an unload: say so in check mode too.
        if self.major is None:
            self.major = daemon_major(session)
        for item in items:
            reported = session.get_pools(name=item.name).get(item.name)
            blocked = leases_block(item.name, item.message, reported, self.major)
            if blocked:
                raise UserError("pool '%s': %s" % (item.name, blocked))

    def drift(self, name: str, message: Mapping[str, Any], reported: Any) -> Optional[str]:
        if not isinstance(reported, Mapping):
            return None
        base, size = pool_range(message["addrs"], self.major or 5)
        actual_base = reported_base(reported.get("base"))
        try:
            actual_size = int(reported.get("size", ""))
        except (TypeError, ValueError):
            actual_size = None
        if actual_base is not None and actual_base != base:
            return "its base address is %s, not %s" % (reported.get("base"), base)
        if actual_size is not None and actual_size != size:
            return "it has %d addresses, not %d" % (actual_size, size)
        return None

    def send_load(self, session: Session, name: str, message: Mapping[str, Any]) -> Dict[str, Any]:
        return session.load_pool({name: dict(message)})

    def send_unload(self, session: Session, name: str) -> None:
        session.unload_pool(name)

    def hint(self, session: Session, name: str, message: Optional[Mapping[str, Any]], error: ViciCommandFailed) -> str:
        if "online leases" in error.errmsg:
            online = _online_leases(session, name)
            count = "%d online lease%s" % (online, "" if online == 1 else "s") if online is not None else "online leases"
            action = "unload" if message is None else "change its addresses"
            return " (pool '%s' has %s; cannot %s it until those clients disconnect)" % (name, count, action)
        if error.errmsg == "invalid attribute: p_cscf":
            return " (p_cscf needs strongSwan 6.0.3 or later)"
        return ""

    def describe_reported(self, name: str, reported: Any) -> Dict[str, Any]:
        if not isinstance(reported, Mapping):
            return {}
        return {key: reported[key] for key in ("base", "size") if key in reported}


def run_module(vici: ViciModule) -> None:
    """The pool module: one pool, present (with its range and attributes) or absent."""
    params = vici.params
    message = None
    result: Dict[str, Any] = {"name": params["name"]}
    if params["state"] == "present":
        message = pool_message(
            params["addrs"], {key: params[key] for key in POOL_ATTRIBUTES if params[key]}, params["attributes"]
        )
    major = daemon_major(vici.session)
    kind = PoolKind(major)
    if message is not None:
        base, size = pool_range(params["addrs"], major)
        result.update(base=str(base) if int(base) else ("%any" if base.version == 4 else "%any6"), size=size)
    vici.converge_one(kind, Item(params["name"], message), **result)
