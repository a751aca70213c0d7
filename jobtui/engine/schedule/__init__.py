"""Cron schedules: pure fire maths, the scheduler every agent runs, and its fire records."""
