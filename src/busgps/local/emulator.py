"""The AWS emulator of the local stack: a moto server and the resources the settings describe.

moto runs as its own process so that it uses the second core and can be reached by any AWS tool at
its endpoint, exactly as the stack's own code reaches it. Where moto would lose or slow down data,
`moto_fixes` makes it behave as AWS does. That process ends when the one that started
it ends, even by SIGKILL, so that a killed stack never leaves an emulator holding its port.

moto pushes nothing, where Kinesis enhanced fan-out pushes each record to its consumers as it
arrives: the process tells its starter of every PutRecord(s) it answers, whoever made it, so that
the local event source mapping reads a shard when records arrive rather than polling it empty.
"""

import argparse
import contextlib
import gc
import logging
import os
import secrets
import select
import signal
import socket
import string
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any

import boto3
import requests

from busgps.dal import history
from busgps.dal.connections import connections_key_schema
from busgps.dal.items import latest_key_schema
from busgps.local.config import EnvironmentSettings
from busgps.local.emulator_faults import FAULTS_PATH, PUT_RECORD_TARGET, PUT_RECORDS_TARGET
from busgps.local.faults import EMULATOR_KINDS, FaultSpec

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import (
        AttributeDefinitionTypeDef,
        KeySchemaElementTypeDef,
        StreamSpecificationTypeDef,
    )
    from mypy_boto3_kinesis import KinesisClient

logger = logging.getLogger(__name__)

GC_FREEZE_INTERVAL_SECONDS = 1.0
STREAM_PUTS = frozenset({PUT_RECORD_TARGET, PUT_RECORDS_TARGET})

# moto's default account: its ARNs and queue URLs carry it.
LOCAL_ACCOUNT_ID = "123456789012"
DEMO_USERNAME = "demo-device"
# Emulators accept any credentials; boto3 merely needs some.
DUMMY_ACCESS_KEY_ID = "testing"
DUMMY_SECRET_ACCESS_KEY = "testing"  # noqa: S105 - not a secret: emulators ignore it


class EmulatorError(RuntimeError):
    """The emulator could not be started or set up."""


def free_port(host: str = "127.0.0.1") -> int:
    """A port that nothing listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


class MotoServer:
    """A moto server process on host:port, stopped when the context ends."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        faults: FaultSpec | None = None,
        on_stream_put: Callable[[], None] | None = None,
    ) -> None:
        self.host = host
        self.port = port or free_port(host)
        # The services' faults to inject into the emulator's answers (busgps.local.emulator_faults).
        self.faults = faults if faults is not None and faults.injects_any(EMULATOR_KINDS) else None
        # Called in a thread of this process after the emulator has answered PutRecord(s) calls
        # (once for puts that come close together).
        self._on_stream_put = on_stream_put
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout_seconds: float = 30.0) -> None:
        self._refuse_a_busy_port()
        faults = ["--faults", str(self.faults)] if self.faults is not None else []
        puts_signal: list[str] = []
        passed_fds: list[int] = []
        if self._on_stream_put is not None:
            signals, signal_end = os.pipe()
            puts_signal = ["--stream-puts-fd", str(signal_end)]
            passed_fds = [signal_end]
        self._process = subprocess.Popen(
            [sys.executable, "-m", __name__, "-H", self.host, "-p", str(self.port), *faults, *puts_signal],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            pass_fds=passed_fds,
        )
        if self._on_stream_put is not None:
            os.close(signal_end)  # the emulator's copy alone: the pipe ends when the emulator does
            threading.Thread(
                target=_relay_stream_puts,
                args=(signals, self._on_stream_put),
                name="emulator-stream-puts",
                daemon=True,
            ).start()
        deadline = time.monotonic() + timeout_seconds
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise EmulatorError(f"moto server exited with code {self._process.returncode} on start")
            try:
                if requests.get(f"{self.endpoint_url}/moto-api/", timeout=1).ok:
                    return
            except requests.RequestException:
                time.sleep(0.1)
        self.stop()
        raise EmulatorError(f"moto server did not answer at {self.endpoint_url} within {timeout_seconds}s")

    def stop(self, timeout_seconds: float = 5.0) -> None:
        if self._process is None or self._process.poll() is not None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout_seconds)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()

    def injected_faults(self) -> dict[str, int]:
        """How many faults of each kind the emulator has injected so far."""
        if self.faults is None:
            return {}
        counts: dict[str, int] = requests.get(f"{self.endpoint_url}{FAULTS_PATH}", timeout=5).json()
        return counts

    def __enter__(self) -> "MotoServer":
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()

    def _refuse_a_busy_port(self) -> None:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            if probe.connect_ex((self.host, self.port)) == 0:
                raise EmulatorError(
                    f"port {self.port} is already in use: stop what listens there or pass --emulator-port"
                )


