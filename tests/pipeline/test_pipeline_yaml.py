"""The pipeline files are strict YAML and valid GitLab CI configuration."""

import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.pipeline_config import DuplicateKeyError, Reference, load_strict, pipeline_files


def test_strict_loader_rejects_a_key_given_twice() -> None:
    # Given a job that names `script` twice
    text = "job:\n  script: [a]\n  script: [b]\n"

    # When it is loaded, then the second key is an error, not a silent overwrite
    with pytest.raises(DuplicateKeyError, match="duplicate key 'script'"):
        load_strict(text)


def test_strict_loader_rejects_a_second_merge_key() -> None:
    # Given the old pipeline's mistake: two `<<` merge keys in one job
    text = ".a: &a {image: x}\n.b: &b {stage: y}\njob:\n  <<: *a\n  <<: *b\n  script: [c]\n"

    # When it is loaded, then it fails, as GitLab's parser does
    with pytest.raises(DuplicateKeyError, match="duplicate key '<<'"):
        load_strict(text)


def test_strict_loader_merges_a_single_merge_key_and_reads_references() -> None:
    # Given one merge key and a GitLab !reference
    text = ".a: &a {image: x}\njob:\n  <<: *a\n  rules:\n    - !reference [.rules, tag]\n"

    # When it is loaded
    document = load_strict(text)

    # Then the merge is applied and the reference kept as a path to resolve
    assert document["job"]["image"] == "x"
    assert document["job"]["rules"] == [Reference((".rules", "tag"))]


@pytest.mark.parametrize("path", pipeline_files(Path(__file__).resolve().parents[2]), ids=lambda p: p.name)
def test_every_pipeline_file_is_strict_yaml(path: Path) -> None:
    # Given a pipeline file; when it is loaded strictly; then it is a mapping of keys
    document = load_strict(path.read_text())
    assert isinstance(document, dict)
    assert document


def test_pipeline_files_validate_against_gitlab_ci_schema(repo_root: Path) -> None:
    # Given the main file and its includes
    files = [str(path.relative_to(repo_root)) for path in pipeline_files(repo_root)]

    # When check-jsonschema validates them with GitLab's CI schema (!reference understood)
    result = subprocess.run(
        [str(Path(sys.executable).with_name("check-jsonschema")), "--builtin-schema", "vendor.gitlab-ci",
         "--data-transform", "gitlab-ci", *files],
        cwd=repo_root, capture_output=True, text=True, check=False,
    )  # fmt: skip

    # Then every file is valid
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok -- validation done" in result.stdout
