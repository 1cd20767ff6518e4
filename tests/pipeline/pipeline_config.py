"""The GitLab pipeline as data: strict YAML, local includes, `!reference` and `extends` resolved.

Strict means what GitLab's own parser needs and PyYAML lets through: a key twice in one mapping
(a second `<<` merge key included) is an error, not a silent overwrite.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

# Top-level keys that are settings of the pipeline, not jobs.
GLOBAL_KEYWORDS = frozenset(
    {"default", "include", "stages", "variables", "workflow", "image", "services", "cache"}
    | {"before_script", "after_script"}
)
MERGE_TAG = "tag:yaml.org,2002:merge"


class DuplicateKeyError(yaml.constructor.ConstructorError):
    """A mapping names the same key twice."""


@dataclass(frozen=True)
class Reference:
    """GitLab's `!reference [job, key, ...]`: a path into the pipeline, resolved after loading."""

    path: tuple[str, ...]


class StrictGitLabLoader(yaml.SafeLoader):
    """SafeLoader that rejects duplicate keys and understands GitLab's `!reference` tag."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, yaml.Node] = {}
        for key_node, _ in node.value:
            # `<<` is checked by its text: its tag has no constructor of its own.
            key = "<<" if key_node.tag == MERGE_TAG else self.construct_object(key_node, deep=True)
            if key in seen:
                raise DuplicateKeyError(
                    "while constructing a mapping",
                    node.start_mark,
                    f"found duplicate key {key!r} (first at line {seen[key].start_mark.line + 1})",
                    key_node.start_mark,
                )
            seen[key] = key_node
        return super().construct_mapping(node, deep=deep)


def _construct_reference(loader: StrictGitLabLoader, node: yaml.Node) -> Reference:
    if not isinstance(node, yaml.SequenceNode):
        raise yaml.constructor.ConstructorError(None, None, "!reference takes a list", node.start_mark)
    return Reference(tuple(str(part) for part in loader.construct_sequence(node)))


StrictGitLabLoader.add_constructor("!reference", _construct_reference)
# The mapping constructor above must also serve the default mapping tag.
StrictGitLabLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, StrictGitLabLoader.construct_mapping
)


def load_strict(text: str) -> Any:
    return yaml.load(text, Loader=StrictGitLabLoader)  # noqa: S506 (a SafeLoader subclass)


def pipeline_files(root: Path) -> list[Path]:
    """The main file and, in order, the local files it includes."""
    main = root / ".gitlab-ci.yml"
    includes = load_strict(main.read_text()).get("include", [])
    return [main, *(root / entry["local"] for entry in includes)]


def _resolve_references(value: Any, config: dict[str, Any]) -> Any:
    if isinstance(value, Reference):
        target: Any = config
        for part in value.path:
            target = target[part]
        return _resolve_references(target, config)
    if isinstance(value, dict):
        return {key: _resolve_references(item, config) for key, item in value.items()}
    if isinstance(value, list):
        resolved: list[Any] = []
        for item in value:
            item_value = _resolve_references(item, config)
            # GitLab flattens a referenced list that stands as one item of a list.
            if isinstance(item, Reference) and isinstance(item_value, list):
                resolved.extend(item_value)
            else:
                resolved.append(item_value)
        return resolved
    return value


def _deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """`extends` semantics: mappings merge key by key, anything else (lists too) is replaced."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _expand_extends(name: str, config: dict[str, Any]) -> dict[str, Any]:
    job: dict[str, Any] = config[name]
    parents = job.get("extends", [])
    expanded: dict[str, Any] = {}
    for parent in [parents] if isinstance(parents, str) else parents:
        expanded = _deep_merge(expanded, _expand_extends(parent, config))
    own = {key: value for key, value in job.items() if key != "extends"}
    return _deep_merge(expanded, own)


def load_pipeline(root: Path) -> dict[str, Any]:
    """Every top-level key of the pipeline, includes merged, references and extends resolved."""
    config: dict[str, Any] = {}
    for path in pipeline_files(root):
        document = load_strict(path.read_text())
        clash = set(config) & (set(document) - {"include"})
        if clash:
            raise ValueError(f"{path.name} redefines {sorted(clash)}, defined in an earlier file")
        config.update({key: value for key, value in document.items() if key != "include"})
    config = _resolve_references(config, config)
    return {
        name: _expand_extends(name, config) if isinstance(value, dict) else value
        for name, value in config.items()
    }


def jobs(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The pipeline's jobs: top-level mappings that are neither settings nor hidden templates."""
    return {
        name: value
        for name, value in config.items()
        if name not in GLOBAL_KEYWORDS and not name.startswith(".") and isinstance(value, dict)
    }
