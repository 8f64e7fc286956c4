# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Private keys as daemon objects: load-key, load-token, unload-key. PRIVATE to the collection.

The daemon names every key it holds by its key id (see :mod:`._pki.keys`,
which parses keys and computes ids). get-keys lists those ids, so a key
computed locally to have id X is "present" exactly when X is listed: no
ledger is needed (presence is identity). A key on a PKCS#11 token has no
public key to read here: its id is learnt from load-token's reply.

Key material, PINs and passphrases never appear in messages raised from here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, Mapping, Optional, Tuple

from .._text.input import InputError
from .._pki.keys import PrivateKey, load_private_key, private_key_from_pkcs12
from .._pki.pkcs12 import container_bytes
from .._pki.source import read_source, token_reference
from .._engine.ledger import Ledger
from .._engine.kind import Change, Item, Kind
from .._text.secrets import message_secret_paths
from ..vici.session import Session

if TYPE_CHECKING:
    from .._base import ViciModule


def key_message(key: PrivateKey) -> Dict[str, Any]:
    """The load-key message: the real key type and unencrypted DER, as swanctl sends them."""
    return {"type": key.key_type, "data": key.der}


def token_message(handle: str, slot: Optional[int], module: Optional[str], pin: Optional[str]) -> Dict[str, Any]:
    """The load-token message for a key on a PKCS#11 token."""
    message = token_reference(handle, slot, module)
    if pin:
        message["pin"] = pin
    return message


def normalize_key_id(key_id: str) -> str:
    """A key id as get-keys prints it: 40 lowercase hex digits (colons and 0x accepted)."""
    text = str(key_id).strip().lower().replace(":", "")
    if text.startswith("0x"):
        text = text[2:]
    if len(text) != 40 or any(char not in "0123456789abcdef" for char in text):
        raise InputError("id: '%s' is not a key id (40 hex digits, the SHA-1 of the public key, as get-keys shows)" % key_id)
    return text


TOKEN_LEDGER_KIND = "private_key_token"

#: The argument spec of a key file, typed once: the private_key module's options (plus the token's ``handle``,
#: ``slot``, ``module``, ``pin``, and ``id`` and ``state``) and the suboptions of the config module's
#: ``private_keys`` items.
KEY_FILE_OPTIONS: Dict[str, Dict[str, Any]] = {
    "content": {"type": "str", "no_log": True},
    "path": {"type": "path"},
    "passphrase": {"type": "str", "no_log": True},
}


def _token_identity(message: Mapping[str, Any]) -> Dict[str, Any]:
    # The PIN is not part of a token key's identity: the same key under a new PIN is the same key.
    return {key: message[key] for key in ("handle", "slot", "module") if key in message}


class TokenKeys:
    """Which key id a token key has, learnt from load-token's reply and kept in the ledger.

    A key on a token has no public key we could read without a PKCS#11
    library, so its id is only known once the daemon loaded it. The ledger
    (per daemon instance: a restart forgets it, and the key) maps the token
    object's keyed fingerprint to that id.
    """

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    def _fingerprint(self, message: Mapping[str, Any]) -> str:
        return self.ledger.fingerprint(_token_identity(message))

    def known_id(self, message: Mapping[str, Any]) -> Optional[str]:
        entry = self.ledger.get(TOKEN_LEDGER_KIND, self._fingerprint(message))
        key_id = (entry or {}).get("message", {}).get("id")
        return key_id if isinstance(key_id, str) else None

    def remember(self, message: Mapping[str, Any], key_id: str) -> None:
        fingerprint = self._fingerprint(message)
        self.ledger.record(TOKEN_LEDGER_KIND, fingerprint, fingerprint, dict(_token_identity(message), id=key_id))
        self.ledger.save()

    def forget(self, message: Mapping[str, Any]) -> None:
        self.ledger.forget(TOKEN_LEDGER_KIND, self._fingerprint(message))
        self.ledger.save()


