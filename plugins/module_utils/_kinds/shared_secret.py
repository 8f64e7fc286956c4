# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared secrets as daemon objects. PRIVATE to the collection."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional, Union

from .._text.input import InputError
from .._pki.source import BlobError, decode_prefixed
from .._engine.kind import Item, Kind
from .psk_proof import loaded_psk, psk_proof
from .._text.secrets import message_secret_paths
from ..vici.session import Session

if TYPE_CHECKING:
    from .._base import ViciModule

SHARED_SECRET_TYPES = ("ike", "eap", "xauth", "ntlm", "ppk")

__all__ = ["SHARED_SECRET_TYPES", "SharedSecretKind", "decode_secret", "run_module", "shared_secret_message"]


def decode_secret(secret: str) -> Union[str, bytes]:
    """A secret as swanctl reads it: ``0x`` hex and ``0s`` base64 are decoded, anything else is raw."""
    try:
        decoded = decode_prefixed(secret)
    except BlobError as error:
        # Say which encoding is wrong, never the value.
        raise InputError("secret starts with '%s' but is not valid %s" % (error.prefix, error.encoding)) from None
    return secret if decoded is None else decoded


#: The one rule for a shared secret without owners (the shared_secret module and config's secrets sections): refused.
#: ``%s`` is how the caller's input names an owner of every identity.
OWNERLESS = ("no owners: a secret without owners matches every identity, so the daemon offers it to every peer; "
             "if that is what you want, say so with %s")


def shared_secret_message(secret_id: str, secret_type: str, secret: str, owners: Optional[List[str]],
                          any_owner: str = "owners: ['%any']") -> Dict[str, Any]:
    """The load-shared message for one secret, in canonical form.

    A secret without owners is refused (:data:`OWNERLESS`, ending with ``any_owner``): ``%any`` says it.
    """
    if not secret_id:
        raise InputError("id must not be empty: without an id the daemon can neither list nor unload the secret")
    if secret_type not in SHARED_SECRET_TYPES:
        raise InputError("type must be one of %s, not '%s'" % (", ".join(SHARED_SECRET_TYPES), secret_type))
    if not secret:
        raise InputError("secret must not be empty")
    if not owners:
        raise InputError(OWNERLESS % any_owner)
    message: Dict[str, Any] = {"id": secret_id, "type": secret_type.upper(), "data": decode_secret(secret)}
    for index, owner in enumerate(owners):
        if not str(owner).strip():
            raise InputError("owners[%d]: must not be empty (an owner is an identity, for example gw.example.com "
                             "or %%any)" % index)
    message["owners"] = [str(owner) for owner in owners]
    return message


class SharedSecretKind(Kind):
    """load-shared / unload-shared / get-shared. The daemon shows ids only."""

    label = "shared_secret"
    listing = (("get-shared", None),)
    secret_paths = message_secret_paths("load-shared")

    def snapshot(self, session: Session) -> Dict[str, Any]:
        return {secret_id: {"id": secret_id} for secret_id in session.get_shared().get("keys", [])}

    def send_load(self, session: Session, name: str, message: Mapping[str, Any]) -> Dict[str, Any]:
        return session.load_shared(message["type"], message["data"], message["id"], message.get("owners"))

    def send_unload(self, session: Session, name: str) -> None:
        # unload-shared succeeds for unknown ids too: no not-found rule.
        session.unload_shared(name)


def run_module(vici: ViciModule) -> None:
    """The shared_secret module: one secret, present or absent."""
    params = vici.params
    message = None
    if params["state"] == "present":
        message = shared_secret_message(params["id"], params["type"], params["secret"], params["owners"])
    kind = SharedSecretKind()
    changes, _replies = vici.converge(kind, [Item(params["id"], message)])
    loaded = loaded_psk(params["id"], changes[0])
    proof = psk_proof(vici.session, [loaded]) if loaded else []
    vici.exit_change(kind, changes[0], id=params["id"], **({"psk_proof": proof} if proof else {}))
