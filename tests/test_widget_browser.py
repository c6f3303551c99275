"""The embedded chat widget in a real headless Chromium, driven by selenium, on the demo site."""

from __future__ import annotations

import asyncio
import json
import re
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
    press,
    ready_widget,
    screenshot,
    wait_for,
    widget_button,
    widget_root,
    widget_say,
    widget_text,
)
from tests.support.server import PROJECT_ROOT
from tests.test_chat_e2e import customer


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


def test_a_how_question_is_answered_with_the_steps_not_the_articles_introduction(driver, server, artifacts):
    ready_widget(driver, server, "/demo")
    text = open_and_ask(driver, server, "I want to send back a product I bought, how does that work?",
                        "Submit return")
    quote = driver.find_element(By.ID, "chainlit-copilot").shadow_root.find_elements(
        By.CSS_SELECTOR, "blockquote")[-1]
    steps = quote.find_elements(By.CSS_SELECTOR, "li")
    assert len(steps) >= 7 and "Sign in at" in steps[0].text, [s.text for s in steps]
    assert "within 30 days of delivery, even if you've opened" not in text, text  # not the introduction
    screenshot(driver, artifacts / "widget-steps.png")


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


def widget_buttons(driver: webdriver.Chrome, prefix: str) -> list[str]:
    """The labels of the enabled buttons in the widget that start with `prefix`."""
    return [b.text.strip() for b in widget_root(driver).find_elements(By.CSS_SELECTOR, "button")
            if b.text.strip().startswith(prefix) and b.is_enabled()]


def test_a_questions_other_buttons_go_away_once_it_is_answered(driver, server, artifacts):
    ready_widget(driver, server, "/demo?customer=cus_1001")
    open_and_ask(driver, server, "Could you send me a copy of my invoice?", "Which invoice")
    wait_for(driver, server, "both invoice buttons", lambda d: len(widget_buttons(d, "INV-")) == 2)
    press(driver, server, "the older invoice", lambda d: next(
        (b for b in widget_root(d).find_elements(By.CSS_SELECTOR, "button") if b.text.startswith("INV-2025-0079")),
        None))
    wait_for(driver, server, "the confirmation", lambda d: "Shall I go ahead?" in widget_text(d))
    wait_for(driver, server, "the yes/no buttons", lambda d: widget_button(d, "Yes, go ahead") is not None)
    assert widget_buttons(driver, "INV-") == [], "the other invoice stays clickable after the choice"
    widget_say(driver, "no")  # answered by typing: the Yes/No buttons go too
    wait_for(driver, server, "the yes/no buttons to go",
             lambda d: widget_button(d, "Yes, go ahead") is None and widget_button(d, "No") is None)
    screenshot(driver, artifacts / "widget-choices-closed.png")


async def test_a_click_on_an_answered_question_is_refused_and_acts_once(server, clients, identity_for):
    chat = await customer(server, clients, identity=identity_for("cus_1001"))
    question = await chat.reply_to("Could you send me a copy of my invoice?")
    options = await chat.buttons_for(question["id"], count=2)
    mark = len(chat.messages)
    await chat.click(options["INV-2025-0079"])
    await chat.wait_for(lambda e: "Shall I go ahead?" in e.get("output", ""), after=mark)
    mark = len(chat.messages)
    await chat.click(options["INV-2026-0079"])  # a button still on screen somewhere (another tab)
    refusal = await chat.wait_for(lambda e: e.get("type") == "assistant_message", after=mark)
    assert "already been answered" in refusal["output"], refusal["output"]
    await asyncio.sleep(1)
    confirmations = [m for m in chat.messages if "Shall I go ahead?" in m.get("output", "")]
    assert len(confirmations) == 1, [m["output"] for m in confirmations]
    said = [m["output"] for m in chat.messages if m.get("type") == "user_message"]
    assert not any(s.startswith("INV-2026-0079") for s in said), said


def rgb(css_colour: str) -> tuple[int, ...]:
    return tuple(int(v) for v in re.findall(r"\d+", css_colour)[:3])


def test_widget_wears_the_company_name_and_colour(driver, server, artifacts):
    ready_widget(driver, server, "/demo")
    open_and_ask(driver, server, "How do I reset my password?", "Reset your password")
    root = widget_root(driver)
    wait_for(driver, server, "the company name in the header", lambda d: d.execute_script(
        "const r = document.getElementById('chainlit-copilot').shadowRoot;"
        "const t = r.querySelector('.frontline-company'); return t && t.offsetParent !== null"
        " && t.innerText === 'Brightwave';"))
    logos = [img for img in root.find_elements(By.CSS_SELECTOR, "img.logo") if img.is_displayed()]
    assert not logos, "Chainlit's logo still shows in the widget header"
    button = root.find_element(By.ID, "chainlit-copilot-button")
    colour = rgb(button.value_of_css_property("background-color"))
    assert all(abs(a - b) <= 3 for a, b in zip(colour, (0xFF, 0x8A, 0x3D), strict=True)), colour
    screenshot(driver, artifacts / "widget-branded.png")


TRANSLATIONS = PROJECT_ROOT / ".chainlit" / "translations"


@pytest.mark.parametrize(("lang", "file"), [("es", "es"), ("de", "de-DE"), ("fr", "fr-FR")])
def test_widget_input_speaks_the_customers_language(driver, server, lang, file):
    expected = json.loads((TRANSLATIONS / f"{file}.json").read_text(encoding="utf-8"))["chat"]
    ready_widget(driver, server, f"/demo?lang={lang}")
    widget_root(driver).find_element(By.ID, "chainlit-copilot-button").click()
    wait_for(driver, server, "the input box", lambda d: widget_root(d).find_elements(By.CSS_SELECTOR,
                                                                                     "textarea#chat-input"))
    wait_for(driver, server, f"the {lang} placeholder", lambda d: widget_root(d).find_element(
        By.CSS_SELECTOR, "textarea#chat-input").get_attribute("placeholder") == expected["input"]["placeholder"])
    wait_for(driver, server, f"the {lang} footer", lambda d: expected["watermark"] in widget_text(d))
