"""The store: URLs, pragmas, schema creation and upgrades."""
