from pathlib import Path

import pytest

from graders.labspec import LabFormatError, load_lab
from graders.testinfo import info_id, read_tests

GOOD = 'id = "ai201-99"\nslug = "demo"\ntitle = "Demo"\nfiles = ["demo.py"]\n'


def make_lab(tmp_path: Path, toml: str, files=("demo.py",)) -> Path:
    (tmp_path / "tests").mkdir()
    for name in files:
        (tmp_path / name).write_text("x = 1\n")
    (tmp_path / "lab.toml").write_text(toml)
    return tmp_path


def test_a_good_lab_loads_with_defaults(tmp_path):
    lab = load_lab(make_lab(tmp_path, GOOD))
    assert lab.id == "ai201-99" and lab.spec.limits.timeout == 60 and lab.spec.preload == ["agents"]


@pytest.mark.parametrize(
    "toml, field",
    [
        (GOOD.replace('"ai201-99"', '"lab one"'), "field 'id'"),
        (GOOD + "colour = 'red'\n", "field 'colour'"),
        (GOOD + "[limits]\ntimeout = -1\n", "field 'limits.timeout'"),
        (GOOD.replace('["demo.py"]', '["../escape.py"]'), "field 'files'"),
        (GOOD + "services = ['mongodb']\n", "field 'services.0'"),
    ],
)
def test_bad_fields_are_named_with_the_file(tmp_path, toml, field):
    with pytest.raises(LabFormatError) as error:
        load_lab(make_lab(tmp_path, toml))
    assert str(tmp_path / "lab.toml") in str(error.value) and field in str(error.value)


def test_invalid_toml_and_missing_files_are_reported(tmp_path):
    with pytest.raises(LabFormatError, match="not valid TOML"):
        load_lab(make_lab(tmp_path, "id = \n"))
    (tmp_path / "lab.toml").write_text(GOOD.replace("demo.py", "other.py"))
    with pytest.raises(LabFormatError, match="missing file.*other.py"):
        load_lab(tmp_path)


def test_preload_reads_the_instructor_files_imports(tmp_path):
    lab = load_lab(make_lab(tmp_path, GOOD))
    (tmp_path / "demo.py").write_text(
        "import json\nfrom pydantic import BaseModel\nimport nosuchmodule\nfrom . import x\n"
    )
    assert lab.preload() == ["agents", "json", "pydantic"]


def test_test_info_reads_points_visibility_and_descriptions(tmp_path):
    tests = tmp_path / "test_demo.py"
    tests.write_text('''from graders import points, passes_on_starter
import pytest

@points(3)
def test_one(student):
    """Adds things up."""

def test_two(student):
    pass

### BEGIN HIDDEN TESTS
@pytest.mark.points(2.5)
@passes_on_starter("the starter already has the constant")
def test_three(student):
    """Hidden one."""
### END HIDDEN TESTS
''')
    infos = {i.id: i for i in read_tests([tests])}
    assert infos["test_demo.py::test_one"].points == 3 and not infos["test_demo.py::test_one"].hidden
    assert infos["test_demo.py::test_one"].description == "Adds things up."
    assert (
        infos["test_demo.py::test_two"].points == 1 and infos["test_demo.py::test_two"].description == "two"
    )
    three = infos["test_demo.py::test_three"]
    assert three.hidden and three.points == 2.5 and three.passes_on_starter.startswith("the starter")
    assert info_id("/x/y/test_demo.py::test_one[case-1]") == "test_demo.py::test_one"


def test_a_lab_with_services_gets_network_unless_it_says_otherwise(tmp_path):
    lab = load_lab(make_lab(tmp_path, GOOD + 'services = ["redis"]\n'))
    assert lab.spec.limits.network is True, "loopback services are outside the sandbox's namespace"
    (tmp_path / "lab.toml").write_text(GOOD + 'services = ["redis"]\n[limits]\nnetwork = false\n')
    assert load_lab(tmp_path).spec.limits.network is False
    (tmp_path / "lab.toml").write_text(GOOD)
    assert load_lab(tmp_path).spec.limits.network is False
