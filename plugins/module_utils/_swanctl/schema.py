# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""swanctl.conf's ``connections`` schema and its canonical load-conn form. PRIVATE to the collection.

The schema is the set of keys charon's VICI parser accepts at each level of a
connection (peer, auth round, certificate section, child), as listed in the
parser rule tables of ``src/libcharon/plugins/vici/vici_config.c`` for
strongSwan 5.9.0 up to 6.0.x, plus which keys swanctl sends as lists
(``is_list_key`` / ``is_file_list_key`` in ``src/swanctl/commands/load_conns.c``).
The daemon matches keys case-sensitively and section names
(``children``, ``local*``/``remote*``, ``cert*``/``cacert*``) case-insensitively.

:func:`canonical_connection` turns a body as a user writes it (YAML lists or
comma-separated strings, YAML booleans, integers, ``1h``) into the exact
message load-conn gets. Fingerprints, diffs and drift checks all start from
that one form, so two spellings the daemon treats alike give one form.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import ipaddress
import os
import re
from collections.abc import Mapping
from typing import Any, Callable, Dict, List, Optional, Tuple, Union

from .._text.input import UserError
from .._pki import pem
from .._pki.der import DerError
from .._pki.source import BlobError, blocks_of, decode_prefixed, read_managed_file, unreadable
from .._pki.x509 import describe_certificate
from .values import Refused, value_verdict

# Value kinds. The daemon parses every value from a string; these say how a
# YAML value becomes that string and what is checked before sending.
SCALAR = "scalar"  # bool -> yes/no, int -> decimal, str as is (enums, ids, marks)
BOOL = "bool"      # the daemon's parse_bool words only; canonical yes/no
INT = "int"        # strtoul/strtoull; int -> decimal, str as is
TIME = "time"      # parse_time: "1h" -> "3600" where safe
BYTES = "bytes"    # parse_bytes: "1k" -> "1024" where safe
LIST = "list"      # is_list_key: comma-separated string or list
FILES = "files"    # is_file_list_key: certificates/public keys as data

PEER_KEYS: Dict[str, str] = {
    # peer_li
    "local_addrs": LIST,
    "remote_addrs": LIST,
    "proposals": LIST,
    "vips": LIST,
    "pools": LIST,
    # peer_kv
    "version": INT,
    "aggressive": BOOL,
    "pull": BOOL,
    "dscp": SCALAR,
    "encap": BOOL,
    "mobike": BOOL,
    "dpd_delay": TIME,
    "dpd_timeout": TIME,
    "fragmentation": SCALAR,
    "childless": SCALAR,
    "send_certreq": BOOL,
    "send_cert": SCALAR,
    "ocsp": SCALAR,
    "keyingtries": INT,
    "unique": SCALAR,
    "local_port": INT,
    "remote_port": INT,
    "reauth_time": TIME,
    "rekey_time": TIME,
    "over_time": TIME,
    "rand_time": TIME,
    "ppk_id": SCALAR,
    "ppk_required": BOOL,
    "if_id_in": SCALAR,
    "if_id_out": SCALAR,
    # only when charon is built with mediation support (Debian's is)
    "mediation": BOOL,
    "mediated_by": SCALAR,
    "mediation_peer": SCALAR,
}

AUTH_KEYS: Dict[str, str] = {
    # auth_li
    "groups": LIST,
    "cert_policy": LIST,
    "certs": FILES,
    "cacerts": FILES,
    "pubkeys": FILES,
    # auth_kv
    "auth": SCALAR,
    "id": SCALAR,
    "ca_id": SCALAR,
    "aaa_id": SCALAR,
    "eap_id": SCALAR,
    "xauth_id": SCALAR,
    "revocation": SCALAR,
    "round": INT,
}

CERT_KEYS: Dict[str, str] = {
    "handle": SCALAR,
    "slot": INT,
    "module": SCALAR,
    "file": SCALAR,
}

