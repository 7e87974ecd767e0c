"""The second app: consumes conversation and ticket events from pub/sub (AI-202 lab 5)."""
