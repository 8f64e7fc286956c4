#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Throughput of the collection's VICI codec against the official ``vici`` package, in one run.

Both encode and decode the same messages: a ``load-conn`` request with many connections (lists,
certificate-sized binary blobs) and a ``list-sa``-like reply (nested IKE and CHILD_SA sections), each
at about 1 KB, 64 KB and 500 KB (real segment sizes; the daemon's limit is 512 KiB) and about 3 MB
(above the limit, built in memory only to show how throughput scales).

Usage: python benchmarks/codec.py [--repeat N] [--min-time SECONDS] [--skip-official-3mb] [--ours DIR]
       python benchmarks/codec.py --against REF [--repeat N] [--min-time SECONDS] [--ours DIR]

The two packages are both called ``vici``: the official one is imported normally, ours is loaded from
plugins/module_utils/vici/ of this repository under the name ``ourvici``.

``--against REF`` compares ours with our own codec at git commit REF instead of the official package:
plugins/module_utils/vici/ of REF is extracted (``git archive``) under .tmp/codec-<commit>/ and loaded as
``oldvici``; batches of new and old alternate in one run, and the table gives the median of the new/old
throughput ratios of adjacent batches, at 64 KB and 500 KB (all four sizes with ``--all-sizes``).
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import random
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
OUR_PACKAGE = os.path.join(HERE, os.pardir, "plugins", "module_utils", "vici")

# wall: time.perf_counter; cpu: time.process_time, the CPU time of this process only, which time spent waiting
# for a core on a busy machine does not inflate.
CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}
SIZES = [("1 KB", 1000), ("64 KB", 64000), ("500 KB", 500000), ("3 MB", 3000000)]
MB = 1e6


