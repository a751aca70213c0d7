"""The engine's vocabulary, records, input rules and cron maths: pure, no database."""
