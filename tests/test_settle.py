"""Waiting for a page to settle, in real Chromium: late timers are waited for, still pages are not."""

import time

import pytest
from conftest import chromium

from agentlab.browser.settle import SETTLE_SCRIPT, settle_code

pytestmark = pytest.mark.slow

PAGE = """<button id="late" onclick="setTimeout(() => document.body.append(Object.assign(
  document.createElement('p'), {id: 'menu', textContent: 'menu'})), 300)">late</button>
<button id="still" onclick="document.title = 'clicked'">still</button>
<button id="busy" onclick="(function poll() { setTimeout(poll, 50); })()">busy</button>"""


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    path = tmp_path_factory.mktemp("settle") / "page.html"
    path.write_text(PAGE)
    with chromium() as browser:
        context = browser.new_context()
        context.add_init_script(SETTLE_SCRIPT)
        page = context.new_page()
        page.goto(path.as_uri())
        yield page


def click_and_settle(page, button: str, max_s: float) -> float:
    page.goto(page.url)
    page.click(f"#{button}")
    started = time.monotonic()
    exec(settle_code(max_s), {"page": page})
    return time.monotonic() - started


def test_a_late_reaction_is_waited_for(page):
    elapsed = click_and_settle(page, "late", max_s=1.0)
    assert page.locator("#menu").count() == 1  # the autocomplete-like element showed up in time
    assert 0.25 < elapsed < 0.9


def test_a_still_page_is_observed_at_once(page):
    assert click_and_settle(page, "still", max_s=1.0) < 0.3
    assert page.title() == "clicked"


def test_a_page_that_never_settles_waits_the_full_delay_only(page):
    assert 0.45 < click_and_settle(page, "busy", max_s=0.5) < 1.0


def test_zero_delay_means_no_wait():
    assert settle_code(0) == ""
