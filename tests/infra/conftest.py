"""Shared by the infrastructure checks: checkov's counts and skips are printed at the end of the run."""

import pytest

from infra.checkov_report import SUMMARY_LINES


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if SUMMARY_LINES:
        terminalreporter.section("checkov")
        for line in SUMMARY_LINES:
            terminalreporter.write_line(line)
