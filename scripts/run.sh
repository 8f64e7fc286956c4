#!/usr/bin/env bash
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The test stages behind the Makefile. usage: scripts/run.sh STAGE [extra args for the stage's tool]
#   setup        scripts/bootstrap.sh (Debian packages, .venv, ansible-test get-pip stand-in)
#   stage        copy the work tree to .tmp/ansible_collections/strongswan/vici (prints the path)
#   lint         mypy --strict on plugins/module_utils and the EDA event source (mypy.ini), ruff check on the tree (ruff.toml), and no
#                function in module_utils above radon complexity C
#   units        ansible-test units --local --python <.venv's> --requirements; fails if no unit test ran
#   sanity       ansible-test sanity --local --python <.venv's: 3.11 on Debian 12, 3.13 on 13>
#   integration  ansible-test integration --local --python <.venv's> --allow-destructive; fails if no target ran
#   system       pytest tests/system (real daemons); pytest's "no tests collected" (5) is a failure
#   eda          a real ansible-rulebook run (tests/system/test_eda_rulebook.py): the shipped rulebook and its
#                playbook against two namespaced charons, ansible-rulebook from .venv-eda, Java from Debian
#                (default-jre-headless; JAVA_HOME derived from the java on PATH unless set)
#   system6      the same against strongSwan 6: charon from a cached Debian 13 root (scripts/strongswan6_root.sh),
#                without the corpus conformance samples (they run once, on the machine's own strongSwan);
#                where the machine's own charon is strongSwan 6 already, the system stage covered it
#   stress       the concurrency tests of tests/system/test_concurrency.py at scale: 2 and 10 config writers on
#                one charon, 300 connections each, 40 rounds (not part of all)
#   molecule     ansible-lint (roles, Molecule playbooks, the EDA rulebook and playbook, docs' examples), then molecule test --all: the roles'
#                scenarios in extensions/molecule (real charon), site_to_site on Debian 12 and 13 lab machines
#   all          setup, then every stage above; prints a summary and fails if any stage failed
# Stages other than setup expect setup to have run (the Makefile targets take care of it).

set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV="$REPO/.venv"
PY="$VENV/bin/python"
# The controller Python of .venv (3.11 on Debian 12, 3.13 on Debian 13): ansible-test runs --local with it.
PYTHON_VERSION=$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || echo 3.11)
export STAGE_ROOT=${STAGE_ROOT:-$REPO/.tmp}
COLLECTION="$STAGE_ROOT/ansible_collections/strongswan/vici"
export PATH="$VENV/bin:$PATH"
# The staged copy lives inside this git work tree (under an ignored directory): without this, ansible-test
# walks up to the repository's .git and asks git for the files, which lists none of the staged ones.
export ANSIBLE_TEST_CONTENT_ROOT="$COLLECTION"
export ANSIBLE_COLLECTIONS_PATH="$STAGE_ROOT"
export ANSIBLE_NOCOLOR=1
export PIP_DISABLE_PIP_VERSION_CHECK=1

log() { printf '\n=== %s ===\n' "$*"; }

need_venv() {
    [[ -x $PY ]] || { echo "run 'make setup' first: $PY is missing" >&2; exit 1; }
}

stage() {
    bash "$REPO/scripts/stage_collection.sh" >/dev/null
}

in_collection() {
    (cd "$COLLECTION" && "$@")
}

