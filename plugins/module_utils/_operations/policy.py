# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The policy module: the trap, pass or drop policy of a child, installed or not. PRIVATE to the collection.

``list-policies`` is read first, so that ``install`` and ``uninstall`` are
sent only when they change something.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, Optional

from .sa import Target, config_problem
from ..vici.errors import ViciCommandFailed
from ..vici.session import Session, is_success

if TYPE_CHECKING:
    from .._base import ViciModule

Policy = Dict[str, Any]


def find_policy(session: Session, child: str, ike: Optional[str]) -> Optional[Policy]:
    """The installed trap/pass/drop policy of ``child`` (in ``ike``), with its ``<ike>/<child>`` key."""
    for event in session.list_policies(child=child, ike=ike, trap=True, drop=True, pass_=True):
        for key, body in event.items():
            if not isinstance(body, dict):
                continue
            # Filter here too: daemons before 5.9.6 ignore some filters.
            if body.get("child", key.rsplit("/", 1)[-1]) != child:
                continue
            if ike is not None and body.get("ike", key.split("/", 1)[0]) != ike:
                continue
            entry = {"key": key}
            entry.update(body)
            return entry
    return None


def _install(vici: ViciModule, child: str, ike: Optional[str]) -> None:
    # Say which name is wrong instead of the daemon's "configuration not found".
    problem = config_problem(vici.session, Target(ike, child))
    if problem:
        vici.fail("installing the policy of child '%s' failed: %s" % (child, problem))
    if not vici.check_mode:
        try:
            vici.session.install(child, ike)
        except ViciCommandFailed as error:
            vici.fail_from(error, context="installing the policy of child '%s'" % child)


def _uninstall(vici: ViciModule, child: str, ike: Optional[str]) -> None:
    if vici.check_mode:
        return
    reply = vici.session.uninstall(child, ike, check=False)
    errmsg = str(reply.get("errmsg", ""))
    # "not found" means someone removed it since we looked: the goal is reached.
    if not is_success(reply) and "not found" not in errmsg:
        vici.fail("uninstalling the policy of child '%s' failed: %s" % (child, errmsg), vici_errmsg=errmsg)


def run(vici: ViciModule) -> None:
    """The policy module's body, for ``ViciModule.run``."""
    child, ike, state = vici.params["child"], vici.params["ike"], vici.params["state"]
    before = find_policy(vici.session, child, ike)
    action = "none"
    if state == "present" and before is None:
        action = "install"
        _install(vici, child, ike)
    elif state == "absent" and before is not None:
        action = "uninstall"
        _uninstall(vici, child, ike)
    after: Optional[Policy]
    if vici.check_mode:
        # What list-policies would show, as far as it is known without installing.
        predicted = {"key": "%s/%s" % (ike, child), "ike": ike, "child": child} if ike else {"child": child}
        after = before if action == "none" else (predicted if action == "install" else None)
    else:
        after = find_policy(vici.session, child, ike) if action != "none" else before
    diff = {
        "before_header": "policy of child %s" % child,
        "after_header": "policy of child %s" % child,
        "before": before or {},
        "after": after or {},
    }
    vici.exit(changed=action != "none", diff=diff, action=action, policy=after or {})
