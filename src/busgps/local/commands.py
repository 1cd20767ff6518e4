"""Subcommands of the `busgps` console script."""

import argparse
from typing import Any


def register(subcommands: "argparse._SubParsersAction[Any]") -> None:
    """Add this package's subcommands; each sets `run` to a function of the parsed arguments."""
