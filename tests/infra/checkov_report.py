"""Run checkov on the Terraform configuration and read its JSON report.

checkov has dependencies that clash with the project's, so it lives in its own virtualenv,
.tools/checkov (`make checkov`, which `make test` runs first).
"""

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra.terraform_config import PROJECT_ROOT, TERRAFORM_DIR

CHECKOV = PROJECT_ROOT / ".tools" / "checkov" / "bin" / "checkov"

# What the terminal summary prints at the end of the run: counts, and every skip with its reason.
SUMMARY_LINES: list[str] = []


@dataclass(frozen=True)
class CheckovReport:
    label: str
    summary: dict[str, Any]
    failed: list[dict[str, Any]]
    skipped: list[dict[str, Any]]

    def counts(self) -> str:
        return (
            f"checkov ({self.label}): {self.summary['passed']} passed, {self.summary['failed']} failed, "
            f"{self.summary['skipped']} skipped, {self.summary['parsing_errors']} parsing errors"
        )


def describe(reports: list[CheckovReport]) -> list[str]:
    """Each run's counts, then each distinct skip once with its reason."""
    skips = sorted(
        {
            (check["check_id"], check["resource"], check["check_result"].get("suppress_comment") or "")
            for report in reports
            for check in report.skipped
        }
    )
    return [
        *(report.counts() for report in reports),
        *(f"  skipped {check_id} on {resource}: {reason}" for check_id, resource, reason in skips),
    ]


def start_checkov(var_file: Path | None) -> subprocess.Popen[str]:
    command = [
        str(CHECKOV),
        "--directory",
        str(TERRAFORM_DIR),
        "--framework",
        "terraform",
        "--output",
        "json",
        "--skip-download",
    ]
    if var_file is not None:
        command += ["--var-file", str(var_file)]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def read_report(label: str, process: subprocess.Popen[str]) -> CheckovReport:
    stdout, stderr = process.communicate(timeout=240)
    # checkov exits 1 when a check fails; the report says which, so only a missing report is an error.
    try:
        parsed = json.loads(stdout)
    except json.JSONDecodeError as error:
        raise AssertionError(
            f"checkov printed no JSON report (exit {process.returncode}):\n{stderr[-2000:]}"
        ) from error
    reports = parsed if isinstance(parsed, list) else [parsed]
    terraform = next(report for report in reports if report.get("check_type") == "terraform")
    results = terraform["results"]
    return CheckovReport(
        label=label,
        summary=terraform["summary"],
        failed=results.get("failed_checks", []),
        skipped=results.get("skipped_checks", []),
    )
