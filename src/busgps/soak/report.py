"""The soak's verdict: named checks, each passed or failed, and the table of what was measured."""

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    # What was found, when it failed (or a note when it passed).
    detail: str = ""


def summary_line(checks: Sequence[Check]) -> str:
    passed = sum(1 for check in checks if check.passed)
    return f"soak: {passed} passed, {len(checks) - passed} failed"


def render_table(rows: Sequence[tuple[str, str]]) -> str:
    """Two columns, as the README shows it (a Markdown table)."""
    width = max(len(row[0]) for row in rows)
    value_width = max(len(row[1]) for row in rows)
    lines = [f"| {'measure'.ljust(width)} | {'value'.rjust(value_width)} |"]
    lines.append(f"| {'-' * width} | {'-' * (value_width - 1)}: |")
    lines += [f"| {label.ljust(width)} | {value.rjust(value_width)} |" for label, value in rows]
    return "\n".join(lines)


def render_checks(checks: Sequence[Check]) -> str:
    lines = []
    for check in checks:
        mark = "PASS" if check.passed else "FAIL"
        lines.append(f"{mark}  {check.name}" + (f": {check.detail}" if check.detail else ""))
    return "\n".join(lines)


def thousands(value: int) -> str:
    return f"{value:,}"
