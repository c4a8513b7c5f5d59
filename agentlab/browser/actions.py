"""Safe actions: an action string is parsed, never executed as given.

BrowserGym turns action strings into Python and `exec`s them. Here an action must be exactly one
call of a function of the agent's action set, with literal arguments (strings, numbers, booleans,
None, and lists of those) that bind to the function's signature. Anything else (attribute access,
names, nested calls, comprehensions, several statements) is an `ActionParseError`, whose message
is fit to be fed back to an LLM. The canonical form of the call is what reaches BrowserGym.
"""

from __future__ import annotations

import ast
import inspect
from dataclasses import dataclass
from typing import Any, Literal

from .navigation import NavigationPolicy
from .settle import settle_code

MAX_ACTION_CHARS = 10_000
LITERAL_TYPES = (str, int, float, bool, type(None))


@dataclass(frozen=True)
class ActionSetArgs:
    """A benchmark's BrowserGym action set, as BrowserGym's `HighLevelActionSetArgs`: which action
    subsets agents get and how actions run (BrowserGym 0.14.3's per-benchmark defaults)."""

    subsets: tuple[str, ...]
    multiaction: bool = False  # several actions per step
    strict: bool = False
    retry_with_force: bool = True  # retry a click Playwright finds covered with force=True
    demo_mode: Literal["off", "default", "all_blue", "only_visible_elements"] = "off"

    def make(self) -> Any:
        """The `browsergym.core.action.highlevel.HighLevelActionSet` these arguments describe."""
        from browsergym.core.action.highlevel import HighLevelActionSet

        return HighLevelActionSet(
            subsets=list(self.subsets),
            multiaction=self.multiaction,
            strict=self.strict,
            retry_with_force=self.retry_with_force,
            demo_mode=self.demo_mode,
        )


class ActionParseError(ValueError):
    """The text is not one allowed call with literal arguments."""


@dataclass(frozen=True)
class ActionCall:
    name: str
    args: tuple[Any, ...]
    kwargs: tuple[tuple[str, Any], ...]

    def __str__(self) -> str:
        parts = [repr(arg) for arg in self.args] + [f"{key}={value!r}" for key, value in self.kwargs]
        return f"{self.name}({', '.join(parts)})"


def action_signatures(action_set: Any) -> dict[str, inspect.Signature]:
    """Signatures of the functions of a BrowserGym HighLevelActionSet, by name."""
    from browsergym.core.action import functions

    return {name: inspect.signature(getattr(functions, name)) for name in action_set.action_set}


def _literal(node: ast.expr, where: str) -> Any:
    try:
        value = ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        raise ActionParseError(
            f"{where} must be a literal (a string, number, True/False/None or a list of them)"
        ) from None
    items = value if isinstance(value, (list, tuple)) else [value]
    if not all(isinstance(item, LITERAL_TYPES) for item in items):
        raise ActionParseError(f"{where} must be a string, number, True/False/None or a list of them")
    return list(value) if isinstance(value, tuple) else value


def _check_length(text: Any) -> str:
    if not isinstance(text, str):
        raise ActionParseError(f"an action must be a string, not {type(text).__name__}")
    if len(text) > MAX_ACTION_CHARS:
        raise ActionParseError(f"the action is {len(text)} characters long; at most {MAX_ACTION_CHARS} are allowed")
    return text.strip()


def _syntax_error(error: Exception) -> str:
    return error.msg if isinstance(error, SyntaxError) else type(error).__name__


