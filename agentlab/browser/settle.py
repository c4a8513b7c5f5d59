"""Observe a page once it has settled, not after a fixed sleep.

BrowserGym sleeps `pre_observation_delay` (0.5 s) after every action so that the page's reactions
(event handlers, animations, autocomplete menus) show in the observation. Most pages settle much
sooner. A script in every page counts its pending short timers (setTimeout up to 1 s) and notes
its last DOM change; after an action we wait until no such timer is pending and the DOM has been
still for `QUIET_MS`, at most the configured delay. A page that keeps moving (animations, polls)
waits the full delay, as before; a still page is observed ~50 ms after the action. How long the
wait took is kept in the page for the step's profiling timeline (`take_settle_seconds`).
"""

from __future__ import annotations

QUIET_MS = 50
SHORT_TIMER_MS = 1000

SETTLE_SCRIPT = """
(() => {
  if (window.__agentlabSettle) return;
  const pending = new Set();
  const setTimeout_ = window.setTimeout, clearTimeout_ = window.clearTimeout;
  window.setTimeout = function (handler, delay, ...args) {
    if (typeof handler !== 'function' || (Number(delay) || 0) > %(short)d) {
      return setTimeout_.call(window, handler, delay, ...args);
    }
    const id = setTimeout_.call(window, function (...values) {
      pending.delete(id);
      return handler.apply(this, values);
    }, delay, ...args);
    pending.add(id);
    return id;
  };
  window.clearTimeout = function (id) {
    pending.delete(id);
    return clearTimeout_.call(window, id);
  };
  let lastChange = performance.now();
  new MutationObserver(() => { lastChange = performance.now(); }).observe(document, {
    subtree: true, childList: true, attributes: true, characterData: true,
  });
  window.__agentlabSettle = (quietMs, maxMs) => new Promise((resolve) => {
    const start = performance.now();
    const check = () => {
      const now = performance.now();
      if (now - start >= maxMs || (pending.size === 0 && now - lastChange >= quietMs)) {
        window.__agentlabSettledMs = now - start;  // read (and cleared) by take_settle_seconds
        resolve();
      }
      else setTimeout_.call(window, check, 10);
    };
    check();
  });
})();
""" % {"short": SHORT_TIMER_MS}  # noqa: UP031 (str.format would need every JavaScript brace doubled)


def settle_code(max_s: float) -> str:
    """Python, appended to an action's BrowserGym code, that waits for the page to settle."""
    if max_s <= 0:
        return ""
    wait = (
        f"page.evaluate('([q, m]) => window.__agentlabSettle && window.__agentlabSettle(q, m)', "
        f"[{QUIET_MS}, {round(max_s * 1000)}])"
    )
    return (
        f"\ntry:\n    {wait}\n"
        "except Exception:\n"  # the action started a navigation: settle on the new document
        f"    try:\n        page.wait_for_load_state('domcontentloaded')\n        {wait}\n"
        "    except Exception:\n        pass\n"
    )


def take_settle_seconds(page: object) -> float | None:
    """How long the last settle wait in `page` took (and forget it); None if none ran there (the
    action failed first, no delay is configured) or the page cannot be asked."""
    try:
        ms = page.evaluate(  # type: ignore[attr-defined]
            "() => { const ms = window.__agentlabSettledMs; window.__agentlabSettledMs = undefined; return ms; }"
        )
    except Exception:  # the page closed or navigated away mid-call
        return None
    return ms / 1000 if isinstance(ms, (int, float)) else None
