"""Pages of the marketing app: templates."""
