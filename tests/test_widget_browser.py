"""The embedded chat widget in a real headless Chromium, driven by selenium, on the demo site."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.support.browser import (
    SETTINGS_LOADED,
    assert_clean_console,
    open_and_ask,
    open_browser,
    ready_widget,
    screenshot,
    wait_for,
    widget_text,
)


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[webdriver.Chrome]:
    browser = open_browser(tmp_path_factory.mktemp("chromium-profile"))
    yield browser
    browser.quit()


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
