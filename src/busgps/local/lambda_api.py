"""Lambda's Invoke API for the local stack's consumer function, served on the stack's host.

Tools reach a function the same way in both places: boto3's Lambda client invokes the deployed
consumer on AWS, and, given this endpoint, the local one (`busgps redrive` does). moto's own Lambda
would run a function only in Docker, which the local stack does without; and calling the handler in
the tool's own process would skip what Lambda does: a separate execution environment with the
function's environment and timeout, the error payload of a failed invocation, the log's tail.

Served as AWS serves it (`POST /2015-03-31/functions/{FunctionName}/invocations`): the function
named by name, ARN or partial ARN, `$LATEST` as the only version; `RequestResponse` and `DryRun`
invocations (not `Event`: nothing local invokes asynchronously); a function error answered 200 with
`X-Amz-Function-Error: Unhandled` and Lambda's error payload; `X-Amz-Log-Type: Tail` answered with the
last 4 KB of the invocation's log in `X-Amz-Log-Result`. Invocations run one at a time in an execution
environment of their own, started at the first one.
"""

import base64
import json
import math
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from busgps import aws_limits
from busgps.local.execution_environment import ExecutionEnvironment, Invocation, OutputSink
from busgps.local.lambda_context import LambdaContext

INVOKE_PATH_PREFIX = "/2015-03-31/functions/"
INVOKE_PATH_SUFFIX = "/invocations"
LATEST = "$LATEST"
LOG_TAIL_BYTES = 4096


@dataclass(frozen=True)
class LocalFunction:
    """A function of the stack, as Lambda would know it."""

    arn: str
    handler_path: str
    timeout_seconds: float
    memory_mb: int
    # Where the function's log goes (besides the tail an invocation asks for).
    output: OutputSink

    @property
    def name(self) -> str:
        return self.arn.split(":function:", 1)[1]


