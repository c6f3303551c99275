"""The embedded chat widget in a real headless Chromium, driven by selenium, on the demo site."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from tests.support.server import ServerProcess

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--window-size=1280,900"]
# The copilot bundle mounts into <div id="chainlit-copilot">, renders inside that div's open
# shadow root, and wraps everything in <div id="cl-shadow-root">: read the chat's text there.
WIDGET_TEXT = """const host = document.getElementById("chainlit-copilot");
const root = host && host.shadowRoot && host.shadowRoot.getElementById("cl-shadow-root");
return root ? root.innerText : "";"""
# The widget fetches /project/settings only once it has a signed-in user; see ready_widget.
SETTINGS_LOADED = """return performance.getEntriesByType("resource")
  .some(entry => entry.name.includes("/project/settings"));"""
# The console error every page load has: Chainlit probing for an optional /public/theme.json.
EXPECTED_ERRORS = re.compile(r"/public/theme\.json|: Not Found\s+at \S+\.fetch")


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[webdriver.Chrome]:
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.is_file()]
    if missing:  # CI installs both; a missing browser must not turn into a silent skip
        pytest.fail(f"browser test needs {' and '.join(missing)} (apt-get install chromium "
                    "chromium-driver)", pytrace=False)
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in [*FLAGS, f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    browser = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    yield browser
    browser.quit()


def widget_text(driver: webdriver.Chrome) -> str:
    return driver.execute_script(WIDGET_TEXT)


def wait_for(driver: webdriver.Chrome, server: ServerProcess, what: str, condition) -> None:
    try:
        WebDriverWait(driver, 30, poll_frequency=0.1).until(condition)
    except TimeoutException:
        pytest.fail(f"timed out waiting for {what}; the widget shows:\n{widget_text(driver)}\n"
                    f"server log tail:\n{server.log()[-3000:]}", pytrace=False)


def ready_widget(driver: webdriver.Chrome, server: ServerProcess, path: str) -> None:
    """Load `path` as a first-time visitor and wait until the widget has finished starting."""
    # A fresh origin: no cookie, and no stored copilot thread id (which the widget would try to
    # resume as whoever signs in now; see test_guest_can_chat_again_after_reloading_the_page).
    driver.execute_cdp_cmd("Storage.clearDataForOrigin",
                           {"origin": server.url, "storageTypes": "all"})
    driver.get_log("browser")  # drop what earlier tests logged
    driver.get(server.url + path)
    # The widget is ready to chat once it has loaded its settings (after signing in).
    wait_for(driver, server, "the widget settings to load",
             lambda d: d.execute_script(SETTINGS_LOADED))


def open_and_ask(driver: webdriver.Chrome, server: ServerProcess, question: str,
                 expected: str) -> str:
    host = driver.find_element(By.ID, "chainlit-copilot")
    host.shadow_root.find_element(By.ID, "chainlit-copilot-button").click()
    wait_for(driver, server, "the welcome", lambda d: "assistant" in widget_text(d))
    box = host.shadow_root.find_element(By.CSS_SELECTOR, "textarea#chat-input")
    box.send_keys(question)
    box.send_keys(Keys.ENTER)
    wait_for(driver, server, repr(expected), lambda d: expected in widget_text(d))
    return widget_text(driver)


def assert_clean_console(driver: webdriver.Chrome) -> None:
    errors = [entry["message"] for entry in driver.get_log("browser")
              if entry["level"] == "SEVERE" and not EXPECTED_ERRORS.search(entry["message"])]
    assert not errors, "browser console errors:\n" + "\n".join(errors)


def screenshot(driver: webdriver.Chrome, path: Path) -> None:
    assert driver.save_screenshot(str(path)), path
    assert path.is_file() and path.stat().st_size > 0, path


def test_widget_answers_a_question_in_a_real_browser(driver, server, artifacts):
    ready_widget(driver, server, "/demo")
    text = open_and_ask(driver, server, "How do I reset my password?", "Reset your password")
    assert "How do I reset my password?" in text, text  # the visitor's own message is shown
    assert "Here's what our help center says" in text, text
    quotes = driver.find_element(By.ID, "chainlit-copilot").shadow_root.find_elements(
        By.CSS_SELECTOR, "blockquote")
    assert quotes and quotes[-1].text.strip(), "the answer should quote the article"
    screenshot(driver, artifacts / "widget-answer.png")
    assert_clean_console(driver)


def test_widget_shows_verified_customer_order(driver, server, artifacts):
    ready_widget(driver, server, "/demo?customer=cus_1001")
    text = open_and_ask(driver, server, "Where is my order?", "BW-10234")
    assert "in transit" in text, text
    screenshot(driver, artifacts / "widget-order.png")
    assert_clean_console(driver)


def test_widget_survives_a_question_asked_right_away(driver, server):
    driver.execute_cdp_cmd("Storage.clearDataForOrigin",
                           {"origin": server.url, "storageTypes": "all"})
    driver.get(server.url + "/demo")
    wait_for(driver, server, "the widget button", lambda d: d.execute_script(
        "const h = document.getElementById('chainlit-copilot'); return !!(h && h.shadowRoot"
        " && h.shadowRoot.getElementById('chainlit-copilot-button'));"))
    open_and_ask(driver, server, "How do I reset my password?", "Reset your password")
    wait_for(driver, server, "the widget settings to load",
             lambda d: d.execute_script(SETTINGS_LOADED))
    # The session endpoint signs the visitor in before the widget mounts, so the widget's first
    # /user call succeeds and its settings never arrive after an answer (which crashed it).
    assert "Reset your password" in widget_text(driver), widget_text(driver)
    assert "Minified React error" not in widget_text(driver)
    assert_clean_console(driver)


def test_guest_can_chat_again_after_reloading_the_page(driver, server):
    ready_widget(driver, server, "/demo")
    open_and_ask(driver, server, "How do I reset my password?", "Reset your password")
    driver.refresh()
    wait_for(driver, server, "the widget settings to load",
             lambda d: d.execute_script(SETTINGS_LOADED))
    host = driver.find_element(By.ID, "chainlit-copilot")
    host.shadow_root.find_element(By.ID, "chainlit-copilot-button").click()
    # the same guest: the earlier exchange is resumed rather than refused
    wait_for(driver, server, "the resumed chat", lambda d: "Reset your password" in widget_text(d)
             or "Could not reach the server" in widget_text(d))
    assert "Could not reach the server" not in widget_text(driver), widget_text(driver)
    box = host.shadow_root.find_element(By.CSS_SELECTOR, "textarea#chat-input")
    box.send_keys("How do I download an invoice?")
    box.send_keys(Keys.ENTER)
    wait_for(driver, server, "the second answer", lambda d: "Download your invoices" in widget_text(d))
    assert "Reset your password" in widget_text(driver)
    assert_clean_console(driver)


def test_signing_in_starts_a_fresh_chat_instead_of_the_guests(driver, server):
    ready_widget(driver, server, "/demo")
    open_and_ask(driver, server, "How do I reset my password?", "Reset your password")
    driver.get(server.url + "/demo?customer=cus_1001")  # the visitor signs in on the site
    wait_for(driver, server, "the widget settings to load",
             lambda d: d.execute_script(SETTINGS_LOADED))
    text = open_and_ask(driver, server, "Where is my order?", "BW-10234")
    assert "Could not reach the server" not in text and "Reset your password" not in text, text
