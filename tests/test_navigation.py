"""Navigation stays inside the benchmark: policy, goto refusal, and the guard in a real browser."""

import pytest

from agentlab.actions import ActionSetArgs, ActionParseError, SafeActionMapping
from agentlab.navigation import NavigationGuard, NavigationPolicy, normalize_url

from conftest import chromium

PAGES = "file:///srv/miniwob/html/miniwob/"
POLICY = NavigationPolicy(allowed_prefixes=(PAGES,))


@pytest.mark.parametrize(
    "url, allowed",
    [
        (PAGES + "click-test.html", True),
        ("about:blank", True),
        (PAGES + "../../../../etc/passwd", False),  # path traversal is resolved first
        ("file:///etc/passwd", False),
        ("javascript:alert(1)", False),
        ("data:text/html,<script>alert(1)</script>", False),
        ("http://127.0.0.1:8000/", False),
        ("chrome://settings", False),
    ],
)
def test_policy_allows_only_the_benchmark_pages(url, allowed):
    assert POLICY.allows(url) is allowed


def test_open_web_allows_http_but_never_local_files():
    web = NavigationPolicy(open_web=True)
    assert web.allows("https://example.org/a") and web.allows("http://10.0.0.1/")
    assert not web.allows("file:///etc/passwd") and not web.allows("javascript:1")


def test_normalize_url_keeps_a_trailing_slash():
    assert normalize_url("file:///a/b/../c/") == "file:///a/c/"
    assert normalize_url("HTTP://Host/x/./y") == "http://host/x/y"


def test_goto_outside_the_benchmark_is_refused_at_parse_time():
    mapping = SafeActionMapping(ActionSetArgs(("bid", "nav")).make(), POLICY)
    with pytest.raises(ActionParseError, match="navigation to 'file:///etc/passwd' refused"):
        mapping("goto('file:///etc/passwd')")
    with pytest.raises(ActionParseError, match="refused"):
        mapping("goto(url='javascript:document.title=1')")
    assert mapping(f"goto('{PAGES}click-test.html')").rstrip().endswith(f"goto('{PAGES}click-test.html')")


@pytest.mark.slow
def test_guard_aborts_a_link_to_a_local_file_in_real_chromium(tmp_path):
    page_file = tmp_path / "page.html"
    page_file.write_text('<a id="leak" href="file:///etc/hostname">x</a><a id="ok" href="other.html">y</a>')
    (tmp_path / "other.html").write_text("<title>other</title>")
    guard = NavigationGuard(NavigationPolicy(allowed_prefixes=(tmp_path.as_uri() + "/",)))
    with chromium() as browser:
        context = browser.new_context()
        guard.install(context)
        page = context.new_page()
        page.goto(page_file.as_uri())
        page.click("#leak")
        page.wait_for_timeout(300)
        assert guard.take_refused() == ["file:///etc/hostname"]
        assert not page.url.startswith("file:///etc")
        page.goto(page_file.as_uri())
        page.click("#ok")
        page.wait_for_load_state()
        assert page.title() == "other" and guard.take_refused() == []
