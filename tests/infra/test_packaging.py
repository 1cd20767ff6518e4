"""`make package`: reproducible Lambda zips whose handlers run with nothing but the zip and boto3."""

import json
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import boto3
import pytest

from busgps.packaging import (
    DEVELOPMENT_ONLY,
    FIXED_ZIP_TIME,
    LAMBDA_PYTHON_VERSION,
    copy_package_source,
    runtime_requirements,
    write_reproducible_zip,
    zip_name,
)
from infra.terraform_config import MODULES_DIR, PROJECT_ROOT, load_module
from support.events import api_event, kinesis_event, kinesis_record
from support.resources import position_resources

# Reused between runs, so that a build costs no download once the wheels are cached.
PIP_CACHE = PROJECT_ROOT / ".tools" / "pip-cache"
LOCAL_PYTHON_VERSION = f"{sys.version_info.major}.{sys.version_info.minor}"
HANDLERS = sorted(
    resource.body["handler"]
    for resource in load_module(MODULES_DIR / "lambda").resources_of_type("aws_lambda_function")
)

# Runs inside the clean virtualenv, with the unzipped package first on sys.path as in /var/task.
PROBE = """
import importlib, json, sys
sys.path.insert(0, sys.argv[1])
request = json.load(sys.stdin)

class Context:
    function_name = "busgps-probe"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:busgps-probe"
    aws_request_id = "52fdfc07-2182-454f-963f-5f0f9a621d72"
    def get_remaining_time_in_millis(self):
        return 60000

handlers = {}
for name in request["handlers"]:
    module_name, _, attribute = name.rpartition(".")
    handlers[name] = getattr(importlib.import_module(module_name), attribute)
answers = [handlers[name](event, Context()) for name, event in request["invocations"]]
print(json.dumps({
    "callable": {name: callable(handler) for name, handler in handlers.items()},
    "answers": answers,
    "modules": {name: importlib.import_module(name).__file__ for name in request["modules"]},
}))
"""


def build(architecture: str, python_version: str, output_dir: Path) -> Path:
    """Run what `make package` runs, for one architecture and Python version."""
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "busgps.packaging",
            "--architecture",
            architecture,
            "--python-version",
            python_version,
            "--output-dir",
            str(output_dir),
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=PROJECT_ROOT,
        env={**os.environ, "PIP_CACHE_DIR": str(PIP_CACHE)},
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr
    return output_dir / zip_name(architecture)


@pytest.fixture(scope="module")
def lambda_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The x86_64 zip for Lambda's Python, exactly as deployed."""
    return build("x86_64", LAMBDA_PYTHON_VERSION, tmp_path_factory.mktemp("lambda-zip"))


