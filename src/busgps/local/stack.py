"""`busgps local up`: the whole system on one machine, started and stopped as one process.

Start order: lock, emulator, resources, the functions' environment, the event source mapping, the
ingest HTTP API, then the REST API gateway last, so that `GET /health` answers 200 only once everything
else is ready. SIGINT and
SIGTERM stop it in the reverse order within a few seconds, and remove the lock and stack file.
"""

import base64
import contextlib
import fcntl
import json
import logging
import os
import shlex
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import IO, Any

import boto3
import uvicorn

from busgps.client.target import DEFAULT_STACK_FILE, STACK_FILE_VARIABLE
from busgps.local.aws_limits import guard_default_session
from busgps.local.config import EnvironmentSettings, load_environment_settings
from busgps.local.control import LOCK_FILE_NAME, STACK_FILE_NAME
from busgps.local.emulator import (
    DUMMY_ACCESS_KEY_ID,
    DUMMY_SECRET_ACCESS_KEY,
    LOCAL_ACCOUNT_ID,
    EmulatorError,
    LocalResources,
    MotoServer,
    create_resources,
)
from busgps.local.event_source import (
    DynamoDBStreamEventSourceMapping,
    EventSourceMappingConfig,
    KinesisEventSourceMapping,
    StreamWrites,
)
from busgps.local.faults import FAULTS_FILE_NAME, FaultReporter, FaultSpec
from busgps.local.front import MAP_PAGE, create_front_app, map_config
from busgps.local.function_logs import FunctionLog
from busgps.local.lambda_api import LambdaApi, LocalFunction
from busgps.local.websocket_api import LocalWebSocketApi, WebSocketApiConfig

logger = logging.getLogger(__name__)

# The stack file is written where the client commands look for it unless BUSGPS_STACK_FILE says otherwise.
DEFAULT_STATE_DIR = DEFAULT_STACK_FILE.parent
STAGE = "local"
# Run as Lambda runs it: in execution environments of its own, one per shard.
CONSUMER_HANDLER = "busgps.handlers.consumer.lambda_handler"
PUSH_HANDLER = "busgps.handlers.push.lambda_handler"
# How the functions' log lines are labelled on the stack's terminal.
CONSUMER_LABEL = "consumer"
PUSH_LABEL = "push"
GATEWAY_START_TIMEOUT_SECONDS = 30.0
# Each part gets this long to stop; the whole stop stays within a few seconds.
PART_STOP_TIMEOUT_SECONDS = 2.0


class StackError(RuntimeError):
    """The local stack cannot start; the message says why and what to do."""


@dataclass(frozen=True)
class StackOptions:
    settings_path: Path
    api_definition_path: Path
    state_dir: Path
    host: str
    port: int
    emulator_port: int
    # The devices' HTTP API (api/ingest.yaml), on a port of its own: another host, as on AWS.
    ingest_definition_path: Path = Path("api") / "ingest.yaml"
    ingest_port: int = 0
    # Lambda's Invoke API for the consumer; 0 picks a free port.
    lambda_port: int = 0
    access_log: bool = True
    websocket_port: int = 8001
    # The operations map's static files (web/map, with Leaflet vendored by `make install`).
    map_dir: Path = Path("web") / "map"
    # The stage's throttling from the settings (api_throttling_rate_limit, api_throttling_burst_limit).
    throttling: bool = True
    # The functions' output as they write it (Powertools JSON), instead of a line per batch.
    json_logs: bool = False
    # POWERTOOLS_LOG_LEVEL of the functions, and the level of the stack's own log; None: their defaults.
    log_level: str | None = None
    # Faults to inject where AWS produces them (busgps.local.faults); None: none.
    faults: FaultSpec | None = None


