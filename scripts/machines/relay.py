# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ssh's ProxyCommand into a lab: relay stdin/stdout to HOST:PORT (Python standard library only).

usage: ip netns exec <the lab's WAN namespace> python3 relay.py HOST PORT

The lab machines live in network namespaces that this machine's own namespace has no route to (by design: two labs
may use the same addresses). ssh runs on the controller as usual and reaches a machine through this relay, started
in the lab's WAN namespace by the lab's ssh_config (lab.sh writes it). Connecting gives up after 10 seconds.
"""

import os
import select
import socket
import sys


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    try:
        sock = socket.create_connection((host, port), timeout=10)
    except OSError as exc:
        sys.exit("relay: cannot connect to %s:%d: %s" % (host, port, exc))
    sock.settimeout(None)
    stdin, stdout = sys.stdin.fileno(), sys.stdout.fileno()
    inputs = [stdin, sock]
    while inputs:
        readable = select.select(inputs, [], [])[0]
        if stdin in readable:
            data = os.read(stdin, 65536)
            if data:
                sock.sendall(data)
            else:
                sock.shutdown(socket.SHUT_WR)
                inputs.remove(stdin)
        if sock in readable:
            data = sock.recv(65536)
            if not data:
                break
            view = memoryview(data)
            while view:
                view = view[os.write(stdout, view):]
    sock.close()


if __name__ == "__main__":
    main()
