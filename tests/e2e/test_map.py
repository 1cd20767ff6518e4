"""The operations map in a real browser: Debian's chromium, driven by Selenium through chromium-driver.

The page runs against the shared local stack while a simulation drives a fleet: every bus is a
marker, a bus posted now appears without a reload, a click draws its trail, and the console stays
clean. A screenshot is saved (BUSGPS_MAP_SCREENSHOT names where, else the test's temporary folder).
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from busgps.client.api import BusGpsClient
from support.polling import wait_for

pytestmark = pytest.mark.e2e

CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")
SIMULATED_BUSES = 6
# The promise for a bus posted while the map is open.
NEW_BUS_APPEARS_SECONDS = 3.0
HEADLESS_OPTIONS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,800",
)

if CHROMIUM is None or CHROMEDRIVER is None:
    pytest.skip(
        "Debian's chromium and chromium-driver are not installed (`make test` installs them as root)",
        allow_module_level=True,
    )

from selenium import webdriver  # noqa: E402 - only once the browser is known to be there
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


@pytest.fixture
def simulation(local_stack: dict[str, Any], tmp_path: Path) -> Iterator[str]:
    """`busgps simulate` driving a fleet of its own against the stack; the prefix of its bus ids."""
    prefix = f"map-{uuid.uuid4().hex[:6]}-"
    stack_file = tmp_path / "stack.json"
    stack_file.write_text(json.dumps(local_stack), encoding="utf-8")
    busgps = Path(sys.executable).with_name("busgps")
    command = [str(busgps), "simulate", "--stack-file", str(stack_file), "--buses", str(SIMULATED_BUSES)]
    command += ["--interval", "1", "--duration", "120", "--prefix", prefix, "--seed", "7"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield prefix
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture
def browser() -> Iterator[WebDriver]:
    options = webdriver.ChromeOptions()
    for argument in HEADLESS_OPTIONS:
        options.add_argument(argument)
    profile = tempfile.mkdtemp(prefix="busgps-chromium-")
    options.add_argument(f"--user-data-dir={profile}")
    options.binary_location = str(CHROMIUM)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def markers(browser: WebDriver, prefix: str) -> list[Any]:
    return browser.find_elements(By.CSS_SELECTOR, f'.leaflet-marker-icon[data-bus-id^="{prefix}"]')


def test_the_map_shows_the_fleet_live_and_a_bus_s_trail_with_a_clean_console(
    local_stack: dict[str, Any], client: BusGpsClient, simulation: str, browser: WebDriver, tmp_path: Path
) -> None:
    # Given a simulated fleet on the move, visible to the API
    prefix = simulation

    def simulated_buses() -> list[str]:
        buses = requests.get(f"{local_stack['api_url']}/v1/buses?limit=1000", timeout=10).json()["buses"]
        return [bus["busId"] for bus in buses if bus["busId"].startswith(prefix)]

    assert wait_for(lambda: len(simulated_buses()) == SIMULATED_BUSES, timeout_seconds=30)
    # When a dispatcher opens the map
    browser.get(local_stack["mapUrl"])
    # Then every simulated bus is a marker carrying its id and an accessible label with its state
    WebDriverWait(browser, 20).until(lambda driver: len(markers(driver, prefix)) == SIMULATED_BUSES)
    WebDriverWait(browser, 20).until(lambda driver: driver.find_element(By.ID, "status").text == "Live")
    shown = {
        marker.get_attribute("data-bus-id"): marker.get_attribute("aria-label")
        for marker in markers(browser, prefix)
    }
    assert sorted(shown) == sorted(simulated_buses())
    assert all(label.startswith(f"Bus {bus_id}: ") and "km/h" in label for bus_id, label in shown.items())
    assert "live" in browser.find_element(By.ID, "counts").text

    # When a new bus posts while the page stays open
    browser.execute_script("window.notReloaded = true")
    newcomer = f"{prefix}new"
    assert (
        client.post_batch(
            [{"busId": newcomer, "latitude": 38.7169, "longitude": -9.1399, "bearing": 45, "speed": 9}]
        ).accepted_count
        == 1
    )
    # Then its marker appears within the 3 seconds, without a reload
    WebDriverWait(browser, NEW_BUS_APPEARS_SECONDS).until(
        lambda driver: driver.find_elements(
            By.CSS_SELECTOR, f'.leaflet-marker-icon[data-bus-id="{newcomer}"]'
        )
    )
    assert browser.execute_script("return window.notReloaded") is True

    # When a simulated bus is clicked
    chosen = sorted(shown)[0]
    marker = browser.find_element(By.CSS_SELECTOR, f'.leaflet-marker-icon[data-bus-id="{chosen}"]')
    browser.execute_script("arguments[0].click()", marker)
    # Then its details show and its trail of the last 15 minutes is drawn
    WebDriverWait(browser, 10).until(
        lambda driver: driver.find_elements(By.CSS_SELECTOR, f'path.trail[data-bus-id="{chosen}"]')
    )
    details = browser.find_element(By.ID, "details").text
    assert f"Bus {chosen}" in details
    assert "km/h" in details
    time.sleep(1)  # one more tick of the page, so that the screenshot shows settled markers
    screenshot = Path(os.environ.get("BUSGPS_MAP_SCREENSHOT", tmp_path / "map.png"))
    assert browser.save_screenshot(str(screenshot))

    # And the console showed no error at any time
    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert errors == []
