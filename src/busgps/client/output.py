"""How the CLI prints JSON: one format everywhere (two-space indent, text as is, a final newline)."""

import json
import sys
from typing import Any, TextIO


def format_json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


def print_json(value: Any, stream: TextIO | None = None) -> None:
    print(format_json(value), file=stream or sys.stdout)
