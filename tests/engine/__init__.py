"""Engine operations against real SQLite files and PostgreSQL schemas, agents as real processes."""
