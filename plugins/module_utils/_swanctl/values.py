# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What charon's VICI parser accepts as the value of each connection key, per strongSwan version. PRIVATE.

charon parses every value of a load-conn message with a per-key parser (the rule tables of
``src/libcharon/plugins/vici/vici_config.c``, the words documented in ``swanctl.opt``) and discards the whole
connection when one fails (``invalid value for: mode, config discarded``). This module says, for one value,
what the parsers of strongSwan 5.9.0 to 6.0.x make of it, without a daemon:

* :func:`value_verdict` returns None (every release accepts it), a :class:`Refused` (no release does: the
  reason), or a :class:`Needs` (only some releases do: which, and why).
* :func:`version_problems` walks a canonical load-conn message and names what the running daemon's release
  lacks: a value (``mode = iptfs`` before 6.0.2) or a whole key (``icmp`` before 6.0.5).

The tables here are written from the parsers' behaviour, not copied: enumerations match case-insensitively
(the daemon compares with strcaseeq), numbers are read like C's strtoul with base 0 (``0x10``, ``010``), and
values are copied into the daemon's fixed buffers first, so an over-long number is cut, not refused.
Anything whose answer depends on the daemon's host (an EAP method's plugin, SELinux for ``label_mode =
selinux``, a plugin for an algorithm) is left to the daemon or to its get-algorithms warning. Protocol and
service names of traffic selectors are looked up as the daemon looks them up (getprotobyname,
getservbyname) on the host the module runs on, which is the daemon's host for a unix socket.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Mapping
from typing import Any, Callable, Dict, FrozenSet, Iterator, List, Optional, Tuple, Union

Version = Tuple[int, ...]


class Refused(str):
    """Why no supported strongSwan release accepts a value."""


class Needs:
    """A value only some releases accept: ``since`` (inclusive) and ``until`` (exclusive) as version strings."""

    def __init__(self, what: str, since: Optional[str] = None, until: Optional[str] = None) -> None:
        self.what = what
        self.since = since
        self.until = until

    def problem(self, version: Version) -> Optional[str]:
        """Why the release ``version`` refuses the value, or None."""
        if self.since is not None and version < parse_version(self.since):
            return "%s needs strongSwan %s or later" % (self.what, self.since)
        if self.until is not None and version >= parse_version(self.until):
            return "%s was removed in strongSwan %s" % (self.what, self.until)
        return None


Verdict = Union[None, Refused, Needs]


def parse_version(text: Any) -> Version:
    """``5.9.8`` -> (5, 9, 8); ``6.0.1dr1`` -> (6, 0, 1); () if the text starts with no number."""
    match = re.match(r"\s*(\d+(?:\.\d+)*)", str(text))
    return tuple(int(part) for part in match.group(1).split(".")) if match else ()


# -- how the daemon reads numbers -----------------------------------------------------------------

_C_SPACE = " \t\n\v\f\r"


def c_strtoul(text: str, base: int = 0) -> Tuple[Optional[int], str]:
    """C's strtoul/strtol on TEXT: (the number read or None, the rest after it; all of TEXT if none)."""
    position = 0
    while position < len(text) and text[position] in _C_SPACE:
        position += 1
    sign = 1
    if position < len(text) and text[position] in "+-":
        sign = -1 if text[position] == "-" else 1
        position += 1
    digits = "0123456789abcdef"
    if base == 0:
        if text[position:position + 2].lower() == "0x" and text[position + 2:position + 3].lower() in tuple(digits):
            base, position = 16, position + 2
        elif text[position:position + 1] == "0":
            base = 8
        else:
            base = 10
    elif base == 16 and text[position:position + 2].lower() == "0x" \
            and text[position + 2:position + 3].lower() in tuple(digits):
        position += 2
    start = position
    allowed = frozenset(digits[:base] + digits[10:base].upper())
    while position < len(text) and text[position] in allowed:
        position += 1
    if position == start:
        return None, text
    return sign * int(text[start:position], base), text[position:]


