"""The fault spec of `busgps local up --faults`: its grammar, its seeded draws, its report."""

import pytest

from busgps.cli import build_parser
from busgps.local.faults import ALL_RATES, KINDS, FaultDice, FaultSpec, FaultSpecError, fault_report


def test_a_spec_names_kinds_at_rates_and_a_seed() -> None:
    # Given a spec of three kinds and a seed
    # When it is read
    spec = FaultSpec.parse("dynamodb-throttle=0.05, kinesis-throttle=0.02,consumer-kill=0.01,seed=7")

    # Then each kind has its rate, the others none, and the seed is kept
    assert spec.rates == {"dynamodb-throttle": 0.05, "kinesis-throttle": 0.02, "consumer-kill": 0.01}
    assert spec.rate("redelivery") == 0
    assert spec.seed == 7


def test_all_is_every_kind_and_later_items_win() -> None:
    # Given `all`, with one kind raised and one turned off after it
    spec = FaultSpec.parse("all,kinesis-throttle=0.5,consumer-timeout=0")

    # Then every other kind keeps its rate of `all`, and a kind at 0 is off
    assert set(ALL_RATES) == set(KINDS)
    assert spec.rates == {
        **{kind: rate for kind, rate in ALL_RATES.items() if kind != "consumer-timeout"},
        "kinesis-throttle": 0.5,
    }
    assert spec.seed == 0


def test_a_spec_reads_back_from_its_text() -> None:
    # Given a spec
    spec = FaultSpec.parse("redelivery=0.25,all,seed=3")

    # When its text is read again, Then it is the same spec
    assert FaultSpec.parse(str(spec)) == spec
    assert str(spec).endswith(",seed=3")


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("dynamo-throttle=0.1", "unknown fault; the kinds are dynamodb-throttle, "),
        ("kinesis-throttle=2", "the rate is a probability from 0 to 1"),
        ("kinesis-throttle=often", "the rate is a probability from 0 to 1"),
        ("seed=x", "the seed is an integer"),
        ("kinesis-throttle", "write kind=rate, seed=N or all"),
    ],
)
def test_a_spec_that_cannot_be_read_says_which_item_and_why(text: str, complaint: str) -> None:
    # When a spec with a mistake is read, Then the error quotes the item and says what is allowed
    with pytest.raises(FaultSpecError) as raised:
        FaultSpec.parse(text)
    assert str(raised.value).startswith(repr(text))
    assert complaint in str(raised.value)


def test_draws_are_seeded_per_place_and_follow_the_rate() -> None:
    # Given two dice of the same seed and place, and one of another place
    spec = FaultSpec.parse("kinesis-throttle=0.25,seed=11")
    first, again, elsewhere = FaultDice(spec, "here"), FaultDice(spec, "here"), FaultDice(spec, "there")

    # When each rolls 2,000 times
    rolls = [[dice.roll("kinesis-throttle") for _ in range(2000)] for dice in (first, again, elsewhere)]

    # Then the same seed and place draw the same, another place draws otherwise, about a quarter hit,
    # and a kind the spec leaves out never does
    assert rolls[0] == rolls[1]
    assert rolls[0] != rolls[2]
    assert 400 < sum(rolls[0]) < 600
    assert not any(first.roll("dynamodb-throttle") for _ in range(100))


def test_the_report_counts_every_kind_of_the_spec_from_every_source() -> None:
    # Given a spec of three kinds, and counts from the emulator and from the event source mapping
    spec = FaultSpec.parse("kinesis-throttle=0.1,consumer-kill=0.1,redelivery=0.1,seed=5")

    # When they are reported together
    report = fault_report(spec, {"kinesis-throttle": 12}, {"consumer-kill": 2})

    # Then each kind of the spec is counted, those that have not happened yet as 0
    assert report == {
        "spec": "kinesis-throttle=0.1,consumer-kill=0.1,redelivery=0.1,seed=5",
        "seed": 5,
        "rates": {"kinesis-throttle": 0.1, "consumer-kill": 0.1, "redelivery": 0.1},
        "injected": {"kinesis-throttle": 12, "consumer-kill": 2, "redelivery": 0},
    }


def test_local_up_reads_its_faults_option_and_refuses_a_bad_one(capsys: pytest.CaptureFixture[str]) -> None:
    # Given the CLI's parser
    parser = build_parser()

    # When `local up --faults` is given a spec, Then the command gets it read
    arguments = parser.parse_args(["local", "up", "--faults", "all,seed=7"])
    assert arguments.faults == FaultSpec.parse("all,seed=7")

    # And a spec with a mistake ends the command at once, saying what is wrong
    with pytest.raises(SystemExit) as exited:
        parser.parse_args(["local", "up", "--faults", "kinesis-throttle=lots"])
    assert exited.value.code == 2
    assert "the rate is a probability from 0 to 1" in capsys.readouterr().err
