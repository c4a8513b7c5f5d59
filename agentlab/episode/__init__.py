"""One episode of one agent on one task and seed: its spec, its loop, its records, its supervisor."""
