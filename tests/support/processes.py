"""Finding a local stack's processes, to kill them as a crash would."""

from pathlib import Path


def _cmdline(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _parent(pid: int) -> int | None:
    try:
        stat = (Path("/proc") / str(pid) / "stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])


def execution_environments(stack_pid: int) -> list[int]:
    """The pids of the stack's Lambda execution environments (its spawned multiprocessing children)."""
    children = [int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit()]
    return [
        pid
        for pid in children
        if _parent(pid) == stack_pid
        and "multiprocessing.spawn" in _cmdline(pid)
        and "resource_tracker" not in _cmdline(pid)
    ]
