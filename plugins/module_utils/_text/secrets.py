# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What a secret looks like when hidden, and which keys hold secrets. PRIVATE to the collection.

The one definition of both, for every layer (standard library only, imports nothing of the collection):

* :data:`MASK`, the text that stands for a secret in diffs, results, error messages and the ledger;
* :data:`MESSAGE_SECRET_PATHS`, where each VICI load command carries secrets. It is the rule: the Kinds
  declare their ``secret_paths`` from it (:func:`message_secret_paths`), and the command module masks by it
  (:func:`is_secret_message_key`, together with :data:`SECRET_KEYS` for requests of any command);
* :data:`TREE_SECRET_KEYS`, the same secrets as they appear in ``config``'s tree and in swanctl.conf, per tree
  section: the keys whose values become a Kind's secret paths once the tree is turned into messages (the
  tests hold it against the Kinds; masking does not use it, see the next);
* :data:`SECRETS_PLAIN_KEYS`, the rule masking follows (``config``'s arguments, ``config_info``'s result), the
  converse one: in a ``secrets`` entry only these keys are known not to be secret, and every other value
  (``secret``, ``pin``, a misspelt ``secert``) is masked;
* how secret values are hidden in text: :func:`scrub` replaces them inside prose only when they are at least
  :data:`SCRUB_MIN_CHARS` long, :func:`hide_exact` replaces values that stand whole anywhere in a result.

Masking values where they are (by key, in ``invocation``, diffs and results) is the rule; replacing a secret's
text inside prose is belt and braces, and for a short secret (``x``, a 4-digit PIN) it would garble every message
that happens to contain those letters (``is not v********lid UTF-8 text``), so it is not done for those.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Dict, FrozenSet, Iterable, List, Optional, Tuple

#: What a secret looks like in diffs, results, error messages and the ledger.
MASK = "********"

#: Secret values shorter than this are never replaced inside text (messages, warnings), only where they stand
#: whole: in prose they would match parts of ordinary words and paths. As long as the mask itself.
SCRUB_MIN_CHARS = 8

# -- VICI messages ---------------------------------------------------------------------------------------------

#: Where each load command's message holds secrets: paths (tuples of keys) from the message's top level.
#: A shared secret's ``data`` is the key itself, a private key's ``data`` the unencrypted key, a token's ``pin``
#: opens it. load-token has no ``data``; one added to such a request is masked as load-key's is.
MESSAGE_SECRET_PATHS: Dict[str, Tuple[Tuple[str, ...], ...]] = {
    "load-shared": (("data",),),
    "load-key": (("data",),),
    "load-token": (("data",), ("pin",)),
}

#: Keys whose values are secrets wherever they appear in the request of any command (any case): the command
#: module cannot know every command's layout, so a name that says "secret" is one.
SECRET_KEYS: FrozenSet[str] = frozenset(("secret", "password", "passphrase", "pin", "psk"))

# Per command, the last key of each of its secret paths (the command module matches keys, not paths).
_SECRET_KEYS_OF_COMMAND: Dict[str, FrozenSet[str]] = {
    command: frozenset(path[-1] for path in paths) for command, paths in MESSAGE_SECRET_PATHS.items()
}


def message_secret_paths(*commands: str) -> Tuple[Tuple[str, ...], ...]:
    """The secret paths of the messages of ``commands`` (a Kind's ``secret_paths``), each once, in order."""
    paths: Tuple[Tuple[str, ...], ...] = ()
    for command in commands:
        paths += tuple(path for path in MESSAGE_SECRET_PATHS[command] if path not in paths)
    return paths


def is_secret_message_key(command: str, key: Optional[str]) -> bool:
    """True when the values under ``key`` (at any depth) are secrets in ``command``'s request."""
    if key is None:
        return False
    return key.lower() in SECRET_KEYS or key in _SECRET_KEYS_OF_COMMAND.get(command, ())


# -- config's tree and swanctl.conf ----------------------------------------------------------------------------

#: Per section of ``config``'s tree (and of swanctl.conf), the keys of an entry that hold secret values; a key
#: ending in ``*`` stands for every key it starts. Each is the tree side of a Kind's secret path:
#: ``secrets.<ike*|eap*|...>.secret`` becomes load-shared's ``data``, ``secrets.<private*|rsa*|...>.secret`` is
#: the passphrase that decrypts load-key's ``data`` (swanctl reads every ``secret*`` key for it),
#: ``secrets.<token*>.pin`` is load-token's ``pin``, and ``private_keys[].content`` and ``passphrase`` are
#: load-key's ``data`` and what decrypts it.
TREE_SECRET_KEYS: Dict[str, Tuple[str, ...]] = {
    "secrets": ("secret*", "pin"),
    "private_keys": ("content", "passphrase"),
}


def is_secret_tree_key(section: str, key: str) -> bool:
    """True when ``key`` of an entry of the tree section ``section`` holds a secret (see :data:`TREE_SECRET_KEYS`)."""
    for pattern in TREE_SECRET_KEYS.get(section, ()):
        if key == pattern or (pattern.endswith("*") and key.startswith(pattern[:-1])):
            return True
    return False


#: Keys of an entry of ``config``'s ``secrets`` section that hold no secret: the owners (``id``, ``id-*``), a key's
#: file and a token's coordinates. ``config`` masks every other key's value in its arguments, known or not, so
#: that a misspelt key (``secert``) or one of a section type it does not know is masked all the same.
SECRETS_PLAIN_KEYS: Tuple[str, ...] = ("id*", "file", "handle", "slot", "module")


def _matches(key: str, patterns: Iterable[str]) -> bool:
    return any(key == pattern or (pattern.endswith("*") and key.startswith(pattern[:-1])) for pattern in patterns)


def is_plain_secrets_key(key: str) -> bool:
    """True when ``key`` of a ``secrets`` entry of ``config``'s arguments holds no secret (see :data:`SECRETS_PLAIN_KEYS`)."""
    return _matches(key, SECRETS_PLAIN_KEYS)


def scrub(text: str, values: Iterable[str]) -> str:
    """``text`` with every secret of ``values`` at least :data:`SCRUB_MIN_CHARS` long replaced by :data:`MASK`."""
    for value in sorted({value for value in values if len(value) >= SCRUB_MIN_CHARS}, key=len, reverse=True):
        text = text.replace(value, MASK)
    return text


def hide_exact(data: Any, values: Iterable[str]) -> Any:
    """A copy of ``data`` (dicts, lists, scalars) with every string or number equal to one of ``values`` masked.

    Only whole values: ``x`` masks a value ``x``, never the ``x`` in ``unix://``. Iterative (any depth).
    """
    hidden = frozenset(values)
    if not hidden:
        return data
    root: List[Any] = [None]
    stack: List[Tuple[Any, Any, Any]] = [(data, root, 0)]
    while stack:
        node, parent, slot = stack.pop()
        if isinstance(node, Mapping):
            copy: Any = {}
            for key, value in node.items():
                copy[key] = None
                stack.append((value, copy, key))
        elif isinstance(node, (list, tuple)):
            copy = [None] * len(node)
            for index, value in enumerate(node):
                stack.append((value, copy, index))
        elif isinstance(node, str) or (isinstance(node, (int, float)) and not isinstance(node, bool)):
            copy = MASK if str(node) in hidden else node
        else:
            copy = node
        parent[slot] = copy
    return root[0]
