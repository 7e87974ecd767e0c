"""AI-201 lab 10's static checks catch what they claim: each broken variant of the reference
Dockerfile or compose file fails exactly the tests about its flaw, and nothing else."""

from pathlib import Path

import pytest

from graders.course import find_lab, find_root
from graders.tests.mutants import failed_tests, swap, zygote_for

ROOT = find_root(Path(__file__))
LAB = find_lab(ROOT, "ai201-10")
DOCKERFILE = (LAB.root / "Dockerfile").read_text(encoding="utf-8")
COMPOSE = (LAB.root / "compose.yaml").read_text(encoding="utf-8")
EXEC_CMD = 'CMD ["uvicorn", "api:app", "--host", "0.0.0.0", "--port", "8000"]'
HEALTHY = (
    "    depends_on:\n      postgres:\n        condition: service_healthy\n"
    "      redis:\n        condition: service_healthy"
)
PASSWORD = "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD in .env}"
BOMB = (
    'a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]\n'
    + "".join(f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 10)}]\n" for n in range(1, 9))
    + "services: {}\n"
)
COMPOSE_TESTS = {
    "test_compose_follows_the_specification",
    "test_app_postgres_and_redis_services",
    "test_app_waits_for_healthy_postgres_and_redis",
    "test_postgres_data_lives_in_a_named_volume",
    "test_no_secret_literals",
    "test_app_is_published_on_port_8000",
    "test_healthchecks_ask_the_servers",
}


VARIANTS = {
    "root at the end": (
        swap(DOCKERFILE, "USER 10001:10001", "USER 10001:10001\nUSER root"),
        COMPOSE,
        {"test_final_stage_runs_as_non_root"},
    ),
    "an API key in ENV": (
        swap(DOCKERFILE, "PYTHONUNBUFFERED=1", "PYTHONUNBUFFERED=1 OPENAI_API_KEY=sk-123"),
        COMPOSE,
        {"test_no_secrets_baked_in"},
    ),
    ".env copied in": (
        swap(DOCKERFILE, "COPY . .", "COPY . .\nCOPY .env /app/.env"),
        COMPOSE,
        {"test_no_secrets_baked_in"},
    ),
    "latest runtime": (
        swap(DOCKERFILE, "FROM python:3.12.8-slim-bookworm AS runtime", "FROM python:latest AS runtime"),
        COMPOSE,
        {"test_base_images_are_pinned", "test_runtime_uses_the_builders_python"},
    ),
    "shell-form CMD": (
        swap(DOCKERFILE, EXEC_CMD, "CMD uvicorn api:app --host 0.0.0.0 --port 8000"),
        COMPOSE,
        {"test_exposes_8000_and_serves_on_all_interfaces"},
    ),
    "code copied before the dependencies": (
        swap(DOCKERFILE, "COPY pyproject.toml uv.lock ./", "COPY . ."),
        COMPOSE,
        {"test_dependencies_are_a_cached_layer_from_the_lock"},
    ),
    "depends_on as a list": (
        DOCKERFILE,
        swap(COMPOSE, HEALTHY, "    depends_on:\n      - postgres\n      - redis"),
        {"test_app_waits_for_healthy_postgres_and_redis"},
    ),
    "literal Postgres password": (
        DOCKERFILE,
        swap(COMPOSE, f"POSTGRES_PASSWORD: {PASSWORD}", "POSTGRES_PASSWORD: hunter2"),
        {"test_no_secret_literals"},
    ),
    "a default password in the URL": (
        DOCKERFILE,
        swap(COMPOSE, f"helpdesk:{PASSWORD}@", "helpdesk:${POSTGRES_PASSWORD:-hunter2}@"),
        {"test_no_secret_literals"},
    ),
    "bind-mounted Postgres data": (
        DOCKERFILE,
        swap(COMPOSE, "- pgdata:/var/lib/postgresql/data", "- ./data:/var/lib/postgresql/data"),
        {"test_postgres_data_lives_in_a_named_volume"},
    ),
    "unpinned Redis": (
        DOCKERFILE,
        swap(COMPOSE, "redis:7.2.5-alpine", "redis:alpine"),
        {"test_app_postgres_and_redis_services"},
    ),
    "a YAML bomb": (DOCKERFILE, BOMB, COMPOSE_TESTS),
    # valid alternatives pass everything
    "ENTRYPOINT plus CMD, a named user, digests": (
        swap(
            swap(
                swap(
                    DOCKERFILE,
                    EXEC_CMD,
                    'ENTRYPOINT ["uvicorn", "api:app"]\nCMD ["--host=0.0.0.0", "--port=8000"]',
                ),
                "USER 10001:10001",
                "USER app",
            ),
            "ghcr.io/astral-sh/uv:0.13.9",
            "ghcr.io/astral-sh/uv@sha256:" + "0" * 64,
        ),
        COMPOSE,
        set(),
    ),
    "list-form environment, long-form volume, loopback port": (
        DOCKERFILE,
        swap(
            swap(
                swap(
                    COMPOSE,
                    f"      POSTGRES_PASSWORD: {PASSWORD}",
                    "      - POSTGRES_PASSWORD=${POSTGRES_PASSWORD}",
                ).replace(
                    "      POSTGRES_USER: helpdesk\n      POSTGRES_DB: helpdesk\n",
                    "      - POSTGRES_USER=helpdesk\n      - POSTGRES_DB=helpdesk\n",
                ),
                "      - pgdata:/var/lib/postgresql/data",
                "      - type: volume\n        source: pgdata\n        target: /var/lib/postgresql/data",
            ),
            '"8000:8000"',
            '"127.0.0.1:8000:8000"',
        ),
        set(),
    ),
}


zygote = zygote_for(LAB)


@pytest.mark.parametrize("name", list(VARIANTS))
def test_each_flaw_fails_its_own_tests(name, zygote, tmp_path):
    dockerfile, compose, expected = VARIANTS[name]
    replaced = {"Dockerfile": dockerfile, "compose.yaml": compose}
    assert failed_tests(LAB, zygote, tmp_path, replaced) == expected
