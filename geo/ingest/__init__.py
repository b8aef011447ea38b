"""Bringing a planner's own files in: reading files safely, tables, villages, zones, NBS reference lists, one report."""
