# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The collection as it is shipped, checked with the real tools (pinned in tests/requirements.txt):

* ``ansible-galaxy collection build`` of a copy of the tree with caches planted in it: the tarball holds the
  collection (plugins, roles, meta, docs, README, changelog, licences) and nothing of the development setup
  (Makefile, scripts/, demo/, benchmarks/, the real-daemon tests, caches);
* ``antsibull-changelog release`` on a copy: it succeeds, and each new module, plugin and role is listed once,
  under "New Modules"/"New Plugins"/"New Roles" only;
* ``antsibull-docs lint-collection-docs --plugin-docs`` on the collection installed from the tarball: the
  docsite and the plugin and role docs are valid, and every guide in docs/ is published;
* the unit tests shipped in the tarball are collected by pytest from the installed collection;
* ``ansible-builder introspect`` on the installed collection finds its Python and system requirements, and
  ``ansible-builder create`` makes a build context from the execution environment definition in the docs.

These run no daemon; the strongSwan 6 pass of the system stage (``STRONGSWAN_VICI_CHARON_ROOT``) skips them.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
TIMEOUT = 240

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("STRONGSWAN_VICI_CHARON_ROOT")),
    reason="packaging does not depend on the daemon; checked once, in the system stage")

# Top-level entries of the tree that are the development setup, never the collection.
NOT_SHIPPED_TOP = {".ci", ".gitignore", ".venv", ".venv-eda", ".tmp", "Makefile", "mypy.ini", "ruff.toml", "scripts", "demo",
                   "benchmarks"}
NOT_SHIPPED_PATHS = {"tests/system", "extensions/molecule/site_to_site", "tests/output", "tests/unit/test_platform.py",
                     "tests/requirements.txt", "tests/eda-requirements.txt"}
CACHE_NAMES = {"__pycache__", ".pytest_cache", ".hypothesis", ".mypy_cache", ".ruff_cache", ".tox"}


def _tool(name):
    path = BIN / name
    if not path.exists():
        pytest.fail("%s is missing from %s: install tests/requirements.txt into the virtualenv" % (name, BIN))
    return str(path)


def _run(argv, cwd=None, env=None):
    # antsibull-changelog and antsibull-docs run ansible-doc and ansible-galaxy from PATH: the same virtualenv's.
    full_env = dict(os.environ, ANSIBLE_NOCOLOR="1", NO_COLOR="1", PATH="%s%s%s" % (BIN, os.pathsep, os.environ["PATH"]))
    full_env.update(env or {})
    result = subprocess.run(argv, cwd=cwd, env=full_env, capture_output=True, text=True, timeout=TIMEOUT,
                            check=False)
    assert result.returncode == 0, "%s failed (%d):\n%s\n%s" % (" ".join(argv), result.returncode,
                                                                result.stdout[-4000:], result.stderr[-4000:])
    return result


def _tree_files():
    """Files of the work tree as git sees them (tracked, or untracked and not ignored): what a release is made of."""
    out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                         capture_output=True, check=True, timeout=60).stdout
    files = []
    for raw in out.split(b"\0"):
        rel = raw.decode("utf-8", "surrogateescape")
        if not rel or rel.split("/", 1)[0] in (".venv", ".tmp"):
            continue  # .venv is a symlink in work trees (not matched by the ignore pattern ".venv/")
        path = REPO / rel
        if path.is_file() and not path.is_symlink():
            files.append(rel)
    return files


def _copy_tree(dest):
    """Copy the work tree to ``dest`` (the collection root); returns the list of copied files."""
    files = _tree_files()
    for rel in files:
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / rel, target)
    return files


def _plant_caches(root):
    """What a developer's tree holds after a test run: none of it may reach the tarball."""
    planted = [
        ".venv/bin/python", ".tmp/ansible_collections/strongswan/vici/galaxy.yml", "tests/output/junit/x.xml",
        ".pytest_cache/v/cache/lastfailed", ".hypothesis/examples/x", "tests/unit/.pytest_cache/README.md",
        "tests/unit/.hypothesis/examples/y", "plugins/module_utils/__pycache__/_base.cpython-311.pyc",
        "plugins/modules/__pycache__/info.cpython-311.pyc", "plugins/module_utils/vici/x.pyc", ".mypy_cache/x.json",
        "strongswan-vici-0.0.1.tar.gz", "changelogs/.plugin-cache.yaml",
    ]
    for rel in planted:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("planted\n", encoding="utf-8")
    return planted


