"""The LiteLLM backend against a real OpenAI-compatible server on 127.0.0.1 (vLLM's API, `hosted_vllm/`),
and prices from LiteLLM's map."""

import json

import pytest
from conftest import run_snakemake
from llm_server import Calls, Fail, ScriptedLLMServer

from agentlab.agents.web_agent import WEB_AGENT_4_1, WEB_AGENT_CLAUDE_SONNET, WEB_AGENT_GPT5_MINI, WEB_AGENT_LLAMA4
from agentlab.core.budget import read_spend
from agentlab.core.errors import ConfigError, InfraError
from agentlab.llm.chat import ChatToolCall, LLMUnavailable
from agentlab.llm.litellm_chat import LiteLLMChatArgs
from agentlab.llm.pricing import cost, map_names, price_of, use_study_prices

HELLO = [{"role": "user", "content": "Say hello."}]
CLICK = {
    "type": "function",
    "function": {"name": "click", "parameters": {"type": "object", "properties": {"bid": {"type": "string"}}}},
}


def vllm_args(server, **fields):
    return LiteLLMChatArgs(model_name="hosted_vllm/scripted", api_base=server.base_url, backoff_s=0.01, **fields)


def test_text_usage_cached_tokens_and_tool_calls_through_litellm():
    calls = Calls([("click", {"bid": "12"})], text="One button.")
    with ScriptedLLMServer(["hello there", "hello again", calls]) as server:
        model = vllm_args(server, max_new_tokens=7).make_model()
        first, second, called = model.chat(HELLO), model.chat(HELLO), model.chat(HELLO, [CLICK])
    assert first.text == "hello there" and first.retries == 0
    assert first.input_tokens == len("Say hello.") // 4 + 1 and first.output_tokens == len("hello there") // 4 + 1
    assert first.cached_tokens == 0 and second.cached_tokens == len("Say hello.") // 4
    assert server.requests[0]["model"] == "scripted" and server.requests[0]["max_tokens"] == 7
    assert called.tool_calls == (ChatToolCall("click", '{"bid": "12"}', "call_3_0"),)
    assert server.requests[2]["tools"] == [CLICK] and server.requests[2]["tool_choice"] == "required"


def test_an_image_part_reaches_the_server():
    image = {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}
    message = [{"role": "user", "content": [{"type": "text", "text": "What is it?"}, image]}]
    with ScriptedLLMServer(["a square"]) as server:
        assert vllm_args(server, vision=True).make_model().chat(message).text == "a square"
    assert image in server.requests[0]["messages"][0]["content"]


def test_our_retries_not_litellms_a_429_then_success_and_an_outage_ending_as_infra_error():
    with ScriptedLLMServer([Fail(429, retry_after=0), "ok"]) as server:
        response = vllm_args(server, max_retries=2).make_model().chat(HELLO)
    assert response.text == "ok" and response.retries == 1 and len(server.requests) == 2
    with ScriptedLLMServer(then=Fail(500)) as server:
        with pytest.raises(LLMUnavailable, match=r"HTTP 500.*gave up after 3 attempts") as caught:
            vllm_args(server, max_retries=2).make_model().chat(HELLO)
    assert isinstance(caught.value, InfraError) and len(server.requests) == 3  # one request per attempt of ours


