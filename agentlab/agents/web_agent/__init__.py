"""WebAgent: an LLM web agent whose prompt is set by flags, on any chat backend of `agentlab.llm`."""

from .agent import WebAgent, WebAgentArgs
from .configs import (
    WEB_AGENT_3_5,
    WEB_AGENT_4_1,
    WEB_AGENT_8B,
    WEB_AGENT_70B,
    WEB_AGENT_CLAUDE_SONNET,
    WEB_AGENT_CUSTOM,
    WEB_AGENT_GPT5_MINI,
    WEB_AGENT_LLAMA4,
    WEB_AGENT_LOCAL,
    WEB_AGENT_LOCAL_TOOLS,
    WEB_AGENT_4o,
    WEB_AGENT_4o_VISION,
)
from .flags import PromptFlags

__all__ = [
    "WebAgent",
    "WebAgentArgs",
    "PromptFlags",
    "WEB_AGENT_3_5",
    "WEB_AGENT_4o",
    "WEB_AGENT_4o_VISION",
    "WEB_AGENT_8B",
    "WEB_AGENT_70B",
    "WEB_AGENT_CUSTOM",
    "WEB_AGENT_CLAUDE_SONNET",
    "WEB_AGENT_4_1",
    "WEB_AGENT_GPT5_MINI",
    "WEB_AGENT_LLAMA4",
    "WEB_AGENT_LOCAL",
    "WEB_AGENT_LOCAL_TOOLS",
]
