"""Popups that ask: a confirmation, a value, a job's fields, the cleanup policies."""
