"""Function-call actions: checked against JSON-schema tools, mapped from string actions, rendered as strings."""

import pytest

from agentlab.browser.actions import ActionCall, ActionSetArgs, action_signatures, parse_action
from agentlab.browser.tool_calls import ToolCall, ToolCallError, call_from_action, parse_tool_call, tool_schemas


@pytest.fixture(scope="module")
def tools():
    return tool_schemas(ActionSetArgs(("bid", "nav")).make())


def test_browsergym_action_sets_become_openai_tools(tools):
    by_name = {tool["function"]["name"]: tool for tool in tools}
    assert {"click", "fill", "goto", "noop"} <= set(by_name)
    assert all(tool["type"] == "function" for tool in tools)
    assert by_name["fill"]["function"]["parameters"]["required"] == ["bid", "value"]


def test_a_model_call_is_checked_against_its_tool(tools):
    call = parse_tool_call("fill", '{"bid": "12", "value": "hi"}', tools, call_id="call_1")
    assert call == ToolCall("fill", {"bid": "12", "value": "hi"}, "call_1")
    assert str(call) == "fill(bid='12', value='hi')"


@pytest.mark.parametrize(
    ("name", "arguments", "message"),
    [
        ("rm_rf", "{}", "unknown action 'rm_rf'; allowed: "),
        ("fill", '{"bid": "12"}', "fill(): arguments: 'value' is a required property"),
        ("click", '{"bid": 12}', "click(): bid: 12 is not of type 'string'"),
        ("click", "{bid: 12", "the arguments of click() are not JSON"),
        ("click", "[1, 2]", "the arguments of click() must be a JSON object, not list"),
        ("click", '{"bid": "' + "x" * 20_000 + '"}', "at most 10000"),
    ],
)
def test_bad_calls_are_refused_in_one_line(tools, name, arguments, message):
    with pytest.raises(ToolCallError) as refused:
        parse_tool_call(name, arguments, tools)
    assert message in str(refused.value) and "\n" not in str(refused.value)


def test_string_actions_map_to_calls_by_parameter_order(tools):
    signatures = action_signatures(ActionSetArgs(("bid", "nav")).make())
    call = call_from_action(parse_action("click('12', button='right')", signatures), tools)
    assert call == ToolCall("click", {"bid": "12", "button": "right"})
    assert str(call) == "click(bid='12', button='right')"
    assert call_from_action(parse_action("noop()", signatures), tools) == ToolCall("noop", {})
    with pytest.raises(ToolCallError, match="given twice"):
        call_from_action(ActionCall("click", ("12",), (("bid", "13"),)), tools)
