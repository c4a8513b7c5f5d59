"""ServiceNow AgentLab 0.4.2's agents (any of its AgentArgs, or a user's) run unmodified in our episodes.

In a study: `{config: agentlab.agents.bridge.AGENTLAB_AGENT, overrides: {agent: mypkg.agents.MY_AGENT}}`
runs the AgentArgs object `mypkg.agents.MY_AGENT` of AgentLab's environment (the module on
PYTHONPATH, or installed there); further dotted overrides reach that object's fields.
"""

from .agent import BridgeAgent, BridgeAgentArgs
from .environment import AgentLabEnvironment

AGENTLAB_AGENT = BridgeAgentArgs()  # name the AgentLab AgentArgs with the override `agent`

__all__ = ["AGENTLAB_AGENT", "AgentLabEnvironment", "BridgeAgent", "BridgeAgentArgs"]
