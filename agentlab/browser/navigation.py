"""Navigation stays inside the benchmark: an agent cannot open other sites or the machine's files.

A benchmark declares the URL prefixes of its pages (MiniWoB: its file:// folder; the WebArena
family: the origins of its sites; WorkArena: its ServiceNow instance); AssistantBench browses the
open web by design. `goto` actions elsewhere are refused when parsed; any other navigation (a clicked link, a
script, a form) is aborted in the browser by `NavigationGuard` and recorded.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ALWAYS_ALLOWED = ("about:blank", "chrome-error://")  # an empty tab; Chromium's page for a refused load
# Schemes whose URLs browsers parse the WHATWG "special" way: '\\' is '/', and '%2e' is a dot in '..'.
SPECIAL_SCHEMES = ("http", "https", "file", "ftp", "ws", "wss")
ENCODED_DOTS = re.compile(r"%2e", re.IGNORECASE)


def normalize_url(url: str) -> str:
    """The URL with its path resolved as Chromium resolves it before it requests it: '\\' read as '/'
    and '%2e' as '.' in dot segments (special schemes), then '.' and '..' segments removed."""
    url = url.strip()
    scheme, colon, rest = url.partition(":")
    if colon and scheme.lower() in SPECIAL_SCHEMES:
        end = min((i for i in (rest.find("?"), rest.find("#")) if i >= 0), default=len(rest))
        url = f"{scheme}:{rest[:end].replace(chr(92), '/')}{rest[end:]}"  # chr(92): a backslash
    parts = urlsplit(url)
    path = parts.path
    if path:
        if parts.scheme.lower() in SPECIAL_SCHEMES:
            path = "/".join(_decoded_dots(segment) for segment in path.split("/"))
        resolved = posixpath.normpath(path)
        path = resolved + ("/" if path.endswith("/") and resolved != "/" else "")
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, parts.query, parts.fragment))


def _decoded_dots(segment: str) -> str:
    """'.' or '..' for a segment the URL standard reads as one ('%2e', '.%2E', '%2e%2e'...); else the segment."""
    decoded = ENCODED_DOTS.sub(".", segment)
    return decoded if decoded in (".", "..") else segment


def origin_prefix(url: str) -> str:
    """'scheme://host:port/' of `url`: the prefix of every page of that site (and no other site's)."""
    parts = urlsplit(normalize_url(url))
    return urlunsplit((parts.scheme, parts.netloc, "/", "", ""))


@dataclass(frozen=True)
class NavigationPolicy:
    """Which URLs the browser may navigate to. Only navigations are checked: a site's images, tiles
    and API calls (WebArena's map tiles and routing) load from wherever the site asks."""

    allowed_prefixes: tuple[str, ...] = ()  # the benchmark's pages
    open_web: bool = False  # any http(s) page too (benchmarks that browse the web)

    @classmethod
    def sites(cls, urls: list[str]) -> NavigationPolicy:
        """Every page of the sites at `urls` (their origins), nothing else."""
        return cls(allowed_prefixes=tuple(sorted({origin_prefix(url) for url in urls})))

    def allows(self, url: str) -> bool:
        url = normalize_url(url)
        if url.startswith(ALWAYS_ALLOWED) or any(url.startswith(p) for p in self.allowed_prefixes):
            return True
        return self.open_web and urlsplit(url).scheme in ("http", "https")

    def refusal(self, url: str) -> str:
        allowed = ", ".join(self.allowed_prefixes) or "none"
        web = " or any http(s) page" if self.open_web else ""
        return (
            f"navigation to {url!r} refused: outside this benchmark's pages "
            f"(allowed: URLs starting with {allowed}{web})"
        )


@dataclass
class NavigationGuard:
    """Aborts the browser's navigations that the policy refuses, and remembers them."""

    policy: NavigationPolicy
    refused: list[str] = field(default_factory=list)

    def install(self, context: Any) -> None:
        context.route("**/*", self._route)

    def _route(self, route: Any, request: Any) -> None:
        if request.is_navigation_request() and not self.policy.allows(request.url):
            self.refused.append(request.url)
            route.abort("blockedbyclient")
        else:
            route.continue_()

    def take_refused(self) -> list[str]:
        refused, self.refused = self.refused, []
        return refused
