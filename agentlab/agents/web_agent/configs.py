"""Ready-made WebAgent configs, named by Python path in study configs
(e.g. `agentlab.agents.web_agent.WEB_AGENT_4o`). Override any field from the study config.

Their models are AgentLab 0.4.2's for the config of the same role (WEB_AGENT_4o: gpt-4o-2024-05-13,
as AgentLab's AGENT_4o); their prompts are ours (docs/agents.md)."""

from __future__ import annotations

import dataclasses

from ...llm.hf_chat import HFChatArgs
from ...llm.litellm_chat import LiteLLMChatArgs
from ...llm.local_chat import LocalChatArgs
from ...llm.openai_chat import OpenAIChatArgs
from .agent import WebAgentArgs
from .flags import PromptFlags

FLAGS_GPT_3_5 = PromptFlags(use_axtree=True, use_html=False, use_thinking=True, use_history=True)
FLAGS_GPT_4o = PromptFlags(use_axtree=True, use_html=False, use_thinking=True, use_history=True, use_think_history=True)
FLAGS_VISION = PromptFlags(
    use_axtree=True, use_screenshot=True, use_som=True, use_thinking=True, use_think_history=True
)
FLAGS_LLAMA3 = PromptFlags(use_axtree=True, use_thinking=True, use_history=True)
# The 0.5B local model: short prompts (it reads ~100 tokens/s on 2 cores), examples to copy, no
# bare containers or focus line to pick by mistake.
FLAGS_LOCAL = PromptFlags(
    use_axtree=True,
    compact_axtree=True,
    use_thinking=True,
    use_history=True,
    action_examples=False,
    use_examples=True,
    use_focused_element=False,
    max_parse_retries=2,
)
# The local model acting by tool calls: the tools stand for the action space; no <think>; and an
# example of the tags llama.cpp reads a call from (unprompted, the 0.5B model writes bare JSON).
FLAGS_LOCAL_TOOLS = dataclasses.replace(
    FLAGS_LOCAL,
    use_tools=True,
    use_thinking=False,
    extra_instructions='Answer with the call only, in tags:\n<tool_call>\n{"name": "click", "arguments": {"bid": "12"}}'
    "\n</tool_call>",
)

WEB_AGENT_3_5 = WebAgentArgs(
    chat_model_args=OpenAIChatArgs(model_name="gpt-3.5-turbo-1106", max_input_tokens=15_000, max_new_tokens=512),
    flags=FLAGS_GPT_3_5,
)
WEB_AGENT_4o = WebAgentArgs(
    chat_model_args=OpenAIChatArgs(model_name="gpt-4o-2024-05-13", max_input_tokens=40_000, max_new_tokens=1_000),
    flags=FLAGS_GPT_4o,
)
WEB_AGENT_4o_VISION = WebAgentArgs(
    chat_model_args=OpenAIChatArgs(
        model_name="gpt-4o-2024-05-13", max_input_tokens=40_000, max_new_tokens=1_000, vision=True
    ),
    flags=FLAGS_VISION,
)
# Llama 3 through huggingface_hub's InferenceClient: HF's router by default (HF_TOKEN); point
# chat_model_args.base_url at your TGI or vLLM server (and token_env at null) to self-host.
WEB_AGENT_8B = WebAgentArgs(
    chat_model_args=HFChatArgs(
        model_name="meta-llama/Meta-Llama-3-8B-Instruct", max_input_tokens=7_000, max_new_tokens=512
    ),
    flags=FLAGS_LLAMA3,
)
WEB_AGENT_70B = WebAgentArgs(
    chat_model_args=HFChatArgs(
        model_name="meta-llama/Meta-Llama-3-70B-Instruct", max_input_tokens=7_000, max_new_tokens=512
    ),
    flags=FLAGS_LLAMA3,
)
# Through LiteLLM (the providers extra): the models of AgentLab 0.4.2's AGENT_37_SONNET / AGENT_4_1 /
# AGENT_GPT5_MINI / AGENT_LLAMA4_17B_INSTRUCT, priced from LiteLLM's map. LiteLLM 1.110.2's map no longer
# prices Claude 3.x, so the Claude config is its successor, Sonnet 4.5; its map has no OpenRouter entries,
# so Llama 4 on OpenRouter has no price of the map's (give it in the study config's prices:, or use token budgets).
WEB_AGENT_CLAUDE_SONNET = WebAgentArgs(
    chat_model_args=LiteLLMChatArgs(
        model_name="anthropic/claude-sonnet-4-5-20250929", max_input_tokens=100_000, max_new_tokens=2_000
    ),
    flags=FLAGS_GPT_4o,
)
WEB_AGENT_4_1 = WebAgentArgs(
    chat_model_args=LiteLLMChatArgs(model_name="gpt-4.1-2025-04-14", max_input_tokens=100_000, max_new_tokens=2_000),
    flags=FLAGS_GPT_4o,
)
WEB_AGENT_GPT5_MINI = WebAgentArgs(
    chat_model_args=LiteLLMChatArgs(
        model_name="gpt-5-mini-2025-08-07", temperature=1.0, max_input_tokens=100_000, max_new_tokens=4_000
    ),
    flags=FLAGS_GPT_4o,
)
WEB_AGENT_LLAMA4 = WebAgentArgs(
    chat_model_args=LiteLLMChatArgs(
        model_name="openrouter/meta-llama/llama-4-maverick", max_input_tokens=100_000, max_new_tokens=2_000
    ),
    flags=FLAGS_GPT_4o,
)
# For trying flags: override chat_model_args.* and flags.* from the study config. Llama 3.1 8B on
# OpenRouter, as AgentLab's AGENT_CUSTOM.
WEB_AGENT_CUSTOM = WebAgentArgs(
    chat_model_args=OpenAIChatArgs(
        model_name="meta-llama/llama-3.1-8b-instruct",
        base_url="https://openrouter.ai/api/v1",
        api_key_env="OPENROUTER_API_KEY",
        max_input_tokens=40_000,
        max_new_tokens=1_000,
    ),
    flags=PromptFlags(use_axtree=True, use_html=True, use_thinking=True, use_memory=True, use_think_history=True),
)
# The offline default: Qwen2.5-Coder-0.5B-Instruct on the local llama.cpp server, no key.
WEB_AGENT_LOCAL = WebAgentArgs(
    chat_model_args=LocalChatArgs(max_input_tokens=3_000, max_new_tokens=120, timeout_s=120.0, max_retries=2),
    flags=FLAGS_LOCAL,
)
# The offline model acting through the tools API. tool_choice "auto": llama.cpp's "required" grammar lets
# the 0.5B model write its call untagged, then newlines to max_new_tokens, and the server parses no call.
WEB_AGENT_LOCAL_TOOLS = dataclasses.replace(
    WEB_AGENT_LOCAL,
    chat_model_args=dataclasses.replace(WEB_AGENT_LOCAL.chat_model_args, tool_choice="auto"),
    flags=FLAGS_LOCAL_TOOLS,
)
