"""The `agentlab` command and the tools it runs beside the workflow."""
