"""What every layer shares: the episode records and their files, where they live, errors, spend and provenance."""
