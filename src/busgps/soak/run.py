"""One soak: its own local stack with faults on, a fleet sent through the API, then what the API shows."""

import json
import os
import re
import resource
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

from busgps.client.api import BusGpsClient
from busgps.client.auth import CognitoTokenSource, cognito_client
from busgps.client.target import resolve_target
from busgps.local.config import DEFAULT_SETTINGS_PATH
from busgps.local.faults import FAULTS_FILE_NAME, KINDS, FaultSpec
from busgps.local.launcher import start_stack, wait_until_healthy
from busgps.soak.fuzz import FuzzFindings, fuzz_stack
from busgps.soak.memory import PeakMemory
from busgps.soak.plan import Fleet, SoakPlan, make_fleet
from busgps.soak.report import Check, render_table, thousands
from busgps.soak.send import SendTally, send_all
from busgps.soak.verify import (
    Drain,
    HistoryFindings,
    Queues,
    fleet_window_findings,
    operator_queues,
    wait_for_drain,
)

STOP_TIMEOUT_SECONDS = 60.0
_TIMEOUT_SETTING = re.compile(r"^lambda_timeout_seconds\s*=.*$", re.MULTILINE)


@dataclass(frozen=True)
class SoakOptions:
    plan: SoakPlan = field(default_factory=SoakPlan)
    faults: FaultSpec = field(default_factory=lambda: FaultSpec.parse("all,seed=7"))
    settings_path: Path = DEFAULT_SETTINGS_PATH
    # Each injected timeout costs this much of a shard's time; None keeps the settings' own.
    lambda_timeout_seconds: int | None = 10
    # The drain is given up once nothing more has become visible for this long.
    stall_seconds: float = 90.0
    # Requests per operation and generation mode of the fuzzer (0: no fuzzing).
    fuzz_examples: int = 10
    repository: Path = field(default_factory=Path.cwd)


