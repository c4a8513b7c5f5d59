"""The one place where BrowserGym's browsers are launched: Debian's Chromium, headless, offline.

BrowserGym launches Chromium twice per episode, both times through its global Playwright
instance: the task browser (`BrowserEnv.reset`, which accepts `pw_chromium_kwargs` but not extra
`args`) and a chat window (`browsergym.core.chat.Chat`, which accepts neither). `install()`
replaces that global instance by a proxy whose `chromium.launch` adds Debian's executable and our
flags to every launch, and, unless a human is in the loop, swaps the chat window for `MemoryChat`,
which keeps the messages in memory (saves one Chromium, ~160 MB and ~1.5 s per episode).
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any

CHROMIUM_CANDIDATES = ("/usr/lib/chromium/chromium", "/usr/bin/chromium", "/usr/bin/chromium-browser")

# Playwright already adds --no-sandbox (needed as root), --disable-background-networking,
# --disable-component-update and --no-first-run; these close the remaining phone-home paths.
EXTRA_CHROMIUM_ARGS = ("--disable-sync", "--disable-quic", "--disable-gpu", "--disable-dev-shm-usage")


def find_chromium() -> str:
    """Path of the Chromium binary: $AGENTLAB_CHROMIUM, else Debian's package."""
    configured = os.environ.get("AGENTLAB_CHROMIUM")
    if configured:
        if not Path(configured).is_file():
            raise FileNotFoundError(f"AGENTLAB_CHROMIUM={configured!r} is not a file")
        return configured
    for candidate in CHROMIUM_CANDIDATES:
        if Path(candidate).is_file():
            return candidate
    found = shutil.which("chromium")
    if found:
        return found
    raise FileNotFoundError(
        "Chromium not found: install Debian's chromium (apt-get install chromium) or set AGENTLAB_CHROMIUM to its path"
    )


class ManagedBrowser:
    """The Browser an env gets: its contexts observe page settling (`settle.py`); with
    `owns_browser` False (a warm browser lent to one env at a time) `close()` closes only the
    contexts it made, so each episode still gets a fresh context (own cookies, storage, cache).
    """

    def __init__(self, browser: Any, owns_browser: bool):
        self._browser = browser
        self._owns_browser = owns_browser
        self._contexts: list[Any] = []

    def new_context(self, **kwargs: Any) -> Any:
        from .settle import SETTLE_SCRIPT

        context = self._browser.new_context(**kwargs)
        context.add_init_script(SETTLE_SCRIPT)
        self._contexts.append(context)
        return context

    def close(self) -> None:
        contexts, self._contexts = self._contexts, []
        for context in contexts:
            context.close()
        if self._owns_browser:
            self._browser.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._browser, name)


class _ChromiumLauncher:
    """Stands in for `playwright.chromium`: every launch gets Debian's Chromium and our flags.

    With `keep_warm`, a launch lends a running browser launched earlier with the same options.
    """

    def __init__(self, chromium: Any, executable_path: str, keep_warm: bool):
        self._chromium = chromium
        self._executable_path = executable_path
        self.keep_warm = keep_warm
        self._warm: dict[str, Any] = {}

    def launch(self, **kwargs: Any) -> Any:
        kwargs["args"] = [*(kwargs.get("args") or []), *EXTRA_CHROMIUM_ARGS]
        kwargs.setdefault("executable_path", self._executable_path)
        if not self.keep_warm:
            return ManagedBrowser(self._chromium.launch(**kwargs), owns_browser=True)
        key = repr(sorted(kwargs.items()))
        if key not in self._warm or not self._warm[key].is_connected():
            self._warm[key] = self._chromium.launch(**kwargs)
        return ManagedBrowser(self._warm[key], owns_browser=False)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._chromium, name)


class _PlaywrightProxy:
    """The Playwright instance BrowserGym sees: the real one, with our Chromium launcher."""

    def __init__(self, playwright: Any, executable_path: str, keep_warm: bool):
        self._playwright = playwright
        self.chromium = _ChromiumLauncher(playwright.chromium, executable_path, keep_warm)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._playwright, name)


class MemoryChat:
    """BrowserGym's `Chat` without its browser window: same messages, kept in memory."""

    ROLES = ("user", "user_image", "assistant", "info", "infeasible")

    def __init__(self, headless: bool = True, chat_size=(500, 800), record_video_dir=None, modern=True):
        self.messages: list[dict] = []

    def add_message(self, role: str, msg: str) -> None:
        if role not in self.ROLES:
            raise ValueError(f"Invalid role: {role}")
        if role != "info":
            self.messages.append({"role": role, "timestamp": time.time(), "message": msg})

    def wait_for_user_message(self) -> None:
        raise RuntimeError("no human is in the loop: this episode runs without a chat window")

    def close(self) -> None:
        pass


_installed: _PlaywrightProxy | None = None


def install(chat_browser: bool = False, keep_warm: bool | None = None) -> None:
    """Route BrowserGym's launches through Debian's Chromium; idempotent within a process.

    `keep_warm=True` (the warm episode server) keeps browsers running between episodes;
    None leaves the setting as it is.
    """
    global _installed
    import browsergym.core
    import browsergym.core.env
    from playwright.sync_api import sync_playwright

    if _installed is None:
        _installed = _PlaywrightProxy(sync_playwright().start(), find_chromium(), keep_warm=bool(keep_warm))
        browsergym.core._set_global_playwright(_installed)
    elif keep_warm is not None:
        _installed.chromium.keep_warm = keep_warm
    if not chat_browser:
        browsergym.core.env.Chat = MemoryChat
    else:
        from browsergym.core.chat import Chat

        browsergym.core.env.Chat = Chat
