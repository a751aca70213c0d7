"""The read side: paged listings, the change token, following a run: queries only, no writes."""