@dataclass
class SoakResult:
    plan: SoakPlan
    fleet: Fleet
    tally: SendTally
    drain: Drain
    window: HistoryFindings
    queues: Queues
    faults: dict[str, int]
    fuzz: FuzzFindings | None
    peak_stack_bytes: int
    peak_soak_bytes: int
    stopped_cleanly: bool
    seconds: float

    def checks(self, spec: FaultSpec) -> list[Check]:
        history, window, drain = self.drain.history, self.window, self.drain
        checks = [
            Check(
                "the API accepted every entry",
                not self.tally.unaccepted,
                "; ".join(f"{fix.bus_id} {reason}" for fix, reason in self.tally.unaccepted[:5]),
            ),
            _findings_check("every fix in its bus's history exactly once", history),
            _findings_check("every fix in the fleet window exactly once", window),
            Check(
                "every bus's latest position is its newest fix",
                not drain.latest_wrong,
                f"{len(drain.latest_wrong)} wrong: {', '.join(drain.latest_wrong[:5])}",
            ),
            Check(
                "no fix flagged as noise",
                history.flagged == 0,
                f"{history.flagged} flagged",
            ),
            Check(
                "no good record in the invalid-records queue (busgps rejects)",
                not self.queues.refused,
                json.dumps(self.queues.refused[:3]),
            ),
            Check(
                "no batch discarded to the failure queue (busgps failures)",
                not self.queues.discarded,
                json.dumps(self.queues.discarded[:3]),
            ),
        ]
        missing = [kind for kind in spec.rates if not self.faults.get(kind)]
        checks.append(Check("every fault kind injected", not missing, f"none of {', '.join(missing)}"))
        if self.fuzz is not None:
            checks += [
                Check(
                    "fuzzing: no server error",
                    not self.fuzz.server_errors,
                    "; ".join(self.fuzz.server_errors[:3]),
                ),
                Check(
                    "fuzzing: every answer as the document describes",
                    not self.fuzz.contradictions,
                    "; ".join(self.fuzz.contradictions[:3]),
                ),
            ]
        checks.append(Check("the stack stopped cleanly", self.stopped_cleanly))
        return [check if not check.passed else Check(check.name, True) for check in checks]

    def table(self) -> str:
        tally, history = self.tally, self.drain.history
        sent = tally.accepted
        rows = [
            ("buses, clients", f"{thousands(self.plan.buses)}, {self.plan.clients}"),
            ("sent (accepted entries)", thousands(sent)),
            ("  of which exact duplicates", thousands(self.fleet.duplicates)),
            ("  of which late fixes", thousands(self.fleet.late)),
            ("resent after the answer listed them failed", thousands(tally.resent)),
            ("distinct fixes", thousands(self.plan.distinct)),
            ("stored (in history, via /v1/buses/{busId}/positions)", thousands(history.stored)),
            ("lost", thousands(len(history.lost))),
            ("duplicated", thousands(history.duplicated)),
            ("latest wrong", thousands(len(self.drain.latest_wrong))),
            ("stored (via the fleet window /v1/positions)", thousands(self.window.stored)),
        ]
        rows += [
            (f"faults: {kind}", thousands(self.faults.get(kind, 0))) for kind in KINDS if kind in self.faults
        ]
        rows += [
            (
                f"ingest, fixes/s ({self.plan.clients} clients, POST /v1/positions)",
                f"{tally.fixes_per_second:,.0f}",
            ),
            ("drain after the last POST: latest right", _seconds(self.drain.latest_seconds)),
            ("drain after the last POST: history complete", _seconds(self.drain.history_seconds)),
            ("peak memory of the stack (all its processes)", f"{self.peak_stack_bytes / 2**20:,.0f} MiB"),
            ("peak memory of the soak's clients", f"{self.peak_soak_bytes / 2**20:,.0f} MiB"),
        ]
        if self.fuzz is not None:
            rows += [
                ("fuzzing: requests (both documents, each against its API)", thousands(self.fuzz.requests)),
                ("  of which sent again after a 429 or 503 with Retry-After", thousands(self.fuzz.resent)),
                ("fuzzing: server errors", thousands(len(self.fuzz.server_errors))),
                ("fuzzing: answers contradicting the document", thousands(len(self.fuzz.contradictions))),
            ]
        rows.append(("total time", _seconds(self.seconds)))
        return render_table(rows)


def _seconds(value: float | None) -> str:
    return "never" if value is None else f"{value:,.1f} s"


def _findings_check(name: str, findings: HistoryFindings) -> Check:
    problems = []
    if findings.lost:
        problems.append(f"{len(findings.lost)} lost (first {findings.lost[:3]})")
    if findings.duplicated:
        problems.append(f"{findings.duplicated} served twice")
    if findings.unexpected:
        problems.append(f"{len(findings.unexpected)} not as sent (first {findings.unexpected[:3]})")
    return Check(name, not problems, "; ".join(problems))


def soak_settings(options: SoakOptions, state_dir: Path) -> Path:
    """The settings file the soak's stack runs with: the given one, with its own function timeout."""
    source = options.repository / options.settings_path
    if options.lambda_timeout_seconds is None:
        return source
    text = source.read_text(encoding="utf-8")
    if not _TIMEOUT_SETTING.search(text):
        raise RuntimeError(f"{source} has no lambda_timeout_seconds line to change")
    settings = state_dir / "soak.tfvars"
    settings.write_text(
        _TIMEOUT_SETTING.sub(f"lambda_timeout_seconds = {options.lambda_timeout_seconds}", text),
        encoding="utf-8",
    )
    return settings


