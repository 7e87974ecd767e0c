"""The customer-facing FastAPI gateway: chat, history, refund approval, health (AI-201 lab 9)."""