CHILD_KEYS: Dict[str, str] = {
    # child_li
    "ah_proposals": LIST,
    "esp_proposals": LIST,
    "local_ts": LIST,
    "remote_ts": LIST,
    # child_kv
    "updown": SCALAR,
    "hostaccess": BOOL,
    "mode": SCALAR,
    "policies": BOOL,
    "policies_fwd_out": BOOL,
    "replay_window": INT,
    "rekey_time": TIME,
    "life_time": TIME,
    "rand_time": TIME,
    "rekey_bytes": BYTES,
    "life_bytes": BYTES,
    "rand_bytes": BYTES,
    "rekey_packets": INT,
    "life_packets": INT,
    "rand_packets": INT,
    "dpd_action": SCALAR,
    "start_action": SCALAR,
    "close_action": SCALAR,
    "ipcomp": BOOL,
    "inactivity": TIME,
    "reqid": INT,
    "mark_in": SCALAR,
    "mark_in_sa": BOOL,
    "mark_out": SCALAR,
    "set_mark_in": SCALAR,
    "set_mark_out": SCALAR,
    "tfc_padding": SCALAR,
    "priority": INT,
    "interface": SCALAR,
    "hw_offload": SCALAR,
    "sha256_96": BOOL,
    "copy_df": BOOL,
    "copy_ecn": BOOL,
    "copy_dscp": SCALAR,
    "icmp": BOOL,
    "if_id_in": SCALAR,
    "if_id_out": SCALAR,
    "label": SCALAR,
    "label_mode": SCALAR,
    "per_cpu_sas": SCALAR,
}

#: Keys newer than strongSwan 5.9.0, by (level, key): the first release whose parser has them.
KEY_SINCE: Dict[Tuple[str, str], str] = {
    ("child", "label"): "5.9.6",
    ("child", "label_mode"): "5.9.6",
    ("peer", "ocsp"): "5.9.14",
    ("child", "per_cpu_sas"): "6.0.2",
    ("child", "icmp"): "6.0.5",
}

#: Where swanctl looks for relative certificate paths (under $SWANCTL_DIR).
FILE_DIRS = {"certs": "x509", "cacerts": "x509ca", "pubkeys": "pubkey"}
DEFAULT_SWANCTL_DIR = "/etc/swanctl"

_TRUE_WORDS = ("yes", "true", "enabled", "1")
_FALSE_WORDS = ("no", "false", "disabled", "0")
# The daemon copies time and byte values into 16 and 32 byte buffers.
_TIME_MAX_CHARS = 15
_BYTES_MAX_CHARS = 31
_TIME = re.compile(r"^(0|[1-9][0-9]*) *([smhdSMHD]?)$")
_BYTES = re.compile(r"^(0|[1-9][0-9]*) *([kKmMgG]?)$")
_TIME_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
_BYTE_UNITS = {"": 1, "k": 1024, "m": 1024 ** 2, "g": 1024 ** 3}

Reader = Callable[[str], bytes]


class ConfigError(UserError):
    """A connection body is wrong; the message names the connection and the key's path.

    ``connection`` and ``detail`` are the two parts of the message, so that another caller (``config``, which
    names objects by their place in the tree) can word it its own way.
    """

    def __init__(self, detail: str, connection: Optional[str] = None) -> None:
        super().__init__("connection '%s': %s" % (connection, detail) if connection is not None else detail)
        self.connection = connection
        self.detail = detail


def is_auth_section(name: str) -> bool:
    lowered = name.lower()
    return lowered.startswith("local") or lowered.startswith("remote")


def is_cert_section(name: str) -> bool:
    lowered = name.lower()
    return lowered.startswith("cert") or lowered.startswith("cacert")


def _suggest(word: str, candidates: List[str]) -> str:
    close = difflib.get_close_matches(word, candidates, n=1, cutoff=0.6)
    if not close:
        lowered = [candidate for candidate in candidates if candidate.lower() == word.lower()]
        close = lowered[:1]
    return "; did you mean '%s'?" % close[0] if close else ""


