# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The roles' documentation says what the roles do: every default in defaults/main.yml is in the role's
argument spec with the same value (templated ones as their template, not null), and the roles' minimum Ansible
version is the collection's (meta/runtime.yml requires_ansible)."""

from __future__ import annotations

from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
ROLES = sorted(path.parent.parent for path in REPO.glob("roles/*/meta/argument_specs.yml"))


def test_there_are_roles():
    assert {role.name for role in ROLES} >= {"daemon", "site_to_site", "remote_access"}


def _templated_list(option, value):
    return option.get("type") in ("list", "dict") and isinstance(value, str) and "{{" in value and "default" not in option


def _description(option):
    description = option.get("description") or ""
    return " ".join(description) if isinstance(description, list) else description


def test_the_argument_specs_show_the_real_defaults():
    wrong = []
    for role in ROLES:
        specs = yaml.safe_load((role / "meta" / "argument_specs.yml").read_text())["argument_specs"]
        options = specs["main"]["options"]
        defaults = yaml.safe_load((role / "defaults" / "main.yml").read_text()) or {}
        for name, value in defaults.items():
            if name not in options:
                wrong.append(f"{role.name}: {name} is not documented")
            elif _templated_list(options[name], value):
                # A list's default that is a template cannot be a list in the spec (the docs tools refuse a string
                # there), nor quoted in the description (the role's argument check templates the spec): the
                # description says it in words and points to defaults/main.yml.
                if "defaults/main.yml" not in _description(options[name]):
                    wrong.append(f"{role.name}: {name}'s description does not tell its templated default")
            elif options[name].get("default") != value:
                wrong.append(f"{role.name}: {name} documented as {options[name].get('default')!r}, is {value!r}")
    assert not wrong, "\n".join(wrong)


def test_min_ansible_version_is_the_collections_requires_ansible():
    requires = yaml.safe_load((REPO / "meta" / "runtime.yml").read_text())["requires_ansible"]
    assert requires.startswith(">=")
    for role in ROLES:
        meta = yaml.safe_load((role / "meta" / "main.yml").read_text())
        assert str(meta["galaxy_info"]["min_ansible_version"]) == requires[2:], role.name
