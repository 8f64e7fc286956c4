# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugin of ``strongswan.vici.config``: a large tree travels as one file, not as task arguments.

Where the controller's time went (issue 21, N=5000 connections with their PSKs from group_vars, the README's
route): ansible-core's finalisation of the task arguments (templating every value of the tree and tagging a
copy of it, about 6 s under cProfile), pickling the task result back to the main process (about 3.7 s: the
result carries the task's templated arguments, every value with its origin tag) and JSON-encoding the tree
into the module's arguments. None of it is needed for a tree whose values are plain text.

So, for ``connections``, ``secrets``, ``pools``, ``authorities`` and ``tree``:

* :meth:`ActionModule.finalize_task_arg` leaves them untemplated (the task keeps the short ``{{ ... }}``
  text: nothing large is tagged, copied or pickled);
* :meth:`ActionModule.run` resolves them itself: a bare variable reference (``{{ name }}``,
  ``{{ name.key }}``) is looked up in the task's variables, anything else templated by Ansible as before;
  then one walk over the value templates only the strings that may hold a template (a vaulted PSK
  ``{{ vault_psk }}``), decrypts vaulted values, and copies the rest as plain data;
* a ``tree`` given as JSON text (as the site_to_site role passes it: one value, cheap to template) is read
  into its dictionary here, as the module would read it;
* a tree of more than :data:`INLINE_LIMIT` bytes of JSON is written into Ansible's remote temporary
  directory as one file, mode 0600 (or readable by an unprivileged become user only, as Ansible does for
  its module files), and the module gets its path in the internal option ``_tree_file``; the file and the
  directory are removed when the module returns, on every path, failures included. A smaller tree (the
  everyday gateway) travels as arguments, which needs no extra round trips. So does every tree of an
  ``async`` task (the module may run after this plugin returns).

Secrecy: the file is written only on the managed host's temporary directory (0700), the module inserts its
sections into its arguments before anything is logged or returned, and masks them as it masks arguments
(``invocation``, results, messages). Nothing here displays a value; ``-vvv`` shows the file's path only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

from ansible.errors import AnsibleActionFail, AnsibleValueOmittedError
from ansible.plugins.action import ActionBase

#: The options holding (parts of) the tree.
TREE_OPTIONS = ("connections", "secrets", "pools", "authorities", "tree")
#: Trees up to this many bytes of JSON travel as arguments (no extra round trips for a small gateway).
INLINE_LIMIT = 64 * 1024
#: The module's internal option naming the transfer file.
TREE_FILE = "_tree_file"

_BARE_REFERENCE = re.compile(r"^\{\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\s*\}\}$")
_PLAIN = (int, float, bool, type(None))
#: A value templated to ``omit``: its option, key or list item is left out (as ansible-core's finalisation does).
_OMITTED = object()


class ActionModule(ActionBase):
    """Resolve the tree options here (not in ansible-core's argument finalisation) and ship a large tree as a file."""

    TRANSFERS_FILES = True

    @classmethod
    def finalize_task_arg(cls, name, value, templar, context):
        if name in TREE_OPTIONS:
            return value  # resolved by run(): see the module docstring
        return super().finalize_task_arg(name, value, templar, context)

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        del tmp  # tmp no longer has any effect
        args = dict(self._task.args)
        if TREE_FILE in args:
            raise AnsibleActionFail("%s is internal to the config action; pass the tree as connections, secrets, pools, "
                                    "authorities, tree or src" % TREE_FILE)
        sections = {}
        for name in TREE_OPTIONS:
            if name in args:
                args[name] = self._resolve(args[name], task_vars)
                if name == "tree" and isinstance(args[name], str):
                    args[name] = self._json_tree(args[name])
                if args[name] is _OMITTED:
                    del args[name]
                elif isinstance(args[name], Mapping):
                    sections[name] = args.pop(name)
        text = json.dumps(sections, separators=(",", ":")) if sections else ""
        if len(text) <= INLINE_LIMIT or self._task.async_val:
            args.update(sections)
            result.update(self._execute_module(module_args=args, task_vars=task_vars))
            return result
        return self._with_file(result, args, text, task_vars)

    def _with_file(self, result, args, text, task_vars):
        tmpdir = self._connection._shell.tmpdir or self._make_tmp_path()
        path = self._connection._shell.join_path(tmpdir, "strongswan-vici-tree.json")
        try:
            self._transfer_data(path, text)
            del text
            if self._is_become_unprivileged():
                self._fixup_perms2((tmpdir, path), execute=False)
            else:
                chmod = self._remote_chmod([path], "0600")
                if chmod.get("rc", 0) != 0:
                    raise AnsibleActionFail("cannot make the tree file private on the managed host: %s"
                                            % chmod.get("stderr", "").strip())
            args[TREE_FILE] = path
            result.update(self._execute_module(module_args=args, task_vars=task_vars))
        finally:
            self._remove_tree(tmpdir, path)
        return result

    def _remove_tree(self, tmpdir, path):
        """The tree file and the temporary directory gone, also with ANSIBLE_KEEP_REMOTE_FILES (the file holds secrets)."""
        if self._should_remove_tmp_path(tmpdir):
            self._remove_tmp_path(tmpdir)
            return
        self._low_level_execute_command(self._connection._shell.remove(path), sudoable=False)

    # -- resolving the tree options --------------------------------------------------------------

    def _resolve(self, value, task_vars):
        """VALUE (the option as written in the task) with its templates rendered, as plain data (or _OMITTED)."""
        if isinstance(value, str):
            match = _BARE_REFERENCE.match(value)
            found = self._lookup(match.group(1), task_vars) if match else None
            if found is not None:
                return self._plain(found)
            rendered = self._template(value)
            return rendered if rendered is _OMITTED else self._plain(rendered)
        return self._plain(value)

    @staticmethod
    def _json_tree(text):
        """A ``tree`` given as JSON text (the site_to_site role's): the dictionary it holds, read here as the module
        would read it (one value for Ansible to template, not one per key); other text is left to the module."""
        if not text.lstrip().startswith("{"):
            return text
        try:
            tree = json.loads(text)
        except ValueError:
            return text
        return tree if isinstance(tree, dict) else text

    def _template(self, value):
        try:
            return self._templar.template(value)
        except AnsibleValueOmittedError:
            return _OMITTED

    @staticmethod
    def _lookup(dotted, task_vars):
        """The raw value of a variable reference such as ``vpn.connections``, or None (then templated as usual)."""
        value = task_vars
        for key in dotted.split("."):
            if not isinstance(value, Mapping) or key not in value:
                return None
            value = value[key]
        if not isinstance(value, (Mapping, list)):
            return None  # a text or a lazy value (hostvars ...): let Ansible template it
        return value

    def _plain(self, value):
        """A plain copy of VALUE (dicts, lists, text, numbers), templating only the strings that may hold one."""
        if isinstance(value, Mapping):
            items = ((str(key), self._plain(item)) for key, item in value.items())
            return {key: item for key, item in items if item is not _OMITTED}
        if isinstance(value, (list, tuple)):
            return [item for item in (self._plain(item) for item in value) if item is not _OMITTED]
        if isinstance(value, str):
            if "{" in value or value.startswith("#jinja2:"):
                if self._templar.is_possibly_template(value):
                    rendered = self._template(value)
                    if rendered is _OMITTED or isinstance(rendered, str):
                        return rendered if rendered is _OMITTED else str(rendered)
                    return self._plain(rendered)
            return str(value)
        if isinstance(value, _PLAIN):
            return value
        # A vaulted value (EncryptedString) and other types Ansible knows how to render.
        rendered = self._template(value)
        if rendered is value:
            raise AnsibleActionFail("a value of type %s in the tree cannot be passed to the module" % type(value).__name__)
        return rendered if rendered is _OMITTED else self._plain(rendered)
