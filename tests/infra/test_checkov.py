"""checkov finds no failed check in the Terraform configuration; every skip is inline with a reason."""

import re

import pytest

from infra.checkov_report import CHECKOV, SUMMARY_LINES, CheckovReport, describe, read_report, start_checkov
from infra.terraform_config import TERRAFORM_DIR, terraform_files, tfvars_files

INLINE_SKIP = re.compile(r"#checkov:skip=(?P<check>CKV2?_AWS_\d+):(?P<reason>.*)")


@pytest.fixture(scope="module")
def reports() -> list[CheckovReport]:
    if not CHECKOV.exists():
        pytest.skip(f"checkov is not installed at {CHECKOV}: `make checkov` installs it (`make test` does)")
    # One run per environment's settings, in parallel: the values decide some checks.
    processes = {path.stem: start_checkov(path) for path in tfvars_files()}
    results = [read_report(label, process) for label, process in processes.items()]
    SUMMARY_LINES.extend(describe(results))
    return results


def test_checkov_finds_no_failed_check(reports: list[CheckovReport]) -> None:
    for report in reports:
        # Given checkov's report for an environment's settings
        # When its failed checks are listed
        failed = [
            f"{check['check_id']} {check['resource']} ({check['file_path']})" for check in report.failed
        ]
        # Then there are none, nothing failed to parse, and checks did run
        assert failed == [], report.label
        assert report.summary["parsing_errors"] == 0, report.label
        assert report.summary["passed"] > 100, report.label


def test_every_skip_is_inline_with_a_reason(reports: list[CheckovReport]) -> None:
    # Given every inline skip comment in the configuration
    inline = [
        match
        for path in terraform_files()
        for match in INLINE_SKIP.finditer(path.read_text(encoding="utf-8"))
    ]
    # When they are compared with the skips checkov reports
    reported = {
        (check["check_id"], (check["check_result"].get("suppress_comment") or "").strip())
        for report in reports
        for check in report.skipped
    }
    # Then each reported skip comes from an inline comment, and each gives a reason
    assert reported <= {(match["check"], match["reason"].strip()) for match in inline}
    assert [match.group(0) for match in inline if len(match["reason"].strip()) < 20] == []
    assert not (TERRAFORM_DIR / ".checkov.yaml").exists()
    assert not (TERRAFORM_DIR / ".checkov.yml").exists()
