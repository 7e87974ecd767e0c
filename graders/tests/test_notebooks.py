"""Notebook labs graded by real nbgrader: lab format, course directory, scores into the gradebook,
self-verification, and `daca check` in the student edition."""

from __future__ import annotations

import csv
import json
import os
import shutil
import sqlite3
import zipfile

import pytest

from graders.course import find_lab, find_root
from graders.grade.batch import Batch
from graders.grade.exports import export
from graders.grade.gradebook import Gradebook
from graders.labspec import LabFormatError, load_lab
from graders.markers import notebook_to_starter, to_starter
from graders.notebooks import NotebookError, build_course, graded_cells
from graders.notebooks.results import read_grades
from graders.release import release
from graders.tests.test_release import daca
from graders.verify import verify_lab

ROOT = find_root()
LAB = find_lab(ROOT, "nb1")
NOTEBOOK = LAB.root / "prompt_chaining.ipynb"
SOURCE = NOTEBOOK.read_text(encoding="utf-8")
GRADE_IDS = [
    "test_build_chain",
    "test_chain_passes_outputs_along",
    "test_gate_stops_without_an_order_id",
    "test_gate_reads_the_summary",
]
TOML = 'id = "ai201-nb99"\nslug = "demo"\ntitle = "Demo"\ngrader = "nbgrader"\nfiles = ["demo.ipynb"]\n'


def edit_cells(text: str, change) -> str:
    """The notebook with `change(grade_id, source)` applied to every cell's source."""
    nb = json.loads(text)
    for cell in nb["cells"]:
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id")
        cell["source"] = change(grade_id, "".join(cell["source"]))
    return json.dumps(nb)


# -- the lab format -------------------------------------------------------------------------------


def notebook_lab(tmp_path, toml=TOML, notebook=SOURCE, name="demo.ipynb"):
    (tmp_path / name).write_text(notebook)
    (tmp_path / "lab.toml").write_text(toml)
    return tmp_path


def test_a_notebook_lab_loads_without_tests_folder(tmp_path):
    lab = load_lab(notebook_lab(tmp_path))
    assert lab.is_notebook and lab.preload() == [] and lab.test_files() == []


@pytest.mark.parametrize(
    "toml, expected",
    [
        (TOML.replace("demo.ipynb", "demo.py"), "needs exactly one .ipynb in 'files'"),
        (TOML + 'services = ["redis"]\n', "cannot use services"),
        (TOML.replace('"nbgrader"', '"nbgrade"'), "field 'grader'"),
    ],
)
def test_bad_notebook_lab_fields_are_named(tmp_path, toml, expected):
    (tmp_path / "demo.py").write_text("x = 1\n")
    with pytest.raises(LabFormatError) as error:
        load_lab(notebook_lab(tmp_path, toml))
    assert str(tmp_path / "lab.toml") in str(error.value) and expected in str(error.value)


def test_a_broken_notebook_file_is_an_error_naming_the_file(tmp_path):
    with pytest.raises(LabFormatError, match=r"demo\.ipynb: not a valid notebook"):
        load_lab(notebook_lab(tmp_path, notebook='{"cells": ['))
    broken = tmp_path / "cells" / "demo.ipynb"
    broken.parent.mkdir()
    broken.write_text(json.dumps({"nbformat": 4, "cells": [{"cell_type": "code", "source": 3}]}))
    with pytest.raises(NotebookError, match=r"cells/demo\.ipynb cell 1: field 'source'"):
        graded_cells(broken)


def test_test_cells_read_points_visibility_and_descriptions():
    cells = {c.info.id.split("::")[1]: c for c in graded_cells(NOTEBOOK)}
    assert list(cells) == GRADE_IDS
    assert [c.info.points for c in cells.values()] == [1, 3, 2, 2]
    assert [c.info.hidden for c in cells.values()] == [False, False, False, True]
    assert [c.has_hidden for c in cells.values()] == [False, True, False, True]
    assert cells["test_gate_reads_the_summary"].info.description.startswith("the gate checks")


@pytest.mark.parametrize(
    "change, expected",
    [
        (lambda source: source + "\nlen(chain)\n", "ends with an expression"),
        (lambda source: "### BEGIN HIDDEN TESTS\n" + source, "never closed"),
        (lambda source: source + "\nassert (\n", "not valid Python"),
    ],
)
def test_malformed_test_cells_are_named(tmp_path, change, expected):
    path = tmp_path / "demo.ipynb"
    path.write_text(edit_cells(SOURCE, lambda gid, s: change(s) if gid == "test_build_chain" else s))
    with pytest.raises(NotebookError, match=expected) as error:
        graded_cells(path)
    assert f"{path} cell " in str(error.value)


