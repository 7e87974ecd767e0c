"""The web chat page in real headless Chromium (Debian's `chromium`, driven by Playwright)."""

from __future__ import annotations

import os
import shutil

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser():
    missing = "" if CHROMIUM else "Debian's chromium is not installed (apt-get install chromium)"
    try:
        from playwright import sync_api as playwright
    except ImportError:
        missing = missing or "playwright is not installed (pip install -e '.[dev]')"
    if missing:
        (pytest.fail if os.environ.get("CI") else pytest.skip)(missing)
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield browser
        browser.close()


def test_a_customer_chats_in_the_browser(helpdesk, browser):
    page = browser.new_page()
    page.goto(helpdesk.gateway_url + "/")
    assert page.title() == "Helpdesk"
    page.fill("input[name=message]", "Hi! Where is my order?")
    page.click("button[type=submit]")
    answer = page.locator(".bot").first
    answer.wait_for(timeout=30_000)
    assert "Orders agent" in answer.inner_text()
    assert page.locator(".me").first.inner_text() == "Hi! Where is my order?"
    page.close()


def test_the_page_shows_validation_errors(helpdesk, browser):
    page = browser.new_page()
    page.goto(helpdesk.gateway_url + "/")
    page.select_option("#customer", "2")
    page.evaluate("document.querySelector('input[name=message]').removeAttribute('maxlength')")
    page.fill("input[name=message]", "x" * 2500)
    page.click("button[type=submit]")
    error = page.locator(".error").first
    error.wait_for(timeout=30_000)
    assert "message" in error.inner_text()
    page.close()
