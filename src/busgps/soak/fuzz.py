"""Fuzzing a running stack over HTTP with requests generated from its API documents (schemathesis).

Both documents are fuzzed, each against its own API: the reads (api/openapi.yaml) against the REST
API, the devices' routes (api/ingest.yaml) against their HTTP API, with a device's id token. Every
operation gets requests that fit its document (each must be accepted) and requests that break it (each
must be refused), and every answer is judged by all of schemathesis's checks but one: API Gateway
answers a method the document does not declare as an unknown route (the document's 404), not 405. A
server error and an answer the document does not describe are counted apart.

OpenAPI 3.0 cannot say everything the functions check. Rules between parameters: a window's `from`
comes before its `to`, a fleet window is at most an hour long, and a window of history ends within its
retention (`keep_window_rules`). Rules on a value that a schema cannot state: a device's timestamp is a
date of the calendar, not before 1970 and at most five minutes ahead of the server's clock, a trip's
`startDate` is a date of the calendar, and the legacy route's `Data` is the base64 of a position's JSON
(`keep_position_rules`). The documents say so in words, and the generated requests keep those rules:
each hook changes only values the document allows, so a request that breaks the document still does.

The stack under a soak injects faults: a batch whose every entry the stream throttled is the documented
503 with Retry-After, and the fuzzer, as a device, sends such a request again after the time it says
(`RETRIES`), judging the answer it ends with.
"""

import base64
import binascii
import json
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from busgps.logic.queries import FLEET_WINDOW_MAX_MS
from busgps.logic.records import MAX_FUTURE_SKEW_MS, InvalidPosition, position_of
from busgps.logic.times import (
    DEVICE_DATE_TIME_PATTERN,
    DEVICE_EPOCH_PATTERN,
    InvalidTime,
    parse_query_time_ms,
    parse_time_ms,
)

# The routes whose `from` and `to` make a window, and the longest window of each (None: any).
WINDOW_ROUTES: dict[str, timedelta | None] = {
    "/v1/positions": timedelta(milliseconds=FLEET_WINDOW_MAX_MS),
    "/v1/buses/{busId}/positions": None,
}
# A window that ends before this is moved to end within the last hour: history keeps at least a day.
_KEPT_AT_LEAST = timedelta(hours=12)
# Below the local stages' throttling (api_throttling_rate_limit), so that none of the requests is a 429.
REQUESTS_PER_SECOND = 20.0
# A request answered 429 or 503 with Retry-After is sent again at most this many times.
RETRIES = 3


@dataclass(frozen=True)
class FuzzedDocument:
    """An API document of the stack, and the stack file's key of the base URL that serves it."""

    path: Path
    base_url_key: str
    # Whether its requests carry the device's id token (its routes have the JWT authorizer).
    authorized: bool


DOCUMENTS = (
    FuzzedDocument(Path("api") / "openapi.yaml", "api_url", authorized=False),
    FuzzedDocument(Path("api") / "ingest.yaml", "ingest_url", authorized=True),
)

