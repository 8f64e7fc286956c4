# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""UDP from SRC_IP in namespace SRC_NS to DST_IP in namespace DST_NS (the harness's udp_probe; bounded).

    probe.py SRC_NS SRC_IP DST_NS DST_IP      # exit 0 if a datagram arrived, 1 if not
"""

from __future__ import annotations

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "tests", "integration", "targets", "setup_charon", "files"))

import charon_harness  # noqa: E402  pylint: disable=wrong-import-position


def main(argv):
    src_ns, src_ip, dst_ns, dst_ip = argv[1:5]
    arrived = charon_harness.udp_probe(src_ns, src_ip, dst_ns, dst_ip, timeout=10.0, count=20, interval=0.2)
    print("arrived" if arrived else "lost")
    return 0 if arrived else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
