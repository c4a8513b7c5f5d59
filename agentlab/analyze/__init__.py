"""Reading and summarizing study results; needs no agent code (JSON and CSV only)."""

from .load import load_study
from .summarize import summarize

__all__ = ["load_study", "summarize"]
