# -*- coding: utf-8 -*-
# Copyright (c) 2026, strongswan.vici contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Throwaway strongSwan charon daemons (and network namespaces) for tests and demos.

One implementation, used three ways:

* imported by the pytest fixtures in ``tests/system/conftest.py``;
* run as a CLI by the ``setup_charon`` ansible-test target and by ``demo/run.sh``::

      python3 charon_harness.py start  --workdir D [--netns NS] [--tunnel]   # prints JSON, leaves it running
      python3 charon_harness.py status --workdir D                           # exit 0 running, 3 stopped
      python3 charon_harness.py stop   --workdir D                           # by the PID recorded in D

Each daemon gets its own ``strongswan.conf`` with an explicit plugin list (never
Debian's ``load_modular`` set, which brings forecast, farp, stroke and friends),
its own VICI socket, its own log file, and its own ``/run`` (a private mount
namespace with a tmpfs there), so several run side by side without fighting over
``/var/run/charon.pid``. In the root network namespace it uses random UDP ports
and loopback only. Processes are stopped by their recorded PID only, after
checking that the PID still belongs to the daemon we started.

Standard library only; Python 3.8 or later; needs root, ``unshare`` and ``ip``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import select
import signal
import socket
import struct
import subprocess
import sys
import time

CHARON_BIN = "/usr/lib/ipsec/charon"
SWANCTL_BIN = "/usr/sbin/swanctl"

#: The plugins every harness daemon loads, in this order (the order matters:
#: kernel interfaces are tried in load order). Debian 12 (strongSwan 5.9) and
#: Debian 13 (6.0) both build every one of them, once the packages in
#: scripts/debian-packages.txt are installed.
DEFAULT_PLUGINS = (
    "random", "nonce", "openssl", "aes", "sha1", "sha2", "hmac", "kdf", "gmp", "curve25519",
    "gcm", "ctr", "ccm", "cmac", "xcbc", "chapoly", "drbg", "pem", "pkcs1", "pkcs8", "x509",
    "pubkey", "constraints", "socket-default", "vici", "counters", "attr",
    "eap-identity", "eap-md5", "eap-mschapv2", "xauth-generic",
    "kernel-netlink",
)

_PACKAGES_5 = {
    "libstrongswan": ("random", "nonce", "aes", "sha1", "sha2", "hmac", "kdf", "gmp", "xcbc", "drbg", "pem",
                      "pkcs1", "pkcs8", "x509", "pubkey", "constraints", "revocation", "attr", "kernel-netlink",
                      "resolve"),
    "libstrongswan-standard-plugins": ("openssl", "gcm", "aesni"),
    "libstrongswan-extra-plugins": ("curve25519", "ctr", "ccm", "cmac", "chapoly", "pkcs11"),
    "strongswan-libcharon": ("socket-default", "counters"),
    "strongswan-swanctl": ("vici",),
    "libcharon-extra-plugins": ("eap-identity", "eap-md5", "kernel-libipsec"),
    "libcharon-extauth-plugins": ("eap-mschapv2", "xauth-generic"),
}
# Debian 13 moved openssl into libstrongswan and the software ciphers and hashes into the extra plugins.
_PACKAGES_6 = dict(_PACKAGES_5)
_PACKAGES_6.update({
    "libstrongswan": ("random", "nonce", "openssl", "drbg", "pem", "pkcs1", "pkcs8", "x509", "pubkey",
                      "constraints", "revocation", "attr", "kernel-netlink", "resolve"),
    "libstrongswan-standard-plugins": ("gcm", "aesni"),
    "libstrongswan-extra-plugins": ("aes", "sha1", "sha2", "hmac", "kdf", "gmp", "xcbc", "curve25519", "ctr",
                                    "ccm", "cmac", "chapoly", "pkcs11"),
})

#: The Debian package of every plugin a harness daemon may load, by strongSwan major version.
#: A daemon asked for a plugin missing here does not start: so this table names every plugin
#: the project uses, and tests/unit/test_platform.py checks it against ``dpkg -S`` and against
#: scripts/debian-packages.txt (what bootstrap installs).
PLUGIN_PACKAGES = {
    major: {plugin: package for package, plugins in table.items() for plugin in plugins}
    for major, table in ((5, _PACKAGES_5), (6, _PACKAGES_6))
}

PLUGIN_DIR = "/usr/lib/ipsec/plugins"

#: Every program the harness, the tests, the demo and the benchmarks run, with the Debian package that
#: ships it; tests/unit/test_platform.py checks each against ``dpkg -S`` and scripts/debian-packages.txt.
PROGRAM_PACKAGES = {
    "charon": "strongswan-charon",
    "swanctl": "strongswan-swanctl",
    "pki": "strongswan-pki",
    "openssl": "openssl",
    "softhsm2-util": "softhsm2",
    "ip": "iproute2",
    "unshare": "util-linux",
    "nsenter": "util-linux",
    "mount": "mount",
    "chroot": "coreutils",
    "timeout": "coreutils",
    "ssh-keygen": "openssh-client",
    "debootstrap": "debootstrap",
    "shellcheck": "shellcheck",
    "git": "git",
    "dot": "graphviz",
    # the lab machines (scripts/machines)
    "systemd-nspawn": "systemd-container",
    "ssh": "openssh-client",
    "setsid": "util-linux",
    "flock": "util-linux",
}

#: Environment variable naming a Debian root (made by scripts/strongswan6_root.sh) whose charon the
#: harness runs instead of this machine's, chrooted, with the same paths for sockets and files.
CHARON_ROOT_ENV = "STRONGSWAN_VICI_CHARON_ROOT"

#: Default filelog levels (charon's -1..4 scale) per subsystem.
DEFAULT_LOG_LEVELS = {"default": 1, "ike": 2, "cfg": 2}

#: Longest path an AF_UNIX socket address takes on Linux (108 bytes with the NUL).
MAX_SOCKET_PATH = 107


def _request_frame(command):
    """A VICI CMD_REQUEST with an empty message: length, type 0, name length, name."""
    name = command.encode("ascii")
    return struct.pack("!IBB", 2 + len(name), 0, len(name)) + name


VERSION_REQUEST = _request_frame("version")

_VICI_CMD_RESPONSE = 1
_VICI_CMD_UNKNOWN = 2

_WRAPPER = (
    'echo $$ > "$1" || exit 70; '
    "mount -t tmpfs -o mode=0755 tmpfs /run || exit 71; "
    "if [ ! -L /var/run ]; then mount -t tmpfs -o mode=0755 tmpfs /var/run || exit 72; fi; "
    'exec "$2"'
)

# The same, for a charon from another Debian root ($3): the root sees this machine's /tmp (where
# workdirs, sockets and test files live) and the workdir ($4) at the same paths, its own /run.
_ROOT_WRAPPER = (
    'echo $$ > "$1" || exit 70; '
    'if [ -n "$5" ]; then ip link set lo up || exit 78; fi; '
    'mount --rbind /tmp "$3/tmp" || exit 73; '
    'case "$4" in /tmp/*) ;; *) mkdir -p "$3$4" && mount --bind "$4" "$3$4" || exit 74 ;; esac; '
    'mount -t tmpfs -o mode=0755 tmpfs "$3/run" || exit 71; '
    'mount --rbind /dev "$3/dev" || exit 75; '
    'mount -t proc proc "$3/proc" || exit 76; '
    'mount --rbind /sys "$3/sys" || exit 77; '
    'exec chroot "$3" "$2"'
)


class HarnessError(Exception):
    """A daemon or namespace could not be set up; the message carries the daemon's log tail."""


# ---------------------------------------------------------------------------
# Tiny VICI helpers (enough for a liveness probe; the collection has the real client)
# ---------------------------------------------------------------------------


def _recv_exact(sock, size):
    chunks = []
    while size:
        chunk = sock.recv(size)
        if not chunk:
            raise ConnectionError("VICI socket closed mid-frame")
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def _decode_message(data):
    """Decode a VICI message body (sections, lists, key/values) into a dict of str."""
    root = {}
    stack = [root]
    current_list = None
    pos = 0
    while pos < len(data):
        kind = data[pos]
        pos += 1
        if kind in (1, 3, 4):  # SECTION_START, KEY_VALUE, LIST_START carry a name
            name_len = data[pos]
            name = data[pos + 1:pos + 1 + name_len].decode("utf-8", "replace")
            pos += 1 + name_len
        if kind == 1:
            child = {}
            stack[-1][name] = child
            stack.append(child)
        elif kind == 2:  # SECTION_END
            stack.pop()
        elif kind in (3, 5):  # KEY_VALUE, LIST_ITEM
            value_len = struct.unpack("!H", data[pos:pos + 2])[0]
            value = data[pos + 2:pos + 2 + value_len].decode("utf-8", "replace")
            pos += 2 + value_len
            if kind == 3:
                stack[-1][name] = value
            else:
                current_list.append(value)
        elif kind == 4:
            current_list = []
            stack[-1][name] = current_list
        elif kind == 6:  # LIST_END
            current_list = None
        else:
            raise ValueError("unknown VICI element type %d" % kind)
    return root


def vici_request(socket_path, command, timeout=2.0):
    """Send a hand-built VICI request without arguments; return the reply as a dict of str.

    Raises OSError (including timeouts and refused connections) or ValueError.
    """
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        sock.connect(socket_path)
        sock.sendall(_request_frame(command))
        length = struct.unpack("!I", _recv_exact(sock, 4))[0]
        frame = _recv_exact(sock, length)
    finally:
        sock.close()
    if not frame or frame[0] != _VICI_CMD_RESPONSE:
        raise ValueError("unexpected VICI reply type %r to %r" % (frame[:1], command))
    return _decode_message(frame[1:])


def vici_version(socket_path, timeout=2.0):
    """The daemon's ``version`` reply (see :func:`vici_request`)."""
    return vici_request(socket_path, "version", timeout=timeout)


# ---------------------------------------------------------------------------
# The platform: which strongSwan, which plugins
# ---------------------------------------------------------------------------

_VERSIONS = {}


def charon_version(root=None, charon_bin=CHARON_BIN):
    """(major, minor, patch) of the charon binary, from ``charon --version`` (chrooted into ROOT if given)."""
    key = (root or "/", charon_bin)
    if key not in _VERSIONS:
        if not os.path.exists(os.path.join(root or "/", charon_bin.lstrip("/"))):
            raise HarnessError("no charon at %s%s: install strongswan-charon (apt-get install strongswan-charon; "
                               "`make setup` does)" % (root or "", charon_bin))
        _code, output = _run((["chroot", root] if root else []) + [charon_bin, "--version"], timeout=10.0)
        match = re.search(r"strongSwan (\d+)\.(\d+)\.(\d+)", output)
        if not match:
            raise HarnessError("cannot tell the strongSwan version from %r" % output.strip())
        _VERSIONS[key] = tuple(int(part) for part in match.groups())
    return _VERSIONS[key]


def plugin_problem(plugins, version, root=None):
    """Why charon VERSION (in ROOT) cannot load PLUGINS, naming plugin and package; None if it can."""
    table = PLUGIN_PACKAGES.get(version[0])
    if table is None:
        return ("strongSwan %s: the harness knows no plugin packages for this major version "
                "(add a table to PLUGIN_PACKAGES)" % ".".join(map(str, version)))
    unknown = [plugin for plugin in plugins if plugin not in table]
    if unknown:
        return ("plugin(s) %s are not in PLUGIN_PACKAGES: add each with the Debian package that ships it "
                "(dpkg -S %s/libstrongswan-NAME.so) and make sure scripts/debian-packages.txt names that package"
                % (", ".join(unknown), PLUGIN_DIR))
    missing = [plugin for plugin in plugins
               if not os.path.exists(os.path.join(root or "/", PLUGIN_DIR.lstrip("/"), "libstrongswan-%s.so" % plugin))]
    if missing:
        return missing_plugins_message(missing, table, root)
    return None


def missing_plugins_message(missing, table, root=None):
    packages = sorted({table.get(plugin, "?") for plugin in missing})
    where = " in %s" % root if root else ""
    return ("charon cannot load plugin(s) %s%s: install %s (apt-get install %s; `make setup` does)"
            % (", ".join(missing), where, ", ".join("%s from %s" % (plugin, table.get(plugin, "?")) for plugin in missing),
               " ".join(packages)))


# ---------------------------------------------------------------------------
# Process helpers
# ---------------------------------------------------------------------------


def _pid_state(pid):
    """The one-letter state of a process from /proc, or None if it is gone."""
    try:
        with open("/proc/%d/stat" % pid, "rb") as stat_file:
            stat = stat_file.read()
    except (FileNotFoundError, ProcessLookupError):
        return None
    # "pid (comm) S ..." where comm may contain spaces and parentheses
    return stat[stat.rfind(b")") + 2:stat.rfind(b")") + 3].decode("ascii", "replace")


def pid_alive(pid):
    """True while the process exists and is not a zombie."""
    state = _pid_state(pid)
    return state is not None and state not in ("Z", "X")


def _pid_has_env(pid, key, value):
    """True if /proc/PID/environ holds KEY=VALUE: proves the PID is the daemon we started."""
    try:
        with open("/proc/%d/environ" % pid, "rb") as environ:
            entries = environ.read().split(b"\0")
    except OSError:
        return False
    return ("%s=%s" % (key, value)).encode() in entries


def _tail(path, lines=40):
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - 16384))
            text = handle.read().decode("utf-8", "replace")
    except OSError as exc:
        return "(no %s: %s)" % (path, exc)
    return "\n".join(text.splitlines()[-lines:])