def _relay_stream_puts(signals: int, on_stream_put: Callable[[], None]) -> None:
    with os.fdopen(signals, "rb", buffering=0) as pipe:
        while pipe.read(select.PIPE_BUF):  # b"" once the emulator has ended
            on_stream_put()


class StreamPutSignal:
    """moto's app, writing a byte to `signal_fd` after it has answered each PutRecord(s) call."""

    def __init__(self, app: Any, signal_fd: int) -> None:
        self._app = app
        self._signal_fd = signal_fd
        os.set_blocking(signal_fd, False)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        answer: Iterable[bytes] = self._app(environ, start_response)
        if environ.get("HTTP_X_AMZ_TARGET") in STREAM_PUTS:
            # A full pipe already wakes the reader; a closed one means the stack has gone.
            with contextlib.suppress(BlockingIOError, BrokenPipeError):
                os.write(self._signal_fd, b"p")
        return answer


@dataclass(frozen=True)
class LocalResources:
    """What `create_resources` made, as clients and the stack need to address it."""

    stream_name: str
    stream_arn: str
    latest_table_name: str
    latest_table_stream_arn: str
    history_table_name: str
    connections_table_name: str
    invalid_records_queue_url: str
    consumer_failure_queue_url: str
    user_pool_id: str
    user_pool_arn: str
    app_client_id: str
    username: str
    password: str
    # The stream's enhanced fan-out consumer, which the consumer's mapping reads through ("": none).
    stream_consumer_arn: str = ""


def emulator_session(region: str) -> boto3.Session:
    """A boto3 session with the dummy credentials; give its clients the emulator's endpoint_url."""
    return boto3.Session(
        region_name=region,
        aws_access_key_id=DUMMY_ACCESS_KEY_ID,
        aws_secret_access_key=DUMMY_SECRET_ACCESS_KEY,
    )


def create_resources(settings: EnvironmentSettings, endpoint_url: str) -> LocalResources:
    """Create the stream, tables, queues, user pool and demo user that the settings name."""
    session = emulator_session(settings.aws_region)
    kinesis = session.client("kinesis", endpoint_url=endpoint_url)
    stream_arn = _create_stream(kinesis, settings)
    stream_consumer_arn = ""
    if settings.consumer_enhanced_fan_out:
        # Named as Terraform names it (busgps-<environment>-consumer).
        stream_consumer_arn = kinesis.register_stream_consumer(
            StreamARN=stream_arn, ConsumerName=f"busgps-{settings.environment}-consumer"
        )["Consumer"]["ConsumerARN"]
    dynamodb = session.client("dynamodb", endpoint_url=endpoint_url)
    # The latest-position table's stream feeds the push function: only what became a bus's latest.
    latest_stream_arn = _create_table(
        dynamodb, settings, settings.latest_table_name, latest_key_schema(), stream=True
    )
    _create_table(dynamodb, settings, settings.history_table_name, history.key_schema())
    _create_table(dynamodb, settings, settings.connections_table_name, connections_key_schema())
    sqs = session.client("sqs", endpoint_url=endpoint_url)
    invalid_records_queue_url = sqs.create_queue(QueueName=settings.invalid_records_queue_name)["QueueUrl"]
    failure_queue_url = sqs.create_queue(QueueName=settings.consumer_failure_queue_name)["QueueUrl"]
    cognito = session.client("cognito-idp", endpoint_url=endpoint_url)
    pool = cognito.create_user_pool(PoolName=settings.user_pool_name)["UserPool"]
    app_client = cognito.create_user_pool_client(
        UserPoolId=pool["Id"],
        ClientName=f"{settings.user_pool_name}-client",
        GenerateSecret=False,
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]
    password = generate_password()
    cognito.admin_create_user(
        UserPoolId=pool["Id"], Username=DEMO_USERNAME, TemporaryPassword=password, MessageAction="SUPPRESS"
    )
    cognito.admin_set_user_password(
        UserPoolId=pool["Id"], Username=DEMO_USERNAME, Password=password, Permanent=True
    )
    return LocalResources(
        stream_name=settings.stream_name,
        stream_arn=stream_arn,
        latest_table_name=settings.latest_table_name,
        latest_table_stream_arn=latest_stream_arn,
        history_table_name=settings.history_table_name,
        connections_table_name=settings.connections_table_name,
        invalid_records_queue_url=invalid_records_queue_url,
        consumer_failure_queue_url=failure_queue_url,
        user_pool_id=pool["Id"],
        user_pool_arn=pool["Arn"],
        app_client_id=app_client["ClientId"],
        username=DEMO_USERNAME,
        password=password,
        stream_consumer_arn=stream_consumer_arn,
    )


