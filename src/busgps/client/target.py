"""Which busgps stack a client talks to: the local one by default, or any deployed one.

The local stack describes itself in `.local/stack.json` (written by `busgps local up`). A deployed
stack is named by its URLs and ids, given as arguments or as `BUSGPS_*` environment variables.
Precedence: arguments, then environment, then the stack file. The stack file is read only when no
API URL is given otherwise, so local and deployed values never mix.
"""

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DEFAULT_STACK_FILE = Path(".local") / "stack.json"
STACK_FILE_VARIABLE = "BUSGPS_STACK_FILE"

# Field of StackTarget -> (environment variable, key in stack.json).
_SOURCES: dict[str, tuple[str, str]] = {
    "api_url": ("BUSGPS_API_URL", "api_url"),
    "post_url": ("BUSGPS_POST_URL", "post_url"),
    "get_url": ("BUSGPS_GET_URL", "get_url"),
    "region": ("BUSGPS_REGION", "region"),
    "user_pool_id": ("BUSGPS_USER_POOL_ID", "user_pool_id"),
    "client_id": ("BUSGPS_CLIENT_ID", "app_client_id"),
    "stream_name": ("BUSGPS_STREAM_NAME", "stream_name"),
    "username": ("BUSGPS_USERNAME", "username"),
    "password": ("BUSGPS_PASSWORD", "password"),
    "cognito_endpoint": ("BUSGPS_COGNITO_ENDPOINT", "emulator_endpoint"),
}


class TargetError(RuntimeError):
    """The client does not know enough about the stack to do what was asked."""


@dataclass(frozen=True)
class StackTarget:
    """Where a stack's API and its Cognito user pool are, and who logs in."""

    api_url: str
    post_url: str
    get_url: str
    region: str | None = None
    user_pool_id: str | None = None
    client_id: str | None = None
    stream_name: str | None = None
    username: str | None = None
    password: str | None = None
    # An emulator's endpoint for Cognito; None means AWS itself.
    cognito_endpoint: str | None = None

    def route(self, path: str) -> str:
        """The URL of an API route such as `/v1/buses` (the API URL includes any stage)."""
        return self.api_url.rstrip("/") + path

    def required(self, name: str) -> str:
        value = getattr(self, name)
        if not value:
            variable = _SOURCES[name][0]
            flag = "--" + name.replace("_", "-")
            raise TargetError(f"{name} is unknown: pass {flag}, set {variable}, or start `busgps local up`")
        return str(value)


def resolve_target(
    arguments: Mapping[str, str | None],
    environ: Mapping[str, str] = os.environ,
    stack_file: Path | None = None,
) -> StackTarget:
    """Merge arguments, environment and (for the local stack) the stack file into one target."""
    given: dict[str, str] = {}
    for name, (variable, _key) in _SOURCES.items():
        value = arguments.get(name) or environ.get(variable)
        if value:
            given[name] = value

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
            f"{DEFAULT_STACK_FILE}), or pass --api-url / set BUSGPS_API_URL for a deployed stack"
        )
    if "region" not in given and "_" in given.get("user_pool_id", ""):
        # A Cognito user pool id is <region>_<id>.
        given["region"] = given["user_pool_id"].split("_", 1)[0]
    api_url = given.pop("api_url").rstrip("/")
    post_url = given.pop("post_url", None) or api_url + "/post-gps"
    get_url = given.pop("get_url", None) or api_url + "/get-gps"
    return StackTarget(api_url=api_url, post_url=post_url, get_url=get_url, **given)


def _read_stack_file(path: Path, must_exist: bool) -> dict[str, str]:
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        if must_exist:
            raise TargetError(f"stack file {path} does not exist") from None
        return {}
    except (OSError, ValueError) as error:
        raise TargetError(f"cannot read stack file {path}: {error}") from error
    if not isinstance(content, dict):
        raise TargetError(f"stack file {path} is not a JSON object")
    values: dict[str, str] = {}
    for name, (_variable, key) in _SOURCES.items():
        value = content.get(key)
        if value not in (None, ""):
            values[name] = str(value)
    return values