def _run(cmd, timeout=10.0, check=True):
    """Run a short command with a deadline; raise HarnessError with its output on failure."""
    try:
        result = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise HarnessError("%s: no answer within %.0f s" % (" ".join(cmd), timeout)) from exc
    output = result.stdout.decode("utf-8", "replace")
    if check and result.returncode != 0:
        raise HarnessError("%s failed (exit %d): %s" % (" ".join(cmd), result.returncode, output.strip()))
    return result.returncode, output


# ---------------------------------------------------------------------------
# The daemon
# ---------------------------------------------------------------------------


class Charon:
    """One charon daemon with its own config, socket, log and /run.

    ``Charon(workdir).start()`` writes ``<workdir>/strongswan.conf`` and the
    daemon's files (``<name>.vici``, ``<name>.log``, ``<name>.pid``,
    ``<name>.out`` for stdout/stderr, ``<name>.json`` for the CLI), starts it and
    waits until the socket answers ``version``. Use it as a context manager.

    ``netns`` runs the daemon inside that network namespace (real ports 500 and
    4500, all interfaces); without it the daemon stays on loopback with random
    ports and installs no routes. ``tunnel=True`` loads ``kernel-libipsec``
    (userspace ESP: this kernel has no ESP transform) before ``kernel-netlink``.
    ``extra_conf`` is appended verbatim after the generated ``charon { }`` block;
    strongswan.conf merges sections, so ``charon { some_key = x }`` there adds to
    or overrides the generated settings.
    """

    def __init__(self, workdir, name="charon", plugins=DEFAULT_PLUGINS, netns=None, extra_conf="",
                 log_level=None, log_levels=None, tunnel=False, start_timeout=15.0, charon_bin=CHARON_BIN,
                 root=None):
        self.workdir = os.path.abspath(str(workdir))
        real = os.path.realpath(self.workdir)
        if real == "/run" or real.startswith("/run/"):
            raise HarnessError("workdir %s is under /run, which the daemon's private tmpfs hides" % self.workdir)
        self.name = name
        self.netns = netns
        self.tunnel = tunnel
        plugins = list(plugins)
        if tunnel and "kernel-libipsec" not in plugins:
            index = plugins.index("kernel-netlink") if "kernel-netlink" in plugins else len(plugins)
            plugins.insert(index, "kernel-libipsec")
        self.plugins = tuple(plugins)
        self.extra_conf = extra_conf
        self.log_levels = dict(DEFAULT_LOG_LEVELS)
        if log_level is not None:
            self.log_levels["default"] = int(log_level)
        self.log_levels.update(log_levels or {})
        self.start_timeout = float(start_timeout)
        self.charon_bin = charon_bin
        #: A Debian root to run charon from (chrooted), e.g. strongSwan 6 from scripts/strongswan6_root.sh.
        self.root = root if root is not None else (os.environ.get(CHARON_ROOT_ENV) or None)
        self.strongswan_version = None
        base = "strongswan.conf" if name == "charon" else "%s.strongswan.conf" % name
        self.conf_path = os.path.join(self.workdir, base)
        self.state_path = self._file("json")
        self.pid_path = self._file("pid")
        self.out_path = self._file("out")
        if len(self.socket_path.encode()) > MAX_SOCKET_PATH:
            raise HarnessError("socket path %s is longer than %d bytes: use a shorter workdir"
                               % (self.socket_path, MAX_SOCKET_PATH))
        self._proc = None
        self._pid = None

    def _file(self, suffix):
        return os.path.join(self.workdir, "%s.%s" % (self.name, suffix))

    # -- properties -------------------------------------------------------

    @property
    def socket_path(self):
        """Filesystem path of the VICI socket."""
        return self._file("vici")

    @property
    def socket_uri(self):
        """``unix://`` URI of the VICI socket, as swanctl --uri and the modules take it."""
        return "unix://" + self.socket_path

    @property
    def log_path(self):
        """The daemon's filelog."""
        return self._file("log")

    @property
    def pid(self):
        """PID of the running daemon, or None."""
        if self._pid is not None and pid_alive(self._pid):
            return self._pid
        return None

    @property
    def running(self):
        """True while the daemon process exists."""
        return self.pid is not None

    def __repr__(self):
        return "Charon(%r, name=%r, netns=%r, pid=%r)" % (self.workdir, self.name, self.netns, self.pid)

    # -- configuration ----------------------------------------------------

    def render_conf(self):
        """The strongswan.conf text this daemon runs with (no include lines: nothing else is read)."""
        lines = [
            "# Written by charon_harness.py. Self-contained: no include lines, explicit plugin list.",
            "charon {",
            "  load = " + " ".join(self.plugins),
        ]
        if self.netns is None:
            lines += [
                "  # root network namespace: random UDP ports, loopback only, no routes",
                "  port = 0",
                "  port_nat_t = 0",
                "  interfaces_use = lo",
                "  install_routes = no",
                "  install_virtual_ip = no",
            ]
        lines += [
            "  plugins {",
            "    vici {",
            "      socket = " + self.socket_uri,
            "    }",
        ]
        if self.netns is None:
            lines += [
                "    kernel-netlink {",
                "      # no policy routing rule in the host's tables",
                "      routing_table = 0",
                "    }",
            ]
        lines += [
            "  }",
            "  filelog {",
            "    harness {",
            "      path = " + self.log_path,
            "      time_format = %H:%M:%S",
            "      ike_name = yes",
            "      flush_line = yes",
            "      append = yes",
        ]
        lines += ["      %s = %d" % (key, value) for key, value in sorted(self.log_levels.items())]
        lines += [
            "    }",
            "  }",
            "}",
        ]
        text = "\n".join(lines) + "\n"
        if self.extra_conf:
            text += "\n# extra_conf\n" + self.extra_conf.rstrip("\n") + "\n"
        return text

    def write_conf(self):
        """Write strongswan.conf (and the workdir) without starting anything; return its path."""
        os.makedirs(self.workdir, exist_ok=True)
        with open(self.conf_path, "w", encoding="utf-8") as conf:
            conf.write(self.render_conf())
        return self.conf_path

    @property
    def private_netns(self):
        """Whether the daemon gets a network namespace of its own (only loopback, up).

        strongSwan 6's kernel-netlink probes for XFRM interfaces at start, creating one
        for a moment: a daemon that would otherwise run in the root namespace runs in
        a private one, so this machine's network is never touched.
        """
        return self.netns is None and (self.strongswan_version or (5,))[0] >= 6

    def command(self):
        """The argv that starts the daemon (with its private /run, in its netns if any)."""
        unshare = ["unshare", "--mount", "--propagation", "private"] + (["--net"] if self.private_netns else [])
        if self.root:
            cmd = unshare + ["sh", "-c", _ROOT_WRAPPER, "charon-harness", self.pid_path, self.charon_bin,
                             self.root, self.workdir, "net" if self.private_netns else ""]
        else:
            cmd = unshare + (["sh", "-c", "ip link set lo up || exit 78; " + _WRAPPER] if self.private_netns
                             else ["sh", "-c", _WRAPPER])
            cmd += ["charon-harness", self.pid_path, self.charon_bin]
        if self.netns:
            cmd = ["ip", "netns", "exec", self.netns] + cmd
        return cmd

    # -- lifecycle --------------------------------------------------------

    def start(self):
        """Start the daemon and wait until VICI answers; return self.

        On failure the process is stopped and HarnessError carries the log tail.
        """
        if self.running:
            return self
        self.strongswan_version = charon_version(self.root, self.charon_bin)
        problem = plugin_problem(self.plugins, self.strongswan_version, self.root)
        if problem:
            raise HarnessError(problem)
        self.write_conf()
        for stale in (self.socket_path, self.pid_path):
            try:
                os.unlink(stale)
            except FileNotFoundError:
                pass
        env = dict(os.environ)
        env["STRONGSWAN_CONF"] = self.conf_path
        with open(self.out_path, "ab") as out:
            # Own session: the daemon outlives the CLI and ignores the terminal's signals.
            self._proc = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL, stdout=out, stderr=out,  # pylint: disable=consider-using-with
                                          env=env, cwd=self.workdir, start_new_session=True, close_fds=True)
        self._pid = self._proc.pid
        try:
            self._wait_ready()
            self._check_loaded_plugins()
        except BaseException:
            self.stop()
            raise
        self._write_state()
        return self

    def _wait_ready(self):
        deadline = time.monotonic() + self.start_timeout
        last_error = "socket never appeared"
        while time.monotonic() < deadline:
            code = self._proc.poll() if self._proc is not None else None
            if code is not None:
                raise HarnessError("charon exited with status %d before answering on %s\n--- %s\n%s\n--- %s\n%s"
                                   % (code, self.socket_uri, self.out_path, _tail(self.out_path, 10),
                                      self.log_path, _tail(self.log_path)))
            if os.path.exists(self.socket_path):
                try:
                    reply = vici_version(self.socket_path, timeout=1.0)
                except (OSError, ValueError) as exc:
                    last_error = str(exc)
                else:
                    if reply.get("daemon"):
                        self._check_pidfile()
                        return
                    last_error = "odd version reply %r" % (reply,)
            time.sleep(0.05)
        raise HarnessError("charon did not answer 'version' on %s within %.0f s (%s)\n--- %s\n%s"
                           % (self.socket_uri, self.start_timeout, last_error, self.log_path, _tail(self.log_path)))

    def _check_loaded_plugins(self):
        """Fail at once when charon left out a plugin of its list (it only logs that and goes on)."""
        loaded = vici_request(self.socket_path, "stats", timeout=5.0).get("plugins", [])
        missing = [plugin for plugin in self.plugins if plugin not in loaded]
        if missing:
            table = PLUGIN_PACKAGES.get(self.strongswan_version[0], {})
            raise HarnessError("%s\n--- %s\n%s" % (missing_plugins_message(missing, table, self.root), self.log_path,
                                                   _tail(self.log_path, 15)))

    def _check_pidfile(self):
        try:
            with open(self.pid_path, encoding="ascii") as pidfile:
                recorded = int(pidfile.read().strip())
        except (OSError, ValueError) as exc:
            raise HarnessError("the wrapper wrote no usable PID to %s: %s" % (self.pid_path, exc)) from exc
        if recorded != self._pid:
            # ip netns exec and unshare exec in place; if some version forks, trust the wrapper.
            self._pid = recorded

    def _write_state(self):
        state = {
            "name": self.name, "pid": self._pid, "socket": self.socket_uri, "socket_path": self.socket_path,
            "log": self.log_path, "conf": self.conf_path, "workdir": self.workdir, "netns": self.netns,
            "tunnel": self.tunnel, "root": self.root, "plugins": list(self.plugins),
            "strongswan_version": ".".join(map(str, self.strongswan_version or ())),
        }
        with open(self.state_path, "w", encoding="utf-8") as handle:
            json.dump(state, handle, indent=1, sort_keys=True)
        return state

    def owns(self, pid):
        """True if PID is alive and was started with this daemon's STRONGSWAN_CONF."""
        return pid_alive(pid) and _pid_has_env(pid, "STRONGSWAN_CONF", self.conf_path)

    def stop(self, timeout=10.0):
        """SIGTERM the recorded PID, wait (bounded), then SIGKILL. Keeps the log and config.

        Returns True if a process was stopped. Safe to call again.
        """
        pid = self._pid
        stopped = False
        if pid is not None and pid_alive(pid) and (self._proc is not None or self.owns(pid)):
            stopped = True
            for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    break
                if self._wait_gone(pid, wait):
                    break
            else:
                raise HarnessError("charon PID %d survived SIGKILL" % pid)
        if self._proc is not None:
            try:
                self._proc.wait(timeout=1.0)
            except subprocess.TimeoutExpired:
                pass
            self._proc = None
        self._pid = None
        try:
            os.unlink(self.pid_path)
        except FileNotFoundError:
            pass
        return stopped

    def _wait_gone(self, pid, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc is not None and self._proc.pid == pid:
                try:
                    self._proc.wait(timeout=0.05)
                except subprocess.TimeoutExpired:
                    continue
                return True
            if not pid_alive(pid):
                return True
            time.sleep(0.05)
        return not pid_alive(pid)

    def restart(self):
        """Stop, then start again with the same files (the log is appended to)."""
        self.stop()
        return self.start()

    @classmethod
    def attach(cls, workdir, name="charon"):
        """Rebuild a handle from the state file a started daemon left in workdir (used by the CLI)."""
        path = os.path.join(os.path.abspath(str(workdir)), "%s.json" % name)
        with open(path, encoding="utf-8") as handle:
            state = json.load(handle)
        daemon = cls(workdir, name=name, netns=state.get("netns"), tunnel=state.get("tunnel", False),
                     plugins=state.get("plugins") or DEFAULT_PLUGINS, root=state.get("root") or "")
        daemon.conf_path = state.get("conf", daemon.conf_path)
        pid = state.get("pid")
        if pid is not None and daemon.owns(pid):
            daemon._pid = pid  # pylint: disable=protected-access
        return daemon

    def version(self, timeout=2.0):
        """The daemon's ``version`` reply as a dict."""
        return vici_version(self.socket_path, timeout=timeout)

    def swanctl(self, *args, timeout=30.0, check=True):
        """Run ``swanctl ARGS --uri <socket>``; return the CompletedProcess (text)."""
        cmd = [SWANCTL_BIN] + [str(arg) for arg in args] + ["--uri", self.socket_uri]
        if self.root and self.pid:
            # The root's own swanctl, in the daemon's mount namespace (which sees /tmp and the workdir).
            cmd = ["nsenter", "--target", str(self.pid), "--mount", "--", "chroot", self.root] + cmd
        return subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout,
                              check=check)

    def log_tail(self, lines=40):
        """The last lines of the daemon's log."""
        return _tail(self.log_path, lines)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()


