"""Which busgps stack a client talks to: the local one by default, or any deployed one.

The local stack describes itself in `.local/stack.json` (written by `busgps local up`). A deployed
stack is named by its URLs and ids, given as arguments, as `BUSGPS_*` environment variables, or by
Terraform's outputs (the file `terraform output -json` writes). Precedence: arguments, environment,
Terraform outputs, then the stack file. The stack file is read only when nothing names a deployed
stack (no API URL, no outputs file), so local and deployed values never mix.

A stack has two APIs: the reads (`api_url`, a REST API) and the devices' POST routes (`ingest_url`,
an HTTP API of its own host, or of the custom domain's `/ingest`).
"""

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_STACK_FILE = Path(".local") / "stack.json"
STACK_FILE_VARIABLE = "BUSGPS_STACK_FILE"
OUTPUTS_VARIABLE = "BUSGPS_TERRAFORM_OUTPUTS"

# Field of StackTarget -> (environment variable, key in stack.json, Terraform output or None).
_SOURCES: dict[str, tuple[str, str, str | None]] = {
    "api_url": ("BUSGPS_API_URL", "api_url", "api_base_url"),
    "ingest_url": ("BUSGPS_INGEST_URL", "ingest_url", "ingest_base_url"),
    "post_url": ("BUSGPS_POST_URL", "post_url", "post_gps_url"),
    "get_url": ("BUSGPS_GET_URL", "get_url", "get_gps_url"),
    "region": ("BUSGPS_REGION", "region", "aws_region"),
    "user_pool_id": ("BUSGPS_USER_POOL_ID", "user_pool_id", "user_pool_id"),
    "client_id": ("BUSGPS_CLIENT_ID", "app_client_id", "app_client_id"),
    "stream_name": ("BUSGPS_STREAM_NAME", "stream_name", "stream_name"),
    "username": ("BUSGPS_USERNAME", "username", None),
    "password": ("BUSGPS_PASSWORD", "password", None),
    "cognito_endpoint": ("BUSGPS_COGNITO_ENDPOINT", "emulator_endpoint", None),
}


class TargetError(RuntimeError):
    """The client does not know enough about the stack to do what was asked."""


@dataclass(frozen=True)
class StackTarget:
    """Where a stack's API and its Cognito user pool are, and who logs in."""

    api_url: str
    get_url: str
    # The devices' API, and its compatible route; None when nothing names them.
    ingest_url: str | None = None
    post_url: str | None = None
    region: str | None = None
    user_pool_id: str | None = None
    client_id: str | None = None
    stream_name: str | None = None
    username: str | None = None
    password: str | None = None
    # An emulator's endpoint for Cognito; None means AWS itself.
    cognito_endpoint: str | None = None

    def route(self, path: str) -> str:
        """The URL of a read route such as `/v1/buses` (the API URL includes any stage)."""
        return self.api_url.rstrip("/") + path

    def ingest_route(self, path: str) -> str:
        """The URL of a devices' route such as `/v1/positions`, on the ingest API."""
        return self.required("ingest_url").rstrip("/") + path

    def required(self, name: str) -> str:
        value = getattr(self, name)
        if not value:
            variable, _key, output = _SOURCES[name]
            flag = "--" + name.replace("_", "-")
            if name == "post_url":  # the compatible route is on the devices' API
                flag = "--ingest-url (or " + flag + ")"
            outputs = f", pass --terraform-outputs (output {output})" if output else ""
            raise TargetError(
                f"{name} is unknown: pass {flag}, set {variable}{outputs}, or start `busgps local up`"
            )
        return str(value)


def resolve_target(
    arguments: Mapping[str, str | None],
    environ: Mapping[str, str] = os.environ,
    stack_file: Path | None = None,
    terraform_outputs: Path | None = None,
) -> StackTarget:
    """Merge arguments, environment, Terraform outputs and (for the local stack) the stack file into
    one target."""
    given: dict[str, str] = {}
    for name, (variable, _key, _output) in _SOURCES.items():
        value = arguments.get(name) or environ.get(variable)
        if value:
            given[name] = value

    if terraform_outputs is None and environ.get(OUTPUTS_VARIABLE):
        terraform_outputs = Path(environ[OUTPUTS_VARIABLE])
    if terraform_outputs is not None:
        for name, value in _read_terraform_outputs(terraform_outputs).items():
            given.setdefault(name, value)

    if stack_file is None and environ.get(STACK_FILE_VARIABLE):
        stack_file = Path(environ[STACK_FILE_VARIABLE])
    if stack_file is not None:
        local = _read_stack_file(stack_file, must_exist=True)
    elif "api_url" not in given:
        local = _read_stack_file(DEFAULT_STACK_FILE, must_exist=False)
    else:
        local = {}
    for name, value in local.items():
        given.setdefault(name, value)

    if "api_url" not in given:
        raise TargetError(
            "no stack to talk to: start the local stack with `busgps local up` (it writes "
            f"{DEFAULT_STACK_FILE}), or pass --api-url / set BUSGPS_API_URL / pass --terraform-outputs "
            "for a deployed stack"
        )
    if "region" not in given and "_" in given.get("user_pool_id", ""):
        # A Cognito user pool id is <region>_<id>.
        given["region"] = given["user_pool_id"].split("_", 1)[0]
    api_url = given.pop("api_url").rstrip("/")
    if "ingest_url" in given:
        given["ingest_url"] = given["ingest_url"].rstrip("/")
        given.setdefault("post_url", given["ingest_url"] + "/post-gps")
    get_url = given.pop("get_url", None) or api_url + "/get-gps"
    return StackTarget(api_url=api_url, get_url=get_url, **given)


def _read_terraform_outputs(path: Path) -> dict[str, str]:
    """The values of `terraform output -json` that name the stack (each output is {"value": ...})."""
    content = _read_json(path, "Terraform outputs file")
    values: dict[str, str] = {}
    for name, (_variable, _key, output) in _SOURCES.items():
        entry = content.get(output) if output else None
        if isinstance(entry, dict) and entry.get("value") not in (None, ""):
            values[name] = str(entry["value"])
    return values


def _read_json(path: Path, what: str) -> dict[str, Any]:
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TargetError(f"{what} {path} does not exist") from None
    except (OSError, ValueError) as error:
        raise TargetError(f"cannot read {what} {path}: {error}") from error
    if not isinstance(content, dict):
        raise TargetError(f"{what} {path} is not a JSON object")
    return content


def _read_stack_file(path: Path, must_exist: bool) -> dict[str, str]:
    if not must_exist and not path.exists():
        return {}
    content = _read_json(path, "stack file")
    values: dict[str, str] = {}
    for name, (_variable, key, _output) in _SOURCES.items():
        value = content.get(key)
        if value not in (None, ""):
            values[name] = str(value)
    return values
