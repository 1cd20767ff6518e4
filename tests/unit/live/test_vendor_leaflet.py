"""Leaflet is served only as the release npm published: its integrity is checked before it is unpacked."""

import io
import re
import tarfile
from pathlib import Path

import pytest

from busgps.local.vendor_leaflet import VendorError, integrity_of, is_vendored, unpack_dist


def tarball(tmp_path: Path) -> Path:
    path = tmp_path / "leaflet-1.9.4.tgz"
    with tarfile.open(path, "w:gz") as archive:
        for name, content in {
            "package/dist/leaflet.js": b"// leaflet",
            "package/README.md": b"readme",
        }.items():
            entry = tarfile.TarInfo(name)
            entry.size = len(content)
            archive.addfile(entry, io.BytesIO(content))
    return path


def test_a_tarball_that_is_not_the_published_release_is_refused_and_nothing_is_unpacked(
    tmp_path: Path,
) -> None:
    # Given a tarball shaped like leaflet's but not the published bytes
    fake = tarball(tmp_path)
    destination = tmp_path / "vendor" / "leaflet"
    # When it is unpacked; then it is refused, naming the integrity found, and nothing is written
    with pytest.raises(VendorError, match=re.escape(integrity_of(fake.read_bytes()))):
        unpack_dist(fake, destination)
    assert not destination.exists()
    assert not is_vendored(destination)
