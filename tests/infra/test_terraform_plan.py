"""A plan of every environment against a mocked AWS provider, where a terraform binary exists.

CI machines have no terraform: there these are skipped with the reason, and the other checks of
tests/infra stand in for them. Where terraform is installed they are the real thing.
"""

import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from busgps.packaging import ARCHITECTURES, zip_name
from infra.terraform_config import PROJECT_ROOT, TERRAFORM_DIR, tfvars_files

TERRAFORM = shutil.which("terraform")
# A filesystem mirror of the providers, for machines that cannot reach the Terraform registry.
PROVIDER_MIRROR = Path(os.environ.get("BUSGPS_TERRAFORM_PROVIDER_MIRROR", "/opt/tf-plugins"))
PROVIDER_INSTALL_FAILURES = ("Failed to query available provider packages", "Failed to install provider")


def run(arguments: list[str], cwd: Path, environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(TERRAFORM), *arguments, "-no-color"],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


@pytest.fixture(scope="module")
def initialized(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A copy of terraform/, api/ and the WebSocket schema, initialized without a backend, with
    placeholder zips and the map (a placeholder Leaflet) in dist/."""
    if TERRAFORM is None:
        pytest.skip(
            "no terraform binary on this machine: validate and plan are covered by the hcl2 checks only"
        )
    work = tmp_path_factory.mktemp("terraform")
    ignored = shutil.ignore_patterns(".terraform", ".terraform.lock.hcl", "*.tfstate*", "*_override.tf")
    shutil.copytree(TERRAFORM_DIR, work / "terraform", ignore=ignored)
    shutil.copytree(PROJECT_ROOT / "api", work / "api")
    schema = Path("src") / "busgps" / "models" / "websocket.schema.json"
    (work / schema).parent.mkdir(parents=True)
    shutil.copy(PROJECT_ROOT / schema, work / schema)
    (work / "dist").mkdir()
    for architecture in ARCHITECTURES:
        with zipfile.ZipFile(work / "dist" / zip_name(architecture), "w") as placeholder:
            placeholder.writestr("busgps/__init__.py", "")
    shutil.copytree(
        PROJECT_ROOT / "web" / "map", work / "dist" / "map", ignore=shutil.ignore_patterns("vendor")
    )
    (work / "dist" / "map" / "vendor" / "leaflet").mkdir(parents=True)
    (work / "dist" / "map" / "vendor" / "leaflet" / "leaflet.js").write_text("", encoding="utf-8")
    environment = {**os.environ, "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}
    if PROVIDER_MIRROR.is_dir():
        config = work / "terraformrc"
        config.write_text(
            f'provider_installation {{\n  filesystem_mirror {{\n    path = "{PROVIDER_MIRROR}"\n  }}\n}}\n',
            encoding="utf-8",
        )
        environment["TF_CLI_CONFIG_FILE"] = str(config)
    init = run(["init", "-backend=false", "-input=false"], work / "terraform", environment)
    if init.returncode != 0 and any(failure in init.stderr for failure in PROVIDER_INSTALL_FAILURES):
        pytest.skip(
            f"terraform could not install the AWS provider (no registry and no mirror): {init.stderr[-300:]}"
        )
    assert init.returncode == 0, init.stderr
    return work / "terraform", environment


def test_every_environment_plans_against_a_mocked_provider(initialized: tuple[Path, dict[str, str]]) -> None:
    # Given terraform/tests/plan.tftest.hcl once per environment, with that environment's settings as
    # its variables (tfvars syntax is that of a variables block), so one terraform run plans them all
    directory, environment = initialized
    plan_test = (directory / "tests" / "plan.tftest.hcl").read_text(encoding="utf-8")
    (directory / "tests" / "plan.tftest.hcl").unlink()
    settings_files = tfvars_files()
    for settings in settings_files:
        variables = settings.read_text(encoding="utf-8")
        (directory / "tests" / f"{settings.stem}.tftest.hcl").write_text(
            f"{plan_test}\nvariables {{\n{variables}}}\n", encoding="utf-8"
        )
    # When terraform plans each, with and without a custom domain
    tested = run(["test"], directory, environment)
    # Then the configuration is valid and every plan succeeds
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert f"{2 * len(settings_files)} passed, 0 failed" in tested.stdout