class InvokeError(Exception):
    """A refused Invoke request: Lambda's status, error code and message."""

    def __init__(self, status: HTTPStatus, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class FunctionHost:
    """One function's execution environment, started at its first invocation, one invocation at a time."""

    def __init__(self, function: LocalFunction) -> None:
        self.function = function
        self._environment: ExecutionEnvironment | None = None
        self._lock = threading.Lock()

    def invoke(self, event: Any, request_id: str) -> tuple[Invocation, float]:
        """The invocation and how long it took, in milliseconds."""
        function = self.function
        context = LambdaContext(
            function_name=function.name,
            invoked_function_arn=function.arn,
            memory_limit_in_mb=function.memory_mb,
            timeout_seconds=function.timeout_seconds,
            aws_request_id=request_id,
        )
        with self._lock:
            if self._environment is None:
                self._environment = ExecutionEnvironment(
                    function.handler_path, function.timeout_seconds, function.output
                )
            started = time.monotonic()
            invocation = self._environment.invoke(event, context)
            duration_ms = (time.monotonic() - started) * 1000
        if invocation.output:
            function.output(invocation.output)
        return invocation, duration_ms

    def close(self) -> None:
        with self._lock:
            if self._environment is not None:
                self._environment.close()
                self._environment = None


def log_tail(invocation: Invocation, request_id: str, duration_ms: float, memory_mb: int) -> str:
    """X-Amz-Log-Result: the last 4 KB of the invocation's log, framed as Lambda frames it, in base64."""
    log = (
        f"START RequestId: {request_id} Version: {LATEST}\n"
        f"{invocation.output}"
        f"END RequestId: {request_id}\n"
        f"REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms\t"
        f"Billed Duration: {math.ceil(duration_ms)} ms\tMemory Size: {memory_mb} MB\t\n"
    ).encode()
    return base64.b64encode(log[-LOG_TAIL_BYTES:]).decode("ascii")


class LambdaApi:
    """The Invoke API of `functions` on host:port (0: a free port), in a thread of its own."""

    def __init__(self, host: str, port: int, functions: Sequence[LocalFunction]) -> None:
        self._hosts = {function.name: FunctionHost(function) for function in functions}
        self._server = ThreadingHTTPServer((host, port), _handler_class(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="lambda-api", daemon=True)

    @property
    def endpoint_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        for host in self._hosts.values():
            host.close()

    def function(self, name_or_arn: str, qualifier: str | None) -> FunctionHost:
        """The function named by a name, an ARN (`...:function:NAME[:QUALIFIER]`) or a partial ARN."""
        name = name_or_arn
        if ":function:" in name:
            name = name.split(":function:", 1)[1]
            if ":" in name:
                name, qualifier = name.split(":", 1)
        host = self._hosts.get(name)
        if host is None or qualifier not in (None, LATEST):
            version = f":{qualifier}" if qualifier else ""
            raise InvokeError(
                HTTPStatus.NOT_FOUND, "ResourceNotFoundException", f"Function not found: {name}{version}"
            )
        return host


def _handler_class(api: LambdaApi) -> type[BaseHTTPRequestHandler]:
    class InvokeHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            request_id = str(uuid.uuid4())
            # Read first, whatever the answer: what is left unread would be taken for the next request.
            payload = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                self._invoke(payload, request_id)
            except InvokeError as error:
                body = json.dumps({"Type": "User", "message": str(error)}).encode()
                self._answer(error.status, body, {"x-amzn-ErrorType": error.code}, request_id)

        def do_GET(self) -> None:
            self._refuse_method()

        def do_PUT(self) -> None:
            self._refuse_method()

        def do_DELETE(self) -> None:
            self._refuse_method()

        def _refuse_method(self) -> None:
            message = f"the local stack serves only Lambda's Invoke API, not {self.command} {self.path}"
            body = json.dumps({"Type": "User", "message": message}).encode()
            self._answer(HTTPStatus.NOT_FOUND, body, {"x-amzn-ErrorType": "ResourceNotFoundException"}, "")

        def _invoke(self, payload: bytes, request_id: str) -> None:
            parts = urlsplit(self.path)
            if not (parts.path.startswith(INVOKE_PATH_PREFIX) and parts.path.endswith(INVOKE_PATH_SUFFIX)):
                raise InvokeError(
                    HTTPStatus.NOT_FOUND, "ResourceNotFoundException", f"no such operation: {parts.path}"
                )
            name = unquote(parts.path[len(INVOKE_PATH_PREFIX) : -len(INVOKE_PATH_SUFFIX)])
            qualifier = parse_qs(parts.query).get("Qualifier", [None])[0]
            host = api.function(name, qualifier)
            if len(payload) > aws_limits.LAMBDA_INVOKE_PAYLOAD_MAX_BYTES:
                raise InvokeError(
                    HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                    "RequestTooLargeException",
                    f"Request must be smaller than {aws_limits.LAMBDA_INVOKE_PAYLOAD_MAX_BYTES} bytes "
                    "for the InvokeFunction operation",
                )
            try:
                event = json.loads(payload) if payload.strip() else {}
            except ValueError:
                raise InvokeError(
                    HTTPStatus.BAD_REQUEST,
                    "InvalidRequestContentException",
                    "Could not parse request body into json",
                ) from None
            invocation_type = self.headers.get("X-Amz-Invocation-Type") or "RequestResponse"
            if invocation_type == "DryRun":
                self._answer(HTTPStatus.NO_CONTENT, b"", {}, request_id)
                return
            if invocation_type != "RequestResponse":
                raise InvokeError(
                    HTTPStatus.BAD_REQUEST,
                    "InvalidParameterValueException",
                    f"the local stack serves RequestResponse and DryRun invocations, not {invocation_type}",
                )
            invocation, duration_ms = host.invoke(event, request_id)
            headers = {"X-Amz-Executed-Version": LATEST}
            if invocation.error is not None:
                headers["X-Amz-Function-Error"] = "Unhandled"
                body = json.dumps(invocation.error)
            else:
                body = json.dumps(invocation.response)
            if self.headers.get("X-Amz-Log-Type") == "Tail":
                headers["X-Amz-Log-Result"] = log_tail(
                    invocation, request_id, duration_ms, host.function.memory_mb
                )
            self._answer(HTTPStatus.OK, body.encode("utf-8"), headers, request_id)

        def _answer(self, status: HTTPStatus, body: bytes, headers: dict[str, str], request_id: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            if request_id:
                self.send_header("x-amzn-RequestId", request_id)
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the function's own log line says what each invocation did."""

    return InvokeHandler
