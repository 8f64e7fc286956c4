# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Read a host's swanctl configuration the way ``swanctl --load-all`` does. PRIVATE to the collection.

Standard library only. Follows ``src/swanctl/swanctl.c`` and ``src/swanctl/commands/load_*.c``:

* the swanctl directory is the directory of the swanctl.conf read (``--file``), includes relative to the
  including file; an include that matches no file is skipped (strongSwan's glob finds nothing);
* credentials are the regular files (symbolic links followed; dot files too, only ``.`` and ``..`` are
  skipped) directly inside ``x509/``, ``x509ca/``, ``x509ocsp/``, ``x509aa/``, ``x509ac/``, ``x509crl/``,
  ``pubkey/`` (certificates) and ``private/``, ``rsa/``, ``ecdsa/``, ``pkcs8/``, ``pkcs12/`` (private keys);
  no sub-directories;
* relative ``certs``, ``cacerts`` and ``pubkeys`` of a connection are files in ``x509/``, ``x509ca/`` and
  ``pubkey/``; ``0x``/``0s`` values are data, not files; an authority's relative ``cacert`` is in ``x509ca/``;
* an encrypted key's passphrase is the ``secret*`` of every ``secrets`` section whose name starts with the key's
  directory name (``private-x``, ``rsa-x`` ...) and whose ``file`` equals the key's file name (ignoring case).
  Such a key is left to that section (the config module loads ``secrets.private-x`` as the key file ``file``
  with the passphrase ``secret``), so ``private_keys`` lists only the keys no section names.

Bounded: swanctl.conf and its includes are read as ``_swanctl/syntax.py`` reads them (regular files only,
16 MiB each, 64 MiB and 10 000 files in all, includes 16 and sections 64 deep, no include cycles).

Private key files are never opened. Secret values (``secret*`` and ``pin`` keys of ``secrets``) are left out
unless the caller asks for them.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional, Sequence, Tuple

from .._swanctl.schema import list_items
from .._swanctl.syntax import SWANCTL_SECTIONS as SECTIONS, ConfError, read_file
from .._text.input import UserError
from .._text.secrets import is_plain_secrets_key

if TYPE_CHECKING:
    from ansible.module_utils.basic import AnsibleModule

#: Certificate directories in swanctl's load order, with the certificate module's type and flag.
CERT_DIRS: Tuple[Tuple[str, str, Optional[str]], ...] = (
    ("x509", "x509", "none"),
    ("x509ca", "x509", "ca"),
    ("x509ocsp", "x509", "ocsp"),
    ("x509aa", "x509", "aa"),
    ("x509ac", "x509_ac", None),
    ("x509crl", "x509_crl", None),
    ("pubkey", "pubkey", None),
)
#: Private key directories in swanctl's load order (pkcs12 holds containers: key plus certificates).
KEY_DIRS = ("private", "rsa", "ecdsa", "pkcs8", "pkcs12")
#: Where swanctl looks for a relative file name of these connection keys (exact key names: load_conns.c).
FILE_LIST_DIRS = {"certs": "x509", "cacerts": "x509ca", "pubkeys": "pubkey"}


class ConfigReadError(Exception):
    """The configuration cannot be read; the message names the file."""


def _regular_files(directory: str) -> List[str]:
    """Regular files directly in DIRECTORY (symbolic links followed), sorted; [] when it does not exist."""
    try:
        names = os.listdir(directory)
    except FileNotFoundError:
        return []
    except OSError as error:
        raise ConfigReadError("cannot list %s: %s" % (directory, error.strerror or error)) from None
    return sorted(name for name in names if os.path.isfile(os.path.join(directory, name)))


def _resolve_file_list(value: str, directory: str) -> str:
    items = [item.strip(" ") for item in value.split(",")]
    items = [item for item in items if item]
    if all(os.path.isabs(item) or item[:2].lower() in ("0x", "0s") for item in items):
        return value
    return ", ".join(item if os.path.isabs(item) or item[:2].lower() in ("0x", "0s")
                     else os.path.join(directory, item) for item in items)


def _resolve_connection(body: Dict[str, Any], swanctl_dir: str) -> None:
    for key, value in body.items():
        if isinstance(value, dict):
            _resolve_connection(value, swanctl_dir)
        elif key in FILE_LIST_DIRS and isinstance(value, str):
            body[key] = _resolve_file_list(value, os.path.join(swanctl_dir, FILE_LIST_DIRS[key]))


def read_config(path: str, resolve_paths: bool = True, include_secrets: bool = False) -> Dict[str, Any]:
    """The configuration ``swanctl --load-all --file PATH`` would load, as data.

    Returns connections, secrets, pools, authorities (section bodies), certificates, private_keys and pkcs12
    (file paths), files (every file read), missing_includes, merged (objects defined twice), ignored (other
    top-level names swanctl does not read), swanctl_dir, path, secrets_included and
    secret_values_left_out (how many were left out). Raises ConfigReadError naming the file.
    """
    path = os.path.abspath(path)
    if not os.path.exists(path):
        raise ConfigReadError("%s: no such file" % path)
    try:
        merged: List[str] = []
        tree, files_read, missing_includes = read_file(path, merged)
    except ConfError as error:
        raise ConfigReadError(str(error)) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigReadError("cannot read %s (or a file it includes): %s" % (path, error)) from None
    swanctl_dir = os.path.dirname(path)
    result = _sections(tree, path)
    result["ignored"] = sorted(name for name in tree if name not in SECTIONS)
    result["files"] = files_read
    result["missing_includes"] = missing_includes
    result["merged"] = merged

    if resolve_paths:
        _resolve_paths(result, swanctl_dir)
    result["certificates"] = _certificates(swanctl_dir)
    result["private_keys"], result["pkcs12"] = _keys(result["secrets"], swanctl_dir, resolve_paths)

    result["secret_values_left_out"] = 0
    if not include_secrets:
        result["secret_values_left_out"] = count_secret_values(result["secrets"])
        result["secrets"] = hide_secret_values(result["secrets"])
    result["secrets_included"] = include_secrets
    result["swanctl_dir"] = swanctl_dir
    result["path"] = path
    return result


def _sections(tree: Mapping[str, Any], path: str) -> Dict[str, Any]:
    """The sections swanctl reads, each a section of sections; a key where a section belongs is an error."""
    result: Dict[str, Any] = {}
    for name in SECTIONS:
        section = tree.get(name, {})
        if not isinstance(section, dict):
            raise ConfigReadError("%s: '%s' must be a section, not a key" % (path, name))
        for entry, body in section.items():
            if not isinstance(body, dict):
                raise ConfigReadError("%s: %s.%s must be a section, not a key" % (path, name, entry))
        result[name] = section
    return result


def _resolve_paths(result: Mapping[str, Any], swanctl_dir: str) -> None:
    """Relative file names of connections and authorities as the paths swanctl reads (in place)."""
    for body in result["connections"].values():
        _resolve_connection(body, swanctl_dir)
    for body in result["authorities"].values():
        cacert = body.get("cacert")
        if isinstance(cacert, str) and cacert and not os.path.isabs(cacert):
            body["cacert"] = os.path.join(swanctl_dir, "x509ca", cacert)


def _certificates(swanctl_dir: str) -> List[Dict[str, str]]:
    certificates = []
    for directory, cert_type, flag in CERT_DIRS:
        for name in _regular_files(os.path.join(swanctl_dir, directory)):
            item = {"path": os.path.join(swanctl_dir, directory, name), "type": cert_type}
            if flag is not None:
                item["flag"] = flag
            certificates.append(item)
    return certificates


def _keys(secrets: Mapping[str, Any], swanctl_dir: str,
          resolve_paths: bool) -> Tuple[List[Dict[str, Any]], List[Dict[str, Any]]]:
    """(private_keys, pkcs12): the key files and the containers; with ``resolve_paths``, the ``file`` of the
    ``secrets`` sections that name a key is set to the file's own name (in place)."""
    # A key that a secrets section names (its passphrase) is loaded through that section, as the config module
    # does it: listing it in private_keys as well would give the same key twice.
    private_keys: List[Dict[str, Any]] = []
    containers: List[Dict[str, Any]] = []
    for directory in KEY_DIRS:
        for name in _regular_files(os.path.join(swanctl_dir, directory)):
            path_of_key = os.path.join(swanctl_dir, directory, name)
            named_by = passphrase_sections(secrets, directory, name)
            if directory == "pkcs12":
                containers.append({"path": path_of_key, "passphrase_secrets": named_by})
                continue
            if resolve_paths:
                for section in named_by:  # swanctl compares ignoring case; a file system may not
                    secrets[section]["file"] = name
            if not named_by:
                private_keys.append({"path": path_of_key})
    return private_keys, containers


def passphrase_sections(secrets: Mapping[str, Any], directory: str, name: str) -> List[str]:
    """The secrets sections swanctl takes a key's passphrase from: name starts with DIRECTORY, file == NAME (any case)."""
    return [section for section, body in secrets.items()
            if section.startswith(directory) and isinstance(body.get("file"), str) and body["file"].lower() == name.lower()]


def hide_secret_values(secrets: Mapping[str, Any]) -> Dict[str, Any]:
    """SECRETS without their secret values: every key but the plain ones (``id*``, ``file``, ``handle``, ``slot``,
    ``module``: see ``SECRETS_PLAIN_KEYS``) is left out, a misspelt one too; owners, files and handles stay."""
    return {name: {key: value for key, value in body.items() if is_plain_secrets_key(str(key))}
            if isinstance(body, Mapping) else {} for name, body in secrets.items()}


def count_secret_values(secrets: Mapping[str, Any]) -> int:
    return sum(sum(1 for key in body if not is_plain_secrets_key(str(key))) if isinstance(body, Mapping) else 1
               for body in secrets.values())


def warnings_for(result: Mapping[str, Any]) -> List[str]:
    """What the user should know about a configuration read_config returned."""
    warnings = []
    if result["secret_values_left_out"]:
        warnings.append("%d secret values of 'secrets' are left out; run the task with 'no_log: true' to get them "
                        "(Ansible then keeps the result out of its output)" % result["secret_values_left_out"])
    for pattern in result["missing_includes"]:
        warnings.append("%s: an include names %s, which does not exist; skipped, as swanctl does" % (result["path"], pattern))
    for where in result["merged"]:
        warnings.append("%s; merged as swanctl does, define it once" % where)
    if result["pkcs12"]:
        warnings.append("%d PKCS#12 containers in %s/pkcs12 are listed in 'pkcs12' only; the config module cannot load "
                        "them (extract the key and certificates)" % (len(result["pkcs12"]), result["swanctl_dir"]))
    if result["ignored"]:
        warnings.append("%s: swanctl does not read the top-level %s %s" % (
            result["path"], "entry" if len(result["ignored"]) == 1 else "entries", ", ".join(result["ignored"])))
    return warnings


#: The child keys the health module takes from a swanctl.conf (nothing else of the file is kept).
DECLARED_CHILD_KEYS = ("start_action", "esp_proposals")


def declared_children(paths: Sequence[str], option: str = "swanctl_conf") -> Dict[str, Dict[str, Dict[str, Any]]]:
    """Per connection of the ``connections`` sections of the swanctl.conf files PATHS, its children's declared
    ``start_action`` and ``esp_proposals`` (a list, split as swanctl splits it), in the form of the load-conn
    message the ledger keeps; a later file's connection replaces an earlier one's, as loading them in that order
    would. Only these two keys are kept: nothing of ``secrets`` (or of any other section) is returned.

    Read as swanctl reads them (includes, templates, a connection defined twice merged). Raises UserError naming
    OPTION and the file when one cannot be read or is not a swanctl.conf.
    """
    found: Dict[str, Dict[str, Dict[str, Any]]] = {}
    for path in paths:
        if not isinstance(path, str) or not path.strip():
            raise UserError("%s: every item must be the path of a swanctl.conf file, got %r" % (option, path))
        where = os.path.abspath(path)
        if not os.path.isfile(where):
            problem = "not a regular file" if os.path.exists(where) else "no such file"
            raise UserError("%s: %s: %s" % (option, where, problem))
        try:
            tree, _files, _missing = read_file(where, [])
        except ConfError as error:
            raise UserError("%s: %s is not a readable swanctl.conf: %s" % (option, where, error)) from None
        except (OSError, UnicodeDecodeError) as error:
            reason = getattr(error, "strerror", None) or error
            raise UserError("%s: cannot read %s (or a file it includes): %s" % (option, where, reason)) from None
        connections = tree.get("connections", {})
        if not isinstance(connections, dict):
            raise UserError("%s: %s: 'connections' must be a section, not a key" % (option, where))
        for name, body in connections.items():
            if not isinstance(body, dict):
                raise UserError("%s: %s: connections.%s must be a section, not a key" % (option, where, name))
            children = body.get("children", {})
            if not isinstance(children, dict):
                raise UserError("%s: %s: connections.%s.children must be a section, not a key" % (option, where, name))
            found[str(name)] = {str(child): _declared_child(config) for child, config in children.items()
                                if isinstance(config, dict)}
    return found


def _declared_child(config: Mapping[str, Any]) -> Dict[str, Any]:
    declared: Dict[str, Any] = {}
    for key in DECLARED_CHILD_KEYS:
        value = config.get(key)
        if isinstance(value, str):
            declared[key] = list_items(value) if key == "esp_proposals" else value.strip()
    return declared


def run(module: AnsibleModule) -> None:
    """The config_info module: read the configuration, warn about what swanctl would do silently, exit."""
    try:
        result = read_config(module.params["path"], module.params["resolve_paths"], include_secrets=module.no_log)
    except ConfigReadError as error:
        module.fail_json(msg=str(error))
        return
    for warning in warnings_for(result):
        module.warn(warning)
    module.exit_json(changed=False, **result)
