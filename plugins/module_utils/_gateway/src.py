# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The config module's ``src``: a gateway tree read from a file on the managed host. PRIVATE to the collection.

Why a file: a tree of thousands of objects passed as task arguments costs ansible-core far more than the
module's own work (templating, tagging and copying every value on the controller, JSON transfer, argument
validation and copies in the module). A path is one short string; the tree is read here, on the managed host.

Formats: swanctl.conf (with its includes, read as swanctl reads them), or JSON / YAML holding the same tree
as the ``tree`` option (``from_swanctl_conf``'s output). Standard library only, except YAML, which needs PyYAML
on the managed host and is imported only when a YAML file is read.

Bounds: the file must be a regular file (a FIFO, a device or a directory is refused before reading, so
``/dev/zero`` cannot fill memory and a FIFO cannot block), at most 16 MiB (``MAX_FILE_BYTES``; at most that
plus one byte is read); JSON and YAML at most 64 levels deep (``MAX_DEPTH``) and 5 million values once YAML aliases are
expanded (``MAX_VALUES``), and a JSON object naming a key
twice is refused (as swanctl.conf's objects defined twice are). swanctl.conf's own bounds (includes,
sections) are in ``_swanctl/syntax.py``. Each refusal names the file.
"""

from __future__ import annotations

import os
from typing import Any, Dict

from .._text.bounded import MAX_DEPTH, MAX_VALUES, BoundError, json_values_bound, loads_json, measure, read_text
from .._text.input import InputError
from .._swanctl.syntax import ConfError, read_file

FORMATS = ("auto", "swanctl_conf", "json", "yaml")
_EXTENSIONS = {".json": "json", ".yml": "yaml", ".yaml": "yaml"}


class SourceError(InputError):
    """The file cannot be read as a tree; the message names the file."""


def source_format(path: str, wanted: str = "auto") -> str:
    """The format to read PATH in: WANTED, or for ``auto`` by extension (.json, .yml/.yaml, else swanctl.conf)."""
    if wanted != "auto":
        return wanted
    return _EXTENSIONS.get(os.path.splitext(path)[1].lower(), "swanctl_conf")


def read_source(path: str, wanted: str = "auto") -> Dict[str, Any]:
    """The tree in the file at PATH (its top-level sections, unchecked: the caller checks them as ``tree``)."""
    fmt = source_format(path, wanted)
    try:
        if fmt == "swanctl_conf":
            tree, _files, _missing = read_file(path)
        else:
            text = read_text(path)
            tree = loads_json(text) if fmt == "json" else _yaml(text)
            # JSON: loads_json checked the depth, and a tree this small in values needs no walk (the walk is for
            # YAML's aliases, which JSON does not have).
            depth, size = (1, 1) if fmt == "json" and json_values_bound(text) <= MAX_VALUES else measure(tree)
            if depth < 0:
                raise ValueError("a dictionary or list contains itself")
            if depth > MAX_DEPTH:
                raise ValueError("nested %d levels deep, more than the limit of %d" % (depth, MAX_DEPTH))
            if size > MAX_VALUES:
                raise ValueError("%d values once aliases are expanded, more than the limit of %d" % (size, MAX_VALUES))
    except BoundError as error:
        raise SourceError("src: %s" % error) from None
    except ConfError as error:
        raise SourceError("src: %s" % error) from None
    except (OSError, UnicodeDecodeError) as error:
        raise SourceError("src: cannot read %s (or a file it includes): %s" % (path, error)) from None
    except ValueError as error:  # json.JSONDecodeError, and yaml's errors re-raised as ValueError
        raise SourceError("src: %s is not valid %s: %s" % (path, fmt.upper(), error)) from None
    except RecursionError:  # YAML nested too deep for its (recursive) composer
        raise SourceError("src: %s is nested more than %d levels deep" % (path, MAX_DEPTH)) from None
    if tree is None:
        return {}
    if not isinstance(tree, dict):
        raise SourceError("src: %s must hold a dictionary of swanctl.conf sections, not %s" % (path, type(tree).__name__))
    return tree


def _yaml(text: str) -> Any:
    try:
        import yaml  # pylint: disable=import-outside-toplevel
    except ImportError:
        raise SourceError("src: reading YAML needs PyYAML on the managed host; use JSON or swanctl.conf, or "
                          "install it (python3-yaml)") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ValueError(str(error)) from None


#: The sections the config action plugin may ship in its transfer file (see plugins/action/config.py).
TRANSFER_SECTIONS = ("connections", "secrets", "pools", "authorities", "tree")


def read_transfer(path: str) -> Dict[str, Any]:
    """The tree options the config action plugin wrote to PATH (JSON; each a dictionary), with the same bounds as ``src``."""
    try:
        sections = loads_json(read_text(path))
    except BoundError as error:
        raise SourceError("the tree sent by the controller: %s" % error) from None
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise SourceError("cannot read the tree sent by the controller (%s): %s" % (path, error)) from None
    if not isinstance(sections, dict) or any(name not in TRANSFER_SECTIONS or not isinstance(value, dict)
                                             for name, value in sections.items()):
        raise SourceError("the tree sent by the controller (%s) is not one the config action wrote" % path)
    return sections
