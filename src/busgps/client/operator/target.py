"""Which environment's queues, stream and consumer an operator command works on.

A deployed environment is named by options, `BUSGPS_*` variables or Terraform's outputs (the file
`terraform output -json` writes); the local stack by its stack file, which also gives the emulator's
endpoint and the local Invoke API. Precedence: options, environment, Terraform outputs, stack file.
As for the API commands, the stack file is read only when nothing names a deployed environment
(no queue URL, no outputs file, no API URL), so local and deployed values never mix.
"""

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3

from busgps.client.target import DEFAULT_STACK_FILE, STACK_FILE_VARIABLE, TargetError
from busgps.local.emulator import emulator_session

if TYPE_CHECKING:
    from mypy_boto3_kinesis import KinesisClient
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sts import STSClient

OUTPUTS_VARIABLE = "BUSGPS_TERRAFORM_OUTPUTS"
API_URL_VARIABLE = "BUSGPS_API_URL"
# Field -> (option, environment variable, Terraform output, stack file key); None where there is none.
_SOURCES: dict[str, tuple[str | None, str | None, str | None, str]] = {
    "region": ("--region", "BUSGPS_REGION", "aws_region", "region"),
    "invalid_records_queue_url": (
        "--invalid-records-queue-url",
        "BUSGPS_INVALID_RECORDS_QUEUE_URL",
        "invalid_records_queue_url",
        "invalid_records_queue_url",
    ),
    "consumer_failure_queue_url": (
        "--consumer-failure-queue-url",
        "BUSGPS_CONSUMER_FAILURE_QUEUE_URL",
        "consumer_failure_queue_url",
        "consumer_failure_queue_url",
    ),
    "consumer_function_name": (
        "--consumer-function-name",
        "BUSGPS_CONSUMER_FUNCTION_NAME",
        "consumer_function_name",
        "consumer_function_name",
    ),
    "aws_endpoint": (None, None, None, "emulator_endpoint"),
    "lambda_endpoint": (None, None, None, "lambda_endpoint"),
}
# Fields that name a deployed environment on their own (a region alone does not).
_DEPLOYED_FIELDS = ("invalid_records_queue_url", "consumer_failure_queue_url", "consumer_function_name")
_QUEUE_URL_REGION = re.compile(r"^https://sqs[.-]([a-z]{2}(?:-gov)?-[a-z]+-\d)\.")


@dataclass(frozen=True)
class OperatorTarget:
    region: str | None = None
    invalid_records_queue_url: str | None = None
    consumer_failure_queue_url: str | None = None
    # Invoke this function instead of the one each on-failure record names.
    consumer_function_name: str | None = None
    # The local stack's emulator (SQS, Kinesis, STS) and Invoke API; None: AWS itself.
    aws_endpoint: str | None = None
    lambda_endpoint: str | None = None

    @property
    def is_local(self) -> bool:
        return self.aws_endpoint is not None

    def required(self, name: str) -> str:
        value = getattr(self, name)
        if not value:
            option, variable, output, _key = _SOURCES[name]
            raise TargetError(
                f"{name} is unknown: pass {option}, set {variable}, pass --terraform-outputs with "
                f"`terraform output -json` of the environment (output {output}), or start `busgps local up`"
            )
        return str(value)

    def _session(self) -> boto3.Session:
        if self.aws_endpoint is not None:
            return emulator_session(self.region or "us-east-1")
        return boto3.Session(region_name=self.region)

    def sqs(self) -> "SQSClient":
        return self._session().client("sqs", endpoint_url=self.aws_endpoint)

    def kinesis(self) -> "KinesisClient":
        return self._session().client("kinesis", endpoint_url=self.aws_endpoint)

    def sts(self) -> "STSClient":
        return self._session().client("sts", endpoint_url=self.aws_endpoint)

    def lambda_client(self) -> "LambdaClient":
        if self.is_local and not self.lambda_endpoint:
            raise TargetError("the local stack's file names no lambda_endpoint: restart `busgps local up`")
        return self._session().client("lambda", endpoint_url=self.lambda_endpoint)


def resolve_operator_target(
    arguments: Mapping[str, Any],
    environ: Mapping[str, str] = os.environ,
) -> OperatorTarget:
    """Merge options (`arguments`, by field name, plus stack_file, terraform_outputs and api_url),
    environment, Terraform outputs and the stack file into one target."""
    given: dict[str, str] = {}
    for name, (_option, variable, _output, _key) in _SOURCES.items():
        value = arguments.get(name) or (environ.get(variable) if variable else None)
        if value:
            given[name] = str(value)

    outputs_file = arguments.get("terraform_outputs") or environ.get(OUTPUTS_VARIABLE)
    if outputs_file:
        for name, value in _read_terraform_outputs(Path(outputs_file)).items():
            given.setdefault(name, value)

    stack_file = arguments.get("stack_file") or environ.get(STACK_FILE_VARIABLE)
    deployed = (
        any(name in given for name in _DEPLOYED_FIELDS)
        or bool(outputs_file)
        or bool(arguments.get("api_url") or environ.get(API_URL_VARIABLE))
    )
    if stack_file:
        local = _read_stack_file(Path(stack_file), must_exist=True)
    elif not deployed:
        local = _read_stack_file(DEFAULT_STACK_FILE, must_exist=False)
    else:
        local = {}
    for name, value in local.items():
        given.setdefault(name, value)

    if "region" not in given:
        for name in ("invalid_records_queue_url", "consumer_failure_queue_url"):
            match = _QUEUE_URL_REGION.match(given.get(name, ""))
            if match:
                given["region"] = match.group(1)
                break
    return OperatorTarget(**given)


def _read_terraform_outputs(path: Path) -> dict[str, str]:
    """The values of `terraform output -json` (each output is {"value": ..., ...})."""
    content = _read_json(path, "Terraform outputs file")
    values: dict[str, str] = {}
    for name, (_option, _variable, output, _key) in _SOURCES.items():
        entry = content.get(output) if output else None
        if isinstance(entry, dict) and entry.get("value") not in (None, ""):
            values[name] = str(entry["value"])
    return values


def _read_stack_file(path: Path, must_exist: bool) -> dict[str, str]:
    if not path.exists() and not must_exist:
        return {}
    content = _read_json(path, "stack file")
    return {
        name: str(content[key])
        for name, (_option, _variable, _output, key) in _SOURCES.items()
        if content.get(key) not in (None, "")
    }


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