def _buffer(value: str, size: int) -> str:
    """What the daemon's snprintf into a SIZE-byte buffer keeps of VALUE."""
    return value[:size - 1]


def _whole_number(value: str, size: int = 16, base: int = 0) -> bool:
    # strtoul reads nothing from "" and leaves nothing: the daemon takes that as 0, so do we
    return c_strtoul(_buffer(value, size), base)[1] == ""


def _number_with_unit(value: str, units: str) -> bool:
    # where strtoul reads no number, the daemon goes on from the start of the text (c_strtoul's rest)
    rest = c_strtoul(_buffer(value, 16))[1].lstrip(" ")
    if rest[:1] and rest[:1].lower() in units:
        rest = rest[1:]
    return rest == ""


# -- one checker per value type -------------------------------------------------------------------

Checker = Callable[[str], Verdict]


def printable_problem(value: str) -> Optional[str]:
    """The daemon refuses any byte outside printable ASCII (isprint in the C locale)."""
    if value.isascii() and value.isprintable():  # for ASCII exactly " " to "~": the common case, in C
        return None
    for char in value:
        if not " " <= char <= "~":
            return "must be printable ASCII: the daemon refuses %r" % char
    return None


def _uint(value: str) -> Verdict:
    return None if _whole_number(value) else Refused("expected a number (decimal, 0x hex or 0 octal), got '%s'" % value)


def _binary(value: str) -> Verdict:
    text = _buffer(value, 16)
    if text.strip(_C_SPACE)[:2].lower() == "0b":  # C23's prefix, read by newer C libraries: the daemon's call
        return None
    return None if _whole_number(value, base=2) else Refused("expected a 6-bit binary number like 101110, got '%s'" % value)


def _time(value: str) -> Verdict:
    return None if _number_with_unit(value, "smhd") else Refused(
        "expected a time (seconds, or a number with s, m, h or d), got '%s'" % value)


def _bytes(value: str) -> Verdict:
    return None if _number_with_unit(value, "kmg") else Refused(
        "expected a byte count (a number, or with k, m or g), got '%s'" % value)


def _tfc(value: str) -> Verdict:
    return None if value == "mtu" or _whole_number(value) else Refused(
        "expected a number of bytes or 'mtu', got '%s'" % value)


def _mark(special: str) -> Checker:
    def check(value: str) -> Verdict:
        text = _buffer(value, 32)
        problem = Refused("expected a mark like 0x12 or 0x12/0xff%s, got '%s'" % (
            " or %s" % special if special else "", value))
        lowered = text.lower()
        if lowered.startswith("%unique") or lowered.startswith("%same"):
            word = "%unique" if lowered.startswith("%unique") else "%same"
            if word not in special:
                return Refused("'%s' is not allowed here (only %s)" % (word, special or "numbers"))
            rest = text[len(word):]
            if word == "%unique" and rest.lower().startswith("-dir"):
                rest = rest[len("-dir"):]
            elif rest and not rest.startswith("/"):
                return problem
        else:
            _number, rest = c_strtoul(text)
        if rest:
            if not rest.startswith("/"):
                return problem
            _mask, rest = c_strtoul(rest[1:])
            if rest:
                return problem
        return None
    return check


def _if_id(value: str) -> Verdict:
    text = _buffer(value, 32)
    if text.lower().startswith("%unique"):
        rest = text[len("%unique"):]
        if rest.lower().startswith("-dir"):
            rest = rest[len("-dir"):]
        ok = rest == ""
    else:
        _number, rest = c_strtoul(text)
        ok = rest == ""
    return None if ok else Refused("expected an interface ID (a number, %%unique or %%unique-dir), got '%s'" % value)