# ---------------------------------------------------------------------------
# Network namespaces
# ---------------------------------------------------------------------------

NETNS_PREFIX = "svici-"


def unique_name(prefix=NETNS_PREFIX):
    """A namespace name unique to this run: prefix, creator PID, random part."""
    return "%s%d-%s" % (prefix, os.getpid(), secrets.token_hex(3))


class Netns:
    """One network namespace: create, run commands in it, delete (bounded)."""

    def __init__(self, name=None):
        self.name = name or unique_name()
        self.created = False

    def create(self):
        """Create the namespace and bring up its loopback; return self."""
        _run(["ip", "netns", "add", self.name])
        self.created = True
        try:
            self.ip("link", "set", "lo", "up")
        except BaseException:
            self.delete()
            raise
        return self

    def ip(self, *args, timeout=10.0):
        """Run ``ip -n NAME ARGS``; return its output."""
        return _run(["ip", "-n", self.name] + [str(arg) for arg in args], timeout=timeout)[1]

    def exec_cmd(self, cmd):
        """The argv that runs CMD inside the namespace."""
        return ["ip", "netns", "exec", self.name] + [str(arg) for arg in cmd]

    def run(self, cmd, timeout=30.0, check=True):
        """Run CMD inside the namespace; return (returncode, combined output)."""
        return _run(self.exec_cmd(cmd), timeout=timeout, check=check)

    def delete(self):
        """Delete the namespace if we created it (its veth ends go with it). Safe to call again."""
        if self.created:
            _run(["ip", "netns", "del", self.name], check=False)
            self.created = False

    def exists(self):
        """True if the namespace is listed under /run/netns."""
        return os.path.exists(os.path.join("/run/netns", self.name))

    def __enter__(self):
        return self.create()

    def __exit__(self, *exc_info):
        self.delete()