def load_ours(package=OUR_PACKAGE, name="ourvici"):
    """Import plugins/module_utils/vici as the package ``name`` (it uses relative imports only)."""
    spec = importlib.util.spec_from_file_location(
        name, os.path.join(package, "__init__.py"), submodule_search_locations=[package]
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return importlib.import_module(name + ".wire")


def checkout_codec(ref):
    """plugins/module_utils/vici/ of git commit ``ref``, extracted under .tmp/codec-<commit>/; its directory."""
    repo = os.path.normpath(os.path.join(HERE, os.pardir))

    def git(*args, **kwargs):
        return subprocess.run(("git", "-C", repo) + args, check=True, **kwargs)

    commit = git("rev-parse", "--verify", ref + "^{commit}", stdout=subprocess.PIPE, text=True).stdout.strip()
    root = os.path.join(repo, ".tmp", "codec-" + commit[:12])
    package = os.path.join(root, "plugins", "module_utils", "vici")
    if not os.path.isfile(os.path.join(package, "wire.py")):
        os.makedirs(root, exist_ok=True)
        archive = git("archive", commit, "plugins/module_utils/vici", stdout=subprocess.PIPE).stdout
        subprocess.run(("tar", "-x", "-C", root), input=archive, check=True)
    return package, commit


def load_official():
    try:
        from vici.protocol import FiniteStream, Message  # the official package, pip install vici==6.0.3
    except ImportError:
        sys.exit("the official 'vici' package is not installed: pip install vici==6.0.3 (or run make setup)")
    return Message, FiniteStream


# -- realistic messages ------------------------------------------------------------------------


def _blob(rng, size):
    """Certificate-sized DER-like binary data (not valid UTF-8)."""
    return b"\x30\x82" + bytes(rng.getrandbits(8) for _index in range(size - 2))


def _connection(rng, number):
    child_count = 1 + number % 3
    conn = {
        "version": "2",
        "local_addrs": ["192.0.2.%d" % (number % 250 + 1), "2001:db8::%x" % (number + 1)],
        "remote_addrs": ["198.51.100.%d" % (number % 250 + 1)],
        "proposals": ["aes256gcm16-prf-sha384-ecp384", "aes128-sha256-modp3072", "default"],
        "dpd_delay": "30",
        "rekey_time": "14400",
        "mobike": "no",
        "local-1": {"auth": "pubkey", "id": "CN=gw%d.example.org, O=Example, C=CH" % number,
                    "certs": ["gw%d.pem" % number]},
        "remote-1": {"auth": "pubkey", "id": "CN=peer%d.example.net" % number, "cacerts": ["ca.pem"]},
        "children": {
            "net%d" % child: {
                "local_ts": ["10.%d.%d.0/24" % (number % 250, child), "fd00:%x:%x::/64" % (number, child)],
                "remote_ts": ["10.200.%d.0/24" % child],
                "esp_proposals": ["aes256gcm16-ecp384", "aes128gcm16-modp2048"],
                "start_action": "trap",
                "updown": "/usr/local/libexec/ipsec/_updown iptables",
            }
            for child in range(child_count)
        },
    }
    if number % 4 == 3:
        conn["local-1"]["cert_data"] = _blob(rng, 1200)
    return conn


def _ike_sa(rng, number):
    return {
        "uniqueid": str(number + 1),
        "version": "2",
        "state": "ESTABLISHED",
        "local-host": "192.0.2.1",
        "local-port": "4500",
        "local-id": "gw.example.org",
        "remote-host": "198.51.100.%d" % (number % 250 + 1),
        "remote-port": "4500",
        "remote-id": "peer%d.example.net" % number,
        "initiator-spi": "%016x" % rng.getrandbits(64),
        "responder-spi": "%016x" % rng.getrandbits(64),
        "encr-alg": "AES_GCM_16",
        "encr-keysize": "256",
        "prf-alg": "PRF_HMAC_SHA2_384",
        "dh-group": "ECP_384",
        "established": str(rng.randrange(100000)),
        "rekey-time": str(rng.randrange(14400)),
        "local-vips": [],
        "remote-vips": ["10.99.%d.%d" % (number // 250 % 250, number % 250 + 1)],
        "tasks-queued": [],
        "child-sas": {
            "net-%d" % (number * 2 + child): {
                "name": "net",
                "uniqueid": str(number * 2 + child),
                "reqid": str(number + 1),
                "state": "INSTALLED",
                "mode": "TUNNEL",
                "protocol": "ESP",
                "spi-in": "%08x" % rng.getrandbits(32),
                "spi-out": "%08x" % rng.getrandbits(32),
                "encr-alg": "AES_GCM_16",
                "encr-keysize": "256",
                "bytes-in": str(rng.randrange(10 ** 9)),
                "packets-in": str(rng.randrange(10 ** 6)),
                "bytes-out": str(rng.randrange(10 ** 9)),
                "packets-out": str(rng.randrange(10 ** 6)),
                "rekey-time": str(rng.randrange(3600)),
                "life-time": str(rng.randrange(4000)),
                "install-time": str(rng.randrange(3600)),
                "local-ts": ["10.%d.0.0/24" % (number % 250)],
                "remote-ts": ["10.200.%d.0/24" % child],
            }
            for child in range(2)
        },
    }


KINDS = {"load-conn": ("conn", _connection), "list-sas": ("ike", _ike_sa)}


def build(kind, target, encode):
    """A message of ``kind`` whose encoding is about ``target`` bytes (grown entry by entry)."""
    prefix, make = KINDS[kind]
    rng = random.Random(target)
    message = {}
    size = 0
    number = 0
    while True:
        name = "%s%d" % (prefix, number)
        entry = make(rng, number)
        entry_size = len(encode({name: entry}))
        if message and abs(size + entry_size - target) >= abs(size - target):
            return message
        message[name] = entry
        size += entry_size
        number += 1


# -- measuring ---------------------------------------------------------------------------------


def _calibrate(function, argument, min_time):
    """Calls per batch so that a batch lasts about ``min_time`` seconds (after a warm-up call)."""
    function(argument)  # warm-up
    start = time.perf_counter()
    function(argument)
    once = max(time.perf_counter() - start, 1e-7)
    return max(1, int(min_time / once))


def _batch(function, argument, loops, clock=time.perf_counter):
    start = clock()
    for _loop in range(loops):
        function(argument)
    return (clock() - start) / loops


def measure(functions, argument, repeat, min_time):
    """Seconds per call of each function: (best, median) of ``repeat`` batches.

    The functions' batches alternate, so that a burst of load on the machine hits all of them alike.
    """
    loops = [_calibrate(function, argument, min_time) for function in functions]
    samples = [[] for _function in functions]
    for _batch_number in range(repeat):
        for function, count, timings in zip(functions, loops, samples):
            timings.append(_batch(function, argument, count))
    return [(min(timings), statistics.median(timings)) for timings in samples]


def measure_pairs(new, old, argument, repeat, min_time, clock):
    """Median and range of new/old throughput over ``repeat`` adjacent pairs of batches (new first, then old;
    the next pair starts with old, so that neither side always runs right after the other)."""
    loops = max(_calibrate(new, argument, min_time), _calibrate(old, argument, min_time))
    ratios = []
    new_times, old_times = [], []
    for pair in range(repeat):
        if pair % 2:
            old_time = _batch(old, argument, loops, clock)
            new_time = _batch(new, argument, loops, clock)
        else:
            new_time = _batch(new, argument, loops, clock)
            old_time = _batch(old, argument, loops, clock)
        new_times.append(new_time)
        old_times.append(old_time)
        ratios.append(old_time / new_time)
    return statistics.median(ratios), min(ratios), max(ratios), statistics.median(new_times), statistics.median(old_times)


def compare(args):
    """``--against REF``: ours (new) against our codec at REF (old), alternating, in one run."""
    new = load_ours(args.ours, "ourvici")
    old_package, commit = checkout_codec(args.against)
    old = load_ours(old_package, "oldvici")
    sizes = SIZES if args.all_sizes else [size for size in SIZES if size[0] in ("64 KB", "500 KB")]
    print("VICI codec, new (%s) against old (%s = %s): %d alternating pairs of batches of >= %.2f s, %s time;"
          " ratio = new/old throughput per pair (> 1: new is faster), median [min-max]" % (
              os.path.normpath(args.ours), args.against, commit[:12], args.repeat, args.min_time, args.clock))
    print("python %s" % sys.version.split()[0])
    header = "%-9s %-6s %9s | %-6s %10s %10s | %s" % ("message", "size", "bytes", "op", "new MB/s", "old MB/s",
                                                      "new/old median [min-max]")
    print(header)
    print("-" * len(header))
    summary = {}
    for kind in KINDS:
        for label, target in sizes:
            message = build(kind, target, old.encode_message)
            data = old.encode_message(message)
            # the same bytes and the same values from both, or the comparison means nothing
            assert new.encode_message(message) == data, "new and old encoders disagree"
            for raw_values in (False, True):
                assert new.decode_message(data, raw_values) == old.decode_message(data, raw_values), \
                    "new and old decoders disagree"
            for op, argument in (("encode", message), ("decode", data)):
                median, low, high, new_time, old_time = measure_pairs(
                    getattr(new, op + "_message"), getattr(old, op + "_message"), argument, args.repeat, args.min_time,
                    CLOCKS[args.clock])
                summary.setdefault((label, op), []).append(median)
                print("%-9s %-6s %9d | %-6s %10.1f %10.1f | %.3f [%.3f-%.3f]" % (
                    kind, label, len(data), op, len(data) / new_time / MB, len(data) / old_time / MB, median, low, high))
                sys.stdout.flush()
    print()
    worst = min(min(medians) for medians in summary.values())
    for (label, op), medians in summary.items():
        print("median new/old %-6s %-6s: %s" % (op, label, ", ".join(
            "%s %.3f" % (kind, median) for kind, median in zip(KINDS, medians))))
    print("lowest median ratio: %.3f (target >= 0.95: %s)" % (worst, "met" if worst >= 0.95 else "NOT met"))
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--repeat", type=int, default=7, help="timed batches per measurement (default 7)")
    parser.add_argument("--min-time", type=float, default=0.2, help="seconds per batch (default 0.2)")
    parser.add_argument("--skip-official-3mb", action="store_true",
                        help="do not time the official package on the 3 MB messages (saves time)")
    parser.add_argument("--ours", default=OUR_PACKAGE, metavar="DIR",
                        help="directory of the codec to measure (default: this checkout's plugins/module_utils/vici)")
    parser.add_argument("--against", metavar="REF",
                        help="compare with our codec at git commit REF (alternating batches) instead of the official"
                             " package; prints the median new/old throughput ratio per size and direction")
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="wall",
                        help="with --against: wall time (default) or this process's CPU time (steadier on a busy machine)")
    parser.add_argument("--all-sizes", action="store_true", help="with --against: all four sizes, not only 64 KB"
                        " and 500 KB")
    args = parser.parse_args(argv)
    if args.against:
        return compare(args)

    wire = load_ours(args.ours)
    message_class, stream_class = load_official()

    def official_decode(data):
        return message_class.deserialize(stream_class(data))

    print("VICI codec throughput in MB/s (10^6 bytes of encoded message per second): best of %d batches of"
          " >= %.2f s each, median in parentheses; ratio = ours / official (best)" % (args.repeat, args.min_time))
    print("python %s, official vici %s, ours from %s" % (
        sys.version.split()[0], _official_version(), os.path.normpath(args.ours)))
    header = "%-9s %-6s %9s | %-6s %20s %20s %7s" % ("message", "size", "bytes", "op", "ours", "official", "ratio")
    print(header)
    print("-" * len(header))
    results = {}
    for kind in KINDS:
        for label, target in SIZES:
            message = build(kind, target, wire.encode_message)
            data = wire.encode_message(message)
            # the same bytes and the same tree from both, or the comparison means nothing
            assert data == message_class.serialize(message), "the two encoders disagree"
            assert wire.decode_message(data, raw_values=True) == _plain(official_decode(data)), "the decoders disagree"
            skip_official = target > wire.MAX_SEGMENT_SIZE and args.skip_official_3mb
            for op, ours, official, argument in (
                ("encode", wire.encode_message, message_class.serialize, message),
                ("decode", wire.decode_message, official_decode, data),
            ):
                functions = [ours] if skip_official else [ours, official]
                timings = measure(functions, argument, args.repeat, args.min_time)
                ours_best, ours_median = timings[0]
                results[(kind, label, op)] = len(data) / ours_best / MB
                if skip_official:
                    official_text, ratio_text = "skipped", ""
                else:
                    official_best, official_median = timings[1]
                    official_text = "%8.1f (%8.1f)" % (len(data) / official_best / MB, len(data) / official_median / MB)
                    ratio_text = "%6.1fx" % (official_best / ours_best)
                print("%-9s %-6s %9d | %-6s %8.1f (%8.1f) %20s %7s" % (
                    kind, label, len(data), op, len(data) / ours_best / MB, len(data) / ours_median / MB,
                    official_text, ratio_text))
                sys.stdout.flush()
    print()
    for kind in KINDS:
        for op in ("encode", "decode"):
            small, large = results[(kind, "64 KB", op)], results[(kind, "3 MB", op)]
            print("scaling %-9s %s: ours at 3 MB runs at %5.1f%% of ours at 64 KB (%.1f vs %.1f MB/s)" % (
                kind, op, 100.0 * large / small, large, small))
    return 0


def _official_version():
    try:
        from importlib.metadata import version  # Python 3.8+
        return version("vici")
    except Exception:  # pylint: disable=broad-except
        return "unknown"


def _plain(tree):
    if isinstance(tree, dict):
        return {name: _plain(value) for name, value in tree.items()}
    if isinstance(tree, list):
        return [_plain(item) for item in tree]
    return tree


if __name__ == "__main__":
    sys.exit(main())