def host_family(text: str, family: int = socket.AF_UNSPEC) -> Optional[int]:
    """The address family host_create_from_string_and_family reads TEXT as (an address, no prefix), or None.

    Like the daemon: ``%any`` is any address of FAMILY (IPv4 without one); text with a dot is only ever
    read as IPv4 when no family is asked for, so ``::ffff:10.0.0.1`` is refused there.
    """
    if text == "%any":
        return family or socket.AF_INET
    if family in (socket.AF_UNSPEC, socket.AF_INET) and text in ("%any4", "0.0.0.0"):
        return socket.AF_INET
    if family in (socket.AF_UNSPEC, socket.AF_INET6) and text in ("%any6", "::"):
        return socket.AF_INET6
    if family == socket.AF_UNSPEC:
        family = socket.AF_INET if "." in text else socket.AF_INET6
    elif family == socket.AF_INET and ":" in text:
        return None
    try:
        socket.inet_pton(family, text)
    except (OSError, ValueError):
        return None
    return family


def _host_problem(text: str) -> bool:
    return host_family(text) is None


def _vip(value: str) -> Verdict:
    if _host_problem(_buffer(value, 64)):
        return Refused("expected an IP address, %%any, %%any4 or %%any6, got '%s'" % value)
    return None


def _proto_problem(proto: str) -> bool:
    if proto == "any":
        return False
    try:
        socket.getprotobyname(proto)
        return False
    except (OSError, ValueError):
        pass
    number, rest = c_strtoul(proto)
    return rest != "" or (number is not None and not 0 <= number <= 255)


def _port_problem(port: str) -> bool:
    if port in ("", "any", "opaque"):
        return False
    try:
        socket.getservbyname(port)
        return False
    except (OSError, ValueError):
        pass
    number, rest = c_strtoul(port)
    if number is not None and not 0 <= number <= 0xffff:
        return True
    if rest.startswith("-"):
        number, rest = c_strtoul(rest[1:])
        if number is not None and not 0 <= number <= 0xffff:
            return True
    return rest != ""


def _selector(value: str) -> Verdict:
    text = _buffer(value, 512)
    address, _bracket, protoport = text.partition("[")
    if _bracket:
        if "]" not in protoport:
            return Refused("'%s': the protocol/port part lacks its closing ']'" % value)
        protoport = protoport[:protoport.rindex("]")]
        proto, _slash, port = protoport.partition("/")
        if _proto_problem(proto):
            return Refused("'%s': unknown protocol '%s' (a name from /etc/protocols, a number 0 to 255, or any)"
                           % (value, proto))
        if _port_problem(port):
            return Refused("'%s': bad port '%s' (a service name, a number or range up to 65535, any or opaque)"
                           % (value, port))
    bad = Refused("'%s': expected an address, a subnet, a range (a-b), dynamic or %%any" % value)
    if address == "dynamic":
        return None
    if "-" in address:
        low, _dash, high = address.partition("-")
        family = host_family(high.lstrip(" "))
        if family is None or host_family(low.rstrip(" "), family) is None:
            return bad
        return None
    host = address.split("/", 1)[0]
    if "/" in address and len(host) >= 64:
        return bad
    return bad if _host_problem(host) else None


def _auth(value: str) -> Verdict:
    text = _buffer(value, 64)
    lowered = text.lower()
    if text.startswith(("ike:", "pubkey", "rsa", "ecdsa")) or lowered == "psk" or lowered.startswith(("xauth", "eap")):
        return None
    if text.startswith("bliss"):
        return Needs("auth = %s (BLISS)" % value, until="6.0.0")
    return Refused("expected pubkey, rsa, ecdsa, psk, eap[-method], xauth[-backend] or ike:..., got '%s'" % value)


def _words(*words: str, **newer: str) -> Checker:
    """An enumeration: WORDS in every release, NEWER words since the release given (keys use _ for -)."""
    known = {word.lower() for word in words}
    since = {word.lower(): release for word, release in newer.items()}
    listing = ", ".join(list(words) + list(newer))

    def check(value: str) -> Verdict:
        word = _buffer(value, 512).lower()
        if word in known:
            return None
        if word in since:
            return Needs("'%s'" % value, since=since[word])
        return Refused("expected one of %s, got '%s'" % (listing, value))
    return check


