import json
from pathlib import Path

import pytest

from graders.markers import (
    MarkerError,
    hidden_line_ranges,
    notebook_to_starter,
    stub_for,
    takes_markers,
    to_starter,
    without_markers,
)

SOURCE = '''def greet(name):
    """Say hello."""
    ### BEGIN SOLUTION
    return f"hello {name}"
    ### END SOLUTION


LIMIT = 3  # unchanged

def limit():
    ### BEGIN SOLUTION
    ### STARTER return 0  # TODO: the real limit
    return LIMIT
    ### END SOLUTION
'''


def test_solution_blocks_become_stubs_at_their_indentation():
    starter = to_starter(SOURCE)
    assert 'return f"hello {name}"' not in starter
    assert "    # YOUR CODE HERE\n    raise NotImplementedError()" in starter
    assert '"""Say hello."""' in starter and "LIMIT = 3  # unchanged" in starter


def test_starter_lines_replace_the_default_stub():
    starter = to_starter(SOURCE)
    assert "    return 0  # TODO: the real limit\n" in starter
    assert "return LIMIT" not in starter
    compile(starter, "starter.py", "exec")


def test_only_stubs_the_chosen_blocks():
    partial = to_starter(SOURCE, only={1})
    assert 'return f"hello {name}"' in partial and "BEGIN SOLUTION" not in partial
    assert "return LIMIT" not in partial


def test_hidden_tests_are_removed_and_located():
    tests = "def test_a():\n    pass\n### BEGIN HIDDEN TESTS\ndef test_b():\n    pass\n### END HIDDEN TESTS\n"
    assert to_starter(tests) == "def test_a():\n    pass\n"
    assert hidden_line_ranges(tests) == [(3, 6)]


@pytest.mark.parametrize(
    "text, message",
    [
        ("### BEGIN SOLUTION\nx = 1\n", "lab.py:1: ### BEGIN SOLUTION is never closed"),
        ("x = 1\n### END SOLUTION\n", "lab.py:2: ### END SOLUTION without ### BEGIN SOLUTION"),
        ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n", "lab.py:2: ### BEGIN SOLUTION inside another block"),
    ],
)
def test_unbalanced_markers_name_file_and_line(text, message):
    with pytest.raises(MarkerError, match=message):
        to_starter(text, "lab.py")


def test_notebook_code_cells_are_converted_and_outputs_cleared():
    nb = {
        "cells": [
            {
                "cell_type": "code",
                "source": SOURCE.splitlines(True),
                "outputs": [{"x": 1}],
                "execution_count": 3,
                "metadata": {},
            },
            {"cell_type": "markdown", "source": "### BEGIN SOLUTION stays", "metadata": {}},
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    out = json.loads(notebook_to_starter(json.dumps(nb)))
    assert "raise NotImplementedError()" in out["cells"][0]["source"]
    assert out["cells"][0]["outputs"] == [] and out["cells"][0]["execution_count"] is None
    assert out["cells"][1]["source"] == "### BEGIN SOLUTION stays"


def test_without_markers_is_the_solution_as_plain_code():
    text = "def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### STARTER return 0\n    ### END SOLUTION\n"
    assert without_markers(text) == "def f():\n    return 1\n"
    with pytest.raises(MarkerError):
        without_markers("### BEGIN SOLUTION\n")


def test_files_that_are_not_python_get_a_comment_stub():
    dockerfile = "FROM python:3.12-slim\n### BEGIN SOLUTION\nUSER app\n### END SOLUTION\n"
    assert to_starter(dockerfile, "Dockerfile", stub=stub_for(Path("Dockerfile"))) == (
        "FROM python:3.12-slim\n# YOUR CODE HERE\n"
    )
    compose = "services:\n  ### BEGIN SOLUTION\n  ### STARTER # TODO: app\n  app: {}\n  ### END SOLUTION\n"
    assert to_starter(compose, "compose.yaml", stub=stub_for(Path("compose.yaml"))) == (
        "services:\n  # TODO: app\n"
    )
    assert stub_for(Path("helpdesk.py")) == ("# YOUR CODE HERE", "raise NotImplementedError()")


@pytest.mark.parametrize(
    "name, marked",
    [("helpdesk.py", True), ("lab.ipynb", True), ("Dockerfile", True), ("Dockerfile.dev", True),
     ("compose.yaml", True), ("k8s.yml", True), ("README.md", False), ("uv.lock", False)],
)
def test_which_files_take_markers(name, marked):
    assert takes_markers(Path(name)) is marked
