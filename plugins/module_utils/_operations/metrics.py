# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Tunnel health as Prometheus exposition text, for node_exporter's textfile collector. PRIVATE to the collection.

:func:`render` formats what :mod:`.health` evaluated (text format 0.0.4: ``# HELP``/``# TYPE`` before each
family, label values escaped), keyed by the declared names: ``connection`` and ``child`` per tunnel, ``pool``
per pool. Traffic and lifetimes are the sums and minimums over a child's installed CHILD_SAs (a rekeying starts
a new SA whose counters start at 0: a counter reset Prometheus' ``rate()`` handles). :func:`write_metrics`
replaces the file atomically (the collection's one atomic writer, ``_files/atomic.py``: a temporary file beside it,
flushed, renamed over it; mode 0644 so that node_exporter, another user, can read it): a scrape never sees half a
file.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from .._files.atomic import CannotCreate, replace_file
from .sa import CHILD_UP, IKE_UP, SA

PREFIX = "strongswan_vici_"
#: Every status a tunnel can have, one series each (1 for the current one): the enum pattern of Prometheus.
STATES = ("up", "trapped", "connecting", "down", "idle", "missing")
#: (family, type, help) in the order the file lists them.
FAMILIES: Tuple[Tuple[str, str, str], ...] = (
    ("tunnel_state", "gauge", "Status of the tunnel (1 for the current state): up, trapped, connecting, down, idle, "
                              "missing."),
    ("tunnel_intended", "gauge", "1 when the declared start_action (start or trap) says the tunnel should run."),
    ("tunnel_up", "gauge", "1 when the tunnel runs as intended: a CHILD_SA installed, or its trap policy."),
    ("tunnel_healthy", "gauge", "1 when the tunnel has no problem (down, connecting, duplicate, no_child, stale)."),
    ("tunnel_child_sas", "gauge", "Installed CHILD_SAs of the tunnel (2 or more: duplicates)."),
    ("tunnel_bytes_in", "counter", "Bytes received over the installed CHILD_SAs of the tunnel."),
    ("tunnel_bytes_out", "counter", "Bytes sent over the installed CHILD_SAs of the tunnel."),
    ("tunnel_packets_in", "counter", "Packets received over the installed CHILD_SAs of the tunnel."),
    ("tunnel_packets_out", "counter", "Packets sent over the installed CHILD_SAs of the tunnel."),
    ("tunnel_rekey_seconds", "gauge", "Seconds until the next rekeying of the tunnel's CHILD_SA (the soonest)."),
    ("tunnel_lifetime_seconds", "gauge", "Seconds until the tunnel's CHILD_SA expires (the soonest)."),
    ("ike_sas", "gauge", "Established IKE_SAs of the connection."),
    ("ike_established_seconds", "gauge", "Age of the connection's oldest established IKE_SA, in seconds."),
    ("pool_size", "gauge", "Addresses in the pool."),
    ("pool_leases", "gauge", "Leases of the pool, by status (online, offline)."),
    ("health_healthy", "gauge", "1 when no tunnel looked at has a problem."),
    ("health_timestamp_seconds", "gauge", "When the health check wrote this file (Unix time)."),
)
_TYPES = {name: kind for name, kind, _help in FAMILIES}

Sample = Tuple[str, Dict[str, str], float]


class MetricsError(Exception):
    """The metrics file could not be written (the message names ``metrics_path``)."""


def escape(value: Any) -> str:
    """A label value as the text format wants it: backslash, double quote and newline escaped."""
    return str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value: Any) -> Optional[float]:
    try:
        return float(str(value))
    except (TypeError, ValueError):
        return None