def test_anthropics_messages_api_text_tools_image_cache_reads_and_our_retries(monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    image = {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}
    looking = [{"role": "user", "content": [{"type": "text", "text": "Say hello."}, image]}]
    calls = Calls([("click", {"bid": "12"})])
    with ScriptedLLMServer([Fail(429, retry_after=0), "hello there", "hello again", calls]) as server:
        args = LiteLLMChatArgs(
            model_name="anthropic/claude-sonnet-4-5-20250929", api_base=server.root_url, backoff_s=0.01, vision=True
        )
        model = args.make_model()
        first, second, called = model.chat(looking), model.chat(HELLO), model.chat(HELLO, [CLICK])
    assert first.text == "hello there" and first.retries == 1 and len(server.requests) == 4
    assert server.requests[1]["messages"][0]["content"][1]["type"] == "image"  # sent as Anthropic's image block
    assert second.text == "hello again" and second.cached_tokens == len("Say hello.") // 4
    assert second.input_tokens == len("Say hello.") // 4 + 1  # cache reads are part of the input tokens
    assert called.tool_calls == (ChatToolCall("click", '{"bid": "12"}', "toolu_4_0"),)
    assert server.requests[3]["tools"][0]["name"] == "click" and server.requests[3]["tool_choice"] == {"type": "any"}
    with ScriptedLLMServer(then=Fail(500)) as server:
        with pytest.raises(LLMUnavailable, match=r"HTTP 500.*gave up after 2 attempts"):
            LiteLLMChatArgs(
                model_name="anthropic/claude-sonnet-4-5-20250929",
                api_base=server.root_url,
                backoff_s=0.01,
                max_retries=1,
            ).make_model().chat(HELLO)
    assert len(server.requests) == 2


def test_a_missing_provider_key_is_one_line_naming_it(monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    with pytest.raises(
        ConfigError,
        match=r"^model 'anthropic/claude-sonnet-4-5-20250929': environment variable "
        r"ANTHROPIC_API_KEY is not set",
    ):
        LiteLLMChatArgs(model_name="anthropic/claude-sonnet-4-5-20250929").check()


def test_prices_come_from_litellms_map_with_cache_reads_and_our_table_for_the_local_model():
    priced = price_of("anthropic/claude-sonnet-4-5-20250929")  # priced under the name without its provider
    assert priced is not None and priced.source == "litellm 1.110.2 model_cost['claude-sonnet-4-5-20250929']"
    assert cost("gpt-5-mini-2025-08-07", 2_000, 500, cached_tokens=1_000) == pytest.approx(
        (1_000 * 0.25 + 1_000 * 0.025 + 500 * 2.00) / 1e6
    )
    assert price_of("gpt-4o-2024-05-13").source.startswith("litellm")
    assert cost("gpt-4o-2024-05-13", 1_000, 0, cached_tokens=1_000) == pytest.approx(5.0 / 1e3)  # no cache price
    assert price_of("qwen2.5-coder-0.5b-instruct-q4_k_m").source == "agentlab table"
    assert price_of("hosted_vllm/scripted") is None


def test_the_provider_configs_are_priced_from_the_map_but_llama4_on_openrouter():
    for config in (WEB_AGENT_CLAUDE_SONNET, WEB_AGENT_4_1, WEB_AGENT_GPT5_MINI):
        priced = price_of(config.chat_model_args.pricing_name)
        assert priced is not None and priced.source.startswith("litellm 1.110.2 model_cost['"), config
    assert price_of(WEB_AGENT_LLAMA4.chat_model_args.pricing_name) is None


def test_an_openrouter_beta_route_is_looked_up_as_its_model_and_the_map_has_no_openrouter_entries():
    assert map_names("openrouter/anthropic/claude-3.5-sonnet:beta") == [
        "openrouter/anthropic/claude-3.5-sonnet:beta",
        "openrouter/anthropic/claude-3.5-sonnet",
        "anthropic/claude-3.5-sonnet:beta",
        "anthropic/claude-3.5-sonnet",
    ]
    assert map_names("openrouter/meta-llama/llama-3.1-8b-instruct:free")[1:] == [
        "meta-llama/llama-3.1-8b-instruct:free"  # a free route is not priced as the paid one
    ]
    assert price_of("openrouter/anthropic/claude-3.5-sonnet:beta") is None  # LiteLLM 1.110.2's map lacks it


def test_the_study_configs_prices_win_over_the_map_and_name_themselves():
    use_study_prices(
        {
            "openrouter/anthropic/claude-3.5-sonnet:beta": {"input_per_million": 3, "output_per_million": 15},
            "gpt-4o-2024-05-13": {"input_per_million": 1, "output_per_million": 2, "cached_input_per_million": 0.5},
        }
    )
    beta = price_of("openrouter/anthropic/claude-3.5-sonnet:beta")
    assert beta is not None and beta.source == "study config prices['openrouter/anthropic/claude-3.5-sonnet:beta']"
    assert cost("openrouter/anthropic/claude-3.5-sonnet:beta", 1_000, 100, cached_tokens=500) == pytest.approx(
        (1_000 * 3 + 100 * 15) / 1e6  # no cached price given: cached input at the input price
    )
    assert price_of("gpt-4o-2024-05-13").source == "study config prices['gpt-4o-2024-05-13']"
    assert cost("gpt-4o-2024-05-13", 1_000, 100, cached_tokens=500) == pytest.approx((500 + 250 + 200) / 1e6)
    use_study_prices({})  # the next episode's study has none
    assert price_of("gpt-4o-2024-05-13").source.startswith("litellm")


def test_a_missing_key_is_one_line_per_provider_naming_what_it_needs(monkeypatch):
    for name in ("GOOGLE_API_KEY", "GEMINI_API_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ConfigError, match=r"environment variable GOOGLE_API_KEY or GEMINI_API_KEY is not set;"):
        LiteLLMChatArgs(model_name="gemini/gemini-2.5-pro").check()
    with pytest.raises(
        ConfigError, match=r"variables AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set; export them"
    ) as raised:
        LiteLLMChatArgs(model_name="bedrock/anthropic.claude-3-5-sonnet-20241022-v2:0").check()
    assert "\n" not in str(raised.value)


@pytest.mark.slow
def test_a_study_of_claude_through_anthropics_api_is_priced_from_the_map_and_stops_at_its_budget(tmp_path, monkeypatch):
    """Real Snakemake episodes of WEB_AGENT_CLAUDE_SONNET against the scripted Messages API: the first
    episode (~$0.003 at Sonnet 4.5's $3 / $15 per million) spends the $0.001 budget; none starts after it."""
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    with ScriptedLLMServer(then="<think>Wait.</think>\n<action>noop()</action>") as server:
        config = {
            "study": "claude",
            "benchmarks": {"miniwob": {"tasks": ["click-test", "click-button"], "seeds": [0], "max_steps": 2}},
            "agents": {
                "claude": {
                    "config": "agentlab.agents.web_agent.WEB_AGENT_CLAUDE_SONNET",
                    "overrides": {"chat_model_args.api_base": server.root_url, "chat_model_args.backoff_s": 0.01},
                }
            },
            "episode": {"retries": 0},
            "budget": {"max_cost_usd": 0.001},
        }
        stopped = run_snakemake(tmp_path, config, "--resources", "browser=1", check=False)
    study = tmp_path / "results" / "claude"
    finished = sorted(study.glob("miniwob/claude/*/seed*/summary.json"))
    assert stopped.returncode != 0 and len(finished) == 1 and read_spend(study).attempts == 1
    assert "reaching budget.max_cost_usd=0.001" in stopped.stderr
    stats = json.loads(finished[0].read_text())["agent_stats"]
    assert stats["cost_source"] == "litellm 1.110.2 model_cost['claude-sonnet-4-5-20250929']"
    assert stats["n_llm_calls"] == 2
    assert stats["cost"] == pytest.approx(
        cost(
            "anthropic/claude-sonnet-4-5-20250929",
            stats["input_tokens"],
            stats["output_tokens"],
            stats["cached_tokens"],
        )
    )
    assert stats["cached_tokens"] > 0 and all(path.endswith("/v1/messages") for path in server.paths)
