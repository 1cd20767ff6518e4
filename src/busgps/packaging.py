"""Build the Lambda deployment zips: `python -m busgps.packaging` (`make package`).

One zip serves both functions (their handlers differ, the code is the same), one per instruction set:
`dist/busgps-lambda-arm64.zip` and `dist/busgps-lambda-x86_64.zip`. Terraform picks the one of the
environment's `lambda_architecture`. Each holds the runtime part of the `busgps` package and its
runtime dependencies as wheels for Lambda's Python 3.12 on Amazon Linux (manylinux2014), pinned to
the versions installed here, so the zip runs what the tests ran. boto3 is left out: the runtime has it.

The build is reproducible: the same sources and versions give the same bytes (sorted entries, fixed
timestamps and permissions, no bytecode).
"""

import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

LAMBDA_PYTHON_VERSION = "3.12"
ARCHITECTURES = ("arm64", "x86_64")
PLATFORM_OF_ARCHITECTURE = {"arm64": "manylinux2014_aarch64", "x86_64": "manylinux2014_x86_64"}

# Provided by the Lambda Python runtime; shipping our own would only grow the zip.
RUNTIME_PROVIDED = frozenset({"boto3", "botocore", "s3transfer"})

# Parts of the package that only the local stack, the client and development use.
DEVELOPMENT_ONLY = frozenset(
    {"local", "client", "cost", "cli.py", "bench.py", "bench_history.py", "packaging.py"}
)

# Lambda's limits for a zip uploaded directly, and for its unzipped content.
MAX_ZIP_BYTES = 50 * 1024 * 1024
MAX_UNZIPPED_BYTES = 250 * 1024 * 1024

# Zip cannot store times before 1980; every entry gets this one.
FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PACKAGE_SOURCE = Path(__file__).resolve().parent


class PackagingError(RuntimeError):
    """The zip cannot be built: the message says why and what to do."""


@dataclass(frozen=True)
class BuiltPackage:
    architecture: str
    path: Path
    sha256: str
    unzipped_bytes: int


def zip_name(architecture: str) -> str:
    return f"busgps-lambda-{architecture}.zip"


def canonical_name(name: str) -> str:
    """A distribution name as pip compares them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(requirement: str) -> str:
    """The distribution a PEP 508 requirement names, e.g. pydantic for 'pydantic>=2.6,<3'."""
    matched = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    if matched is None:
        raise PackagingError(f"cannot read the dependency {requirement!r} of pyproject.toml")
    return canonical_name(matched.group(1))


def runtime_requirements(pyproject: Path) -> list[str]:
    """The project's run-time dependencies, less those the Lambda runtime provides."""
    with pyproject.open("rb") as project_file:
        declared: list[str] = tomllib.load(project_file)["project"]["dependencies"]
    return [text for text in declared if requirement_name(text) not in RUNTIME_PROVIDED]


def installed_versions(distributions: Iterable[metadata.Distribution]) -> dict[str, str]:
    """name -> version of every distribution installed here, except this project itself."""
    versions: dict[str, str] = {}
    for distribution in distributions:
        name = distribution.metadata["Name"]
        if name and canonical_name(name) != "busgps":
            versions[canonical_name(name)] = distribution.version
    return versions


def constraints_text(versions: dict[str, str]) -> str:
    """A pip constraints file pinning every dependency to its installed (tested) version."""
    return "".join(f"{name}=={version}\n" for name, version in sorted(versions.items()))


def pip_install_command(
    architecture: str, python_version: str, target: Path, constraints: Path, requirements: Sequence[str]
) -> list[str]:
    return [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-compile",
        "--platform",
        PLATFORM_OF_ARCHITECTURE[architecture],
        "--only-binary=:all:",
        "--python-version",
        python_version,
        "--implementation",
        "cp",
        "--target",
        str(target),
        "--constraint",
        str(constraints),
        *requirements,
    ]


def install_dependencies(architecture: str, python_version: str, target: Path, work_dir: Path) -> None:
    constraints = work_dir / "constraints.txt"
    constraints.write_text(constraints_text(installed_versions(metadata.distributions())), encoding="utf-8")
    requirements = runtime_requirements(PROJECT_ROOT / "pyproject.toml")
    command = pip_install_command(architecture, python_version, target, constraints, requirements)
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise PackagingError(
            f"pip could not fetch the {architecture} wheels for Python {python_version}:\n"
            f"{completed.stderr.strip()}\n"
            "every run-time dependency needs a manylinux2014 wheel (or a pure-Python one) on the index"
        )
    provided = [
        path.name for path in target.iterdir() if canonical_name(path.name.split("-")[0]) in RUNTIME_PROVIDED
    ]
    if provided:
        raise PackagingError(
            f"a dependency pulled in {', '.join(sorted(provided))}, which the Lambda runtime provides: "
            "drop that dependency or exclude it explicitly"
        )