def _value(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else repr(float(number))


def _installed(sas: Sequence[SA], conn: str, child: str) -> List[Mapping[str, Any]]:
    return [child_sa for sa in sas if sa.get("name") == conn and sa.get("state") in IKE_UP
            for child_sa in sa.get("child_sas", []) if child_sa.get("name") == child and child_sa.get("state") in CHILD_UP]


def _traffic(labels: Dict[str, str], installed: Sequence[Mapping[str, Any]]) -> Iterable[Sample]:
    for family, key in (("tunnel_bytes_in", "bytes-in"), ("tunnel_bytes_out", "bytes-out"),
                        ("tunnel_packets_in", "packets-in"), ("tunnel_packets_out", "packets-out")):
        yield family, labels, sum(_number(sa.get(key)) or 0.0 for sa in installed)
    for family, key in (("tunnel_rekey_seconds", "rekey-time"), ("tunnel_lifetime_seconds", "life-time")):
        values = [number for number in (_number(sa.get(key)) for sa in installed) if number is not None]
        if values:
            yield family, labels, min(values)


def _tunnel(entry: Mapping[str, Any], sas: Sequence[SA]) -> Iterable[Sample]:
    labels = {"connection": str(entry["connection"]), "child": str(entry["child"])}
    for state in STATES:
        yield "tunnel_state", dict(labels, state=state), 1.0 if entry["status"] == state else 0.0
    if entry["status"] == "missing":
        return
    yield "tunnel_intended", dict(labels, intent=str(entry["intent"])), float(entry["intent"] in ("start", "trap"))
    yield "tunnel_up", labels, float(entry["status"] in ("up", "trapped"))
    yield "tunnel_healthy", labels, float(not entry["problems"])
    installed = _installed(sas, str(entry["connection"]), str(entry["child"]))
    yield "tunnel_child_sas", labels, float(len(installed))
    yield from _traffic(labels, installed)


def _connection(conn: str, sas: Sequence[SA]) -> Iterable[Sample]:
    ages = [_number(sa.get("established")) for sa in sas if sa.get("name") == conn and sa.get("state") in IKE_UP]
    yield "ike_sas", {"connection": conn}, float(len(ages))
    known = [age for age in ages if age is not None]
    if known:
        yield "ike_established_seconds", {"connection": conn}, max(known)


def _pools(pools: Mapping[str, Any]) -> Iterable[Sample]:
    for name in sorted(pools):
        body = pools[name] if isinstance(pools[name], Mapping) else {}
        size = _number(body.get("size"))
        if size is not None:
            yield "pool_size", {"pool": str(name)}, size
        for status in ("online", "offline"):
            count = _number(body.get(status))
            if count is None:  # count the leases when the daemon gives no totals
                leases = body.get("leases")
                listed = list(leases.values()) if isinstance(leases, Mapping) else []
                count = float(len([lease for lease in listed if isinstance(lease, Mapping)
                                   and lease.get("status") == status]))
            yield "pool_leases", {"pool": str(name), "status": status}, count


def samples(entries: Sequence[Mapping[str, Any]], summary: Mapping[str, Any], sas: Sequence[SA],
            pools: Mapping[str, Any], now: float) -> List[Sample]:
    """Every sample of the file, unordered."""
    found: List[Sample] = []
    for entry in entries:
        found.extend(_tunnel(entry, sas))
    for conn in sorted({str(entry["connection"]) for entry in entries if entry["status"] != "missing"}):
        found.extend(_connection(conn, sas))
    found.extend(_pools(pools))
    found.append(("health_healthy", {}, float(bool(summary.get("healthy")))))
    found.append(("health_timestamp_seconds", {}, float(int(now))))
    return found


def render(entries: Sequence[Mapping[str, Any]], summary: Mapping[str, Any], sas: Sequence[SA],
           pools: Mapping[str, Any], now: float) -> str:
    """The exposition text: each family's HELP and TYPE, then its samples (a counter named with ``_total``)."""
    by_family: Dict[str, List[Tuple[Dict[str, str], float]]] = {}
    for family, labels, value in samples(entries, summary, sas, pools, now):
        by_family.setdefault(family, []).append((labels, value))
    lines: List[str] = []
    for family, kind, text in FAMILIES:
        if family not in by_family:
            continue
        name = PREFIX + family + ("_total" if kind == "counter" else "")
        lines.append("# HELP %s %s" % (name, text))
        lines.append("# TYPE %s %s" % (name, kind))
        for labels, value in by_family[family]:
            shown = ",".join('%s="%s"' % (key, escape(labels[key])) for key in labels)
            lines.append("%s%s %s" % (name, "{%s}" % shown if shown else "", _value(value)))
    return "\n".join(lines) + "\n"


def write_metrics(path: str, text: str) -> None:
    """Replace ``path`` atomically with ``text``, mode 0644 (:class:`MetricsError` naming the option on failure).

    Through the collection's one atomic writer (``_files/atomic.py``): a temporary file in the same directory,
    written and flushed to disk, then renamed over ``path``. Mode 0644: node_exporter reads it as another user,
    and it holds no secret.
    """
    try:
        replace_file(path, text.encode("utf-8"), 0o644)
    except CannotCreate as error:
        raise MetricsError("metrics_path: cannot create a file in %s (%s); the directory must exist and be writable"
                           % (os.path.dirname(os.path.abspath(path)), error.strerror or error)) from None
    except OSError as error:
        raise MetricsError("metrics_path: cannot write %s (%s)" % (path, error.strerror or error)) from None
