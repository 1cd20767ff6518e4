"""The Terraform configuration read with python-hcl2, for what a plan cannot show: each module's
variables, outputs and module calls, as its README and the settings files must match them."""

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import hcl2
from hcl2.utils import SerializationOptions

PROJECT_ROOT = Path(__file__).resolve().parents[2]
TERRAFORM_DIR = PROJECT_ROOT / "terraform"
ENVIRONMENTS_DIR = TERRAFORM_DIR / "environments"
MODULES_DIR = TERRAFORM_DIR / "modules"
OPENAPI_TEMPLATE = PROJECT_ROOT / "api" / "openapi.yaml"
INGEST_TEMPLATE = PROJECT_ROOT / "api" / "ingest.yaml"

_OPTIONS = SerializationOptions(with_comments=False, strip_string_quotes=True)

_NAME = r"[A-Za-z_][A-Za-z0-9_-]*"
VAR_REFERENCE = re.compile(rf"(?<![\w.])var\.({_NAME})")


def load_hcl(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as hcl_file:
        parsed: dict[str, Any] = hcl2.load(hcl_file, serialization_options=_OPTIONS)
    return parsed


def without_markers(block: dict[str, Any]) -> dict[str, Any]:
    """A block's attributes without python-hcl2's bookkeeping keys."""
    return {key: value for key, value in block.items() if not key.startswith("__")}


def strings_in(value: Any) -> Iterator[str]:
    """Every string in a parsed structure, keys included: where expressions live."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings_in(item)


def terraform_files() -> list[Path]:
    return sorted(path for path in TERRAFORM_DIR.rglob("*.tf") if ".terraform" not in path.parts)


def tfvars_files() -> list[Path]:
    return sorted(ENVIRONMENTS_DIR.glob("*.tfvars"))


@dataclass(frozen=True)
class Resource:
    kind: str  # "resource" or "data"
    type: str
    name: str
    body: dict[str, Any]
    file: Path


@dataclass(frozen=True)
class ModuleCall:
    name: str
    source: str
    arguments: dict[str, Any]
    caller: "TerraformModule"

    @property
    def source_dir(self) -> Path:
        return (self.caller.path / self.source).resolve()


@dataclass
class TerraformModule:
    path: Path
    variables: dict[str, dict[str, Any]] = field(default_factory=dict)
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    locals: dict[str, Any] = field(default_factory=dict)
    module_calls: dict[str, ModuleCall] = field(default_factory=dict)
    resources: list[Resource] = field(default_factory=list)
    documents: dict[Path, dict[str, Any]] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return "root" if self.path == TERRAFORM_DIR else self.path.name

    def strings(self) -> Iterator[str]:
        for document in self.documents.values():
            yield from strings_in(document)

    def resources_of_type(self, resource_type: str, kind: str = "resource") -> list[Resource]:
        return [item for item in self.resources if item.type == resource_type and item.kind == kind]


@cache
def load_module(path: Path) -> TerraformModule:
    module = TerraformModule(path=path)
    for tf_file in sorted(path.glob("*.tf")):
        document = load_hcl(tf_file)
        module.documents[tf_file] = document
        for block in document.get("variable", []):
            for name, body in without_markers(block).items():
                module.variables[name] = without_markers(body)
        for block in document.get("output", []):
            for name, body in without_markers(block).items():
                module.outputs[name] = without_markers(body)
        for block in document.get("locals", []):
            module.locals.update(without_markers(block))
        for block in document.get("module", []):
            for name, body in without_markers(block).items():
                arguments = without_markers(body)
                module.module_calls[name] = ModuleCall(name, arguments["source"], arguments, module)
        for kind in ("resource", "data"):
            for block in document.get(kind, []):
                for resource_type, named in without_markers(block).items():
                    for name, body in without_markers(named).items():
                        module.resources.append(Resource(kind, resource_type, name, body, tf_file))
    return module


def root_module() -> TerraformModule:
    return load_module(TERRAFORM_DIR)


def child_modules() -> list[TerraformModule]:
    return [load_module(path) for path in sorted(MODULES_DIR.iterdir()) if path.is_dir()]


def all_modules() -> list[TerraformModule]:
    """The root, its modules, and the CI role's own root (terraform/bootstrap)."""
    return [root_module(), *child_modules(), load_module(TERRAFORM_DIR / "bootstrap")]


def load_tfvars(path: Path) -> dict[str, Any]:
    return without_markers(load_hcl(path))
