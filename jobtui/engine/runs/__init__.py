"""A run's life: what operators do to runs and queues, and the agent's claim and finish."""
