"""Settings: validated once, lazily, and failing with the name of the bad variable."""

import importlib

import pytest

from busgps import settings
from busgps.settings import ApiSettings, ConsumerSettings, SettingsError, load_settings

VALID = {
    "DYNAMODB_TABLE_NAME": "busgps-latest",
    "HISTORY_TABLE_NAME": "busgps-history",
    "DEAD_LETTER_QUEUE_URL": "https://sqs.eu-central-1.amazonaws.com/123456789012/busgps-invalid",
}


def test_defaults_of_the_old_system() -> None:
    loaded = load_settings(ConsumerSettings, VALID)
    assert (loaded.ttl_seconds, loaded.ttl_field_name) == (3600, "expirationTime")


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("TTL_SECONDS", "an hour"),
        ("TTL_SECONDS", "-5"),
        ("TTL_FIELD_NAME", "has space"),
        ("DEAD_LETTER_QUEUE_URL", ""),
    ],
)
def test_a_bad_value_names_its_variable(variable: str, value: str) -> None:
    with pytest.raises(SettingsError, match=variable):
        load_settings(ConsumerSettings, {**VALID, variable: value})


def test_a_missing_variable_is_named() -> None:
    with pytest.raises(SettingsError, match="HISTORY_TABLE_NAME"):
        load_settings(ApiSettings, {"DYNAMODB_TABLE_NAME": "busgps-latest"})


def test_importing_the_handlers_reads_no_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given an environment without any of the variables
    for name in (*VALID, "TTL_SECONDS", "TTL_FIELD_NAME"):
        monkeypatch.delenv(name, raising=False)
    settings.consumer_settings.cache_clear()
    settings.api_settings.cache_clear()
    # When the handler modules are imported; Then nothing fails until settings are used
    importlib.reload(importlib.import_module("busgps.handlers.consumer"))
    importlib.reload(importlib.import_module("busgps.handlers.api"))
    with pytest.raises(SettingsError, match="DYNAMODB_TABLE_NAME"):
        settings.api_settings()
    settings.api_settings.cache_clear()
