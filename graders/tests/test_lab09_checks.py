"""AI-201 lab 9's HTTP tests catch what they claim: each broken variant of the reference api.py
fails exactly the tests about its flaw, and nothing else."""

from pathlib import Path

import pytest

from graders.course import find_lab, find_root
from graders.tests.mutants import failed_tests, swap, zygote_for

ROOT = find_root(Path(__file__))
LAB = find_lab(ROOT, "ai201-09")
API = (LAB.root / "api.py").read_text(encoding="utf-8")
STREAM_LIMIT = (
    "    decision = await check_rate(helpdesk.redis, body.customer_id, helpdesk.rate_limit, "
    "helpdesk.rate_window)\n"
    "    if not decision.allowed:\n"
    "        raise RateLimited(decision.retry_after)\n"
)


VARIANTS = {
    "429 without Retry-After": (
        swap(API, 'headers={"Retry-After": str(exc.retry_after)}', "headers={}"),
        {
            "test_rate_limit_is_429_with_retry_after",
            "test_stream_is_rate_limited_and_unknown_customer_is_404",
        },
    ),
    "no body limit": (
        swap(API, 'if int(request.headers.get("content-length") or 0) > MAX_BODY_BYTES:', "if False:"),
        {"test_oversized_body_is_413"},
    ),
    "a request model without limits": (
        swap(
            API,
            'customer_id: int = Field(gt=0, description="The signed-in customer.")',
            'customer_id: int = Field(description="The signed-in customer.")',
        ),
        {"test_openapi_describes_the_api", "test_bad_input_is_422_naming_the_field"},
    ),
    "a stream that skips the rate limit": (
        swap(API, STREAM_LIMIT, ""),
        {"test_stream_is_rate_limited_and_unknown_customer_is_404"},
    ),
}


zygote = zygote_for(LAB)


@pytest.mark.parametrize("name", list(VARIANTS))
def test_each_flaw_fails_its_own_tests(name, zygote, tmp_path):
    source, expected = VARIANTS[name]
    assert failed_tests(LAB, zygote, tmp_path, {"api.py": source}) == expected
