"""Fuzzing a running stack over HTTP with requests generated from its API document (schemathesis).

Every operation gets requests that fit the document (each must be accepted) and requests that break it
(each must be refused), and every answer is judged by all of schemathesis's checks but one: API
Gateway answers a method the document does not declare as an unknown route (the document's 404), not
405. A server error and an answer the document does not describe are counted apart.

OpenAPI 3.0 cannot say that one parameter depends on another: a window's `from` comes before its
`to`, a fleet window is at most an hour long, and a window of history ends within its retention. The
document says so in words, and `keep_window_rules` makes the generated windows keep those rules.
"""

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from busgps.logic.times import InvalidTime, parse_query_time_ms

# The routes whose `from` and `to` make a window, and the longest window of each (None: any).
WINDOW_ROUTES: dict[str, timedelta | None] = {
    "/v1/positions": timedelta(hours=1),
    "/v1/buses/{busId}/positions": None,
}
# A window that ends before this is moved to end within the last hour: history keeps at least a day.
_KEPT_AT_LEAST = timedelta(hours=12)
# Below the local stage's throttling (api_throttling_rate_limit), so that none of the requests is a 429.
REQUESTS_PER_SECOND = 20.0
DOCUMENTS = (Path("api") / "openapi.yaml",)


def _bound_ms(value: Any) -> int | None:
    if not isinstance(value, str):
        return None
    try:
        return parse_query_time_ms(value)
    except InvalidTime:
        return None


def _iso(time_ms: int) -> str:
    moment = datetime.fromtimestamp(time_ms / 1000, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def keep_window_rules(case: Any, now: datetime | None = None) -> Any:
    """The case, with the bounds of its window (those that are times) moved to keep the document's rules:
    `from` not after `to` (by default ten minutes from now), a fleet window at most an hour long, and
    `to` within the retention of history. A bound that moves is written as an RFC 3339 date-time."""
    if case.method.upper() != "GET" or case.path not in WINDOW_ROUTES or not case.query:
        return case
    query = dict(case.query)
    start, end = _bound_ms(query.get("from")), _bound_ms(query.get("to"))
    now_ms = int((now or datetime.now(UTC)).timestamp() * 1000)
    if start is not None and end is not None:
        start, end = min(start, end), max(start, end)
        longest = WINDOW_ROUTES[case.path]
        if longest is not None:
            end = min(end, start + int(longest.total_seconds() * 1000))
    if end is not None and end < now_ms - _KEPT_AT_LEAST.total_seconds() * 1000:
        shift = now_ms - 3600 * 1000 - end
        end += shift
        start = None if start is None else start + shift
    if start is not None and end is None and start > now_ms:
        start = now_ms - 3600 * 1000
    for name, value in (("from", start), ("to", end)):
        if value is not None and value != _bound_ms(query[name]):
            query[name] = _iso(value)
    case.query = query
    return case


def rendered_document(path: Path, values: dict[str, str]) -> dict[str, Any]:
    from busgps.local.gateway import render_openapi_template

    document: dict[str, Any] = yaml.safe_load(
        render_openapi_template(path.read_text(encoding="utf-8"), values)
    )
    return document


@dataclass
class FuzzFindings:
    requests: int = 0
    server_errors: list[str] = field(default_factory=list)
    contradictions: list[str] = field(default_factory=list)


def _describe(failure: Any, case: Any) -> str:
    return f"{case.method} {case.formatted_path}: {failure.title} ({failure.code})"


def fuzz_document(
    document: dict[str, Any], base_url: str, id_token: str, examples: int, findings: FuzzFindings
) -> None:
    """Send `examples` generated requests per operation and mode to `base_url`, judging each answer."""
    import requests
    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from hypothesis.errors import Unsatisfiable
    from schemathesis.core.failures import Failure, FailureGroup, ServerError
    from schemathesis.core.result import Ok
    from schemathesis.generation import GenerationMode
    from schemathesis.specs.openapi.checks import unsupported_method

    schema = schemathesis.openapi.from_dict(document)
    session = requests.Session()
    interval = 1 / REQUESTS_PER_SECOND
    last_sent = [0.0]

    def exercise(case: Any) -> None:
        keep_window_rules(case)
        time.sleep(max(0.0, last_sent[0] + interval - time.monotonic()))
        last_sent[0] = time.monotonic()
        headers = {"Authorization": id_token}
        response = case.call(base_url=base_url, session=session, headers=headers)
        findings.requests += 1
        try:
            case.validate_response(response, headers=headers, excluded_checks=[unsupported_method])
        except (FailureGroup, Failure) as raised:
            failures = raised.exceptions if isinstance(raised, FailureGroup) else [raised]
            for failure in failures:
                found = (
                    findings.server_errors if isinstance(failure, ServerError) else findings.contradictions
                )
                found.append(_describe(failure, case))

    for result in schema.get_all_operations():
        if not isinstance(result, Ok):
            raise result.err()
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            run = settings(
                max_examples=examples,
                deadline=None,
                derandomize=True,
                database=None,
                suppress_health_check=list(HealthCheck),
            )(given(operation.as_strategy(generation_mode=mode))(exercise))
            try:
                run()
            except Unsatisfiable:  # nothing to break: an operation without parameters or body
                continue


def fuzz_stack(repository: Path, details: dict[str, Any], examples: int) -> FuzzFindings:
    """Fuzz every API document of the running stack that `details` (its stack file) describes."""
    from busgps.client.auth import CognitoTokenSource, cognito_client

    tokens = CognitoTokenSource(
        cognito_client(details["region"], details["emulator_endpoint"]),
        details["app_client_id"],
        details["username"],
        details["password"],
    )
    values = {
        "aws_region": details["region"],
        "stream_name": details["stream_name"],
        "user_pool_arn": details["user_pool_arn"],
        # Neither is part of what a request or an answer looks like.
        "api_gateway_kinesis_role_arn": "arn:aws:iam::123456789012:role/fuzzing",
        "api_function_invoke_arn": "arn:aws:lambda:us-east-1:123456789012:function:fuzzing",
        "cors_allow_origin": "*",
    }
    findings = FuzzFindings()
    for document in DOCUMENTS:
        fuzz_document(
            rendered_document(repository / document, values), details["api_url"], tokens(), examples, findings
        )
    return findings