_ACTION_WORDS = ("none", "clear", "trap", "route", "start", "restart")
_ACTION_FLAGS = ("none", "trap", "start")


def _action(value: str) -> Verdict:
    text = _buffer(value, 512)
    if text.lower() in _ACTION_WORDS:
        return None
    flags = [flag.strip(" ").lower() for flag in text.split("|")]
    if all(flag in _ACTION_FLAGS or not flag for flag in flags):
        return Needs("'%s' (actions combined with |)" % value, since="5.9.6")
    return Refused("expected one of %s, or trap|start, got '%s'" % (", ".join(_ACTION_WORDS), value))


def _label(value: str) -> Verdict:
    return Refused("a security label must not be empty") if value == "" else None


def _per_cpu(value: str) -> Verdict:
    if value.lower() in ("yes", "true", "enabled", "1", "no", "false", "disabled", "0", "encap"):
        return None
    return Refused("expected yes, no or encap, got '%s'" % value)


# -- proposal keywords ----------------------------------------------------------------------------

def _keyword_table() -> Dict[str, Tuple[Optional[str], Optional[str]]]:
    """Every algorithm keyword of the proposal parser: keyword -> (since, until) (None: all of 5.9.0-6.0.x)."""
    table: Dict[str, Tuple[Optional[str], Optional[str]]] = {}
    always = (None, None)
    sizes = ("128", "192", "256")
    icvs = ("8", "64", "12", "96", "16", "128")
    words = ["null", "des", "3des", "aes", "blowfish", "camellia", "cast128", "serpent", "twofish",
             "chacha20poly1305", "chacha20poly1305compat",
             "sha", "sha1", "sha1_160", "sha256", "sha2_256", "sha256_96", "sha2_256_96", "sha384", "sha2_384",
             "sha512", "sha2_512", "md5", "md5_128", "aesxcbc", "camelliaxcbc", "aescmac",
             "prfsha1", "prfsha256", "prfsha384", "prfsha512", "prfmd5", "prfaesxcbc", "prfcamelliaxcbc", "prfaescmac",
             "modpnone", "modpnull", "modp768", "modp1024", "modp1536", "modp2048", "modp3072", "modp4096",
             "modp6144", "modp8192", "modp1024s160", "modp2048s224", "modp2048s256",
             "ecp192", "ecp224", "ecp256", "ecp384", "ecp521", "ecp224bp", "ecp256bp", "ecp384bp", "ecp512bp",
             "curve25519", "x25519", "curve448", "x448", "esn", "noesn"]
    for size in sizes:
        words += ["aes" + size, "aes%sctr" % size, "aes%sgmac" % size, "blowfish" + size, "camellia" + size,
                  "camellia%sctr" % size, "serpent" + size, "twofish" + size]
        words += ["aes%s%s%s" % (size, mode, icv) for mode in ("ccm", "gcm") for icv in icvs]
        words += ["camellia%sccm%s" % (size, icv) for icv in icvs]
        table["aes%sccm" % size] = table["aes%sgcm" % size] = ("5.9.2", None)
    table.update((word, always) for word in words)
    table["none"] = ("5.9.7", None)
    for word in ("ntru112", "ntru128", "ntru192", "ntru256", "newhope128"):
        table[word] = (None, "6.0.0")
    for word in ("gost256", "gost512", "mlkem512", "mlkem768", "mlkem1024"):
        table[word] = ("6.0.0", None)
    return table


KEYWORDS = _keyword_table()
#: Keywords of key exchange methods (what ke1_ to ke7_ may prefix, since strongSwan 6.0.0).
KEY_EXCHANGES: FrozenSet[str] = frozenset(
    word for word in KEYWORDS if word.startswith(("modp", "ecp", "curve", "x25519", "x448", "ntru", "newhope",
                                                  "gost", "mlkem")) or word == "none")