def _galaxy():
    return yaml.safe_load((REPO / "galaxy.yml").read_text(encoding="utf-8"))


def _module_docs(path):
    """DOCUMENTATION of a module file, parsed (without importing the module)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "DOCUMENTATION" for t in node.targets):
            return yaml.safe_load(node.value.value)
    raise AssertionError("%s has no DOCUMENTATION" % path)


def _new_objects():
    """{(kind, name): version_added} of every module, filter and role in the tree."""
    found = {}
    for path in sorted((REPO / "plugins" / "modules").glob("*.py")):
        if path.name != "__init__.py":
            found[("module", path.stem)] = str(_module_docs(path).get("version_added"))
    for path in sorted((REPO / "plugins" / "filter").glob("*.yml")):
        found[("filter", path.stem)] = str(yaml.safe_load(path.read_text(encoding="utf-8"))["DOCUMENTATION"]
                                           .get("version_added"))
    roles = REPO / "roles"
    for role in sorted(roles.iterdir()) if roles.is_dir() else []:
        specs = role / "meta" / "argument_specs.yml"
        main = (yaml.safe_load(specs.read_text(encoding="utf-8")) or {}).get("argument_specs", {}).get("main", {}) \
            if specs.exists() else {}
        found[("role", role.name)] = str(main.get("version_added"))
    return found


def _version_key(text):
    return tuple(int(part) for part in re.findall(r"\d+", text)[:3])


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A copy of the tree with caches planted in it, built with ansible-galaxy: (tarball path, member names)."""
    root = tmp_path_factory.mktemp("build")
    src = root / "src"
    _copy_tree(src)
    _plant_caches(src)
    out = root / "out"
    _run([_tool("ansible-galaxy"), "collection", "build", str(src), "--output-path", str(out)])
    galaxy = _galaxy()
    tarball = out / ("%s-%s-%s.tar.gz" % (galaxy["namespace"], galaxy["name"], galaxy["version"]))
    assert tarball.is_file(), sorted(p.name for p in out.iterdir())
    with tarfile.open(tarball) as tar:
        names = {member.name.rstrip("/") for member in tar.getmembers() if member.isfile()}
    return tarball, names


def test_tarball_ships_the_collection(built):
    names = built[1]
    expected = {"MANIFEST.json", "FILES.json", "README.md", "COPYING", "LICENSES/GPL-3.0-or-later.txt",
                "changelogs/changelog.yaml", "changelogs/config.yaml", "CHANGELOG.rst", "meta/runtime.yml",
                "meta/execution-environment.yml", "meta/ee-requirements.txt", "bindep.txt",
                "docs/docsite/extra-docs.yml", "docs/docsite/links.yml", "tests/config.yml"}
    tree = set(_tree_files())
    expected |= {rel for rel in tree if rel.startswith(("plugins/", "docs/", "roles/", "meta/", "extensions/eda/",
                                                        "playbooks/"))
                 and not any(part in CACHE_NAMES for part in rel.split("/"))}
    assert any(rel.startswith("plugins/modules/") for rel in expected)
    assert any(rel.startswith("plugins/module_utils/vici/") for rel in expected)
    assert "extensions/eda/plugins/event_source/vici_events.py" in expected
    assert "playbooks/reinitiate_tunnels.yml" in expected
    assert any(re.match(r"docs/[^/]+\.md$", rel) for rel in expected)
    missing = sorted(expected - names)
    assert not missing, "missing from the tarball: %s" % missing


