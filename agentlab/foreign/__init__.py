"""Foreign environments: pinned venvs of other packages, their host processes and the JSON codec between."""