# -- the nbgrader course directory ----------------------------------------------------------------


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """nb01 released by nbgrader, then the solution and the starter autograded."""
    built = build_course(tmp_path_factory.mktemp("nbcourse") / "course", LAB.id, NOTEBOOK.name, SOURCE, 30)
    built.submit("solution", SOURCE)
    built.submit("starter", notebook_to_starter(SOURCE))
    built.autograde(timeout=300)
    return built


def test_generate_assignment_releases_what_daca_release_writes(course):
    assert "c.Execute.timeout = 30" in (course.root / "nbgrader_config.py").read_text()
    assert course.source_path().read_text() == SOURCE
    released = course.release_path().read_text()
    assert "BEGIN SOLUTION" not in released and "B777" not in released  # a hidden test's data
    ours = [c for c in json.loads(notebook_to_starter(SOURCE))["cells"] if c["cell_type"] == "code"]
    theirs = [c for c in json.loads(released)["cells"] if c["cell_type"] == "code"]
    assert ["".join(c["source"]).rstrip() for c in ours] == ["".join(c["source"]).rstrip() for c in theirs]


def test_the_gradebook_reader_agrees_with_nbgrader_api(course):
    from nbgrader.api import Gradebook as NbgraderGradebook

    ours = read_grades(course)
    with NbgraderGradebook(course.gradebook_url, course_id="daca") as gradebook:
        for student in ("solution", "starter"):
            notebook = gradebook.find_submission_notebook(course.notebook_id, course.assignment, student)
            theirs = {g.name: (g.auto_score, g.max_score) for g in notebook.grades}
            assert ours[student] == theirs
    assert {gid: s for gid, (s, _) in ours["solution"].items() if gid in GRADE_IDS} == {
        "test_build_chain": 1,
        "test_chain_passes_outputs_along": 3,
        "test_gate_stops_without_an_order_id": 2,
        "test_gate_reads_the_summary": 2,
    }
    assert all(ours["starter"][gid][0] == 0 for gid in GRADE_IDS)


def probe_notebook(test_code: str) -> str:
    def cell(kind, grade_id, source, **meta):
        nbgrader = {"grade_id": grade_id, "locked": kind != "solution", "schema_version": 3}
        nbgrader.update(solution=kind == "solution", grade=kind == "test", task=False, **meta)
        return {
            "cell_type": "code",
            "id": grade_id,
            "metadata": {"nbgrader": nbgrader},
            "source": source,
            "outputs": [],
            "execution_count": None,
        }

    cells = [
        cell("solution", "answer", "### BEGIN SOLUTION\nx = 1\n### END SOLUTION\n"),
        cell("test", "test_probe", test_code, points=1),
    ]
    meta = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
    return json.dumps({"cells": cells, "metadata": meta, "nbformat": 4, "nbformat_minor": 5})


def test_the_kernel_is_confined(tmp_path):
    """The kernel nbgrader starts has limits and, as root, its own uid and no view of the course."""
    root = tmp_path / "course"
    checks = [
        "import os, resource",
        "assert resource.getrlimit(resource.RLIMIT_AS)[0] != resource.RLIM_INFINITY",
    ]
    if os.geteuid() == 0:
        checks += [
            "assert os.geteuid() != 0, os.geteuid()",
            f"assert not os.path.exists({str(root / 'gradebook.db')!r})",
            # hidden: empty, or gone with /tmp when the checkout itself lives there
            f"assert not os.path.exists({str(ROOT)!r}) or not os.listdir({str(ROOT)!r})",
        ]
    text = probe_notebook("\n".join(checks) + "\n")
    probe = build_course(root, "probe", "probe.ipynb", text, 30)
    probe.submit("someone", text)
    probe.autograde(timeout=120, kernel_limits={"memory_mb": 512, "cpu_seconds": 30, "hide": [str(ROOT)]})
    assert read_grades(probe)["someone"]["test_probe"] == (1, 1)