class PrivateKeyKind(Kind):
    """load-key / load-token / unload-key / get-keys; an object's name is its key id."""

    label = "private_key"
    listing = (("get-keys", None),)
    secret_paths = message_secret_paths("load-key", "load-token")
    presence_is_identity = True
    not_found = "key not found"

    def __init__(self, tokens: Optional[TokenKeys] = None, token_messages: Optional[Mapping[str, Mapping[str, Any]]] = None) -> None:
        #: Where the ids of token keys loaded by a plan are remembered (None: the caller does it).
        self.tokens = tokens
        #: The token keys' messages by item name (a token key's name is a placeholder until it is loaded).
        self.token_messages = dict(token_messages or {})

    def after_load(self, change: Change, reply: Mapping[str, Any]) -> Optional[str]:
        key_id = reply.get("id")
        if not isinstance(key_id, str):
            return None
        message = self.token_messages.get(change.name)
        if self.tokens is not None and message is not None:
            self.tokens.remember(message, key_id)
        return key_id

    def snapshot(self, session: Session) -> Dict[str, Any]:
        return {key_id: {"id": key_id} for key_id in session.get_keys().get("keys", [])}

    def send_load(self, session: Session, name: str, message: Mapping[str, Any]) -> Dict[str, Any]:
        if "handle" in message:
            return session.load_token(message["handle"], message.get("slot"), message.get("module"), message.get("pin"))
        return session.load_key(message["type"], message["data"])

    def send_unload(self, session: Session, name: str) -> None:
        session.unload_key(name)

    def describe_reported(self, name: str, reported: Any) -> Dict[str, Any]:
        return {"id": name}


def desired_key(
    state: str,
    content: Optional[str] = None,
    path: Optional[str] = None,
    passphrase: Optional[str] = None,
    handle: Optional[str] = None,
    slot: Optional[int] = None,
    module: Optional[str] = None,
    pin: Optional[str] = None,
    key_id: Optional[str] = None,
    tokens: Optional[TokenKeys] = None,
) -> Tuple[Item, Dict[str, Any]]:
    """The key the user wants as a plan item (name = key id) plus what is known of it for the result.

    A token key whose id is not known yet (neither given as ``key_id`` nor
    learnt into the ledger) gets a placeholder name no key id can equal, so it
    is loaded, and the reply tells its id.
    """
    expected = normalize_key_id(key_id) if key_id else None
    info: Dict[str, Any] = {}
    if handle:
        message = token_message(handle, slot, module, pin)
        name = expected or (tokens.known_id(message) if tokens else None)
        if name is None:
            if state == "absent":
                raise InputError("id: the key id of the token key '%s' is not known (it was not loaded by this "
                                 "collection into this daemon instance); give id" % message["handle"])
            name = "token:%s" % message["handle"]
        info["source"] = "token"
    elif content or path:
        data, field = read_source(content, path)
        container = container_bytes(data)
        key = private_key_from_pkcs12(container, passphrase, field) if container else load_private_key(data, passphrase, field)
        if expected and expected != key.key_id:
            raise InputError("id: '%s' is not the id of the given key (%s)" % (key_id, key.key_id))
        message, name = key_message(key), key.key_id
        info.update(type=key.key_type, size=key.size)
    elif expected and state == "absent":
        return Item(expected, None), {"id": expected}
    else:
        raise InputError("one of content, path or handle is needed%s" % (" (or id to remove a key)" if state == "absent" else ""))
    if not name.startswith("token:"):
        info["id"] = name
    return Item(name, None if state == "absent" else message), info


def check_loaded_id(item: Item, reply: Mapping[str, Any]) -> Optional[str]:
    """Why the daemon's reply to load-key contradicts the id computed locally, or None."""
    reported = reply.get("id")
    if isinstance(reported, str) and not item.name.startswith("token:") and reported != item.name:
        return ("the daemon reports key id %s for the loaded key, but %s was expected; the key is loaded, "
                "but this collection cannot tell whether it is up to date (please report this)" % (reported, item.name))
    return None


def run_module(vici: ViciModule) -> None:
    """The private_key module: one key (from content, a file or a token), present or absent."""
    params = vici.params
    tokens = TokenKeys(vici.ledger) if params["handle"] else None
    item, info = desired_key(params["state"], params["content"], params["path"], params["passphrase"],
                             params["handle"], params["slot"], params["module"], params["pin"], params["id"], tokens)
    kind = PrivateKeyKind()
    changes, replies = vici.converge(kind, [item])
    if replies:
        problem = check_loaded_id(item, replies[0])
        if problem:
            vici.fail(problem, id=replies[0].get("id"))
        info["id"] = replies[0].get("id", info.get("id"))
    if tokens is not None and not vici.check_mode and changes[0].action:
        if item.message is not None and info.get("id"):
            tokens.remember(item.message, info["id"])
        elif item.message is None:
            tokens.forget(token_message(params["handle"], params["slot"], params["module"], None))
    change = changes[0]
    if change.action is None and item.message is not None:
        change = change._replace(before=change.after)  # listed means identical: the name is the key id
    vici.exit_change(kind, change, **info)