def _keyword(token: str) -> Verdict:
    span = KEYWORDS.get(token)
    if span is not None:
        return Needs("algorithm '%s'" % token, *span) if span != (None, None) else None
    match = re.match(r"^([^\s]{2})([0-9])_(\S+)$", token)
    if match and match.group(1).lower() == "ke" and 1 <= int(match.group(2)) <= 7 and match.group(3) in KEY_EXCHANGES:
        base = KEYWORDS[match.group(3)]
        since = max(["6.0.0"] + ([base[0]] if base[0] else []), key=parse_version)
        if base[1] is not None:
            return Refused("unknown algorithm '%s' (%s was removed in strongSwan %s, before additional key "
                           "exchanges came in 6.0.0)" % (token, match.group(3), base[1]))
        return Needs("additional key exchange '%s'" % token, since=since)
    hint = " (keywords are lower case)" if token.lower() in KEYWORDS else ""
    return Refused("unknown algorithm '%s'%s" % (token, hint))


_INTEGRITY = frozenset(("sha", "sha1", "sha1_160", "sha256", "sha2_256", "sha256_96", "sha2_256_96", "sha384",
                        "sha2_384", "sha512", "sha2_512", "md5", "md5_128", "aesxcbc", "camelliaxcbc", "aescmac"))
#: Integrity algorithms without a PRF of their own (IKE needs an explicit prf with them).
_INTEGRITY_WITHOUT_PRF = frozenset(("sha256_96", "sha2_256_96"))


def _is_aead(token: str) -> bool:
    return "ccm" in token or "gcm" in token or "gmac" in token or token.startswith("chacha20poly1305")


def _ah_problem(integrity: List[str], ciphers: List[str]) -> Optional[str]:
    if not integrity and not any("gmac" in token for token in ciphers):
        return "an AH proposal needs an integrity algorithm"
    return None


def _ike_problem(tokens: List[str], integrity: List[str]) -> Optional[str]:
    if not any(token.startswith("prf") for token in tokens) and all(
            token in _INTEGRITY_WITHOUT_PRF for token in integrity):
        return "an IKE proposal needs a PRF (prf..., or an integrity algorithm it can derive one from)"
    if not any(token in KEY_EXCHANGES and token not in ("none", "modpnone") for token in tokens):
        return "an IKE proposal needs a key exchange method (DH group)"
    return None


def _encryption_problem(ciphers: List[str], integrity: List[str], protocol: str) -> Optional[str]:
    if not ciphers:
        return "an %s proposal needs an encryption algorithm" % protocol.upper()
    aead = [_is_aead(token) for token in ciphers]
    if any(aead) and not all(aead):
        return "classic and combined-mode (AEAD) encryption algorithms cannot be in one proposal"
    if protocol == "ike" and not any(aead) and not integrity:
        return "an IKE proposal with classic (non-AEAD) encryption needs an integrity algorithm"
    return None


def _is_cipher(token: str) -> bool:
    return (token not in _INTEGRITY and token not in KEY_EXCHANGES and not token.startswith("prf")
            and token not in ("esn", "noesn") and not re.match(r"^..\d_", token))


def _structure_problem(tokens: List[str], protocol: str) -> Optional[str]:
    """Why the proposal parser's final check refuses a proposal of known TOKENS for PROTOCOL (ike, esp, ah)."""
    integrity = [token for token in tokens if token in _INTEGRITY]
    ciphers = [token for token in tokens if _is_cipher(token)]
    if protocol == "ah":
        return _ah_problem(integrity, ciphers)
    if protocol == "ike":
        problem = _ike_problem(tokens, integrity)
        if problem:
            return problem
    return _encryption_problem(ciphers, integrity, protocol)