def test_tarball_ships_nothing_of_the_development_setup(built):
    names = built[1]
    shipped_wrongly = []
    for name in sorted(names):
        parts = name.split("/")
        if parts[0] in NOT_SHIPPED_TOP or any(name == p or name.startswith(p + "/") for p in NOT_SHIPPED_PATHS) \
                or any(part in CACHE_NAMES for part in parts) or name.endswith((".pyc", ".pyo", ".tar.gz")) \
                or name.endswith(".plugin-cache.yaml"):
            shipped_wrongly.append(name)
    assert not shipped_wrongly, "shipped but must not be: %s" % shipped_wrongly
    # Nothing shipped uses a path in the excluded directories ("scripts/x", REPO / "scripts", .../demo/...);
    # prose that names them (" scripts/...", comments) is fine.
    runs_excluded = []
    for name in names:
        if name.endswith((".py", ".sh", ".yml", ".yaml")) and name.startswith(("tests/", "roles/", "extensions/")):
            text = (REPO / name).read_text(encoding="utf-8", errors="replace")
            for line in text.splitlines():
                code = line.split("#", 1)[0]
                if re.search(r"""(["'/])(scripts|demo|benchmarks)(/|["'])""", code):
                    runs_excluded.append("%s: %s" % (name, line.strip()))
    assert not runs_excluded, "shipped files run excluded programs:\n%s" % "\n".join(runs_excluded)


def test_changelog_release_lists_each_new_object_once(tmp_path):
    collection = tmp_path / "ansible_collections" / "strongswan" / "vici"
    _copy_tree(collection)
    changelog = _tool("antsibull-changelog")
    lint = _run([changelog, "lint"], cwd=collection)
    assert lint.stdout.strip() == "", lint.stdout

    version = str(_galaxy()["version"])
    before = yaml.safe_load((collection / "changelogs" / "changelog.yaml").read_text(encoding="utf-8"))
    # galaxy.yml's version may be released already (the release is re-run after new fragments arrive: they join
    # it); the objects new in it are those added after the release before it.
    released = sorted((before.get("releases") or {}), key=_version_key)
    earlier = [v for v in released if _version_key(v) < _version_key(version)]
    previous = earlier[-1] if earlier else None
    objects = _new_objects()
    # Fragments may add objects without version_added ("add object.role: [{name, description}]").
    announced = set()
    for fragment in (collection / "changelogs" / "fragments").glob("*.y*ml"):
        for key, entries in (yaml.safe_load(fragment.read_text(encoding="utf-8")) or {}).items():
            if key.startswith("add ") and isinstance(entries, list):
                announced |= {(key.rsplit(".", 1)[-1], entry["name"]) for entry in entries}
    for key in announced & set(objects):
        if objects[key] == "None":
            objects[key] = version
    # ... and so may released fragments: such an object was added in the release that lists it.
    for name, release in (before.get("releases") or {}).items():
        listed_before = [(kind, entry["name"]) for kind, entries in (release.get("objects") or {}).items()
                         for entry in entries]
        for key in set(listed_before) & set(objects):
            if objects[key] == "None":
                objects[key] = str(name)
    ahead = sorted("%s %s (%s)" % (kind, name, added) for (kind, name), added in objects.items()
                   if added == "None" or _version_key(added) > _version_key(version))
    assert not ahead, ("version_added missing or ahead of galaxy.yml's version %s, so left out of the release "
                       "notes: %s" % (version, ahead))

    def is_new(added):
        if previous is None:
            return added == version
        return _version_key(previous) < _version_key(added) <= _version_key(version)
    expected = {key for key, added in objects.items() if is_new(added)}

    _run([changelog, "release", "--version", version], cwd=collection, env={"ANSIBLE_COLLECTIONS_PATH": str(tmp_path)})
    data = yaml.safe_load((collection / "changelogs" / "changelog.yaml").read_text(encoding="utf-8"))
    release = data["releases"][version]
    listed = [("module", entry["name"]) for entry in release.get("modules", [])]
    listed += [(kind, entry["name"]) for kind, entries in (release.get("plugins") or {}).items() for entry in entries]
    listed += [(kind, entry["name"]) for kind, entries in (release.get("objects") or {}).items() for entry in entries]
    assert sorted(set(listed)) == sorted(expected)
    assert len(listed) == len(set(listed)), "listed twice: %s" % sorted(listed)

    # The fragments announce no new module, plugin or role: antsibull-changelog does, from version_added.
    changes = (release.get("changes") or {})
    announcing = [text for section, items in changes.items() if isinstance(items, list) for text in items
                  if re.search(r"\bnew (module|filter|plugin|role|lookup)\b", text, re.IGNORECASE)]
    assert not announcing, "fragments that announce a new module/plugin/role: %s" % announcing

    rst = (collection / "CHANGELOG.rst").read_text(encoding="utf-8")
    for _kind, name in expected:
        fqcn = "strongswan.vici.%s" % name
        assert len(re.findall(r"^- %s - " % re.escape(fqcn), rst, re.MULTILINE)) == 1, (fqcn, rst)
    sections = re.findall(r"^([A-Z][A-Za-z /()]+)\n-+$", rst, re.MULTILINE)
    if any(kind == "module" for kind, dummy in expected):
        assert "New Modules" in sections
    if any(kind == "role" for kind, dummy in expected):
        assert "New Roles" in sections


