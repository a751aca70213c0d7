"""Process groups: the one place that signals them, tolerant of a group that is already gone.

Scripts and hooks start in sessions of their own, so a whole group can be
ended at once (rq's ``kill_horse``); a group that has exited, or was never
ours to signal, is not an error.
"""

from __future__ import annotations

import os
import signal


def kill_group(pgid: int, sig: int = signal.SIGKILL) -> bool:
    """Signal a whole process group; a group that is already gone is fine.

    Returns:
        Whether any process received the signal.
    """
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def group_members(pgid: int) -> list[int]:
    """Live (not zombie) processes of a group, read from /proc."""
    members = []
    try:
        entries = os.listdir("/proc")
    except OSError:
        return []
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2 :].split()
        if len(fields) > 2 and fields[0] not in (b"Z", b"X") and int(fields[2]) == pgid:
            members.append(int(entry))
    return members


def group_alive(pgid: int) -> bool:
    """Whether any process of the group still runs (zombies waiting for a reaper do not count)."""
    return kill_group(pgid, 0) and bool(group_members(pgid))


def kill_orphans(run_id: int, pgid: int | None) -> bool:
    """Kill what is left on this host of a lost run's process group.

    The group is only signalled if one of its processes has the run's id in its
    environment, so a recycled process id is never hit.

    Returns:
        Whether a process group was killed.
    """
    if not pgid:
        return False
    marker = f"JOBTUI_RUN_ID={run_id}".encode()
    for pid in group_members(pgid):
        try:
            with open(f"/proc/{pid}/environ", "rb") as handle:
                environ = handle.read().split(b"\0")
        except OSError:
            continue
        if marker in environ:
            return kill_group(pgid)
    return False


def pid_alive(pid: int) -> bool:
    """Whether a process of that id runs here (a zombie waiting for its reaper does not count)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            stat = handle.read()
    except FileNotFoundError:
        return False
    except OSError:
        return True  # there, but not ours to read: alive as far as we can tell
    fields = stat[stat.rfind(b")") + 2 :].split()
    return bool(fields) and fields[0] not in (b"Z", b"X")


def process_space() -> str | None:
    """Where this process's pid means something: the boot and the pid namespace (None if unknown).

    Two agents on hosts of the same name (containers, a reinstalled machine)
    judge each other's pids only when this is equal.
    """
    try:
        with open("/proc/sys/kernel/random/boot_id", encoding="ascii") as handle:
            boot = handle.read().strip()
        namespace = os.stat("/proc/self/ns/pid").st_ino
    except OSError:
        return None
    return f"{boot}/{namespace}"
