"""Reliability suite: bad input, faults, crashes, races, backup and restore (issue 16)."""
