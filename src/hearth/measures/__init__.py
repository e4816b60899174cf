"""Outcome and experience measures: instruments, scoring, change."""
