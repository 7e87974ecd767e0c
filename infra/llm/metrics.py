"""vLLM-style Prometheus metrics for the scripted server.

Names and the ``model_name`` label follow vLLM's ``/metrics`` endpoint, so dashboards and
autoscaling rules written for vLLM can be tested against the scripted server.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

_LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class ServerMetrics:
    """One registry per server, so several servers can live in one process."""

    def __init__(self, model: str) -> None:
        self.registry = CollectorRegistry()
        self._model = model
        labels = ["model_name"]
        self.running = Gauge(
            "vllm:num_requests_running",
            "Requests being answered.",
            labels,
            registry=self.registry,
        )
        self.prompt_tokens = Counter(
            "vllm:prompt_tokens", "Prefill tokens processed.", labels, registry=self.registry
        )
        self.generation_tokens = Counter(
            "vllm:generation_tokens",
            "Generation tokens produced.",
            labels,
            registry=self.registry,
        )
        self.request_success = Counter(
            "vllm:request_success",
            "Finished requests, by finish reason.",
            [*labels, "finished_reason"],
            registry=self.registry,
        )
        self.e2e_latency = Histogram(
            "vllm:e2e_request_latency_seconds",
            "End-to-end request latency.",
            labels,
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        for metric in (self.running, self.prompt_tokens, self.generation_tokens, self.e2e_latency):
            metric.labels(model_name=model)  # expose zero-valued series before the first request

    @contextmanager
    def track(self) -> Iterator[None]:
        """Count a request as running and observe its latency when it ends, even on error."""
        started = time.perf_counter()
        self.running.labels(model_name=self._model).inc()
        try:
            yield
        finally:
            self.running.labels(model_name=self._model).dec()
            self.e2e_latency.labels(model_name=self._model).observe(time.perf_counter() - started)

    def record(self, prompt_tokens: int, completion_tokens: int, finish_reason: str) -> None:
        """Add one successful request's token counts."""
        self.prompt_tokens.labels(model_name=self._model).inc(prompt_tokens)
        self.generation_tokens.labels(model_name=self._model).inc(completion_tokens)
        self.request_success.labels(model_name=self._model, finished_reason=finish_reason).inc()

    def exposition(self) -> bytes:
        """The registry in Prometheus text format."""
        return generate_latest(self.registry)