def _type_name(value: Any) -> str:
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, float):
        return "a float"
    return type(value).__name__


def normalise_time(value: str) -> str:
    """``1h`` -> ``3600`` when the daemon would read exactly that; anything else unchanged."""
    match = _TIME.match(value)
    if not match or len(value) > _TIME_MAX_CHARS:
        return value
    seconds = int(match.group(1)) * _TIME_UNITS[match.group(2).lower()]
    # Larger values overflow in the daemon (silently); keep the user's spelling then.
    if seconds >= 2 ** 32:
        return value
    return str(seconds)


def normalise_bytes(value: str) -> str:
    """``1k`` -> ``1024`` (1024-based, as the daemon counts) when that is exact."""
    match = _BYTES.match(value)
    if not match or len(value) > _BYTES_MAX_CHARS:
        return value
    count = int(match.group(1)) * _BYTE_UNITS[match.group(2).lower()]
    if count >= 2 ** 64:
        return value
    return str(count)


def list_items(text: str) -> List[str]:
    """The items of a comma-separated list value, split as swanctl splits it (enumerator_create_token).

    Blanks around items and empty items are dropped. An item that starts with a single or a double quote runs to
    the next quote of the same kind, commas and blanks included, and loses its quotes:
    ``'ldap://ldap.example.org/cn=CA, o=Org?certificateRevocationList'`` is one item. Without its closing quote
    it is an item like any other.
    """
    items: List[str] = []
    position, end = 0, len(text)
    while position < end:
        char = text[position]
        if char == "," or char.isspace():
            position += 1
            continue
        if char in "'\"":
            closing = text.find(char, position + 1)
            if closing >= 0:
                items.append(text[position + 1:closing])
                position = closing + 1
                continue
        comma = text.find(",", position)
        comma = end if comma < 0 else comma
        item = text[position:comma].strip()
        if item:
            items.append(item)
        position = comma + 1
    return items


@functools.lru_cache(maxsize=4096)  # a pure function of the text, and subnets repeat across connections
def subnet_problem(value: str) -> Optional[str]:
    """Why an address or traffic selector with a prefix (``10.0.0.0/33``, ``fec1::/129[tcp]``) is wrong, or None.

    The daemon silently caps an over-long prefix (``/33`` becomes ``/32``) and reads a prefix that is not a
    number as 0: both are refused. Forms that are not ``<IP address>/<prefix>`` are left to the daemon.
    """
    base = value.split("[", 1)[0].strip()
    if "/" not in base:
        return None
    address, prefix = base.rsplit("/", 1)
    try:
        version = ipaddress.ip_address(address.strip()).version
    except ValueError:
        return None
    limit = 32 if version == 4 else 128
    if not prefix.strip().isdigit() or int(prefix) > limit:
        return "'%s': the prefix length of an IPv%d subnet is 0 to %d, not '%s'" % (value, version, limit, prefix)
    return None


# Algorithm keyword families whose sizes are fixed by the IKE/ESP standards. A token of such a family with
# another size (aes257, sha999, modp1000) is certainly unknown to the daemon's proposal parser; tokens of
# other shapes are left to the daemon (plugins may register keywords of their own).
_SIZED_KEYWORDS = (
    (re.compile(r"^(aes|camellia)(\d+)"), frozenset((128, 192, 256)), "AES and Camellia keys are 128, 192 or 256 bits"),
    (re.compile(r"^(sha|prfsha)(\d+)(_\d+)?$"), frozenset((1, 2, 3, 224, 256, 384, 512)),
     "SHA integrity and PRF algorithms are sha1, sha256, sha384 or sha512"),
    (re.compile(r"^(modp)(\d+)(s\d+)?$"), frozenset((768, 1024, 1536, 2048, 3072, 4096, 6144, 8192)),
     "MODP groups are modp768 to modp8192 (1024, 1536, 2048, 3072, 4096, 6144, 8192)"),
    (re.compile(r"^(ecp)(\d+)$"), frozenset((192, 224, 256, 384, 521)), "NIST ECP groups are ecp192 to ecp521"),
    (re.compile(r"^(ecp)(\d+)bp$"), frozenset((224, 256, 384, 512)), "Brainpool groups are ecp224bp to ecp512bp"),
)