# -- daca grade: nbgrader's scores in the project's gradebook -------------------------------------


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("nbbatch")
    subs = root / "submissions"
    solved_first_only = edit_cells(
        SOURCE, lambda gid, s: to_starter(s) if gid == "run_chain" else s
    )  # build_chain solved: 1 point
    tests_replaced = edit_cells(
        notebook_to_starter(SOURCE), lambda gid, s: "pass\n" if (gid or "").startswith("test_") else s
    )  # the starter with every test cell emptied: nbgrader restores them
    kills_its_kernel = edit_cells(
        SOURCE, lambda gid, s: "import os\nos._exit(3)\n" if gid == "build_chain" else s
    )
    notebooks = {
        "ada": SOURCE,
        "bo": solved_first_only,
        "cy": tests_replaced,
        "di": '{"cells": [',
        "fay": kills_its_kernel,
    }
    paths = []
    for student, text in notebooks.items():
        (subs / student).mkdir(parents=True)
        (subs / student / NOTEBOOK.name).write_text(text)
        paths.append(subs / student)
    archive = subs / "ed.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr(NOTEBOOK.name, SOURCE)
    paths.append(archive)
    out = root / "out"
    summary = Batch(LAB, out, ROOT).run(paths, jobs=2, show_progress=False)
    return out, summary


def test_every_notebook_gets_its_nbgrader_score(graded):
    _, summary = graded
    assert summary.scores == {"ada": 8, "bo": 1, "cy": 0, "di": 0, "ed": 8, "fay": 0}


def test_scores_land_in_the_same_gradebook_and_csv(graded):
    out, _ = graded
    rows = {r.student: r for r in Gradebook(f"sqlite:///{out / 'gradebook.sqlite'}").rows(LAB.id)}
    assert {r.source for r in rows.values()} == {"nbgrader"}
    assert [(t.test_id.split("::")[1], t.passed, t.score) for t in rows["bo"].tests] == [
        ("test_build_chain", True, 1),
        ("test_chain_passes_outputs_along", False, 0),
        ("test_gate_stops_without_an_order_id", False, 0),
        ("test_gate_reads_the_summary", False, 0),
    ]
    assert rows["di"].status == "error" and "prompt_chaining.ipynb: not a valid notebook" in rows["di"].reason
    assert (
        rows["fay"].status == "error" and "could not run the notebook: DeadKernelError" in rows["fay"].reason
    )
    with (out / "grades.csv").open() as f:
        csv_rows = {r["student"]: r for r in csv.DictReader(f)}
    assert {s: (r["score"], r["max_score"]) for s, r in csv_rows.items()} == {
        "ada": ("8", "8"),
        "bo": ("1", "8"),
        "cy": ("0", "8"),
        "di": ("0", "8"),
        "ed": ("8", "8"),
        "fay": ("0", "8"),
    }
    written = export(list(rows.values()), out / "exports", titles=lambda: {})
    assert out / "exports" / f"grades-{LAB.id}.csv" in written


def test_feedback_shows_visible_failures_and_hides_hidden_tests(graded):
    out, _ = graded
    feedback = (out / "feedback" / LAB.id / "bo.md").read_text()
    assert "**Score: 1 / 8**" in feedback and "NotImplementedError" in feedback
    assert "FAIL (0/2) hidden test: the gate checks Extract's summary" in feedback
    assert "B777" not in feedback and "C555" not in feedback  # data of hidden assertions
    results = json.loads((out / "results" / LAB.id / "cy" / "results.json").read_text())
    assert results["score"] == 0 and len(results["tests"]) == 4


def test_regrading_skips_unchanged_notebooks(graded):
    out, _ = graded
    again = Batch(LAB, out, ROOT).run([out.parent / "submissions" / "ada"], show_progress=False)
    assert again.skipped == 1 and again.graded == 0
    db = sqlite3.connect(out / "gradebook.sqlite")
    assert db.execute("select count(*) from submission").fetchone()[0] == 6


# -- daca verify and daca check -------------------------------------------------------------------


def test_verify_proves_a_notebook_and_catches_a_test_that_cannot_fail(tmp_path):
    folder = tmp_path / "ai201" / LAB.root.name
    shutil.copytree(LAB.root, folder)
    nb = json.loads(SOURCE)
    always = json.loads(json.dumps(nb["cells"][-1]))
    always["id"] = "always00"
    always["metadata"]["nbgrader"].update(grade_id="test_always", points=1)
    always["source"] = ["# a test that passes whatever the student writes\n", "assert EXTRACT\n"]
    nb["cells"].append(always)
    (folder / NOTEBOOK.name).write_text(json.dumps(nb))
    verdict = verify_lab(load_lab(folder), tmp_path, None)
    assert verdict.solution.earned == verdict.solution.possible == 9
    assert verdict.starter.earned == 1
    assert verdict.problems == [
        "starter passes prompt_chaining.ipynb::test_always (every test cell must fail)"
    ]


def test_check_in_the_student_edition(tmp_path):
    release(ROOT, tmp_path / "edition")
    result = daca("check", "nb1", cwd=tmp_path / "edition")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Score: 0 / 6" in result.stdout and "NotImplementedError" in result.stdout
    assert "(hidden)" not in result.stdout
