"""Process and machine control: process trees, machine-wide slots, run locks, private runtime folders."""
