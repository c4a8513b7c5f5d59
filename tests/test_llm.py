"""LLM backends against a real local HTTP server speaking the OpenAI chat API; prices; key checks."""

import pytest
from llm_server import HANG, Calls, Fail, ScriptedLLMServer

from agentlab.core.errors import AgentError, ConfigError, InfraError
from agentlab.llm.chat import ChatToolCall, LLMRequestRejected, LLMUnavailable
from agentlab.llm.hf_chat import HFChatArgs
from agentlab.llm.openai_chat import OpenAIChatArgs
from agentlab.llm.pricing import add_costs, cost, price_of

HELLO = [{"role": "user", "content": "Say hello."}]


def openai_args(server, **fields):
    return OpenAIChatArgs(model_name="scripted", base_url=server.base_url, api_key_env=None, backoff_s=0.01, **fields)


def test_openai_backend_returns_text_usage_and_cached_tokens():
    with ScriptedLLMServer(["hello there", "hello again"]) as server:
        model = openai_args(server, max_new_tokens=7, temperature=0.3).make_model()
        first, second = model.chat(HELLO), model.chat(HELLO)
    assert first.text == "hello there" and first.retries == 0 and first.latency_s > 0
    assert first.input_tokens == len("Say hello.") // 4 + 1 and first.output_tokens == len("hello there") // 4 + 1
    assert first.cached_tokens == 0 and second.cached_tokens == len("Say hello.") // 4
    body = server.requests[0]
    assert body["model"] == "scripted" and body["max_tokens"] == 7 and body["temperature"] == 0.3


def test_rate_limit_then_success_is_retried_inside_the_call():
    with ScriptedLLMServer([Fail(429, retry_after=0), Fail(503), "ok"]) as server:
        response = openai_args(server, max_retries=2).make_model().chat(HELLO)
    assert response.text == "ok" and response.retries == 2 and len(server.requests) == 3


def test_a_server_failing_forever_gives_up_after_the_bounded_retries():
    with ScriptedLLMServer(then=Fail(500)) as server:
        with pytest.raises(LLMUnavailable, match=r"HTTP 500.*gave up after 3 attempts") as caught:
            openai_args(server, max_retries=2).make_model().chat(HELLO)
    assert isinstance(caught.value, InfraError) and len(server.requests) == 3


def test_a_hanging_server_times_out_and_counts_as_unavailable():
    with ScriptedLLMServer([HANG, HANG]) as server:
        with pytest.raises(LLMUnavailable, match="Timeout.*gave up after 2 attempts"):
            openai_args(server, max_retries=1, timeout_s=0.3).make_model().chat(HELLO)
    assert len(server.requests) == 2


@pytest.mark.parametrize(
    "status, error, blame", [(400, LLMRequestRejected, AgentError), (401, LLMUnavailable, InfraError)]
)
def test_client_errors_are_not_retried(status, error, blame):
    with ScriptedLLMServer(then=Fail(status)) as server:
        with pytest.raises(error, match=f"HTTP {status}") as caught:
            openai_args(server, max_retries=3).make_model().chat(HELLO)
    assert isinstance(caught.value, blame) and len(server.requests) == 1


def test_huggingface_inference_client_backend_retries_and_reads_usage():
    with ScriptedLLMServer([Fail(503), "bonjour"]) as server:
        args = HFChatArgs(
            model_name="meta-llama/Meta-Llama-3-8B-Instruct",
            base_url=server.base_url,
            token_env=None,
            backoff_s=0.01,
            max_new_tokens=9,
        )
        response = args.make_model().chat(HELLO)
    assert response.text == "bonjour" and response.retries == 1 and response.input_tokens > 0
    assert server.requests[-1]["max_tokens"] == 9 and server.requests[-1]["messages"] == HELLO
    assert server.requests[-1]["model"] == "meta-llama/Meta-Llama-3-8B-Instruct"  # what vLLM serves it as


CLICK = {
    "type": "function",
    "function": {"name": "click", "parameters": {"type": "object", "properties": {"bid": {"type": "string"}}}},
}


def test_asked_with_tools_the_backends_send_them_and_return_the_calls():
    calls = Calls([("click", {"bid": "12"}), ("click", '{"bid": "13"}')], text="Two buttons.")
    with ScriptedLLMServer([calls, "plain", calls]) as server:
        model = openai_args(server).make_model()
        answer, plain = model.chat(HELLO, [CLICK]), model.chat(HELLO)
        hf_args = HFChatArgs(model_name="m", base_url=server.base_url, token_env=None, tool_choice="auto")
        hf_answer = hf_args.make_model().chat(HELLO, [CLICK])
    expected = (ChatToolCall("click", '{"bid": "12"}', "call_1_0"), ChatToolCall("click", '{"bid": "13"}', "call_1_1"))
    assert answer.tool_calls == expected and answer.text == "Two buttons." and answer.output_tokens > 10
    assert server.requests[0]["tools"] == [CLICK] and server.requests[0]["tool_choice"] == "required"
    assert plain.tool_calls == () and "tools" not in server.requests[1] and "tool_choice" not in server.requests[1]
    assert [(call.name, call.id) for call in hf_answer.tool_calls] == [("click", "call_3_0"), ("click", "call_3_1")]
    assert server.requests[2]["tools"] == [CLICK] and server.requests[2]["tool_choice"] == "auto"


def test_cost_arithmetic():
    price = price_of("gpt-4o-2024-08-06").price  # 2.50 in, 1.25 cached in, 10.00 out per million (LiteLLM's map)
    assert cost("gpt-4o-2024-08-06", 1_000_000, 0) == pytest.approx(price.input)
    assert cost("gpt-4o-2024-08-06", 2_000, 500, cached_tokens=1_000) == pytest.approx(
        (1_000 * 2.50 + 1_000 * 1.25 + 500 * 10.00) / 1e6
    )
    assert cost("gpt-4o-2024-08-06", 100, 0, cached_tokens=500) == pytest.approx(100 * 1.25 / 1e6)
    assert cost("qwen2.5-coder-0.5b-instruct-q4_k_m", 10_000, 100) == 0.0
    assert cost("some-unknown-model", 10, 10) is None
    assert add_costs(0.5, 0.25) == 0.75 and add_costs(0.5, None) is None and add_costs(None, 0.0) is None


def test_a_missing_key_is_one_line_naming_the_variable(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(ConfigError, match=r"^model 'gpt-4o': environment variable OPENAI_API_KEY is not set"):
        OpenAIChatArgs(model_name="gpt-4o").check()
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    OpenAIChatArgs(model_name="gpt-4o").check()


def test_a_key_written_where_a_variable_name_belongs_is_refused_without_echoing_it():
    with pytest.raises(ConfigError, match="not an environment variable name") as caught:
        OpenAIChatArgs(model_name="gpt-4o", api_key_env="sk-proj-abc123!").check()
    assert "abc123" not in str(caught.value) and "\n" not in str(caught.value)
