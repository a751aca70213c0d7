"""Log lines: the script protocol, capture into chunks, storage, and following a log live."""