run_lint() {
    need_venv
    local rc=0
    # module_utils imports itself relatively only: mypy checks it as the package plugins.module_utils, unstaged.
    log "mypy --strict plugins/module_utils"
    (cd "$REPO" && mypy --config-file mypy.ini -p plugins.module_utils) || rc=1
    log "mypy --strict extensions/eda/plugins/event_source"
    (cd "$REPO" && mypy --config-file mypy.ini extensions/eda/plugins/event_source/*.py) || rc=1
    log "ruff check"
    (cd "$REPO" && ruff check "$@") || rc=1
    # No function in module_utils above complexity C (20): radon lists D and worse, and must list nothing.
    log "radon cc -n D plugins/module_utils"
    local complex
    complex=$(cd "$REPO" && radon cc -n D plugins/module_utils) || rc=1
    if [[ -n $complex ]]; then
        printf '%s\n' "$complex" "functions above radon complexity C: split them" >&2
        rc=1
    fi
    return "$rc"
}

run_units() {
    need_venv
    stage
    rm -rf "$COLLECTION/tests/output/junit"
    log "ansible-test units"
    in_collection ansible-test units --local --python "$PYTHON_VERSION" --requirements "$@"
    shopt -s nullglob
    local reports=("$COLLECTION"/tests/output/junit/python*-units.xml)
    shopt -u nullglob
    if [[ ${#reports[@]} -eq 0 ]]; then
        echo "units: no unit test ran (ansible-test wrote no JUnit report)" >&2
        return 1
    fi
    "$PY" "$REPO/scripts/junit_summary.py" units "${reports[@]}"
}

run_sanity() {
    need_venv
    stage
    log "ansible-test sanity"
    in_collection ansible-test sanity --local --python "$PYTHON_VERSION" "$@"
}

run_integration() {
    need_venv
    stage
    log "ansible-test integration"
    local out rc=0
    out=$(mktemp)
    in_collection ansible-test integration --local --python "$PYTHON_VERSION" --allow-destructive "$@" 2>&1 \
        | tee "$out" || rc=$?
    local ran
    ran=$(grep -c 'Running .* integration test role' "$out" || true)
    rm -f "$out"
    if [[ $rc -ne 0 ]]; then
        return "$rc"
    fi
    if [[ $ran -eq 0 ]]; then
        echo "integration: no target ran" >&2
        return 1
    fi
    echo "integration: $ran target(s) ran"
}

run_system() {
    need_venv
    stage
    log "pytest tests/system"
    # conftest.py would stage again on its own when ANSIBLE_COLLECTIONS_PATH is unset; here it is set.
    # shellcheck disable=SC2046  # the paths are words without spaces
    (cd "$REPO" && "$PY" -m pytest $(system_paths "$@") -ra -p no:cacheprovider --timeout=300 --durations=40 \
        --ignore="$EDA_TEST" "$@")
}

# The rulebook run is the eda stage's (it needs .venv-eda and Java), not the system stages'.
EDA_TEST=tests/system/test_eda_rulebook.py

run_eda() {
    need_venv
    [[ -x $REPO/.venv-eda/bin/ansible-rulebook ]] || { echo "run 'make setup' first: .venv-eda/bin/ansible-rulebook is missing" >&2; exit 1; }
    local java
    java=$(command -v java) || { echo "eda: no java on PATH: install default-jre-headless ('make setup')" >&2; exit 1; }
    # /usr/bin/java -> /etc/alternatives/java -> /usr/lib/jvm/<jdk>/bin/java: JAVA_HOME is /usr/lib/jvm/<jdk>.
    export JAVA_HOME=${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$java")")")}
    export STRONGSWAN_VICI_EDA_VENV="$REPO/.venv-eda"
    stage
    log "pytest $EDA_TEST (ansible-rulebook $("$REPO/.venv-eda/bin/python" -c 'from importlib.metadata import version; print(version("ansible-rulebook"))'), JAVA_HOME=$JAVA_HOME)"
    (cd "$REPO" && "$PY" -m pytest "$EDA_TEST" -ra -p no:cacheprovider --timeout=300 -s "$@")
}

# usage: system_paths ARGS -> "tests/system" unless ARGS name test files or directories themselves
system_paths() {
    local arg
    for arg in "$@"; do
        [[ $arg != -* && -e ${arg%%::*} ]] && return 0
    done
    echo tests/system
}

run_stress() {
    need_venv
    stage
    local connections=${STRONGSWAN_VICI_STRESS_CONNECTIONS:-300} rounds=${STRONGSWAN_VICI_STRESS_ROUNDS:-40}
    log "pytest tests/system/test_concurrency.py ($connections connections, $rounds rounds)"
    (cd "$REPO" && STRONGSWAN_VICI_STRESS_CONNECTIONS=$connections STRONGSWAN_VICI_STRESS_ROUNDS=$rounds "$PY" -m pytest \
        tests/system/test_concurrency.py -k concurrent_writers -ra -p no:cacheprovider --timeout=900 -s "$@")
}

run_system6() {
    need_venv
    local native root
    native=$(/usr/lib/ipsec/charon --version 2>/dev/null | grep -oE 'strongSwan [0-9]+' | grep -oE '[0-9]+$' || true)
    if [[ ${native:-0} -ge 6 ]]; then
        echo "system6: this machine's charon is strongSwan $native: the system stage ran against it"
        return 0
    fi
    log "strongSwan 6 root"
    root=$(bash "$REPO/scripts/strongswan6_root.sh")
    stage
    log "pytest tests/system against strongSwan 6 ($root)"
    # shellcheck disable=SC2046  # the paths are words without spaces
    (cd "$REPO" && STRONGSWAN_VICI_CHARON_ROOT="$root" "$PY" -m pytest $(system_paths "$@") -ra -p no:cacheprovider --durations=40 \
        --timeout=300 --ignore=tests/system/test_conformance.py --ignore=tests/system/test_conformance_config.py \
        --ignore="$EDA_TEST" "$@")
}

run_molecule() {
    need_venv
    stage
    # A .venv symlink staged from a work tree is not part of the collection (ansible-compat walks the tree).
    if [[ -L $COLLECTION/.venv ]]; then
        unlink "$COLLECTION/.venv"
    fi
    # Molecule keeps each scenario's state (inventory, the lab machines' ssh_config) under ANSIBLE_HOME, in a
    # directory named after the project's directory name, which is "vici" for every checkout: two checkouts
    # testing at once would share it, and one's destroy would remove the other's machines. One per checkout.
    export ANSIBLE_HOME="$STAGE_ROOT/ansible-home"
    mkdir -p "$ANSIBLE_HOME"
    log "ansible-lint (production profile, .ansible-lint): roles, Molecule playbooks, the EDA rulebook and playbook, the docs' examples"
    "$PY" "$REPO/scripts/lint_examples.py" "$COLLECTION" "$COLLECTION/.lint-examples" >/dev/null
    in_collection ansible-lint --nocolor roles extensions/molecule extensions/eda/rulebooks playbooks .lint-examples
    # Extra arguments replace --all, e.g. scripts/run.sh molecule -s daemon
    if [[ $# -gt 0 ]]; then
        log "molecule test $*"
        in_collection molecule test "$@"
        return
    fi
    log "molecule test --all"
    in_collection molecule test --all
    # --all ran the lab-machine scenario on Debian 12; the same on Debian 13 machines.
    log "molecule test -s site_to_site on Debian 13 machines"
    MOLECULE_LAB_SUITE=trixie in_collection molecule test -s site_to_site
}

now() { date +%s%3N; }

# usage: elapsed START_MS -> seconds with one decimal
elapsed() {
    local ms=$(($(now) - $1))
    printf '%d.%d' $((ms / 1000)) $(((ms % 1000) / 100))
}

run_all() {
    local stages=(lint units sanity integration system eda system6 molecule) results=() failed=() passed=0 name start rc logs
    log "setup"
    start=$(now)
    if ! bash "$REPO/scripts/bootstrap.sh"; then
        echo "setup FAILED: nothing else can run" >&2
        printf 'stages: 0 passed, 1 failed\n'
        return 1
    fi
    results+=("$(printf '  %-12s %-5s %7s s' setup PASS "$(elapsed "$start")")")
    passed=1
    logs="$STAGE_ROOT/logs"
    mkdir -p "$logs"
    for name in "${stages[@]}"; do
        start=$(now)
        rc=0
        # Each stage's output also goes to a log, so that the summary can say why a stage failed (CI keeps the end).
        bash "$REPO/scripts/run.sh" "$name" 2>&1 | tee "$logs/$name.log" || rc=${PIPESTATUS[0]}
        if [[ $rc -eq 0 ]]; then
            results+=("$(printf '  %-12s %-5s %7s s' "$name" PASS "$(elapsed "$start")")")
            passed=$((passed + 1))
        else
            results+=("$(printf '  %-12s %-5s %7s s  (exit %d)' "$name" FAIL "$(elapsed "$start")" "$rc")")
            failed+=("$name")
        fi
    done
    log "summary"
    printf '%s\n' "${results[@]}"
    if [[ ${#failed[@]} -gt 0 ]]; then
        echo "FAILED: ${failed[*]} (scroll up to that stage's === header for its output)"
    fi
    for name in "${failed[@]}"; do
        log "why $name failed (its failed tests and tasks, from $logs/$name.log)"
        "$PY" "$REPO/scripts/why_failed.py" "$logs/$name.log" || true
    done
    printf 'stages: %d passed, %d failed\n' "$passed" "${#failed[@]}"
    [[ ${#failed[@]} -eq 0 ]]
}

main() {
    local what=${1:-}
    [[ $# -gt 0 ]] && shift
    case $what in
        setup) bash "$REPO/scripts/bootstrap.sh" ;;
        stage) bash "$REPO/scripts/stage_collection.sh" ;;
        lint) run_lint "$@" ;;
        units) run_units "$@" ;;
        sanity) run_sanity "$@" ;;
        integration) run_integration "$@" ;;
        system) run_system "$@" ;;
        eda) run_eda "$@" ;;
        system6) run_system6 "$@" ;;
        stress) run_stress "$@" ;;
        molecule) run_molecule "$@" ;;
        all) run_all ;;
        *) sed -n '5,26p' "${BASH_SOURCE[0]}" >&2; exit 2 ;;
    esac
}

main "$@"
