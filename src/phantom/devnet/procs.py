"""Process helpers for anvil nodes: is a pid our anvil, does it own its port, stop it."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path


def _listening_inodes(port: int) -> set[str] | None:
    """Inodes of the TCP sockets listening on ``port`` (None if /proc/net/tcp is unreadable)."""
    try:
        lines = Path("/proc/net/tcp").read_text().splitlines()[1:]
    except OSError:
        return None
    inodes: set[str] = set()
    for line in lines:
        fields = line.split()
        if len(fields) > 9 and fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
            inodes.add(fields[9])
    return inodes


def owns_listener(pid: int, port: int) -> bool | None:
    """Whether process ``pid`` holds the socket listening on ``port``; None if unknowable
    (no /proc). Guards against talking to another node that took the same free port."""
    inodes = _listening_inodes(port)
    if inodes is None:
        return None
    try:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            with contextlib.suppress(OSError):
                link = os.readlink(fd)
                if link.startswith("socket:[") and link[len("socket:[") : -1] in inodes:
                    return True
    except OSError:
        return None
    return False


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie still answers kill(0); treat it as dead.
    stat = Path(f"/proc/{pid}/stat")
    with contextlib.suppress(OSError):
        fields = stat.read_text().rsplit(")", 1)[-1].split()
        if fields and fields[0] == "Z":
            return False
    return True


def is_anvil_pid(pid: int) -> bool:
    """True if ``pid`` is alive and its executable is named ``anvil`` (guards against reuse)."""
    if not _process_alive(pid):
        return False
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return bool(cmdline) and Path(cmdline[0].decode(errors="replace")).name == "anvil"


def stop_pid(pid: int, timeout: float = 10.0) -> bool:
    """Stop the anvil process ``pid`` and its process group: SIGTERM, then SIGKILL after timeout.

    Returns False if the pid was not a running anvil (nothing is signalled then).
    """
    if not is_anvil_pid(pid):
        return False
    try:
        pgid = os.getpgid(pid)
    except ProcessLookupError:
        return False
    # Only signal the group when anvil leads its own group (we start it with a new session).
    target_group = pgid == pid

    def send(sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError):
            if target_group:
                os.killpg(pgid, sig)
            else:
                os.kill(pid, sig)

    send(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while _process_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    if _process_alive(pid):
        send(signal.SIGKILL)
    # Reap it if it is our own child (a node released by this process); else init does.
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
    return True
