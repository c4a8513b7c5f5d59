"""Agent configs by Python path with overrides, and the replay agent's trace reading."""

import json
from dataclasses import dataclass, field

import pytest

from agentlab.agents.base import AgentArgs, EpisodeContext
from agentlab.agents.registry import agent_args_to_dict, load_agent_args
from agentlab.agents.replay import REPLAY, ReplayAgentArgs
from agentlab.browser.actions import ActionSetArgs
from agentlab.core.errors import AgentError, ConfigError


@dataclass
class Inner:
    temperature: float = 0.0
    model: str = "m"


@dataclass
class NestedArgs(AgentArgs):
    chat: Inner = field(default_factory=Inner)
    max_retries: int = 3

    def make_agent(self, context):
        raise NotImplementedError


NESTED = NestedArgs()


def test_overrides_reach_nested_fields_and_leave_the_original_alone():
    args = load_agent_args(f"{__name__}.NESTED", {"chat.temperature": 0.7, "max_retries": 1})
    assert args.chat.temperature == 0.7 and args.chat.model == "m" and args.max_retries == 1
    assert NESTED.chat.temperature == 0.0
    described = agent_args_to_dict(args)
    assert described["class"].endswith("NestedArgs") and described["fields"]["chat"]["temperature"] == 0.7


def test_unknown_nested_field_names_the_allowed_ones():
    with pytest.raises(ConfigError, match="has no field 'temp'; allowed: temperature, model"):
        load_agent_args(f"{__name__}.NESTED", {"chat.temp": 1})


def test_a_non_agent_object_is_refused():
    with pytest.raises(ConfigError, match="is a dict, not an AgentArgs"):
        load_agent_args("agentlab.agents.registry.__builtins__")


def test_replay_reads_actions_of_a_steps_file_and_then_stops(tmp_path):
    trace = tmp_path / "miniwob" / "click-test" / "seed3.jsonl"
    trace.parent.mkdir(parents=True)
    messages = [{"role": "user", "content": "page"}, {"role": "assistant", "content": "click('13')"}]
    records = [
        {"action": "click('13')", "think": "the button", "messages": messages},
        {"action": "noop()"},
        {"action": None},
    ]
    trace.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    args = ReplayAgentArgs(trace=str(tmp_path / "{benchmark}" / "{task}" / "seed{seed}.jsonl"))
    agent = args.make_agent(EpisodeContext("miniwob", "click-test", 3, 10, ActionSetArgs(("miniwob_all",))))
    first, second, last = (agent.get_action({}) for _ in range(3))
    assert [first.action, second.action, last.action] == ["click('13')", "noop()", None]
    assert (first.think, first.messages) == ("the button", messages)  # recorded reasoning is replayed
    assert second.think.startswith("replaying step 2 of") and second.messages == []


def test_replay_without_a_trace_is_an_agent_error():
    with pytest.raises(AgentError, match="no trace to replay"):
        REPLAY.make_agent(EpisodeContext("miniwob", "no-such-task", 0, 10, ActionSetArgs(("miniwob_all",))))


def test_fields_added_later_keep_the_config_hashes_of_agents_that_leave_them_at_their_defaults():
    """WebAgent's tool mode came after studies were run: its fields are written only when set, so those
    studies' WebAgent episodes keep their config hash (these are the hashes before the fields existed)."""
    from agentlab.agents.registry import agent_args_to_dict, load_agent_args
    from agentlab.episode.spec import config_hash

    def hashed(path: str, overrides: dict) -> tuple[str, dict]:
        args = agent_args_to_dict(load_agent_args(path, overrides))
        return config_hash("miniwob", 3, 0.5, args), args["fields"]

    assert hashed("agentlab.agents.web_agent.WEB_AGENT_4o", {})[0] == "6886b73f33d1007e"
    assert hashed("agentlab.agents.web_agent.WEB_AGENT_LOCAL", {})[0] == "e1afa1582d8d8ae6"
    digest, fields = hashed("agentlab.agents.web_agent.WEB_AGENT_4o", {"flags.use_tools": True})
    assert digest != "6886b73f33d1007e" and fields["flags"]["use_tools"] is True
    assert "tool_choice" not in fields["chat_model_args"]