def generate_password(length: int = 20) -> str:
    """A random password that meets Cognito's default policy (lower, upper, digit, symbol)."""
    # Only symbols that a shell leaves alone, so the password can be pasted unquoted.
    symbols = "%+-=_"
    classes = [string.ascii_lowercase, string.ascii_uppercase, string.digits, symbols]
    alphabet = "".join(classes)
    characters = [secrets.choice(group) for group in classes]
    characters += [secrets.choice(alphabet) for _ in range(length - len(classes))]
    secrets.SystemRandom().shuffle(characters)
    return "".join(characters)


def _create_stream(kinesis: "KinesisClient", settings: EnvironmentSettings) -> str:
    if settings.kinesis_stream_mode == "ON_DEMAND":
        kinesis.create_stream(StreamName=settings.stream_name, StreamModeDetails={"StreamMode": "ON_DEMAND"})
    else:
        kinesis.create_stream(
            StreamName=settings.stream_name,
            ShardCount=settings.kinesis_shard_count,
            StreamModeDetails={"StreamMode": "PROVISIONED"},
        )
    kinesis.get_waiter("stream_exists").wait(
        StreamName=settings.stream_name, WaiterConfig={"Delay": 1, "MaxAttempts": 30}
    )
    if settings.kinesis_retention_hours > 24:
        kinesis.increase_stream_retention_period(
            StreamName=settings.stream_name, RetentionPeriodHours=settings.kinesis_retention_hours
        )
    return kinesis.describe_stream_summary(StreamName=settings.stream_name)["StreamDescriptionSummary"][
        "StreamARN"
    ]


def _create_table(
    dynamodb: "DynamoDBClient",
    settings: EnvironmentSettings,
    name: str,
    schema: tuple[list["KeySchemaElementTypeDef"], list["AttributeDefinitionTypeDef"]],
    *,
    stream: bool = False,
) -> str:
    """Create an on-demand table with TTL on the settings' field; its stream's ARN ("" without one)."""
    if settings.dynamodb_billing_mode != "PAY_PER_REQUEST":
        raise EmulatorError(
            "the settings have no read/write capacities, so tables can only be created on demand: "
            'set dynamodb_billing_mode = "PAY_PER_REQUEST"'
        )
    key_schema, attributes = schema
    streaming: StreamSpecificationTypeDef = {"StreamEnabled": stream}
    if stream:
        streaming["StreamViewType"] = "NEW_IMAGE"
    description = dynamodb.create_table(
        TableName=name,
        KeySchema=key_schema,
        AttributeDefinitions=attributes,
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification=streaming,
    )["TableDescription"]
    dynamodb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    dynamodb.update_time_to_live(
        TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": settings.ttl_field_name}
    )
    return description.get("LatestStreamArn", "")


def serve_while_parent_lives(arguments: list[str]) -> None:
    """The emulator process: moto's server, ended as soon as the process that started it is gone."""
    parent = os.getppid()

    def end_with_parent() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=end_with_parent, name="parent-watch", daemon=True).start()
    parser = argparse.ArgumentParser(prog=f"python -m {__name__}")
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, required=True)
    parser.add_argument("--faults", type=FaultSpec.parse, help="faults to inject (busgps.local.faults)")
    parser.add_argument("--stream-puts-fd", type=int, help="a pipe to write a byte to after each put")
    options = parser.parse_args(arguments)
    serve(options.host, options.port, options.faults, options.stream_puts_fd)


def _keep_stored_data_out_of_full_collections() -> None:
    """Move what the emulator holds to the collector's permanent generation, again and again.

    The emulator keeps every item it stores for its whole life: with an hour of a fleet stored
    (a gigabyte or more), each of the collector's full passes walked all of it and held every request
    for seconds (history pages read in 0.1 s took up to 3 s). Frozen objects are still freed when
    nothing refers to them; only reference cycles among them are no longer collected."""
    while True:
        time.sleep(GC_FREEZE_INTERVAL_SECONDS)
        gc.freeze()


def serve(host: str, port: int, faults: FaultSpec | None, stream_puts_fd: int | None = None) -> None:
    """What moto's own `moto_server` does, with the fixes, and the faults if any, in front of its app."""
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import run_simple

    from busgps.local import moto_fixes
    from busgps.local.emulator_faults import FaultInjection

    moto_fixes.apply()
    threading.Thread(target=_keep_stored_data_out_of_full_collections, name="gc-freeze", daemon=True).start()
    os.environ.setdefault("MOTO_PORT", str(port))  # moto writes it into the URLs it makes
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda number, frame: sys.exit(0))
    app: Any = DomainDispatcherApplication(create_backend_app)
    if faults is not None:
        app = FaultInjection(app, faults)
    if stream_puts_fd is not None:
        app = StreamPutSignal(app, stream_puts_fd)
    # No line per request: nobody reads it (the output goes nowhere), and formatting it costs the
    # emulator a tenth of its time under load.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    run_simple(host, port, app, threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    serve_while_parent_lives(sys.argv[1:])
