"""The JSONPath subset that API Gateway's `$input.path` and `$input.json` are used with.

`$`, `.name`, `['name']` and `[index]` steps; a path that leads nowhere gives None, as in API Gateway.
"""

import re
from typing import Any

_STEP = re.compile(
    r"""\.(?P<name>[^.\[\]]+)|\[\s*(?P<index>-?\d+)\s*\]|\[\s*(?P<quote>['"])(?P<key>.*?)(?P=quote)\s*\]"""
)


class JsonPathError(ValueError):
    """A path outside the supported subset."""


def parse_path(path: str) -> list[str | int]:
    """The steps of `path`, which must start at the root `$`."""
    text = path.strip()
    if not text.startswith("$"):
        raise JsonPathError(f"a JSONPath starts with $: {path!r}")
    steps: list[str | int] = []
    position = 1
    while position < len(text):
        step = _STEP.match(text, position)
        if step is None:
            raise JsonPathError(f"unsupported JSONPath {path!r} at {text[position:]!r}")
        if step.group("name") is not None:
            steps.append(step.group("name"))
        elif step.group("index") is not None:
            steps.append(int(step.group("index")))
        else:
            steps.append(step.group("key"))
        position = step.end()
    return steps


def select(document: Any, path: str) -> Any:
    """The value at `path` in `document`, or None when there is none."""
    current = document
    for step in parse_path(path):
        if isinstance(step, int) and isinstance(current, list):
            if not -len(current) <= step < len(current):
                return None
            current = current[step]
        elif isinstance(step, str) and isinstance(current, dict):
            if step not in current:
                return None
            current = current[step]
        else:
            return None
    return current
