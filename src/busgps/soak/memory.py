"""The local stack's memory: the resident size of its process and every process under it (the
emulator, the execution environments), sampled while the soak runs, and its peak (Linux's /proc)."""

import threading
from pathlib import Path

SAMPLE_SECONDS = 1.0
_PROC = Path("/proc")


def _parent(pid: int) -> int | None:
    try:
        return int((_PROC / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None


def _resident_bytes(pid: int) -> int:
    try:
        for line in (_PROC / str(pid) / "status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def tree_resident_bytes(root: int) -> int:
    """The resident size of `root` and all its descendants, now."""
    parents = {int(entry.name): _parent(int(entry.name)) for entry in _PROC.iterdir() if entry.name.isdigit()}
    tree, grown = {root}, True
    while grown:
        children = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree |= children
        grown = bool(children)
    return sum(_resident_bytes(pid) for pid in tree)


class PeakMemory:
    """Samples a process tree's resident size every second in a thread, keeping the peak."""

    def __init__(self, root: int) -> None:
        self.root = root
        self.peak_bytes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="soak-memory", daemon=True)

    def __enter__(self) -> "PeakMemory":
        self._thread.start()
        return self

    def __exit__(self, *exception: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while True:
            self.peak_bytes = max(self.peak_bytes, tree_resident_bytes(self.root))
            if self._stop.wait(SAMPLE_SECONDS):
                return
