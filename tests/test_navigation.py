"""Navigation stays inside the benchmark: policy, goto refusal, and the guard in a real browser."""

import contextlib
import http.server
import json
import threading

import pytest
from conftest import chromium

from agentlab.browser.actions import ActionParseError, ActionSetArgs, SafeActionMapping
from agentlab.browser.navigation import NavigationGuard, NavigationPolicy, normalize_url

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


def test_webarena_family_allows_only_its_configured_sites(monkeypatch):
    from agentlab.benchmarks import get_benchmark

    for name in ("SHOPPING", "SHOPPING_ADMIN", "REDDIT", "GITLAB", "WIKIPEDIA", "MAP", "HOMEPAGE"):
        monkeypatch.delenv(f"WA_{name}", raising=False)
    monkeypatch.setenv("WA_SHOPPING", "http://wa.local:7770")
    monkeypatch.setenv("WA_SHOPPING_ADMIN", "http://wa.local:7780/admin")
    monkeypatch.setenv("WA_MAP", "http://wa.local:3000/")
    monkeypatch.setenv("WA_HOMEPAGE", "http://wa.local:4399")
    policy = get_benchmark("webarena").navigation_policy()
    assert policy.allowed_prefixes == (
        "http://wa.local:3000/",
        "http://wa.local:4399/",
        "http://wa.local:7770/",
        "http://wa.local:7780/",
    )
    assert policy.allows("http://wa.local:7780/admin/sales/order/") and policy.allows("http://wa.local:7770/")
    assert not policy.allows("http://wa.local:77701/") and not policy.allows("https://www.google.com/")
    assert not policy.allows("http://wa.local:8023/")  # GitLab's variable is not set: not a site of this run
    assert not policy.open_web


def test_workarena_allows_its_instance_or_its_pool(monkeypatch, tmp_path):
    from agentlab.benchmarks import get_benchmark

    workarena = get_benchmark("workarena_l1")
    monkeypatch.setenv("SNOW_INSTANCE_URL", "https://dev123.service-now.com/")
    assert workarena.navigation_policy() == NavigationPolicy(allowed_prefixes=("https://dev123.service-now.com/",))
    monkeypatch.delenv("SNOW_INSTANCE_URL")
    instance = pytest.importorskip("browsergym.workarena.instance", reason="WorkArena's package reads the pool")
    pool = tmp_path / "pool.json"
    pool.write_text(
        json.dumps(
            [{"u": f"https://dev{n}.service-now.com", "p": instance.encrypt_instance_password("x")} for n in (1, 2)]
        )
    )
    monkeypatch.setenv("SNOW_INSTANCE_POOL", str(pool))
    policy = workarena.navigation_policy()
    assert policy.allowed_prefixes == ("https://dev1.service-now.com/", "https://dev2.service-now.com/")
    assert not policy.allows("https://dev3.service-now.com/") and not policy.open_web


def test_assistantbench_browses_the_open_web_by_design():
    from agentlab.benchmarks import get_benchmark

    policy = get_benchmark("assistantbench").navigation_policy()
    assert policy.open_web and policy.allows("https://www.google.com/search?q=x")
    assert not policy.allows("file:///etc/passwd")


@contextlib.contextmanager
def site(pages: dict[str, str]):
    """A real local HTTP server standing in for one benchmark site; yields its base URL."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = pages.get(self.path, "<title>not found</title>").encode()
            self.send_response(200 if self.path in pages else 404)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.slow
def test_webarena_guard_refuses_a_site_outside_the_instance_in_real_chromium(monkeypatch):
    """Two local servers stand in for WebArena's shop and forum; a third for the web outside."""
    from agentlab.benchmarks import get_benchmark

    with (
        site({"/": "<title>outside</title>"}) as outside,
        site({"/": "<title>forum</title>"}) as forum,
        site(
            {
                "/": f'<a id="forum" href="{forum}/">f</a><a id="out" href="{outside}/">o</a>'
                f'<img src="{outside}/tile.png">'
            }
        ) as shop,
    ):
        for name in ("SHOPPING_ADMIN", "GITLAB", "WIKIPEDIA", "MAP", "HOMEPAGE"):
            monkeypatch.delenv(f"WA_{name}", raising=False)
        monkeypatch.setenv("WA_SHOPPING", shop)
        monkeypatch.setenv("WA_REDDIT", forum)
        guard = NavigationGuard(get_benchmark("webarena").navigation_policy())
        with chromium() as browser:
            context = browser.new_context()
            guard.install(context)
            page = context.new_page()
            page.goto(shop + "/")
            page.click("#out")
            page.wait_for_timeout(300)
            assert guard.take_refused() == [outside + "/"]  # not its image: only navigations are checked
            assert not page.url.startswith(outside)  # Chromium's error page for the aborted load
            page.goto(shop + "/")
            page.click("#forum")
            page.wait_for_load_state()
            assert page.title() == "forum" and guard.take_refused() == []
