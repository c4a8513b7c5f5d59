"""The original AgentLab's agent config names, which always mean ServiceNow AgentLab 0.4.2's own agents: each
runs AgentLab's GenericAgent unmodified through the bridge (`agentlab.agents.bridge`), in AgentLab's
own environment (`agentlab bridge install`). Our own agent is `agentlab.agents.web_agent`.

A study may override any field of AgentLab's AgentArgs with dotted keys, e.g.
`chat_model_args.temperature: 0` or `flags.obs.use_html: false`.
"""

from ..bridge import BridgeAgentArgs


def _agentlab(name: str, *keys: str) -> BridgeAgentArgs:
    """AgentLab 0.4.2's `agentlab.agents.generic_agent.<name>`, needing the environment variables `keys`."""
    return BridgeAgentArgs(agent=f"agentlab.agents.generic_agent.{name}", required_env=keys)


AGENT_3_5 = _agentlab("AGENT_3_5", "OPENAI_API_KEY")  # gpt-3.5-turbo-1106
AGENT_4o = _agentlab("AGENT_4o", "OPENAI_API_KEY")  # gpt-4o-2024-05-13
AGENT_4o_vision = _agentlab("AGENT_4o_VISION", "OPENAI_API_KEY")  # gpt-4o-2024-05-13, screenshot + set-of-marks
AGENT_8B = _agentlab("AGENT_8B", "AGENTLAB_MODEL_URL", "AGENTLAB_MODEL_TOKEN")  # Llama-3-8B on your TGI server
AGENT_70B = _agentlab("AGENT_LLAMA3_70B", "OPENROUTER_API_KEY")  # Llama-3-70B on OpenRouter
AGENT_CUSTOM = _agentlab("AGENT_CUSTOM", "OPENROUTER_API_KEY")  # Llama-3.1-8B on OpenRouter
# OpenRouter's anthropic/claude-3.5-sonnet:beta and anthropic/claude-3.7-sonnet
AGENT_CLAUDE_SONNET_35 = _agentlab("AGENT_CLAUDE_SONNET_35", "OPENROUTER_API_KEY")
AGENT_37_SONNET = _agentlab("AGENT_37_SONNET", "OPENROUTER_API_KEY")

__all__ = [
    "AGENT_3_5",
    "AGENT_4o",
    "AGENT_4o_vision",
    "AGENT_8B",
    "AGENT_70B",
    "AGENT_CUSTOM",
    "AGENT_CLAUDE_SONNET_35",
    "AGENT_37_SONNET",
]
