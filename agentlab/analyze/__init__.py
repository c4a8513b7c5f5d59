"""Reading and summarizing study results; needs no agent code (JSON and CSV only).

In a notebook::

    from agentlab.analyze import load_results, summarize, compare_agents, pass_k_table
    results = load_results("results/my-study")
    summarize(results.episodes, results.missing)   # per benchmark × agent
    compare_agents(results.episodes)               # paired differences with bootstrap intervals
    pass_k_table(results.episodes)                 # pass@k and pass^k per benchmark × agent × k
    results.steps                                  # every step (read on first use)
"""

from .compare import compare_agents
from .error_groups import action_error_groups, episode_error_groups
from .load import load_results
from .pass_k import pass_k_table
from .summarize import per_task, summarize

__all__ = [
    "load_results",
    "summarize",
    "per_task",
    "compare_agents",
    "pass_k_table",
    "episode_error_groups",
    "action_error_groups",
]