class NetnsPair:
    """Two namespaces A and B joined by a veth pair, each with a protected subnet on lo.

    Defaults: veth 198.18.0.1/24 (A) <-> 198.18.0.2/24 (B); 198.51.100.1/24 on lo in
    A and 203.0.113.1/24 on lo in B (traffic selectors 198.51.100.0/24 === 203.0.113.0/24).
    No default routes: traffic can only go between the two namespaces.
    """

    def __init__(self, prefix=NETNS_PREFIX, a_addr="198.18.0.1/24", b_addr="198.18.0.2/24",
                 a_subnet="198.51.100.1/24", b_subnet="203.0.113.1/24"):
        base = unique_name(prefix)
        self.a = Netns(base + "-a")
        self.b = Netns(base + "-b")
        self.a_cidr, self.b_cidr = a_addr, b_addr
        self.a_subnet_cidr, self.b_subnet_cidr = a_subnet, b_subnet

    # the bare addresses, handy for configs and probes
    a_ip = property(lambda self: self.a_cidr.split("/")[0])
    b_ip = property(lambda self: self.b_cidr.split("/")[0])
    a_subnet_ip = property(lambda self: self.a_subnet_cidr.split("/")[0])
    b_subnet_ip = property(lambda self: self.b_subnet_cidr.split("/")[0])

    def create(self):
        """Create both namespaces and the link; on any failure remove what was made."""
        try:
            self.a.create()
            self.b.create()
            _run(["ip", "link", "add", "veth-a", "netns", self.a.name, "type", "veth",
                  "peer", "name", "veth-b", "netns", self.b.name])
            for ns, dev, cidr, subnet in ((self.a, "veth-a", self.a_cidr, self.a_subnet_cidr),
                                          (self.b, "veth-b", self.b_cidr, self.b_subnet_cidr)):
                ns.ip("addr", "add", cidr, "dev", dev)
                ns.ip("addr", "add", subnet, "dev", "lo")
                ns.ip("link", "set", dev, "up")
        except BaseException:
            self.delete()
            raise
        return self

    def delete(self):
        """Delete both namespaces. Safe to call again."""
        self.a.delete()
        self.b.delete()

    def __enter__(self):
        return self.create()

    def __exit__(self, *exc_info):
        self.delete()