def proposal_checker(protocol: str) -> Checker:
    """What the releases make of one proposal (``aes256-sha256-modp2048``, ``default``) of PROTOCOL."""

    def check(value: str) -> Verdict:
        text = _buffer(value, 512)
        if text.lower() == "default":
            return None
        needs: List[Needs] = []
        tokens = [token.strip(" ") for token in text.split("-")]
        tokens = [token for token in tokens if token]
        for token in tokens:
            verdict = _keyword(token)
            if isinstance(verdict, Refused):
                return Refused("'%s': %s" % (value, verdict))
            if isinstance(verdict, Needs):
                needs.append(verdict)
        problem = _structure_problem(tokens, protocol)
        if problem:
            return Refused("'%s': %s" % (value, problem))
        if not needs:
            return None
        # one proposal, one verdict: the narrowest window of its keywords
        since = [need.since for need in needs if need.since]
        until = [need.until for need in needs if need.until]
        return Needs("'%s' (%s)" % (value, ", ".join(need.what for need in needs)),
                     max(since, key=parse_version) if since else None, min(until, key=parse_version) if until else None)
    return check


proposal_verdict = proposal_checker("esp")


# -- the keys ---------------------------------------------------------------------------------------

_ENUMS: Dict[str, Checker] = {
    "fragmentation": _words("yes", "accept", "no", "force"),
    "childless": _words("allow", "never", "force", prefer="5.9.10"),
    "send_cert": _words("ifasked", "always", "never"),
    "ocsp": _words("both", "reply", "request", "never"),
    "unique": _words("never", "no", "replace", "keep"),
    "revocation": _words("strict", "ifuri", "relaxed"),
    "mode": _words("tunnel", "transport", "transport_proxy", "beet", "drop", "pass", iptfs="6.0.2"),
    "hw_offload": _words("no", "yes", "auto", crypto="5.9.10", packet="5.9.10"),
    "copy_dscp": _words("no", "in", "out", "yes"),
    "label_mode": _words("system", "simple", "selinux"),
}

#: (level, key) -> the checker of its values; levels are peer, auth, cert and child. Keys not named here take
#: any printable text (identities, names, paths, addresses that may be host names) or are booleans, which
#: the schema checks itself.
CHECKERS: Dict[Tuple[str, str], Checker] = {
    ("peer", "proposals"): proposal_checker("ike"),
    ("peer", "vips"): _vip,
    ("peer", "version"): _uint,
    ("peer", "dscp"): _binary,
    ("peer", "keyingtries"): _uint,
    ("peer", "local_port"): _uint,
    ("peer", "remote_port"): _uint,
    ("peer", "if_id_in"): _if_id,
    ("peer", "if_id_out"): _if_id,
    ("auth", "auth"): _auth,
    ("auth", "round"): _uint,
    ("cert", "slot"): _uint,
    ("child", "ah_proposals"): proposal_checker("ah"),
    ("child", "esp_proposals"): proposal_checker("esp"),
    ("child", "label"): _label,
    ("child", "local_ts"): _selector,
    ("child", "remote_ts"): _selector,
    ("child", "replay_window"): _uint,
    ("child", "rekey_packets"): _uint,
    ("child", "life_packets"): _uint,
    ("child", "rand_packets"): _uint,
    ("child", "reqid"): _uint,
    ("child", "priority"): _uint,
    ("child", "dpd_action"): _action,
    ("child", "start_action"): _action,
    ("child", "close_action"): _action,
    ("child", "mark_in"): _mark("%unique, %unique-dir"),
    ("child", "mark_out"): _mark("%unique, %unique-dir"),
    ("child", "set_mark_in"): _mark("%same"),
    ("child", "set_mark_out"): _mark("%same"),
    ("child", "tfc_padding"): _tfc,
    ("child", "if_id_in"): _if_id,
    ("child", "if_id_out"): _if_id,
    ("child", "per_cpu_sas"): _per_cpu,
}
for _key in ("dpd_delay", "dpd_timeout", "reauth_time", "rekey_time", "over_time", "rand_time"):
    CHECKERS[("peer", _key)] = _time
for _key in ("rekey_time", "life_time", "rand_time", "inactivity"):
    CHECKERS[("child", _key)] = _time