def proposal_problem(value: str) -> Optional[str]:
    """Why one proposal (``aes256-sha256-modp2048``) certainly fails the daemon's parser, or None if it may pass."""
    if value.lower() == "default":
        return None
    for token in value.split("-"):
        token = token.strip().lower()
        if not token:
            return "'%s': empty algorithm between two '-'" % value
        for pattern, sizes, hint in _SIZED_KEYWORDS:
            match = pattern.match(token)
            if match and int(match.group(2)) not in sizes:
                return "'%s': unknown algorithm '%s' (%s)" % (value, token, hint)
    return None


class _Canonicaliser:
    """One body's walk; ``path`` entries build messages like ``children.net.esp_proposal``."""

    def __init__(self, name: str, reader: Optional[Reader], swanctl_dir: Optional[str]) -> None:
        self.name = name
        self.reader = reader or read_managed_file
        self.swanctl_dir = swanctl_dir or os.environ.get("SWANCTL_DIR") or DEFAULT_SWANCTL_DIR

    def error(self, path: List[str], text: str) -> ConfigError:
        where = ".".join(path) if path else "config"
        return ConfigError("%s: %s" % (where, text), self.name)

    # -- values -------------------------------------------------------------

    def scalar(self, path: List[str], value: Any) -> str:
        if isinstance(value, bool):
            return "yes" if value else "no"
        if isinstance(value, int):
            if value < 0:
                raise self.error(path, "must not be negative (got %d)" % value)
            return str(value)
        if isinstance(value, str):
            return value
        raise self.error(path, "expected a string, a number or a boolean, got %s" % _type_name(value))

    def boolean(self, path: List[str], value: Any) -> str:
        if isinstance(value, bool):
            return "yes" if value else "no"
        word = str(value).lower() if isinstance(value, (int, str)) else None
        if word in _TRUE_WORDS:
            return "yes"
        if word in _FALSE_WORDS:
            return "no"
        raise self.error(path, "expected a boolean (yes/no), got %s" % (
            "'%s'" % value if isinstance(value, (int, str)) else _type_name(value)))

    def integer(self, path: List[str], value: Any) -> str:
        if isinstance(value, bool):
            raise self.error(path, "expected an integer, got a boolean")
        if isinstance(value, (int, str)):
            return self.scalar(path, value)
        raise self.error(path, "expected an integer, got %s" % _type_name(value))

    def time(self, path: List[str], value: Any) -> str:
        if isinstance(value, bool):
            raise self.error(path, "expected a time (seconds, or like 30m, 1h, 2d), got a boolean")
        if isinstance(value, (int, str)):
            return normalise_time(self.scalar(path, value))
        raise self.error(path, "expected a time (seconds, or like 30m, 1h, 2d), got %s" % _type_name(value))

    def byte_count(self, path: List[str], value: Any) -> str:
        if isinstance(value, bool):
            raise self.error(path, "expected a byte count (like 500M), got a boolean")
        if isinstance(value, (int, str)):
            return normalise_bytes(self.scalar(path, value))
        raise self.error(path, "expected a byte count (like 500M), got %s" % _type_name(value))

    def string_list(self, path: List[str], value: Any) -> List[str]:
        """swanctl splits on commas and strips blanks; a YAML list is split the same way per item."""
        items = value if isinstance(value, (list, tuple)) else [value]
        result: List[str] = []
        for index, item in enumerate(items):
            where = path + [str(index)] if isinstance(value, (list, tuple)) else path
            if isinstance(item, (Mapping, list, tuple)) or item is None or isinstance(item, float):
                raise self.error(where, "expected a list of strings or a comma-separated string, got %s"
                                 % ("null" if item is None else _type_name(item)))
            text = self.scalar(path, item)
            tokens = list_items(text)
            if not tokens:
                # swanctl would drop it silently; an empty address or selector is a mistake, not a wish.
                raise self.error(where, "must not be empty (leave the key out, or set it to null, for the default)")
            result.extend(tokens)
        return result

    def files(self, path: List[str], key: str, value: Any) -> List[bytes]:
        """Certificates or public keys: PEM text, ``0x``/``0s`` blobs, or paths on the managed host."""
        if isinstance(value, str) and "-----BEGIN" not in value:
            items: List[Any] = list(list_items(value))
        elif isinstance(value, (list, tuple)):
            items = list(value)
        else:
            items = [value]
        result: List[bytes] = []
        for index, item in enumerate(items):
            where = path + [str(index)]
            if isinstance(item, bytes):
                result.extend(self._blob(where, key, item))
            elif not isinstance(item, str):
                raise self.error(where, "expected PEM text or a file path, got %s" % _type_name(item))
            elif "-----BEGIN" in item:
                result.extend(self._pem(where, key, item.encode("utf-8", "surrogateescape")))
            else:
                try:
                    raw = decode_prefixed(item)
                except BlobError as error:
                    raise self.error(where, str(error)) from None
                if raw is None:
                    file_path = item if os.path.isabs(item) else os.path.join(self.swanctl_dir, FILE_DIRS[key], item)
                    try:
                        raw = self.reader(file_path)
                    except OSError as error:
                        raise self.error(where, "cannot read '%s' on the managed host: %s" % (file_path, unreadable(error))) from None
                result.extend(self._blob(where, key, raw))
        return result

    def _blob(self, path: List[str], key: str, raw: bytes) -> List[bytes]:
        if pem.is_pem(raw):
            return self._pem(path, key, raw)
        if not raw:
            raise self.error(path, "is empty")
        return [raw]  # DER: sent as is

    def _pem(self, path: List[str], key: str, data: bytes) -> List[bytes]:
        blocks = blocks_of(data)
        if not blocks:
            raise self.error(path, "no complete PEM block found")
        labels, what = (pem.PUBLIC_KEY, "a public key") if key == "pubkeys" else (pem.CERTIFICATE, "a certificate")
        result = []
        for block in blocks:
            if block.label not in labels:
                raise self.error(path, "PEM block '%s' is not %s" % (block.label, what))
            try:
                der = block.der
            except DerError as error:
                raise self.error(path, str(error)) from None
            # Re-wrapped PEM keeps the type the label carries (SPKI or PKCS#1) for the daemon's parsers.
            result.append(pem.der_to_pem(der, block.label).encode("ascii") if key == "pubkeys" else der)
        return result

    # -- sections -----------------------------------------------------------

    def section(self, path: List[str], value: Any, what: str) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise self.error(path, "expected a mapping (%s), got %s" % (what, _type_name(value)))
        return value

    def value(self, level: str, path: List[str], key: str, kind: str, value: Any) -> Any:
        if kind == LIST:
            items = self.string_list(path, value)
            for index, item in enumerate(items):
                self.check_value(level, path + [str(index)], key, item)
            return items
        if kind == FILES:
            return self.files(path, key, value)
        if isinstance(value, (Mapping, list, tuple)):
            raise self.error(path, "expected a single value, got %s" % _type_name(value))
        if kind == BOOL:
            return self.boolean(path, value)
        if kind == INT:
            result = self.integer(path, value)
        elif kind == TIME:
            result = self.time(path, value)
        elif kind == BYTES:
            result = self.byte_count(path, value)
        else:
            result = self.scalar(path, value)
        self.check_value(level, path, key, result)
        return result

    def check_value(self, level: str, path: List[str], key: str, value: str) -> None:
        """Refuse what no strongSwan release from 5.9.0 to 6.0.x parses (values.py); the running release's
        own limits are the connection kind's preflight."""
        if key in ("proposals", "esp_proposals", "ah_proposals"):
            self.check_proposal(path, value)  # the keyword families' hints first
        verdict = value_verdict(level, key, value)
        if isinstance(verdict, Refused):
            raise self.error(path, "invalid value: %s" % verdict)

    def unknown(self, path: List[str], key: str, schema: Mapping[str, str], sections: List[str], value: Any) -> ConfigError:
        if isinstance(value, Mapping):
            return self.error(path + [key], "unknown section" + _suggest(key, sections + list(schema)))
        return self.error(path + [key], "unknown key" + _suggest(key, list(schema) + sections))

    def peer(self, body: Any) -> Dict[str, Any]:
        body = self.section([], body, "the body of connections.<name>")
        out: Dict[str, Any] = {}
        for key, value in body.items():
            key = str(key)
            if value is None:
                continue
            # The daemon tells sections from key/values by element type, so
            # "local_addrs" is a key but a mapping under any local* name is a round.
            if key.lower() == "children":
                children = self.section([key], value, "child name to child")
                out[key] = {}
                for child_name, child_body in children.items():
                    child_name = str(child_name)
                    self.check_name([key], child_name, "a child")
                    if child_body is None:
                        child_body = {}
                    out[key][child_name] = self.plain("child", [key, child_name], child_body, CHILD_KEYS, "a child", [])
                    self.check_child([key, child_name], out[key][child_name])
            elif is_auth_section(key) and (isinstance(value, Mapping) or key not in PEER_KEYS):
                if not isinstance(value, Mapping) and "_" in key and _suggest(key, list(PEER_KEYS)):
                    # remote_addr: a typo of a key, not an authentication round that lacks its body.
                    raise self.error([key], "unknown key%s (a section named local* or remote* is an authentication "
                                            "round and takes a mapping)" % _suggest(key, list(PEER_KEYS)))
                self.check_name([], key, "an authentication round")
                out[key] = self.auth([key], value)
            elif key in PEER_KEYS:
                out[key] = self.value("peer", [key], key, PEER_KEYS[key], value)
            else:
                raise self.unknown([], key, PEER_KEYS, ["children", "local", "remote"], value)
        self.check_peer(out)
        return out

    # -- checks the daemon would fail (or silently bend) at load time ------

    def check_name(self, path: List[str], name: str, what: str) -> None:
        """A section name the daemon accepts: 1 to 255 bytes of printable ASCII."""
        if not name:
            raise self.error(path, "the name of %s must not be empty" % what)
        if len(name) > 255 or not name.isascii() or not name.isprintable():
            raise self.error(path + [name], "the name of %s must be printable ASCII of at most 255 bytes" % what)

    def check_peer(self, out: Mapping[str, Any]) -> None:
        version = out.get("version")
        # The daemon reads it like strtoul(value, NULL, 0): 2, 02 and 0x2 are all IKEv2.
        if version is not None and not (re.match(r"^\s*(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$", version)
                                        and strtoul(version) in (0, 1, 2)):
            raise self.error(["version"], "must be 0 (IKEv1 and IKEv2), 1 (IKEv1) or 2 (IKEv2), got '%s'" % version)
        for key in ("local_addrs", "remote_addrs"):
            for index, item in enumerate(out.get(key) or []):
                self.check_selector([key, str(index)], item)
        for index, item in enumerate(out.get("proposals") or []):
            self.check_proposal(["proposals", str(index)], item)

    def check_child(self, path: List[str], child: Mapping[str, Any]) -> None:
        for key in ("local_ts", "remote_ts"):
            for index, item in enumerate(child.get(key) or []):
                self.check_selector(path + [key, str(index)], item)
        for key in ("esp_proposals", "ah_proposals"):
            for index, item in enumerate(child.get(key) or []):
                self.check_proposal(path + [key, str(index)], item)

    def check_selector(self, path: List[str], value: str) -> None:
        problem = subnet_problem(value)
        if problem:
            raise self.error(path, problem)

    def check_proposal(self, path: List[str], value: str) -> None:
        problem = proposal_problem(value)
        if problem:
            raise self.error(path, problem)

    def auth(self, path: List[str], value: Any) -> Dict[str, Any]:
        body = self.section(path, value, "an authentication round")
        out: Dict[str, Any] = {}
        for key, item in body.items():
            key = str(key)
            if item is None:
                continue
            if is_cert_section(key) and isinstance(item, Mapping):
                self.check_name(path, key, "a certificate section")
                out[key] = self.plain("cert", path + [key], item, CERT_KEYS, "a certificate section", [])
            elif key in AUTH_KEYS:
                out[key] = self.value("auth", path + [key], key, AUTH_KEYS[key], item)
            else:
                raise self.unknown(path, key, AUTH_KEYS, ["cert", "cacert"], item)
        return out

    def plain(self, level: str, path: List[str], value: Any, schema: Mapping[str, str], what: str,
              sections: List[str]) -> Dict[str, Any]:
        body = self.section(path, value, what)
        out: Dict[str, Any] = {}
        for key, item in body.items():
            key = str(key)
            if item is None:
                continue
            if key not in schema:
                raise self.unknown(path, key, schema, sections, item)
            out[key] = self.value(level, path + [key], key, schema[key], item)
        return out