@dataclass(frozen=True)
class LocalArns:
    """Fake but well-formed ARNs of what Terraform would create, in moto's account."""

    consumer_function_arn: str
    consumer_role_arn: str
    push_function_arn: str
    push_role_arn: str
    websocket_function_arn: str
    api_function_invoke_arn: str
    ingest_function_invoke_arn: str

    @classmethod
    def for_settings(cls, settings: EnvironmentSettings) -> "LocalArns":
        region, prefix = settings.aws_region, f"busgps-{settings.environment}"
        lambda_arn = f"arn:aws:lambda:{region}:{LOCAL_ACCOUNT_ID}:function:{prefix}"

        def invoke_arn(function_arn: str) -> str:
            return f"arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{function_arn}/invocations"

        return cls(
            consumer_function_arn=f"{lambda_arn}-consumer",
            consumer_role_arn=f"arn:aws:iam::{LOCAL_ACCOUNT_ID}:role/{prefix}-consumer",
            push_function_arn=f"{lambda_arn}-push",
            push_role_arn=f"arn:aws:iam::{LOCAL_ACCOUNT_ID}:role/{prefix}-push",
            websocket_function_arn=f"{lambda_arn}-websocket",
            api_function_invoke_arn=invoke_arn(f"{lambda_arn}-api"),
            ingest_function_invoke_arn=invoke_arn(f"{lambda_arn}-ingest"),
        )

    @property
    def consumer_function_name(self) -> str:
        return self.consumer_function_arn.split(":function:", 1)[1]


