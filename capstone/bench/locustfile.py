"""Locust scenario: each simulated user is one customer conversation (one actor) asking about
an order again and again; every turn goes triage -> handoff -> tool -> answer."""

import uuid

from locust import HttpUser, between, task


class Customer(HttpUser):
    wait_time = between(0.5, 1.5)

    def on_start(self) -> None:
        self.conversation = f"load-{uuid.uuid4().hex[:16]}"

    @task
    def ask_about_an_order(self) -> None:
        self.client.post(
            "/v1/chat",
            name="/v1/chat",
            json={
                "customer_id": 1,
                "conversation_id": self.conversation,
                "message": "Hi! Where is my order?",
            },
        )
