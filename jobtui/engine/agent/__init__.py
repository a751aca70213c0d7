"""The agent process: its loop, the runner of one script, the log writer, process groups and reports."""
