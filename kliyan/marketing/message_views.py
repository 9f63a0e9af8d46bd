"""Pages of the marketing app: messages."""
