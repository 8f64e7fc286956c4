# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The committed pictures match their sources: docs/NAME.dot and docs/images/NAME.svg, one for one.

Graphviz differs between Debian 12 and 13, so rendering again need not give the same bytes; instead
scripts/render_pictures.py (`make pictures`) writes the SHA-256 of the source into each SVG, and this
test compares that hash with the source's. No Graphviz is needed to run it.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"
IMAGES = DOCS / "images"
HASH = re.compile(r"<!-- source-sha256: ([0-9a-f]{64}) -->")


RAW = "https://raw.githubusercontent.com/strongswan-vici/strongswan.vici/main/docs/images/"
USER_PICTURES = ("site-to-site", "what-survives")


def test_there_are_pictures():
    assert {"layers", "config-run"} | set(USER_PICTURES) <= {dot.stem for dot in DOCS.glob("*.dot")}


def test_every_source_has_an_image_of_its_current_text():
    stale = []
    for dot in sorted(DOCS.glob("*.dot")):
        svg = IMAGES / (dot.stem + ".svg")
        if not svg.is_file():
            stale.append("%s: no %s" % (dot.name, svg.relative_to(REPO)))
            continue
        found = HASH.findall(svg.read_text(encoding="utf-8"))
        if found != [hashlib.sha256(dot.read_bytes()).hexdigest()]:
            stale.append("%s: %s was rendered from another text (%s)" % (dot.name, svg.name, found))
    assert not stale, "run make pictures and commit docs/images:\n" + "\n".join(stale)


def test_every_image_has_a_source():
    orphans = [svg.name for svg in sorted(IMAGES.glob("*.svg")) if not (DOCS / (svg.stem + ".dot")).is_file()]
    assert not orphans, "images without a docs/*.dot source: %s" % orphans


def test_architecture_shows_the_pictures():
    text = (DOCS / "architecture.md").read_text(encoding="utf-8")
    for name in ("layers", "config-run"):
        assert "](images/%s.svg)" % name in text


def test_readme_shows_the_user_pictures_by_absolute_url():
    # Galaxy renders README.md from the tarball: a relative image path would not resolve there.
    text = (REPO / "README.md").read_text(encoding="utf-8")
    for name in USER_PICTURES:
        assert "](%s%s.svg)" % (RAW, name) in text, name
    assert not re.findall(r"!\[[^\]]*\]\((?!https://)", text), "README images must be absolute URLs"


def test_user_guide_and_docsite_show_the_user_pictures():
    guide = (DOCS / "at-a-glance.md").read_text(encoding="utf-8")
    page = (DOCS / "docsite" / "rst" / "guide_at_a_glance.rst").read_text(encoding="utf-8")
    for name in USER_PICTURES:
        assert "](images/%s.svg)" % name in guide, name
        assert ".. image:: %s%s.svg" % (RAW, name) in page, name