@dataclass
class RunningStack:
    process: "subprocess.Popen[bytes]"
    state_dir: Path
    details: dict[str, Any]

    @property
    def stack_file(self) -> Path:
        return self.state_dir / "stack.json"

    def stop(self) -> bool:
        """SIGTERM, as Ctrl-C; whether it stopped in time with exit code 0."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(STOP_TIMEOUT_SECONDS) == 0
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            return False


@contextmanager
def soak_stack(options: SoakOptions, state_dir: Path) -> Iterator[RunningStack]:
    settings = soak_settings(options, state_dir)
    # The stack starts its own emulator: an endpoint of the caller's must not leak into it.
    environment = {name: value for name, value in os.environ.items() if name != "AWS_ENDPOINT_URL"}
    process = start_stack(
        state_dir,
        "--faults",
        str(options.faults),
        "--settings",
        str(settings),
        cwd=options.repository,
        env=environment,
    )
    stack = RunningStack(process, state_dir, {})
    try:
        stack.details = wait_until_healthy(process, state_dir)
        yield stack
    finally:
        if process.poll() is None:
            stack.stop()


def device_clients(stack_file: Path, count: int) -> list[BusGpsClient]:
    """`count` clients of the stack, each with its own connection and its own login, as devices are."""
    target = resolve_target({}, {}, stack_file)
    clients = []
    for _ in range(count):
        tokens = CognitoTokenSource(
            cognito_client(target.required("region"), target.cognito_endpoint),
            target.required("client_id"),
            target.required("username"),
            target.required("password"),
        )
        clients.append(BusGpsClient(target, tokens, session=requests.Session(), timeout_seconds=30))
    return clients


def run_soak(options: SoakOptions, say: Callable[[str], None] = print) -> SoakResult:
    started = time.monotonic()

    def say_when(line: str) -> None:
        say(f"soak [{time.monotonic() - started:5.0f} s] {line}")

    with tempfile.TemporaryDirectory(prefix="busgps-soak-") as temporary:
        state_dir = Path(temporary)
        say_when(f"starting a local stack with --faults {options.faults}")
        with soak_stack(options, state_dir) as stack, PeakMemory(stack.process.pid) as memory:
            clients = device_clients(stack.stack_file, options.plan.clients)
            fleet = make_fleet(options.plan, uuid.uuid4().hex[:6], datetime.now(UTC))
            entries = sum(len(schedule) for schedule in fleet.schedules)
            plan = options.plan
            say_when(
                f"{plan.clients} clients send {thousands(entries)} entries "
                f"({thousands(plan.distinct)} distinct fixes of {thousands(plan.buses)} buses)"
            )
            last = [time.monotonic()]

            def sending(tally: SendTally) -> None:
                if time.monotonic() - last[0] >= 10:
                    last[0] = time.monotonic()
                    say_when(f"{thousands(tally.accepted)} accepted, {thousands(tally.resent)} resent")

            tally = send_all(clients, fleet.schedules, options.plan.batch_size, sending)
            say_when(f"sent in {tally.seconds:.1f} s; waiting for the consumer")
            drain = wait_for_drain(clients, fleet, options.stall_seconds, say_when)
            say_when("reading the fleet window and the queues")
            window = fleet_window_findings(clients[0], fleet)
            queues = operator_queues(stack.stack_file, set(fleet.fixes))
            # Before the fuzzer, whose generated bodies take memory of their own.
            peak_clients = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
            fuzz = None
            if options.fuzz_examples:
                say_when(f"fuzzing the running stack ({options.fuzz_examples} examples an operation)")
                fuzz = fuzz_stack(options.repository, stack.details, options.fuzz_examples)
            say_when("stopping the stack")
            stopped = stack.stop()
        faults = json.loads((state_dir / FAULTS_FILE_NAME).read_text(encoding="utf-8"))["injected"]
    return SoakResult(
        plan=options.plan,
        fleet=fleet,
        tally=tally,
        drain=drain,
        window=window,
        queues=queues,
        faults=faults,
        fuzz=fuzz,
        peak_stack_bytes=memory.peak_bytes,
        peak_soak_bytes=peak_clients,
        stopped_cleanly=stopped,
        seconds=time.monotonic() - started,
    )
