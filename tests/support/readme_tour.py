"""The README's five-minute tour as a test reads it: its commands in order, each with the answer shown.

In the tour's ```sh blocks, a command is one or more lines (continued by a backslash, an open quote or
a here-document); the `#` lines right under it show its answer, with `...` for what differs each time.
"""

import json
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_HERE_DOCUMENT = re.compile(r"<<-?\s*['\"]?(\w+)['\"]?")


@dataclass
class TourCommand:
    text: str
    shown: list[str] = field(default_factory=list)

    @property
    def shows_an_error(self) -> bool:
        """Errors are one line on stderr, starting with `busgps:`."""
        return bool(self.shown) and self.shown[0].startswith("busgps:")

    @property
    def shown_json(self) -> Any:
        """The answer shown, when it is one JSON document; else None."""
        try:
            return json.loads(" ".join(self.shown)) if self.shown else None
        except ValueError:
            return None


def tour_section(readme: str) -> str:
    return readme.split("### Five-minute tour\n", 1)[1].split("\n### ", 1)[0]


def tour_commands(readme: str) -> list[TourCommand]:
    commands: list[TourCommand] = []
    for block in re.findall(r"```sh\n(.*?)```", tour_section(readme), flags=re.DOTALL):
        pending: list[str] = []
        lines = block.splitlines()
        index = 0
        while index < len(lines):
            line = lines[index]
            index += 1
            if not pending and line.lstrip().startswith("#"):
                if commands:
                    commands[-1].shown.append(line.lstrip()[1:].removeprefix(" ").rstrip())
                continue
            if not pending and not line.strip():
                continue
            pending.append(line)
            document = _HERE_DOCUMENT.search(line)
            if document:
                while index < len(lines) and lines[index] != document.group(1):
                    pending.append(lines[index])
                    index += 1
                pending.append(lines[index])
                index += 1
            if not _complete("\n".join(pending)):
                continue
            commands.append(TourCommand("\n".join(pending)))
            pending = []
        assert not pending, f"an unfinished command in the tour: {pending}"
    return commands


def _complete(text: str) -> bool:
    """Whether bash reads the text as whole commands (no trailing backslash, no open quote)."""
    if text.rstrip().endswith("\\"):
        return False
    return subprocess.run(["bash", "-n", "-c", text], capture_output=True, check=False).returncode == 0


def shape(value: Any) -> str:
    """The kind of a JSON value, numbers being one kind."""
    if isinstance(value, dict | list):
        return type(value).__name__
    if isinstance(value, bool) or value is None:
        return type(value).__name__
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


def same_shape(shown: Any, answered: Any) -> bool:
    """Whether an answer has the shape of the one shown: the same keys, as many items, the same kinds."""
    if isinstance(shown, list) and isinstance(answered, list):
        return len(shown) == len(answered) and all(map(same_shape, shown, answered))
    if isinstance(shown, dict) and isinstance(answered, dict):
        return shown.keys() == answered.keys() and all(same_shape(shown[key], answered[key]) for key in shown)
    return shape(shown) == shape(answered)


def matches(shown: str, line: str) -> bool:
    """A line of text against the one shown, where `...` stands for anything."""
    pattern = ".*".join(re.escape(part) for part in shown.split("..."))
    return re.fullmatch(pattern, line) is not None


def run_in_one_shell(
    commands: list[TourCommand], cwd: Path, output_dir: Path, timeout: float
) -> list[dict[str, str]]:
    """Run the commands in order in one bash, as pasted: each one's stdout, stderr and exit code."""
    script = []
    for number, command in enumerate(commands):
        out, err, status = (output_dir / f"{number}.{kind}" for kind in ("out", "err", "status"))
        script.append(f"{{\n{command.text}\n}} > {out} 2> {err}; echo $? > {status}")
    subprocess.run(["bash", "-c", "\n".join(script)], cwd=cwd, timeout=timeout, check=False)
    results = []
    for number in range(len(commands)):
        files = {kind: output_dir / f"{number}.{kind}" for kind in ("out", "err", "status")}
        results.append(
            {kind: path.read_text(encoding="utf-8") if path.exists() else "" for kind, path in files.items()}
        )
    return results