def test_changelog_has_a_release_galaxy_can_show():
    # Galaxy shows the release notes of changelogs/changelog.yaml and CHANGELOG.rst: the first version is released.
    data = yaml.safe_load((REPO / "changelogs" / "changelog.yaml").read_text(encoding="utf-8"))
    releases = data.get("releases") or {}
    assert releases, "no release in changelogs/changelog.yaml: run antsibull-changelog release"
    version = str(_galaxy()["version"])
    assert all(_version_key(v) <= _version_key(version) for v in releases), (sorted(releases), version)
    for name, release in releases.items():
        assert release.get("release_date"), name
        assert (release.get("changes") or {}).get("release_summary"), "%s has no release summary" % name
    rst = (REPO / "CHANGELOG.rst").read_text(encoding="utf-8")
    for name in releases:
        assert re.search(r"^v%s\n=+$" % re.escape(name), rst, re.MULTILINE), "CHANGELOG.rst lacks v%s" % name


def test_docsite_lints_and_publishes_every_guide(installed):
    # The collection as installed from the tarball: its plugin docs and docsite are what a docs build sees.
    collection = installed / "ansible_collections" / "strongswan" / "vici"
    result = _run([_tool("antsibull-docs"), "lint-collection-docs", "--plugin-docs", str(collection)])
    assert result.stdout.strip() == "", result.stdout

    docsite = REPO / "docs" / "docsite"
    extra = yaml.safe_load((docsite / "extra-docs.yml").read_text(encoding="utf-8"))
    pages = [page for section in extra["sections"] for page in section["toctree"]]
    texts = {page: (docsite / "rst" / ("%s.rst" % page)).read_text(encoding="utf-8") for page in pages}
    unpublished = [guide.name for guide in sorted((REPO / "docs").glob("*.md"))
                   if not any("docs/%s" % guide.name in text for text in texts.values())]
    assert not unpublished, ("guides in docs/ with no page in docs/docsite/extra-docs.yml (add a page under "
                             "docs/docsite/rst/ that links to them): %s" % unpublished)
    for page, text in texts.items():
        for guide in re.findall(r"docs/([\w.-]+\.md)", text):
            assert (REPO / "docs" / guide).is_file(), "%s points to docs/%s, which does not exist" % (page, guide)


@pytest.fixture(scope="module")
def installed(built, tmp_path_factory):
    """The built tarball installed with ansible-galaxy: the collections directory."""
    collections = tmp_path_factory.mktemp("installed")
    _run([_tool("ansible-galaxy"), "collection", "install", "--force", "-p", str(collections), str(built[0])])
    return collections


def test_shipped_unit_tests_are_collected_without_the_development_setup(installed):
    collection = installed / "ansible_collections" / "strongswan" / "vici"
    result = _run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
                   "--import-mode=importlib", "tests/unit"], cwd=collection, env={"PYTHONPATH": str(installed)})
    assert re.search(r"^\d+ tests? collected", result.stdout, re.MULTILINE), result.stdout[-2000:]


