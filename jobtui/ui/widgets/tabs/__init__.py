"""One module per tab table, named after it."""
