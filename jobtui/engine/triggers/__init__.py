"""The outside world queueing jobs: notifications and file changes."""
