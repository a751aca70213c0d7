"""jobtui's tests: engine, store, CLI and dashboard, each against its real surface."""