@pytest.fixture(scope="module")
def clean_virtualenv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtualenv with boto3 (the version tested here) and nothing else."""
    venv = tmp_path_factory.mktemp("clean-venv")
    subprocess.run([sys.executable, "-m", "venv", "--clear", "--without-pip", str(venv)], check=True)
    site_packages = venv / "lib" / f"python{LOCAL_PYTHON_VERSION}" / "site-packages"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--target",
            str(site_packages),
            f"boto3=={boto3.__version__}",
        ],
        check=True,
        env={**os.environ, "PIP_CACHE_DIR": str(PIP_CACHE)},
        timeout=300,
    )
    return venv


def test_zip_entries_are_sorted_with_fixed_times_whatever_the_files_dates(tmp_path: Path) -> None:
    # Given the same files written twice, in another order and at other times
    archives = []
    for attempt, names in enumerate(
        (["b.py", "a/c.py", "a/__pycache__/c.cpython-312.pyc"], ["a/c.py", "b.py"])
    ):
        root = tmp_path / f"tree{attempt}"
        for name in names:
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(f"# {Path(name).stem}\n", encoding="utf-8")
            os.utime(root / name, (time.time() - attempt * 86400,) * 2)
        # When each tree is zipped
        archive = tmp_path / f"tree{attempt}.zip"
        write_reproducible_zip(root, archive)
        archives.append(archive)
    # Then both zips are the same bytes, sorted, without bytecode, dated 1980-01-01
    assert archives[0].read_bytes() == archives[1].read_bytes()
    with zipfile.ZipFile(archives[0]) as zipped:
        assert zipped.namelist() == ["a/c.py", "b.py"]
        assert {entry.date_time for entry in zipped.infolist()} == {FIXED_ZIP_TIME}


def test_boto3_is_left_to_the_runtime() -> None:
    # Given the project's declared run-time dependencies
    # When those to ship are listed
    shipped = runtime_requirements(PROJECT_ROOT / "pyproject.toml")
    # Then boto3 is not among them, and the others are
    assert not [requirement for requirement in shipped if requirement.startswith("boto3")]
    assert any(requirement.startswith("pydantic") for requirement in shipped)


def test_development_only_parts_of_the_package_are_left_out(tmp_path: Path) -> None:
    # Given the busgps source tree
    source = PROJECT_ROOT / "src" / "busgps"
    # When its run-time part is copied
    copy_package_source(source, tmp_path)
    copied = {path.name for path in (tmp_path / "busgps").iterdir()}
    # Then the handlers are there and the local stack, client and CLI are not
    assert {"handlers", "dal", "logic", "models", "settings.py"} <= copied
    assert copied & DEVELOPMENT_ONLY == set()
    assert not list((tmp_path / "busgps").rglob("__pycache__"))


def test_the_lambda_zip_holds_linux_x86_64_binaries_for_python_3_12_and_no_boto3(lambda_zip: Path) -> None:
    # Given the zip built for Lambda's Python on x86_64
    with zipfile.ZipFile(lambda_zip) as zipped:
        names = zipped.namelist()
    # When its top-level entries and compiled extensions are read
    top_level = {name.split("/", 1)[0] for name in names}
    extensions = [name for name in names if name.endswith(".so")]
    # Then it has the package and its dependencies, built for CPython 3.12 on Linux x86_64
    assert {"busgps", "pydantic", "pydantic_core", "aws_lambda_powertools"} <= top_level
    assert extensions
    assert [
        name for name in extensions if "cpython-312-x86_64-linux-gnu" not in name and "abi3" not in name
    ] == []
    # And nothing the runtime has, no bytecode and no scripts
    assert not top_level & {"boto3", "botocore", "s3transfer", "bin"}
    assert [name for name in names if name.endswith(".pyc")] == []


def test_building_twice_gives_the_same_bytes(lambda_zip: Path, tmp_path: Path) -> None:
    # Given the Lambda zip already built
    # When it is built again elsewhere
    again = build("x86_64", LAMBDA_PYTHON_VERSION, tmp_path)
    # Then both are byte for byte the same
    assert again.read_bytes() == lambda_zip.read_bytes()


@pytest.mark.integration
def test_handlers_run_from_the_zip_in_a_clean_virtualenv_with_only_boto3(
    lambda_zip: Path, clean_virtualenv: Path, tmp_path_factory: pytest.TempPathFactory, moto_endpoint: str
) -> None:
    # Given the zip for this machine's Python (Lambda's when they are the same) and a clean virtualenv
    if LOCAL_PYTHON_VERSION == LAMBDA_PYTHON_VERSION:
        archive = lambda_zip
    else:
        print(
            f"this machine runs Python {LOCAL_PYTHON_VERSION}, not Lambda's {LAMBDA_PYTHON_VERSION}: the zip "
            f"for this check is built the same way for {LOCAL_PYTHON_VERSION}, as compiled wheels only "
            "import on the Python they were built for"
        )
        archive = build("x86_64", LOCAL_PYTHON_VERSION, tmp_path_factory.mktemp("local-zip"))
    task = tmp_path_factory.mktemp("task")
    with zipfile.ZipFile(archive) as zipped:
        zipped.extractall(task)
    with position_resources() as resources:
        # And a position on the stream, and a rider asking for that bus
        position = {"busId": "zip-17", "latitude": 52.52, "longitude": 13.405, "timestamp": int(time.time())}
        request: dict[str, Any] = {
            "handlers": HANDLERS,
            "modules": ["busgps", "pydantic_core", "boto3"],
            "invocations": [
                [
                    "busgps.handlers.consumer.lambda_handler",
                    kinesis_event(kinesis_record("zip-17", position)),
                ],
                [
                    "busgps.handlers.api.lambda_handler",
                    api_event(
                        "/v1/buses/zip-17", resource="/v1/buses/{busId}", path_parameters={"busId": "zip-17"}
                    ),
                ],
            ],
        }
        environment = {
            **{name: os.environ[name] for name in os.environ if name.startswith("AWS_")},
            **resources.environment(),
            "PATH": os.environ.get("PATH", ""),
            "POWERTOOLS_SERVICE_NAME": "busgps-probe",
            "POWERTOOLS_METRICS_NAMESPACE": "busgps-probe",
        }
        # When the handlers are imported and invoked there, with the unzipped package first on sys.path
        completed = subprocess.run(
            [str(clean_virtualenv / "bin" / "python"), "-I", "-c", PROBE, str(task)],
            input=json.dumps(request),
            capture_output=True,
            text=True,
            check=False,
            env=environment,
            timeout=120,
        )
    assert completed.returncode == 0, completed.stderr
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    # Then every handler is a callable, with code from the zip and boto3 from the venv
    assert result["callable"] == {name: True for name in HANDLERS}
    assert result["modules"]["busgps"].startswith(str(task))
    assert result["modules"]["pydantic_core"].startswith(str(task))
    assert result["modules"]["boto3"].startswith(str(clean_virtualenv))
    # And the consumer stored the position that the API then serves
    consumed, served = result["answers"]
    assert consumed == {"batchItemFailures": []}
    assert served["statusCode"] == 200, served["body"]
    body = json.loads(served["body"])
    assert (body["busId"], body["latitude"], body["longitude"]) == ("zip-17", 52.52, 13.405)