def drop_console_scripts(target: Path) -> None:
    """Remove the scripts pip wrote to bin/ and their RECORD lines.

    Lambda never runs them, and their first line names this machine's interpreter: keeping them
    would make the zip differ from one machine to the next.
    """
    shutil.rmtree(target / "bin", ignore_errors=True)
    for record in target.glob("*.dist-info/RECORD"):
        lines = record.read_text(encoding="utf-8").splitlines(keepends=True)
        record.write_text("".join(line for line in lines if not line.startswith("../")), encoding="utf-8")


def copy_package_source(source: Path, destination: Path) -> None:
    """The run-time part of the busgps package, without bytecode or development-only modules."""

    def ignored(directory: str, names: list[str]) -> set[str]:
        top_level = Path(directory) == source
        return {
            name
            for name in names
            if name == "__pycache__" or name.endswith(".pyc") or (top_level and name in DEVELOPMENT_ONLY)
        }

    shutil.copytree(source, destination / "busgps", ignore=ignored)


def files_in_order(root: Path) -> Iterator[Path]:
    """Every file under root, sorted by its path in the archive, without bytecode."""
    paths = (path for path in root.rglob("*") if path.is_file())
    for path in sorted(paths, key=lambda path: path.relative_to(root).as_posix()):
        if "__pycache__" not in path.parts and path.suffix != ".pyc":
            yield path


def write_reproducible_zip(root: Path, archive: Path) -> int:
    """Zip root's files with sorted names, fixed times and modes; returns the unzipped size."""
    unzipped_bytes = 0
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zipped:
        for path in files_in_order(root):
            entry = zipfile.ZipInfo(path.relative_to(root).as_posix(), date_time=FIXED_ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.create_system = 3  # Unix, so that the mode below is honoured
            entry.external_attr = (0o100755 if os.access(path, os.X_OK) else 0o100644) << 16
            content = path.read_bytes()
            unzipped_bytes += len(content)
            zipped.writestr(entry, content, compresslevel=9)
    return unzipped_bytes


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build(architecture: str, output_dir: Path, python_version: str = LAMBDA_PYTHON_VERSION) -> BuiltPackage:
    if architecture not in PLATFORM_OF_ARCHITECTURE:
        raise PackagingError(f"unknown architecture {architecture!r}: use one of {', '.join(ARCHITECTURES)}")
    output_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="busgps-package-") as work:
        work_dir = Path(work)
        staging = work_dir / "content"
        staging.mkdir()
        install_dependencies(architecture, python_version, staging, work_dir)
        drop_console_scripts(staging)
        copy_package_source(PACKAGE_SOURCE, staging)
        partial = work_dir / zip_name(architecture)
        unzipped_bytes = write_reproducible_zip(staging, partial)
        if unzipped_bytes > MAX_UNZIPPED_BYTES:
            raise PackagingError(f"{unzipped_bytes} bytes unzipped: over Lambda's {MAX_UNZIPPED_BYTES}")
        if partial.stat().st_size > MAX_ZIP_BYTES:
            raise PackagingError(
                f"{partial.stat().st_size} bytes zipped: over Lambda's {MAX_ZIP_BYTES} for a direct upload"
            )
        destination = output_dir / zip_name(architecture)
        shutil.move(partial, destination)
    return BuiltPackage(architecture, destination, sha256_of(destination), unzipped_bytes)


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m busgps.packaging", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--architecture",
        choices=ARCHITECTURES,
        action="append",
        help="build only this architecture (repeatable); default: every one",
    )
    parser.add_argument("--output-dir", type=Path, default=PROJECT_ROOT / "dist", help="default: dist/")
    parser.add_argument(
        "--python-version",
        default=LAMBDA_PYTHON_VERSION,
        help=f"Python the wheels are chosen for; default {LAMBDA_PYTHON_VERSION}, the functions' runtime",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    for architecture in arguments.architecture or ARCHITECTURES:
        try:
            built = build(architecture, arguments.output_dir, arguments.python_version)
        except PackagingError as error:
            print(f"make package: {error}", file=sys.stderr)
            return 1
        size = built.path.stat().st_size
        print(f"{built.path}  {size} bytes ({built.unzipped_bytes} unzipped)  sha256 {built.sha256}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
