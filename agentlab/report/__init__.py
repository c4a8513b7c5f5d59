"""A study's static HTML report: an index (tables, plots, comparisons, errors) and one trace page
per episode; opens from disk, needs no server."""

from .build import build_report

__all__ = ["build_report"]
