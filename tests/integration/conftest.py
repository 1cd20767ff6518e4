"""Integration tests: the handlers against a real emulator server process."""

from collections.abc import Iterator

import pytest

from busgps import settings
from busgps.handlers import api
from support.resources import Resources, position_resources


@pytest.fixture
def resources(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Resources]:
    """Fresh tables and queue, and the handlers' environment pointing at them."""
    with position_resources() as created:
        for name, value in created.environment().items():
            monkeypatch.setenv(name, value)
        settings.consumer_settings.cache_clear()
        settings.api_settings.cache_clear()
        api.resolver.cache_clear()
        yield created
    settings.consumer_settings.cache_clear()
    settings.api_settings.cache_clear()
    api.resolver.cache_clear()
