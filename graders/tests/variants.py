"""Synthetic submissions of AI-201 lab 1, honest and hostile, built from the lab's own source."""

from __future__ import annotations

import json
from pathlib import Path

from graders.course import find_lab, find_root
from graders.markers import to_starter

LAB = find_lab(find_root(Path(__file__)), "ai201-01")
SOURCE = (LAB.root / "helpdesk.py").read_text(encoding="utf-8")
SOLUTION = SOURCE
STARTER = to_starter(SOURCE)

# build_model (2 points) and build_agent (1 point) solved, the rest left as the starter has it
PARTIAL = STARTER.replace(
    "def build_model(settings: LLMSettings) -> Model:\n"
    '    """An Agents SDK model that calls `settings.model` at `settings.base_url`."""\n'
    "    # YOUR CODE HERE\n    raise NotImplementedError()",
    "def build_model(settings: LLMSettings) -> Model:\n"
    "    client = AsyncOpenAI(base_url=settings.base_url, api_key=settings.api_key)\n"
    "    return OpenAIChatCompletionsModel(model=settings.model, openai_client=client)",
).replace(
    '    """The agent "Helpdesk" with INSTRUCTIONS, on `model` (default: build_model(LLMSettings()))."""\n'
    "    # YOUR CODE HERE\n    raise NotImplementedError()",
    '    return Agent(name="Helpdesk", instructions=INSTRUCTIONS, model=model)',
)
PARTIAL_POINTS = 3.0

# hard-codes the visible tests' answers: passes them, fails the hidden ones
HARDCODED = (
    SOLUTION
    + """

def ask(question, model=None):
    return {"hi": "Hello! How can I help?"}.get(question, "")
"""
)

PATCH_PYTEST = """
import _pytest.reports, _pytest.runner
_pytest.reports.TestReport.passed = property(lambda self: True)
_pytest.runner.call_and_report = lambda *a, **k: None
"""

CONFTEST = """
import pytest

@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    report.outcome = "passed"
    return report
"""


def after_future(code: str, text: str) -> str:
    """`code` placed right after the `from __future__` line, where Python allows it."""
    head, sep, tail = text.partition("from __future__ import annotations\n")
    return head + sep + code + tail


def write(folder: Path, helpdesk: str, extra: dict[str, str] | None = None) -> Path:
    folder.mkdir(parents=True)
    (folder / "helpdesk.py").write_text(helpdesk, encoding="utf-8")
    for name, text in (extra or {}).items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def mixed_batch(root: Path) -> dict[str, tuple[Path, float]]:
    """Each student's submission folder and the score its honest work earns (max 10)."""
    fake_results = json.dumps({"score": 10, "tests": [{"name": "all", "score": 10, "max_score": 10}]})
    return {
        "correct": (write(root / "correct", SOLUTION), 10.0),
        "partial": (write(root / "partial", PARTIAL), PARTIAL_POINTS),
        "hardcoded": (write(root / "hardcoded", HARDCODED), 8.0),
        "broken": (write(root / "broken", SOLUTION + "\ndef oops(:\n"), 0.0),
        "hanging": (write(root / "hanging", after_future("while True:\n    pass\n", SOLUTION)), 0.0),
        "sysexit": (write(root / "sysexit", after_future("import sys\nsys.exit(0)\n", SOLUTION)), 0.0),
        "osexit": (write(root / "osexit", after_future("import os\nos._exit(0)\n", SOLUTION)), 0.0),
        "conftest": (
            write(
                root / "conftest",
                STARTER,
                {"conftest.py": CONFTEST, "pytest.ini": "[pytest]\naddopts = -p no:python\n"},
            ),
            0.0,
        ),
        "patcher": (
            write(
                root / "patcher",
                after_future(PATCH_PYTEST, STARTER),
                {
                    "pytest.py": "def main(*a, **k):\n    return 0\n",
                    "sitecustomize.py": "import os\nos._exit(0)\n",
                    "evil.pth": "import os; os._exit(0)\n",
                },
            ),
            0.0,
        ),
        "fakeresults": (write(root / "fakeresults", STARTER, {"results.json": fake_results}), 0.0),
        "forkbomb": (
            write(root / "forkbomb", after_future("import os\nwhile True:\n    os.fork()\n", SOLUTION)),
            0.0,
        ),
        "membomb": (write(root / "membomb", after_future("hog = bytearray(64 * 1024**3)\n", SOLUTION)), 0.0),
    }
