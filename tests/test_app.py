"""The dashboard in a real browser: Debian's chromium, headless, driven by playwright.

Starts ``inverse_qe.app`` with Solara on a free localhost port, then checks that
the page loads, that moving a slider changes the model's parameter (read back
from the settings panel after Reset), that stepping changes the pictures
(screenshots differ), and that no Python error reaches the page. Every wait is
bounded; the server is always stopped.

Needs /usr/bin/chromium and Solara's front end cached offline; CI installs both
with ``.ci/install-browser``.
"""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SERVER_START_SECONDS = 90
PAGE_SECONDS = 90
#: Text that means a Python error was shown in the page.
ERROR_MARKERS = ("Traceback", "Exception", "error in step", "Error:")

pytestmark = pytest.mark.slow


def _skip_reason() -> str | None:
    if not CHROMIUM.exists():
        return "no /usr/bin/chromium (Debian's chromium): run .ci/install-browser"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed"
    from inverse_qe.teaching import assets

    if assets.missing():
        return (
            f"Solara's front end is not cached in {assets.cache_dir()} "
            "(the page would stay blank offline): run .ci/install-browser"
        )
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    from inverse_qe.teaching.assets import server_environment
    from inverse_qe.teaching.commands import app_command

    port = _free_port()
    command, env = app_command("127.0.0.1", port)
    log = tmp_path_factory.mktemp("app") / "server.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(command, env=server_environment(env), stdout=out, stderr=out)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + SERVER_START_SECONDS
        while True:
            if process.poll() is not None:
                pytest.fail(f"the app exited with {process.returncode}:\n{log.read_text()}")
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(
                    f"the app did not answer in {SERVER_START_SECONDS}s:\n{log.read_text()}"
                )
            time.sleep(0.5)
        yield url, log
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


@pytest.fixture(scope="module")
def page(server):
    from playwright.sync_api import sync_playwright

    url, _ = server
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=LAUNCH_ARGS, headless=True, timeout=60_000
        )
        try:
            tab = browser.new_page(viewport={"width": 1500, "height": 1300})
            tab.set_default_timeout(PAGE_SECONDS * 1000)
            tab.errors = []
            tab.on("pageerror", lambda error: tab.errors.append(str(error)))
            tab.goto(url, timeout=PAGE_SECONDS * 1000)
            tab.wait_for_selector("[data-setting=week]")
            yield tab
        finally:
            browser.close()


def _setting(tab, key: str) -> str:
    return tab.inner_text(f"[data-setting={key}]")


def _week(tab) -> int:
    return int(_setting(tab, "week").split()[0])


def _wait_week(tab, week: int) -> None:
    tab.wait_for_function(
        "w => parseInt(document.querySelector('[data-setting=week]').textContent) === w", arg=week
    )


def _bathtub(tab) -> bytes:
    return tab.locator("img").first.screenshot()


def test_page_loads_with_every_panel(page):
    text = page.inner_text("body")
    for expected in ("Reset", "Step", "Scenario", "Recycling", "What happened"):
        assert expected.lower() in text.lower()
    assert page.locator("img").count() >= 4  # bathtub, ducks, water, forced sales
    assert _week(page) == 0


def test_stepping_changes_the_pictures(page):
    before = _bathtub(page)
    start = _week(page)
    for n in range(1, 4):
        page.get_by_role("button", name="Step").click()
        _wait_week(page, start + n)
    page.wait_for_timeout(1500)  # let the last images arrive
    after = _bathtub(page)
    assert after != before
    assert f"Week {start + 3}" in page.inner_text("body")


def test_a_slider_changes_the_model(page):
    before = float(_setting(page, "recycling"))
    slider = page.locator(".v-input", has_text="Recycling").locator("[role=slider]")
    slider.focus()
    for _ in range(5):  # step 0.1: x1.0 -> x1.5
        slider.press("ArrowRight")
    page.get_by_role("button", name="Reset").click()
    page.wait_for_function(
        "v => parseFloat(document.querySelector('[data-setting=recycling]').textContent) !== v",
        arg=before,
    )
    assert float(_setting(page, "recycling")) == pytest.approx(1.5 * before, abs=0.006)
    assert _week(page) == 0


def test_no_python_error_reaches_the_page(page, server):
    page.get_by_role("button", name="Step").click()
    page.wait_for_timeout(1500)
    text = page.inner_text("body")
    assert not [m for m in ERROR_MARKERS if m in text], text[-2000:]
    assert page.errors == []
    _, log = server
    assert "Traceback" not in log.read_text(errors="replace")
