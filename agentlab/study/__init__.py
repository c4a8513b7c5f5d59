"""A study: its config expanded into episodes, sweeps, scheduling, status and relaunch."""
