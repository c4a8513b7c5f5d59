"""GenericAgent: an LLM web agent whose prompt is set by flags, on any chat backend of `agentlab.llm`."""

from .agent import GenericAgent, GenericAgentArgs
from .configs import (
    AGENT_3_5,
    AGENT_4o,
    AGENT_4o_vision,
    AGENT_8B,
    AGENT_70B,
    AGENT_CUSTOM,
    AGENT_LOCAL,
)
from .flags import PromptFlags

__all__ = ["GenericAgent", "GenericAgentArgs", "PromptFlags", "AGENT_3_5", "AGENT_4o", "AGENT_4o_vision",
           "AGENT_8B", "AGENT_70B", "AGENT_CUSTOM", "AGENT_LOCAL"]