def canonical_connection(name: str, body: Any, reader: Optional[Reader] = None,
                         swanctl_dir: Optional[str] = None) -> Dict[str, Any]:
    """The load-conn message body for ``connections.<name>`` = ``body``.

    Keys keep their order (auth rounds and children are ordered for the
    daemon); ``null`` values are left out; list keys are lists of stripped
    strings; booleans are ``yes``/``no``; numbers decimal strings; simple times
    and byte counts are converted to the number the daemon reads; certificates
    and public keys are read (``reader``, default: the local file system) and
    sent as DER (certificates) or PEM (public keys). Raises :class:`ConfigError`.
    """
    if not isinstance(name, str) or not name:
        raise ConfigError("the connection name must be a non-empty string")
    if len(name.encode("utf-8")) > 255 or not name.isprintable() or not name.isascii():
        raise ConfigError("the name must be printable ASCII of at most 255 bytes", name)
    return _Canonicaliser(name, reader, swanctl_dir).peer(body if body is not None else {})


def auth_rounds(message: Mapping[str, Any], local: bool) -> List[Mapping[str, Any]]:
    """The auth round sections of one side in the order the daemon uses: by ``round``, then message order."""
    prefix = "local" if local else "remote"
    rounds = [(index, body) for index, (key, body) in enumerate(message.items())
              if key.lower().startswith(prefix) and isinstance(body, Mapping)]

    def order(entry: Tuple[int, Mapping[str, Any]]) -> Tuple[int, int]:
        return (strtoul(str(entry[1].get("round", "0"))), entry[0])

    return [entry[1] for entry in sorted(rounds, key=order)]


def strtoul(value: str) -> int:
    """The number C's strtoul(value, NULL, 0) reads (hex 0x.., octal 0.., decimal); 0 where it reads none."""
    match = re.match(r"^\s*(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)", value)
    if not match:
        return 0
    text = match.group(1)
    if text[:2].lower() == "0x":
        return int(text[2:], 16)
    if text.startswith("0"):
        return int(text, 8)
    return int(text)


def describe_blob(key: str, data: Union[bytes, str]) -> str:
    """A short, safe description of certificate or public key data for diffs (never the data)."""
    raw = data if isinstance(data, bytes) else data.encode("utf-8")
    digest = hashlib.sha256(raw).hexdigest()[:16]
    if key != "pubkeys":
        info = describe_certificate(raw)
        if info:
            return "<certificate subject='%s' serial=%s sha256:%s>" % (info["subject"], info["serial"], digest)
        return "<certificate %d bytes sha256:%s>" % (len(raw), digest)
    return "<public key %d bytes sha256:%s>" % (len(raw), digest)
