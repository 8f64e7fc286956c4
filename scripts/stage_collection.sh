#!/usr/bin/env bash
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Stage the working tree as <STAGE_ROOT>/ansible_collections/strongswan/vici/ (default STAGE_ROOT=.tmp),
# the layout ansible-test and ansible-playbook need. A symlink does not do: ansible-test takes os.getcwd(),
# which resolves it back to the repository. So this copies every file git would see, tracked or
# untracked-but-not-ignored (uncommitted work is tested too), removes staged files that are gone from the
# tree, and keeps the staged tests/output/ (ansible-test's results and caches). No .git is copied: the
# staged tree is plain files, which ansible-test lists without consulting git.
#
# Prints the staged collection directory on stdout.

set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
STAGE_ROOT=${STAGE_ROOT:-$REPO/.tmp}
mkdir -p "$STAGE_ROOT"
STAGE_ROOT=$(cd "$STAGE_ROOT" && pwd)
DEST="$STAGE_ROOT/ansible_collections/strongswan/vici"

cd "$REPO"
mkdir -p "$DEST"

list=$(mktemp)
staged=$(mktemp)
trap 'rm -f "$list" "$staged"' EXIT

# Files git sees (NUL-separated), minus those deleted in the work tree but still in the index.
git ls-files -z --cached --others --exclude-standard \
    | while IFS= read -r -d '' path; do
        if [[ -e $path || -L $path ]] && [[ ! -d $path ]]; then
            printf '%s\0' "$path"
        fi
    done >"$list"

# Copy (tar keeps modes, mtimes and symlinks; the tree is small, so copying all of it is cheap).
tar -C "$REPO" --null -T "$list" -cf - | tar -C "$DEST" -xf -

# Remove staged files that are no longer in the tree, except ansible-test's own output.
(cd "$DEST" && find . -path ./tests/output -prune -o \( -type f -o -type l \) -print0) \
    | while IFS= read -r -d '' path; do printf '%s\0' "${path#./}"; done | sort -z >"$staged"
sort -z -o "$list" "$list"
comm -z -23 "$staged" "$list" | (cd "$DEST" && xargs -0 -r rm -f --)
(cd "$DEST" && find . -mindepth 1 -depth -type d -empty ! -path './tests/output' ! -path './tests/output/*' -delete)

echo "$DEST"