class StackLock:
    """An exclusive lock on `<state dir>/stack.pid` while the stack runs.

    flock is released by the kernel when the process ends, however it ends, so a crashed stack never
    leaves a lock behind that blocks the next start.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[str] | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock_file = self.path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock_file.seek(0)
            holder = lock_file.read().strip() or "unknown"
            lock_file.close()
            raise StackError(
                f"a local stack is already running (pid {holder}, lock {self.path}); "
                f"use it (see {self.path.with_name(STACK_FILE_NAME)}) or stop it with Ctrl-C "
                f"or `kill -TERM {holder}` first"
            ) from None
        lock_file.seek(0)
        lock_file.truncate()
        lock_file.write(f"{os.getpid()}\n")
        lock_file.flush()
        self._file = lock_file

    def release(self) -> None:
        if self._file is None:
            return
        self.path.unlink(missing_ok=True)
        self._file.close()
        self._file = None


def function_environment(
    settings: EnvironmentSettings,
    resources: LocalResources,
    emulator_endpoint: str,
    websocket_callback_url: str,
) -> dict[str, str]:
    """The environment variables Terraform gives the functions, pointed at the emulator."""
    return {
        "AWS_ENDPOINT_URL": emulator_endpoint,
        "AWS_DEFAULT_REGION": settings.aws_region,
        "AWS_REGION": settings.aws_region,
        "AWS_ACCESS_KEY_ID": DUMMY_ACCESS_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": DUMMY_SECRET_ACCESS_KEY,
        "DYNAMODB_TABLE_NAME": resources.latest_table_name,
        "HISTORY_TABLE_NAME": resources.history_table_name,
        "TTL_SECONDS": str(settings.ttl_seconds),
        "TTL_FIELD_NAME": settings.ttl_field_name,
        "DEAD_LETTER_QUEUE_URL": resources.invalid_records_queue_url,
        "CORS_ALLOW_ORIGIN": settings.cors_allow_origin,
        "HISTORY_RETENTION_DAYS": str(settings.history_retention_days),
        "NOISE_MAX_SPEED_MPS": str(settings.noise_max_speed_mps),
        "NOISE_MAX_ACCURACY_M": str(settings.noise_max_accuracy_m),
        "THINNING_STATIONARY_DISTANCE_M": str(settings.thinning_stationary_distance_m),
        "THINNING_STATIONARY_MAX_GAP_SECONDS": str(settings.thinning_stationary_max_gap_seconds),
        "THINNING_MIN_INTERVAL_SECONDS": str(settings.thinning_min_interval_seconds),
        "FEED_MAX_AGE_SECONDS": str(settings.feed_max_age_seconds),
        "FEED_REFRESH_SECONDS": str(settings.feed_refresh_seconds),
        "CONNECTIONS_TABLE_NAME": resources.connections_table_name,
        "WEBSOCKET_CALLBACK_URL": websocket_callback_url,
        "STREAM_NAME": resources.stream_name,
    }


def user_pool_issuer(region: str, user_pool_id: str) -> str:
    """The `iss` of the pool's tokens: what the ingest API's JWT authorizer accepts."""
    return f"https://cognito-idp.{region}.amazonaws.com/{user_pool_id}"


def stack_details(
    options: StackOptions,
    settings: EnvironmentSettings,
    resources: LocalResources,
    api_url: str,
    ingest_url: str,
    emulator_endpoint: str,
    lambda_endpoint: str,
    websocket_url: str,
) -> dict[str, Any]:
    """The content of `.local/stack.json`; README's "Local stack" section documents each key."""
    return {
        "api_url": api_url,
        "ingest_url": ingest_url,
        "post_url": f"{ingest_url}/post-gps",
        "get_url": f"{api_url}/get-gps",
        "health_url": f"{api_url}/health",
        "websocketUrl": websocket_url,
        "mapUrl": f"{api_url}{MAP_PAGE}",
        "region": settings.aws_region,
        "emulator_endpoint": emulator_endpoint,
        "user_pool_id": resources.user_pool_id,
        "user_pool_arn": resources.user_pool_arn,
        "app_client_id": resources.app_client_id,
        "username": resources.username,
        "password": resources.password,
        "stream_name": resources.stream_name,
        "stream_arn": resources.stream_arn,
        "latest_table_name": resources.latest_table_name,
        "history_table_name": resources.history_table_name,
        "connections_table_name": resources.connections_table_name,
        "invalid_records_queue_url": resources.invalid_records_queue_url,
        "consumer_failure_queue_url": resources.consumer_failure_queue_url,
        "lambda_endpoint": lambda_endpoint,
        "consumer_function_name": LocalArns.for_settings(settings).consumer_function_name,
        "settings_file": str(options.settings_path),
        "faults": str(options.faults) if options.faults else None,
        "faults_file": str(options.state_dir / FAULTS_FILE_NAME) if options.faults else None,
        "pid": os.getpid(),
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def run_stack(options: StackOptions) -> int:
    """Run the local stack until SIGINT or SIGTERM; the exit code for `busgps local up`."""
    stop = threading.Event()

    def request_stop(number: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {number: signal.signal(number, request_stop) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        with contextlib.ExitStack() as running:
            running.callback(_show_stack_log(options.log_level))
            _start(options, stop, running)
            while not stop.wait(0.5):
                pass
            print("\nbusgps local stack: stopping", flush=True)
        print("busgps local stack: stopped", flush=True)
        return 0
    except StackError as error:
        print(f"busgps local up: {error}", file=sys.stderr, flush=True)
        return 1
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _show_stack_log(level: str | None) -> Callable[[], None]:
    """The stack's own log, a line a record on stderr (warnings, or from `level`); returns its undoing."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    stack_logger = logging.getLogger("busgps.local")
    stack_logger.addHandler(handler)
    stack_logger.setLevel(level or logging.WARNING)
    stack_logger.propagate = False
    return lambda: stack_logger.removeHandler(handler)


def _start(options: StackOptions, stop: threading.Event, running: contextlib.ExitStack) -> None:
    """Start every part, registering how to stop it on `running` (which stops them in reverse)."""
    settings = _load_settings(options.settings_path)
    if options.throttling and (
        settings.api_throttling_rate_limit <= 0 or settings.api_throttling_burst_limit < 1
    ):
        raise StackError(
            f"{options.settings_path}: api_throttling_rate_limit = 0 or api_throttling_burst_limit = 0 "
            "would refuse every request; raise them, or pass --no-throttling"
        )
    for path, option in (
        (options.api_definition_path, "--api-definition"),
        (options.ingest_definition_path, "--ingest-definition"),
    ):
        if not path.is_file():
            raise StackError(f"API definition {path} does not exist (pass {option})")
    lock = StackLock(options.state_dir / LOCK_FILE_NAME)
    lock.acquire()
    running.callback(lock.release)
    gateway_socket = _bind(options.host, options.port, "--port")
    running.callback(gateway_socket.close)
    websocket_socket = _bind(options.host, options.websocket_port, option="--websocket-port")
    running.callback(websocket_socket.close)
    websocket_host, websocket_port = websocket_socket.getsockname()[:2]
    websocket_stage_url = f"{websocket_host}:{websocket_port}/{STAGE}"
    ingest_socket = _bind(options.host, options.ingest_port, option="--ingest-port")
    running.callback(ingest_socket.close)

    # The emulator's puts, whoever makes them, tell the consumer's pushed shard readers to read.
    stream_writes = StreamWrites()
    emulator = MotoServer(
        options.host, options.emulator_port, options.faults, on_stream_put=stream_writes.note
    )
    try:
        emulator.start()
    except RuntimeError as error:
        raise StackError(str(error)) from error
    running.callback(emulator.stop, PART_STOP_TIMEOUT_SECONDS)
    _stop_requested(stop)

    try:
        resources = create_resources(settings, emulator.endpoint_url)
    except EmulatorError as error:
        raise StackError(f"{options.settings_path}: {error}") from error
    # The handlers run in this process: they read their settings from os.environ, as in Lambda.
    os.environ.pop("AWS_PROFILE", None)
    os.environ.pop("AWS_SESSION_TOKEN", None)
    os.environ.update(
        function_environment(settings, resources, emulator.endpoint_url, f"http://{websocket_stage_url}")
    )
    os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "busgps")
    os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "busgps")
    if options.log_level:
        os.environ["POWERTOOLS_LOG_LEVEL"] = options.log_level
    # The handlers' clients come from boto3's default session: hold it to AWS's limits, as in tests.
    guard_default_session()
    arns = LocalArns.for_settings(settings)

    # After the environment is set, as Lambda imports them.
    from busgps.handlers import api, ingest, websocket

    try:
        mapping_config = EventSourceMappingConfig.from_settings(
            settings,
            stream_arn=resources.stream_arn,
            function_arn=arns.consumer_function_arn,
            invoke_identity_arn=arns.consumer_role_arn,
            on_failure_queue_url=resources.consumer_failure_queue_url,
            stream_consumer_arn=resources.stream_consumer_arn or None,
        )
    except ValueError as error:
        raise StackError(f"{options.settings_path}: {error}") from error
    mapping = KinesisEventSourceMapping(
        mapping_config,
        CONSUMER_HANDLER,
        boto3.client("kinesis"),
        boto3.client("sqs"),
        function_output=FunctionLog(CONSUMER_LABEL, as_written=options.json_logs),
        faults=options.faults,
        stream_writes=stream_writes,
    )
    mapping.start()
    running.callback(mapping.stop, PART_STOP_TIMEOUT_SECONDS)
    _stop_requested(stop)
    if options.faults is not None:
        reporter = FaultReporter(
            options.faults,
            options.state_dir / FAULTS_FILE_NAME,
            emulator.injected_faults,
            mapping.fault_counts.snapshot,
        )
        reporter.start()
        running.callback(reporter.stop)

    consumer = LocalFunction(
        arns.consumer_function_arn,
        CONSUMER_HANDLER,
        settings.lambda_timeout_seconds,
        settings.lambda_memory_mb,
        FunctionLog(f"{CONSUMER_LABEL} (invoked)", as_written=options.json_logs),
    )
    try:
        lambda_api = LambdaApi(options.host, options.lambda_port, [consumer])
    except OSError as error:
        raise StackError(
            f"cannot listen on {options.host}:{options.lambda_port} ({error.strerror}): "
            "pass another --lambda-port"
        ) from None
    lambda_api.start()
    running.callback(lambda_api.stop)

    push_mapping = DynamoDBStreamEventSourceMapping(
        EventSourceMappingConfig.for_push(
            settings,
            stream_arn=resources.latest_table_stream_arn,
            function_arn=arns.push_function_arn,
            invoke_identity_arn=arns.push_role_arn,
        ),
        PUSH_HANDLER,
        boto3.client("dynamodbstreams"),
        boto3.client("sqs"),
        function_output=FunctionLog(PUSH_LABEL, as_written=options.json_logs),
    )
    push_mapping.start()
    running.callback(push_mapping.stop, PART_STOP_TIMEOUT_SECONDS)
    _stop_requested(stop)

    websocket_api = LocalWebSocketApi(
        WebSocketApiConfig(
            stage=STAGE,
            function_arn=arns.websocket_function_arn,
            function_memory_mb=settings.lambda_memory_mb,
            function_timeout_seconds=settings.lambda_timeout_seconds,
        ),
        websocket.lambda_handler,
    )
    _serve(websocket_api.app(), websocket_socket, "websocket", options, running, stop)

    from busgps.local.gateway import GatewayConfig, HttpApiConfig, create_gateway_app, create_http_api_app

    rate_limit = settings.api_throttling_rate_limit if options.throttling else None
    burst_limit = settings.api_throttling_burst_limit if options.throttling else None
    ingest_app = create_http_api_app(
        HttpApiConfig(
            openapi_path=options.ingest_definition_path,
            template_values={
                "stream_name": resources.stream_name,
                "ingest_function_invoke_arn": arns.ingest_function_invoke_arn,
                "user_pool_issuer": user_pool_issuer(settings.aws_region, resources.user_pool_id),
                "app_client_id": resources.app_client_id,
                "cors_allow_origin": settings.cors_allow_origin,
            },
            lambda_handlers={arns.ingest_function_invoke_arn: ingest.lambda_handler},
            endpoint_url=emulator.endpoint_url,
            function_memory_mb=settings.ingest_memory_mb,
            function_timeout_seconds=settings.lambda_timeout_seconds,
            account_id=LOCAL_ACCOUNT_ID,
            throttling_rate_limit=rate_limit,
            throttling_burst_limit=burst_limit,
        )
    )
    _serve(ingest_app, ingest_socket, "ingest", options, running, stop)

    app = create_gateway_app(
        GatewayConfig(
            openapi_path=options.api_definition_path,
            template_values={
                "stream_name": resources.stream_name,
                "api_function_invoke_arn": arns.api_function_invoke_arn,
                "cors_allow_origin": settings.cors_allow_origin,
            },
            lambda_handlers={arns.api_function_invoke_arn: api.lambda_handler},
            stage=STAGE,
            function_memory_mb=settings.lambda_memory_mb,
            function_timeout_seconds=settings.lambda_timeout_seconds,
            throttling_rate_limit=rate_limit,
            throttling_burst_limit=burst_limit,
        )
    )
    api_url = _url(gateway_socket)
    websocket_url = f"ws://{websocket_stage_url}"
    front = create_front_app(app, options.map_dir, map_config(settings, api_url, websocket_url))
    _serve(front, gateway_socket, "gateway", options, running, stop)

    details = stack_details(
        options,
        settings,
        resources,
        api_url,
        _url(ingest_socket),
        emulator.endpoint_url,
        lambda_api.endpoint_url,
        websocket_url,
    )
    stack_file = options.state_dir / STACK_FILE_NAME
    running.callback(stack_file.unlink, missing_ok=True)
    _write_private_json(stack_file, details)
    print(ready_message(details, stack_file), flush=True)


def _serve(
    app: Any,
    listener: socket.socket,
    name: str,
    options: StackOptions,
    running: contextlib.ExitStack,
    stop: threading.Event,
) -> None:
    """Serve an ASGI app on its socket in a thread of its own (uvicorn then leaves the signals to us)."""
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            log_level="info" if options.access_log else "warning",
            access_log=options.access_log,
            timeout_graceful_shutdown=1,
            ws="websockets-sansio",
        )
    )
    serving = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, name=name)
    serving.start()
    running.callback(_stop_server, server, serving)
    _wait_until_serving(server, serving, stop, name)


def _load_settings(path: Path) -> EnvironmentSettings:
    try:
        return load_environment_settings(path)
    except RuntimeError as error:
        raise StackError(str(error)) from error


def _url(listener: socket.socket) -> str:
    host, port = listener.getsockname()[:2]
    return f"http://{host}:{port}"


def _bind(host: str, port: int, option: str = "--port") -> socket.socket:
    """The gateway's listening socket, bound before anything starts so that a busy port fails first."""
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on sockets whose proto says TCP, and
    # without it each keep-alive response waits ~40 ms for a delayed ACK (Nagle).
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, port))
    except OSError as error:
        listener.close()
        raise StackError(
            f"cannot listen on {host}:{port} ({error.strerror}): pass another {option}"
        ) from None
    return listener


def _stop_requested(stop: threading.Event) -> None:
    if stop.is_set():
        raise StackError("stopped while starting")


def _wait_until_serving(
    server: uvicorn.Server, serving: threading.Thread, stop: threading.Event, name: str
) -> None:
    deadline = time.monotonic() + GATEWAY_START_TIMEOUT_SECONDS
    while not server.started:
        _stop_requested(stop)
        if not serving.is_alive():
            raise StackError(f"the local {name} failed to start (its error is above)")
        if time.monotonic() > deadline:
            raise StackError(f"the local {name} did not start within {GATEWAY_START_TIMEOUT_SECONDS}s")
        time.sleep(0.05)


def _stop_server(server: uvicorn.Server, serving: threading.Thread) -> None:
    server.should_exit = True
    serving.join(PART_STOP_TIMEOUT_SECONDS)
    if serving.is_alive():
        server.force_exit = True
        serving.join(PART_STOP_TIMEOUT_SECONDS)


def _write_private_json(path: Path, content: Mapping[str, Any]) -> None:
    """Write atomically (readers never see half a file), readable only by this user (it holds a password)."""
    partial = path.with_suffix(".json.partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as output:
        json.dump(content, output, indent=2)
        output.write("\n")
    partial.replace(path)


def ready_message(details: Mapping[str, Any], stack_file: Path) -> str:
    """What a newcomer needs to use the stack at once, with an example to paste."""
    cli = _command_path("busgps")
    if stack_file != DEFAULT_STACK_FILE:
        cli = f"{STACK_FILE_VARIABLE}={shlex.quote(str(stack_file))} {cli}"
    position = {"busId": "17", "latitude": 52.520008, "longitude": 13.404954}
    data = base64.b64encode(json.dumps(position).encode()).decode()
    body = json.dumps({"StreamName": details["stream_name"], "Data": data, "PartitionKey": "17"})
    rows = [
        ("API URL", details["api_url"]),
        ("WebSocket URL", details["websocketUrl"]),
        ("operations map", details["mapUrl"]),
        ("ingest URL", details["ingest_url"]),
        ("demo username", details["username"]),
        ("demo password", details["password"]),
        ("user pool id", details["user_pool_id"]),
        ("app client id", details["app_client_id"]),
        ("region", details["region"]),
        ("emulator endpoint", details["emulator_endpoint"]),
        ("stream", details["stream_name"]),
    ]
    table = "\n".join(f"  {label:<18} {value}" for label, value in rows)
    return "\n".join(
        [
            "",
            "busgps local stack is ready",
            table,
            f"  (the same as JSON in {stack_file})",
            "",
            "Try it:",
            f"  TOKEN=$({cli} token)",
            f'  curl -s -w "\\n" -X POST {details["post_url"]} -H "Authorization: $TOKEN" \\',
            f"       -H 'Content-Type: application/json' -d {shlex.quote(body)}",
            f"  curl -s -w '\\n' '{details['get_url']}?busId=17'",
            f"  {cli} simulate --buses 5 --interval 1 --duration 30",
            "",
            *(
                [f"Injecting faults {details['faults']}: counted in {details['faults_file']}", ""]
                if details.get("faults")
                else []
            ),
            "It runs in the foreground: Ctrl-C here, or `busgps local down` in another terminal, stops it.",
            "",
        ]
    )


def _command_path(name: str) -> str:
    """The console script next to this interpreter, relative to here when it is below here."""
    script = Path(sys.executable).parent / name
    with contextlib.suppress(ValueError):
        return str(script.relative_to(Path.cwd()))
    return str(script)
