"""AI-201 lab 9's HTTP tests catch what they claim: each broken variant of the reference api.py
fails exactly the tests about its flaw, and nothing else."""

from pathlib import Path

import pytest

from graders.check import check_files
from graders.course import find_lab, find_root
from graders.sandbox.client import Zygote

ROOT = find_root(Path(__file__))
LAB = find_lab(ROOT, "ai201-09")
API = (LAB.root / "api.py").read_text(encoding="utf-8")
STREAM_LIMIT = (
    "    decision = await check_rate(helpdesk.redis, body.customer_id, helpdesk.rate_limit, "
    "helpdesk.rate_window)\n"
    "    if not decision.allowed:\n"
    "        raise RateLimited(decision.retry_after)\n"
)


def _swap(old: str, new: str) -> str:
    assert old in API, f"the reference no longer contains {old!r}: update this variant"
    return API.replace(old, new, 1)


VARIANTS = {
    "429 without Retry-After": (
        _swap('headers={"Retry-After": str(exc.retry_after)}', "headers={}"),
        {
            "test_rate_limit_is_429_with_retry_after",
            "test_stream_is_rate_limited_and_unknown_customer_is_404",
        },
    ),
    "no body limit": (
        _swap('if int(request.headers.get("content-length") or 0) > MAX_BODY_BYTES:', "if False:"),
        {"test_oversized_body_is_413"},
    ),
    "a request model without limits": (
        _swap(
            'customer_id: int = Field(gt=0, description="The signed-in customer.")',
            'customer_id: int = Field(description="The signed-in customer.")',
        ),
        {"test_openapi_describes_the_api", "test_bad_input_is_422_naming_the_field"},
    ),
    "a stream that skips the rate limit": (
        _swap(STREAM_LIMIT, ""),
        {"test_stream_is_rate_limited_and_unknown_customer_is_404"},
    ),
}


@pytest.fixture(scope="module")
def zygote():
    z = Zygote.start(LAB.preload())
    yield z
    z.stop()


@pytest.mark.parametrize("name", list(VARIANTS))
def test_each_flaw_fails_its_own_tests(name, zygote, tmp_path):
    source, expected = VARIANTS[name]
    (tmp_path / "api.py").write_text(source, encoding="utf-8")
    files = {n: LAB.root / n for n in LAB.spec.files} | {"api.py": tmp_path / "api.py"}
    score = check_files(LAB, files, zygote, hidden=True, hide=[str(ROOT)])
    assert not score.problem, score.problem
    failed = {t.info.id.rsplit("::", 1)[-1] for t in score.tests if not t.outcome.passed}
    assert failed == expected