def cleanup_stale_netns(prefix=NETNS_PREFIX):
    """Delete namespaces named PREFIX<pid>-... whose creating process is gone; return their names."""
    removed = []
    try:
        names = os.listdir("/run/netns")
    except FileNotFoundError:
        return removed
    for name in names:
        if not name.startswith(prefix):
            continue
        creator = name[len(prefix):].split("-", 1)[0]
        if creator.isdigit() and not pid_alive(int(creator)):
            _run(["ip", "netns", "del", name], check=False)
            removed.append(name)
    return removed


_LISTENER = """
import socket, sys
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind((sys.argv[1], int(sys.argv[2])))
sock.settimeout(float(sys.argv[3]))
print("ready", flush=True)
try:
    data, peer = sock.recvfrom(65535)
except socket.timeout:
    print("timeout", flush=True)
    sys.exit(1)
print("got %s from %s" % (data.hex(), peer[0]), flush=True)
"""

_SENDER = """
import socket, sys, time
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
if sys.argv[1]:
    sock.bind((sys.argv[1], 0))
for _ in range(int(sys.argv[4])):
    try:
        sock.sendto(bytes.fromhex(sys.argv[5]), (sys.argv[2], int(sys.argv[3])))
    except OSError as exc:
        print("send: %s" % exc, flush=True)
    time.sleep(float(sys.argv[6]))
"""


