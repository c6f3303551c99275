"""Real headless Chromium sessions (selenium) against a running Frontline server: the embedded
widget a customer sees and the agent console, both read from the rendered DOM."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement
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


def open_browser(profile: Path, user_agent: str | None = None) -> webdriver.Chrome:
    """A fresh headless Chromium with its own profile folder (cookies are not shared); a
    `user_agent` tells its requests apart from another browser's at a test server."""
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.is_file()]
    if missing:  # CI installs both; a missing browser must not turn into a silent skip
        pytest.fail(f"browser test needs {' and '.join(missing)} (apt-get install chromium "
                    "chromium-driver)", pytrace=False)
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in [*FLAGS, f"--user-data-dir={profile}", *([f"--user-agent={user_agent}"] if user_agent else [])]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)


def widget_text(driver: webdriver.Chrome) -> str:
    return driver.execute_script(WIDGET_TEXT)


def page_text(driver: webdriver.Chrome) -> str:
    return driver.execute_script("return document.body ? document.body.innerText : '';")


def wait_for(driver: webdriver.Chrome, server: ServerProcess, what: str, condition: Callable[..., object],
             timeout: float = 30) -> None:
    try:
        WebDriverWait(driver, timeout, poll_frequency=0.1).until(condition)
    except TimeoutException:
        shown = widget_text(driver) or page_text(driver)
        pytest.fail(f"timed out waiting for {what}; the page shows:\n{shown}\n"
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


def widget_root(driver: webdriver.Chrome):  # type: ignore[no-untyped-def]
    return driver.find_element(By.ID, "chainlit-copilot").shadow_root


def open_widget(driver: webdriver.Chrome, server: ServerProcess, welcome: str = "assistant") -> None:
    widget_root(driver).find_element(By.ID, "chainlit-copilot-button").click()
    wait_for(driver, server, "the welcome", lambda d: welcome in widget_text(d))


def widget_say(driver: webdriver.Chrome, text: str) -> None:
    box = widget_root(driver).find_element(By.CSS_SELECTOR, "textarea#chat-input")
    box.send_keys(text)
    box.send_keys(Keys.ENTER)


def open_and_ask(driver: webdriver.Chrome, server: ServerProcess, question: str,
                 expected: str) -> str:
    open_widget(driver, server)
    widget_say(driver, question)
    wait_for(driver, server, repr(expected), lambda d: expected in widget_text(d))
    return widget_text(driver)


def _last_button(buttons: list[WebElement], label: str) -> WebElement | None:
    try:
        shown = [b for b in buttons if b.text.strip() == label and b.is_enabled()]
    except StaleElementReferenceException:  # re-rendered while read: none for now, look again
        return None
    return shown[-1] if shown else None


def widget_button(driver: webdriver.Chrome, label: str) -> WebElement | None:
    """The last enabled button in the widget whose text is exactly `label`."""
    return _last_button(widget_root(driver).find_elements(By.CSS_SELECTOR, "button"), label)


def sign_in_console(driver: webdriver.Chrome, server: ServerProcess, email: str, password: str) -> None:
    """Sign in on Chainlit's login page and wait for the agent console's greeting."""
    driver.execute_cdp_cmd("Storage.clearDataForOrigin", {"origin": server.url, "storageTypes": "all"})
    driver.get(server.url + "/login")
    wait_for(driver, server, "the login form", lambda d: d.find_elements(By.ID, "email"))
    driver.find_element(By.ID, "email").send_keys(email)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_for(driver, server, "the console greeting", lambda d: "Signed in as" in page_text(d))


def console_say(driver: webdriver.Chrome, text: str) -> None:
    box = driver.find_element(By.CSS_SELECTOR, "textarea#chat-input")
    box.send_keys(text)
    box.send_keys(Keys.ENTER)


def console_button(driver: webdriver.Chrome, label: str) -> WebElement | None:
    """The last enabled button on the (console) page whose text is exactly `label`."""
    return _last_button(driver.find_elements(By.CSS_SELECTOR, "button"), label)


def click(driver: webdriver.Chrome, element: WebElement) -> None:
    """Click as a person would, after scrolling the element to the middle of its chat (the
    chat's "scroll down" overlay would take a click at the bottom edge)."""
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)
    element.click()


def press(driver: webdriver.Chrome, server: ServerProcess, what: str,
          find: Callable[[webdriver.Chrome], WebElement | None]) -> None:
    """Wait for the button `find` returns, then click it (found again if the chat re-rendered it)."""
    def pressed(d: webdriver.Chrome) -> bool:
        button = find(d)
        if button is None:
            return False
        try:
            click(d, button)
        except StaleElementReferenceException:
            return False
        return True
    wait_for(driver, server, what, pressed)


def assert_clean_console(driver: webdriver.Chrome) -> None:
    errors = [entry["message"] for entry in driver.get_log("browser")
              if entry["level"] == "SEVERE" and not EXPECTED_ERRORS.search(entry["message"])]
    assert not errors, "browser console errors:\n" + "\n".join(errors)


def screenshot(driver: webdriver.Chrome, path: Path) -> None:
    assert driver.save_screenshot(str(path)), path
    assert path.is_file() and path.stat().st_size > 0, path
