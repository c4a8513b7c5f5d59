"""AgentLab: evaluate LLM web agents on BrowserGym benchmarks, orchestrated by Snakemake."""

__version__ = "0.1.0"
