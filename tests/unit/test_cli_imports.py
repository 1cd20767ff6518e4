"""The CLI imports no function code: an execution environment is spawned from the CLI's process, so
its fresh interpreter imports the CLI's main module first, and a function's logger created then would
write to the terminal past the output the environment captures (as Lambda's runtime does)."""

import subprocess
import sys


def test_importing_the_cli_imports_no_handler_and_no_powertools() -> None:
    # Given a fresh interpreter; when it imports the CLI
    probe = (
        "import sys, busgps.cli; "
        "print(sorted(m for m in sys.modules if m.startswith(('busgps.handlers', 'busgps.observability', "
        "'aws_lambda_powertools'))))"
    )
    imported = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    # Then no handler, no observability module and no Powertools module is loaded
    assert imported.stdout.strip() == "[]"