# What api/ingest.yaml allows as a timestamp (PositionInput.timestamp), and as a legacy Data.
_NUMBER_TIME_BELOW = 253_402_300_800_000
_EPOCH_TEXT = re.compile(DEVICE_EPOCH_PATTERN)
_DATE_TIME_TEXT = re.compile(DEVICE_DATE_TIME_PATTERN)
_START_DATE = re.compile(r"^[0-9]{4}(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])$")
_PADDED_BASE64 = re.compile(r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$")
_MILLISECONDS_FROM = 100_000_000_000


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
        shift = now_ms - FLEET_WINDOW_MAX_MS - end
        end += shift
        start = None if start is None else start + shift
    if start is not None and end is None and start > now_ms:
        start = now_ms - FLEET_WINDOW_MAX_MS
    for name, value in (("from", start), ("to", end)):
        if value is not None and value != _bound_ms(query[name]):
            query[name] = _iso(value)
    case.query = query
    return case


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _kept_time(value: Any, now_ms: int) -> Any:
    """A timestamp the document allows, kept if the function takes it, or else the server's time now
    written the same way: a date of the calendar from 1970 on, at most five minutes ahead."""
    if _is_number(value):
        if not 0 <= value < _NUMBER_TIME_BELOW:
            return value
    elif not isinstance(value, str) or not (_EPOCH_TEXT.fullmatch(value) or _DATE_TIME_TEXT.fullmatch(value)):
        return value
    try:
        if parse_time_ms(value) <= now_ms + MAX_FUTURE_SKEW_MS:
            return value
    except InvalidTime:
        pass
    if _is_number(value):
        return now_ms if value >= _MILLISECONDS_FROM else now_ms // 1000
    if isinstance(value, str) and _EPOCH_TEXT.fullmatch(value):
        return str(now_ms // 1000)
    return _iso(now_ms)


def _kept_start_date(value: Any, now_ms: int) -> Any:
    """A `startDate` the document allows, kept if it is a date of the calendar, or else today's."""
    if not isinstance(value, str) or not _START_DATE.fullmatch(value):
        return value
    try:
        datetime.strptime(value, "%Y%m%d")
    except ValueError:
        return datetime.fromtimestamp(now_ms / 1000, UTC).strftime("%Y%m%d")
    return value


def _kept_entry(entry: Any, now_ms: int) -> Any:
    if not isinstance(entry, dict):
        return entry
    kept = dict(entry)
    if "timestamp" in kept:
        kept["timestamp"] = _kept_time(kept["timestamp"], now_ms)
    if "startDate" in kept:
        kept["startDate"] = _kept_start_date(kept["startDate"], now_ms)
    return kept


def _kept_data(data: Any, partition_key: Any, now_ms: int) -> Any:
    """A legacy `Data` the document allows (padded base64), kept if it is the base64 of a position the
    function takes for `partition_key`, or else the base64 of one made from the generated bytes."""
    if not isinstance(data, str) or not _PADDED_BASE64.fullmatch(data) or len(data) < 4:
        return data
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        return data
    key = partition_key if isinstance(partition_key, str) else ""
    try:
        position_of(json.loads(raw), partition_key=key, arrival_ms=now_ms, sequence_number="0", now_ms=now_ms)
        return data
    except (InvalidPosition, ValueError, RecursionError):
        pass
    made = {"latitude": len(raw) % 180 - 89.5, "longitude": sum(raw) % 360 - 179.5}
    return base64.b64encode(json.dumps(made).encode()).decode()


def keep_position_rules(case: Any, now: datetime | None = None) -> Any:
    """The case, with the values of its body that the document allows but states rules about in words
    made to keep them: a batch entry's `timestamp` and `startDate`, the legacy route's `Data`."""
    if case.method.upper() != "POST" or not isinstance(case.body, dict):
        return case
    now_ms = int((now or datetime.now(UTC)).timestamp() * 1000)
    body = dict(case.body)
    if case.path == "/v1/positions" and isinstance(body.get("positions"), list):
        body["positions"] = [_kept_entry(entry, now_ms) for entry in body["positions"]]
    elif case.path == "/post-gps" and "Data" in body:
        body["Data"] = _kept_data(body["Data"], body.get("PartitionKey"), now_ms)
    case.body = body
    return case


def keep_stated_rules(case: Any, now: datetime | None = None) -> Any:
    """The case, keeping every rule the documents state in words (`keep_window_rules`,
    `keep_position_rules`)."""
    return keep_position_rules(keep_window_rules(case, now), now)


def rendered_document(path: Path, values: dict[str, str]) -> dict[str, Any]:
    from busgps.local.gateway import render_openapi_template

    document: dict[str, Any] = yaml.safe_load(
        render_openapi_template(path.read_text(encoding="utf-8"), values)
    )
    return document


@dataclass
class FuzzFindings:
    requests: int = 0
    # Requests sent again after a 429 or 503 with Retry-After (a throttled stream, under faults).
    resent: int = 0
    server_errors: list[str] = field(default_factory=list)
    contradictions: list[str] = field(default_factory=list)


def _describe(failure: Any, case: Any) -> str:
    return f"{case.method} {case.formatted_path}: {failure.title} ({failure.code})"


def _retry_after_seconds(response: Any) -> float | None:
    """How long the answer says to wait before sending again, if it is a 429 or 503 that says so."""
    if response.status_code not in (429, 503):
        return None
    try:
        return min(2.0, max(0.0, float(response.headers.get("Retry-After", ""))))
    except ValueError:
        return None


def fuzz_document(
    document: dict[str, Any],
    base_url: str,
    headers: dict[str, str],
    examples: int,
    findings: FuzzFindings,
) -> None:
    """Send `examples` generated requests per operation and mode to `base_url` with `headers`, judging
    each answer."""
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

    def send(case: Any) -> Any:
        time.sleep(max(0.0, last_sent[0] + interval - time.monotonic()))
        last_sent[0] = time.monotonic()
        findings.requests += 1
        return case.call(base_url=base_url, session=session, headers=headers)

    def exercise(case: Any) -> None:
        keep_stated_rules(case)
        response = send(case)
        for _ in range(RETRIES):
            wait = _retry_after_seconds(response)
            if wait is None:
                break
            findings.resent += 1
            time.sleep(wait)
            response = send(case)
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


def template_values(details: dict[str, Any]) -> dict[str, str]:
    """The documents' placeholders, filled in as the stack that `details` (its stack file) fills them."""
    from busgps.local.stack import user_pool_issuer

    return {
        "stream_name": details["stream_name"],
        "user_pool_issuer": user_pool_issuer(details["region"], details["user_pool_id"]),
        "app_client_id": details["app_client_id"],
        # Not part of what a request or an answer looks like.
        "api_function_invoke_arn": "arn:aws:lambda:us-east-1:123456789012:function:fuzzing",
        "ingest_function_invoke_arn": "arn:aws:lambda:us-east-1:123456789012:function:fuzzing",
        "cors_allow_origin": "*",
    }


def fuzz_stack(repository: Path, details: dict[str, Any], examples: int) -> FuzzFindings:
    """Fuzz every API document of the running stack that `details` (its stack file) describes, each
    against the API that serves it."""
    from busgps.client.auth import CognitoTokenSource, cognito_client

    tokens = CognitoTokenSource(
        cognito_client(details["region"], details["emulator_endpoint"]),
        details["app_client_id"],
        details["username"],
        details["password"],
    )
    values = template_values(details)
    findings = FuzzFindings()
    for document in DOCUMENTS:
        fuzz_document(
            rendered_document(repository / document.path, values),
            details[document.base_url_key],
            {"Authorization": tokens()} if document.authorized else {},
            examples,
            findings,
        )
    return findings