for _key in ("rekey_bytes", "life_bytes", "rand_bytes"):
    CHECKERS[("child", _key)] = _bytes
for _key in ("fragmentation", "childless", "send_cert", "ocsp", "unique"):
    CHECKERS[("peer", _key)] = _ENUMS[_key]
CHECKERS[("auth", "revocation")] = _ENUMS["revocation"]
for _key in ("mode", "hw_offload", "copy_dscp", "label_mode"):
    CHECKERS[("child", _key)] = _ENUMS[_key]


#: Verdicts already given, by (level, key, value): a gateway's connections repeat most values (proposals, local
#: subnets, auth methods), and each is judged when the tree is read and again against the running release.
_VERDICTS: Dict[Tuple[str, str, str], Verdict] = {}
_VERDICTS_KEPT = 4096


def value_verdict(level: str, key: str, value: str) -> Verdict:
    """What the releases make of one VALUE (one list item for list keys) of KEY at LEVEL."""
    checker = CHECKERS.get((level, key))
    if checker is None:  # any printable text: nothing worth remembering
        problem = printable_problem(value)
        return Refused(problem) if problem else None
    memo = (level, key, value)
    if memo in _VERDICTS:
        return _VERDICTS[memo]
    problem = printable_problem(value)
    verdict = Refused(problem) if problem else checker(value)
    if len(_VERDICTS) >= _VERDICTS_KEPT:
        _VERDICTS.clear()
    _VERDICTS[memo] = verdict
    return verdict


# -- a whole message against one release ----------------------------------------------------------

def _is_auth(name: str) -> bool:
    return name.lower().startswith(("local", "remote"))


def _is_cert(name: str) -> bool:
    return name.lower().startswith(("cert", "cacert"))


def message_values(message: Mapping[str, Any]) -> Iterator[Tuple[str, List[str], Optional[int], Any]]:
    """(level, path of the key, index in a list or None, value) of every key of a canonical load-conn message."""
    for key, value in message.items():
        if key.lower() == "children" and isinstance(value, Mapping):
            for child, body in value.items():
                if isinstance(body, Mapping):
                    yield from _values("child", [key, child], body)
        elif _is_auth(key) and isinstance(value, Mapping):
            for sub, item in value.items():
                if _is_cert(sub) and isinstance(item, Mapping):
                    yield from _values("cert", [key, sub], item)
                else:
                    yield from _values("auth", [key], {sub: item})
        else:
            yield from _values("peer", [], {key: value})


def _values(level: str, path: List[str], body: Mapping[str, Any]) -> Iterator[Tuple[str, List[str], Optional[int], Any]]:
    for key, value in body.items():
        if isinstance(value, list):
            for index, item in enumerate(value):
                yield level, path + [key], index, item
        else:
            yield level, path + [key], None, value


def version_problems(message: Mapping[str, Any], version: Version,
                     key_since: Mapping[Tuple[str, str], str]) -> List[Tuple[str, str]]:
    """(path, why) for each key or value of a canonical MESSAGE that the release VERSION refuses."""
    problems: List[Tuple[str, str]] = []
    if not version:
        return problems
    running = ".".join(str(part) for part in version)
    seen = set()
    for level, path, index, value in message_values(message):
        key = path[-1]
        since = key_since.get((level, key))
        if since and version < parse_version(since):
            if tuple(path) not in seen:
                seen.add(tuple(path))
                problems.append((".".join(path), "the daemon runs strongSwan %s, which lacks the key '%s' "
                                                 "(added in %s)" % (running, key, since)))
            continue
        if not isinstance(value, str):
            continue
        verdict = value_verdict(level, key, value)
        if isinstance(verdict, Needs):
            why = verdict.problem(version)
            if why:
                where = path + ([str(index)] if index is not None else [])
                problems.append((".".join(where), "%s; the daemon runs strongSwan %s" % (why, running)))
    return problems
