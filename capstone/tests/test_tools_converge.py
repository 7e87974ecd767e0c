"""The course converges on the capstone: the database-backed tools students finish in AI-201 (lab 7,
handed on through lab 10) are the capstone's tools — same names, descriptions and argument schemas,
so the model sees the same interface in the lab and in the complete system."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from agents import FunctionTool

from capstone.agents import tools as capstone_tools

ROOT = Path(__file__).resolve().parents[2]
LAB = ROOT / "ai201" / "lab10_containers"
# the lab's modules are named helpdesk and store: read them in their own interpreter
DESCRIBE = """
import json, helpdesk
from agents import FunctionTool
print(json.dumps({t.name: [t.description, t.params_json_schema]
                  for t in vars(helpdesk).values() if isinstance(t, FunctionTool)}))
"""


def _interface(tools: dict[str, FunctionTool]) -> dict[str, list]:
    return {t.name: [t.description, t.params_json_schema] for t in tools.values()}


def test_the_lab_tools_are_the_capstone_tools() -> None:
    done = subprocess.run(
        [sys.executable, "-c", DESCRIBE], cwd=LAB, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    lab = json.loads(done.stdout)
    capstone = _interface({n: t for n, t in vars(capstone_tools).items() if isinstance(t, FunctionTool)})
    assert sorted(lab) == ["get_order_status", "list_orders", "open_ticket", "request_refund"]
    for name, interface in lab.items():
        assert interface == capstone[name], f"lab 10's {name} differs from capstone/agents/tools.py's"