def _validate_ee_schema(data):
    """ansible-builder's own validation of an execution environment file (raises on an unknown key)."""
    script = "import sys, yaml; from ansible_builder.ee_schema import validate_schema; " \
             "validate_schema(yaml.safe_load(sys.stdin.read()))"
    result = subprocess.run([sys.executable, "-c", script], input=yaml.safe_dump(data), capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr[-2000:]


def test_execution_environment_requirements_found_by_introspect(installed):
    collections = installed
    meta = yaml.safe_load((REPO / "meta" / "execution-environment.yml").read_text(encoding="utf-8"))
    assert meta["version"] == 3
    _validate_ee_schema(meta)
    for entry in ("python", "system"):
        assert (REPO / meta["dependencies"][entry]).is_file(), "paths are relative to the collection root"
    result = _run([_tool("ansible-builder"), "introspect", "--sanitize", str(collections)])
    data = yaml.safe_load(result.stdout)
    python = [line.split("#", 1)[0].strip() for line in data["python"]]
    system = [line.split("#", 1)[0].strip() for line in data["system"]]
    requirements = [line.strip() for line in (REPO / "meta" / "ee-requirements.txt").read_text().splitlines()
                    if line.strip() and not line.startswith("#")]
    bindep = [line.strip() for line in (REPO / "bindep.txt").read_text().splitlines()
              if line.strip() and not line.startswith("#")]
    assert python == requirements and requirements
    assert system == bindep and any(line.startswith("openssl ") for line in bindep)
    assert all("from collection strongswan.vici" in line for line in data["python"] + data["system"])


# The build instruction file is named for the container runtime: "Containerfile for podman and Dockerfile for docker"
# (ansible-builder's --output-filename help). `create` has no --container-runtime: without --output-filename it
# takes podman when the podman command is found, else docker. The guide gives the command and the file for each.
@pytest.mark.parametrize("args,filename", [
    (("--output-filename", "Containerfile"), "Containerfile"),
    (("--output-filename", "Dockerfile"), "Dockerfile"),
    ((), None),
], ids=["podman", "docker", "default"])
def test_execution_environment_definition_in_the_docs_creates_a_build_context(tmp_path, args, filename):
    guide = (REPO / "docs" / "docsite" / "rst" / "guide_execution_environment.rst").read_text(encoding="utf-8")
    block = re.search(r"\.\. code-block:: yaml\n\n((?:    .*\n|\n)+)", guide)
    assert block, "no YAML code block in guide_execution_environment.rst"
    definition = "\n".join(line[4:] for line in block.group(1).splitlines()) + "\n"
    data = yaml.safe_load(definition)
    assert data["version"] == 3
    _validate_ee_schema(data)
    assert {"name": "strongswan.vici"} in data["dependencies"]["galaxy"]["collections"]
    (tmp_path / "execution-environment.yml").write_text(definition, encoding="utf-8")
    context = tmp_path / "context"
    if filename:
        command = " ".join(("ansible-builder create --file execution-environment.yml",) + args)
        assert re.search(r"\$ %s +# context/%s\n" % (re.escape(command), filename), guide), \
            "the guide does not say that `%s` writes context/%s" % (command, filename)
    else:
        found = shutil.which("podman", path="%s%s%s" % (BIN, os.pathsep, os.environ["PATH"]))
        filename = "Containerfile" if found else "Dockerfile"
    _run([_tool("ansible-builder"), "create", "--file", "execution-environment.yml", "--context", str(context)]
         + list(args), cwd=tmp_path)
    assert sorted(p.name for p in context.iterdir()) == sorted([filename, "_build"])
    containerfile = (context / filename).read_text(encoding="utf-8")
    assert data["images"]["base_image"]["name"] in containerfile
    assert "introspect" in containerfile and "install-from-bindep" in containerfile
    requirements = yaml.safe_load((context / "_build" / "requirements.yml").read_text(encoding="utf-8"))
    assert {"name": "strongswan.vici"} in requirements["collections"]
    for script in ("introspect.py", "assemble", "install-from-bindep", "check_galaxy"):
        assert (context / "_build" / "scripts" / script).is_file(), script