def _checked_call(call: ast.expr, signatures: dict[str, inspect.Signature]) -> ActionCall:
    """`call` as an ActionCall if it is an allowed function called with literal arguments."""
    allowed = ", ".join(sorted(signatures))
    if not isinstance(call, ast.Call):
        raise ActionParseError(f"not a function call; write one action such as click('12'), using one of: {allowed}")
    if not isinstance(call.func, ast.Name):
        raise ActionParseError(f"only plain function names may be called, one of: {allowed}")
    name = call.func.id
    if name not in signatures:
        raise ActionParseError(f"unknown action {name!r}; allowed: {allowed}")
    names = [keyword.arg for keyword in call.keywords]
    if any(isinstance(arg, ast.Starred) for arg in call.args) or None in names:
        raise ActionParseError(f"{name}(): *args and **kwargs are not allowed")
    args = tuple(_literal(arg, f"{name}() argument {i + 1}") for i, arg in enumerate(call.args))
    kwargs = tuple((str(k.arg), _literal(k.value, f"{name}() argument {k.arg!r}")) for k in call.keywords)
    try:
        signatures[name].bind(*args, **dict(kwargs))
    except TypeError as error:
        raise ActionParseError(f"{name}{signatures[name]}: {error}") from None
    return ActionCall(name, args, kwargs)


def parse_action(text: str, signatures: dict[str, inspect.Signature]) -> ActionCall:
    """The one call in `text`, checked against `signatures`; raise ActionParseError otherwise."""
    source = _check_length(text)
    try:
        tree = ast.parse(source, mode="eval")
    except (SyntaxError, ValueError, MemoryError, RecursionError) as error:
        raise ActionParseError(
            f"not a single function call ({_syntax_error(error)}); write one action such as click('12')"
        ) from None
    return _checked_call(tree.body, signatures)


def parse_actions(text: str, signatures: dict[str, inspect.Signature], multiaction: bool) -> list[ActionCall]:
    """The calls in `text`: exactly one, or with `multiaction` one or more, one per line."""
    if not multiaction:
        return [parse_action(text, signatures)]
    source = _check_length(text)
    try:
        statements = ast.parse(source, mode="exec").body
    except (SyntaxError, ValueError, MemoryError, RecursionError) as error:
        raise ActionParseError(
            f"not a sequence of function calls ({_syntax_error(error)}); write one action per line such as click('12')"
        ) from None
    if not statements:
        raise ActionParseError("no action; write one action per line such as click('12')")
    expressions = [statement for statement in statements if isinstance(statement, ast.Expr)]
    if len(expressions) < len(statements):
        raise ActionParseError("only function calls are allowed, one per line, such as click('12')")
    return [_checked_call(expression.value, signatures) for expression in expressions]


def action_targets(text: str, signatures: dict[str, inspect.Signature], multiaction: bool) -> list[dict[str, Any]]:
    """What each call of the action acts on, for the trace viewer to draw: {"call", "bid"} per element
    argument (bid, from_bid, to_bid) and {"call", "point": [x, y]} per coordinate pair; [] if it does not parse."""
    try:
        calls = parse_actions(text, signatures, multiaction)
    except ActionParseError:
        return []
    targets: list[dict[str, Any]] = []
    for call in calls:
        bound = signatures[call.name].bind(*call.args, **dict(call.kwargs)).arguments
        targets += [{"call": call.name, "bid": str(value)} for name, value in bound.items() if name.endswith("bid")]
        for x, y in (("x", "y"), ("from_x", "from_y"), ("to_x", "to_y")):
            if isinstance(bound.get(x), (int, float)) and isinstance(bound.get(y), (int, float)):
                targets.append({"call": call.name, "point": [bound[x], bound[y]]})
    return targets


class SafeActionMapping:
    """BrowserGym `action_mapping` that only lets parsed, allowed calls reach `exec`.

    With a navigation policy, `goto` to a URL outside the benchmark's pages is refused too.
    """

    def __init__(self, action_set: Any, navigation: NavigationPolicy | None = None, settle_s: float = 0.0):
        self.action_set = action_set
        self.signatures = action_signatures(action_set)
        self.navigation = navigation
        self.settle = settle_code(settle_s)  # after the action, wait (at most settle_s) for the page to settle

    def __call__(self, action: str) -> str:
        calls = parse_actions(action, self.signatures, self.action_set.multiaction)
        for call in calls:
            if call.name == "goto" and self.navigation is not None:
                url = call.args[0] if call.args else dict(call.kwargs).get("url", "")
                if not self.navigation.allows(str(url)):
                    raise ActionParseError(self.navigation.refusal(str(url)))
        return self.action_set.to_python_code("\n".join(map(str, calls))) + self.settle
