"""Pages of the marketing app: segments."""