def _in_ns(ns, cmd):
    if ns is None:
        return list(cmd)
    name = ns.name if isinstance(ns, Netns) else ns
    return ["ip", "netns", "exec", name] + list(cmd)


def udp_probe(ns_src, src_ip, ns_dst, dst_ip, port=40000, timeout=5.0, count=5, interval=0.2,
              payload=b"strongswan.vici probe", python=None):
    """Send UDP datagrams from SRC_IP in NS_SRC to DST_IP:PORT in NS_DST; True if one arrived.

    A listener runs in NS_DST (``ip netns exec ... python -c``; None means the
    current namespace); the sender in NS_SRC sends up to COUNT datagrams INTERVAL
    seconds apart and is stopped as soon as one arrived. Everything is bounded by TIMEOUT.
    """
    python = python or sys.executable or "python3"
    listener = subprocess.Popen(  # pylint: disable=consider-using-with
        _in_ns(ns_dst, [python, "-c", _LISTENER, dst_ip, str(port), str(timeout)]),
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + timeout
        first = b""
        while time.monotonic() < deadline and not first.endswith(b"\n"):
            ready = select.select([listener.stdout], [], [], max(0.0, deadline - time.monotonic()))[0]
            if not ready:
                break
            byte = os.read(listener.stdout.fileno(), 1)
            if not byte:
                break
            first += byte
        if first.strip() != b"ready":
            raise HarnessError("UDP listener on %s:%s did not start: %s%s"
                               % (dst_ip, port, first.decode("utf-8", "replace"),
                                  listener.stdout.read().decode("utf-8", "replace") if listener.poll() is not None else ""))
        sender = subprocess.Popen(  # pylint: disable=consider-using-with
            _in_ns(ns_src, [python, "-c", _SENDER, src_ip or "", dst_ip, str(port), str(count), payload.hex(),
                            str(interval)]),
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            listener.wait(timeout=max(0.5, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            return False
        finally:
            if sender.poll() is None:
                sender.kill()
            sender.wait(timeout=5)
        return listener.returncode == 0
    finally:
        if listener.poll() is None:
            listener.kill()
            listener.wait(timeout=5)
        listener.stdout.close()


# ---------------------------------------------------------------------------
# CLI
# ---------------------------------------------------------------------------


def _state_reply(daemon):
    return {"socket": daemon.socket_uri, "pid": daemon.pid, "log": daemon.log_path, "workdir": daemon.workdir,
            "conf": daemon.conf_path, "name": daemon.name, "netns": daemon.netns}


def main(argv=None):
    """Command line: start / stop / status a daemon whose files live in --workdir."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    sub = parser.add_subparsers(dest="action")
    sub.required = True
    for action in ("start", "stop", "status"):
        cmd = sub.add_parser(action)
        cmd.add_argument("--workdir", required=True, help="directory for the daemon's config, socket, log, PID")
        cmd.add_argument("--name", default="charon", help="base name of the daemon's files (default charon)")
        if action == "start":
            cmd.add_argument("--netns", help="run inside this existing network namespace")
            cmd.add_argument("--tunnel", action="store_true", help="load kernel-libipsec (userspace ESP)")
            cmd.add_argument("--plugins", help="space-separated plugin list instead of the default")
            cmd.add_argument("--extra-conf", default="", help="strongswan.conf text appended to the generated one")
            cmd.add_argument("--log-level", type=int, default=None, help="filelog default level")
            cmd.add_argument("--timeout", type=float, default=15.0, help="seconds to wait for the socket")
        if action == "stop":
            cmd.add_argument("--timeout", type=float, default=10.0, help="seconds between SIGTERM and SIGKILL")
    args = parser.parse_args(argv)

    try:
        if args.action == "start":
            daemon = Charon(args.workdir, name=args.name, netns=args.netns, tunnel=args.tunnel,
                            plugins=args.plugins.split() if args.plugins else DEFAULT_PLUGINS,
                            extra_conf=args.extra_conf, log_level=args.log_level, start_timeout=args.timeout)
            daemon.start()
            print(json.dumps(_state_reply(daemon), sort_keys=True))
            return 0
        try:
            daemon = Charon.attach(args.workdir, name=args.name)
        except FileNotFoundError:
            print(json.dumps({"running": False, "stopped": False, "reason": "no state file in %s" % args.workdir}))
            return 0 if args.action == "stop" else 3
        if args.action == "stop":
            pid = daemon.pid
            stopped = daemon.stop(timeout=args.timeout)
            print(json.dumps({"stopped": stopped, "pid": pid}))
            return 0
        reply = _state_reply(daemon)
        reply["running"] = daemon.running
        try:
            reply["version"] = daemon.version() if daemon.running else None
        except (OSError, ValueError) as exc:
            reply["version"] = None
            reply["error"] = str(exc)
        print(json.dumps(reply, sort_keys=True))
        return 0 if daemon.running else 3
    except HarnessError as exc:
        print("charon_harness: %s" % exc, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
