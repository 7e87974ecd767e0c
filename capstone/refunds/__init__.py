"""Refunds as a durable Dapr workflow with human approval (AI-202 lab 7)."""
