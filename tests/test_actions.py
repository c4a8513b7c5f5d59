"""The safe action parser: only one allowed call with literal arguments gets through."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agentlab.browser.actions import ActionParseError, ActionSetArgs, SafeActionMapping, action_signatures, parse_action

ACTION_SET = ActionSetArgs(("miniwob_all",)).make()
SIGNATURES = action_signatures(ACTION_SET)


@pytest.mark.parametrize(
    "text, canonical",
    [
        ("click('12')", "click('12')"),
        ('  click("12", button="right")\n', "click('12', button='right')"),
        ("fill('14', 'Myron')", "fill('14', 'Myron')"),
        ("mouse_click(10.5, -3)", "mouse_click(10.5, -3)"),
        ("keyboard_press('Enter')", "keyboard_press('Enter')"),
        ("noop()", "noop()"),
    ],
)
def test_valid_actions_are_canonicalized(text, canonical):
    assert str(parse_action(text, SIGNATURES)) == canonical


@pytest.mark.parametrize(
    "text, message",
    [
        ("__import__('os').system('id')", "only plain function names"),
        ("click(__import__('os'))", "must be a literal"),
        ("click(page.url)", "must be a literal"),
        ("click(str(1))", "must be a literal"),
        ("click('1'); click('2')", "not a single function call"),
        ("click('1')\nclick('2')", "not a single function call"),
        ("exec('print(1)')", "unknown action 'exec'"),
        ("goto('http://x')", "unknown action 'goto'"),  # not in MiniWoB's action set
        ("click", "not a function call"),
        ("click(*['1'])", "*args and **kwargs are not allowed"),
        ("click(**{'bid': '1'})", "*args and **kwargs are not allowed"),
        ("click()", "missing a required argument: 'bid'"),
        ("click('1', nope=2)", "unexpected keyword argument 'nope'"),
        ("click({'a': 1})", "must be a string, number"),
        ("[click('1') for _ in range(9)]", "not a function call"),
        ("lambda: 0", "not a function call"),
        ("click(" * 500 + ")" * 500, "not a single function call"),
        ("x" * 20_000, "at most 10000 are allowed"),
    ],
)
def test_hostile_or_malformed_actions_are_refused_with_a_reason(text, message):
    with pytest.raises(ActionParseError, match=message.replace("(", r"\(").replace(")", r"\)").replace("*", r"\*")):
        parse_action(text, SIGNATURES)


def test_mapping_produces_browsergym_code_from_the_canonical_call():
    code = SafeActionMapping(ACTION_SET)("click( '13' )")
    assert code.rstrip().endswith("click('13')")


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=300))
def test_fuzz_any_text_is_either_refused_or_one_allowed_literal_call(text):
    try:
        call = parse_action(text, SIGNATURES)
    except ActionParseError:
        return
    assert call.name in SIGNATURES
    # the canonical form parses back to itself: nothing but the call survives
    assert parse_action(str(call), SIGNATURES) == call


HOSTILE_PARTS = st.sampled_from(
    [
        "__import__('os')",
        "os.system('id')",
        "page.goto('file:///etc/passwd')",
        "open('/etc/passwd')",
        "eval('1')",
        "().__class__.__bases__[0]",
        "globals()",
        "click",
        "(",
        ")",
        ",",
        "'",
        "\\",
        "\n",
        ";",
        "lambda: 0",
        "*",
        "**",
        "=",
        "12",
        "'12'",
        "[",
        "]",
        "{",
        "}",
        ".",
        "fill",
        "noop",
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(HOSTILE_PARTS, max_size=12).map("".join))
def test_fuzz_assembled_hostile_strings_never_pass_code(text):
    try:
        call = parse_action(text, SIGNATURES)
    except ActionParseError:
        return
    assert call.name in SIGNATURES  # only an action of the set is ever called ...
    values = list(call.args) + [value for _, value in call.kwargs]
    assert all(isinstance(v, (str, int, float, bool, type(None), list)) for v in values)  # ... with data
