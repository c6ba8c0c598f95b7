"""environment.yml (the conda path) lists the same packages as pyproject.toml, with the same bounds.

conda cannot be installed on the course's machines, so the file is parsed and cross-checked here,
not solved. Names that differ between PyPI and conda-forge are in CONDA_NAMES.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement

try:
    import tomllib
except ImportError:  # Python 3.10: pytest brings tomli
    import tomli as tomllib

REPO = Path(__file__).resolve().parents[1]
CONDA_NAMES = {"torch": "pytorch"}  # PyPI name -> conda-forge name
EXTRAS = ("test", "torch")  # the extras environment.yml must cover (what `make test` installs)
CONDA_ONLY = {"python", "pip"}


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pyproject_requirements() -> dict[str, Requirement]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    reqs = list(project["dependencies"])
    for extra in EXTRAS:
        reqs += project["optional-dependencies"][extra]
    out = {}
    for text in reqs:
        req = Requirement(text)
        name = canonical(CONDA_NAMES.get(canonical(req.name), req.name))
        assert name not in out, f"{req.name} listed twice in pyproject.toml"
        out[name] = req
    out["python"] = Requirement(f"python{project['requires-python']}")
    return out


def conda_dependencies() -> tuple[dict[str, str], list]:
    """({conda name: version spec as written}, the pip sub-list)."""
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    assert env["channels"] == ["conda-forge"]
    specs, pip = {}, []
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            pip = dep["pip"]
            continue
        m = re.fullmatch(r"([A-Za-z0-9_.\-]+)\s*(.*)", dep.strip())
        assert m, f"cannot read {dep!r} in environment.yml"
        specs[canonical(m.group(1))] = m.group(2).strip()
    return specs, pip


def lower_bound(spec: str) -> str | None:
    """'>=1.26' -> '1.26'; conda's exact '=2.13.0=cpu_*' and pip's '==2.13.0' -> '2.13.0'."""
    m = re.search(r"(?:>=|==|^=)\s*([0-9][0-9A-Za-z.]*)", spec)
    return m.group(1) if m else None


def upper_bound(spec: str) -> str | None:
    """'>=4.18,<4.25' -> '4.25'; no cap -> None."""
    m = re.search(r"<\s*([0-9][0-9A-Za-z.]*)", spec)
    return m.group(1) if m else None


def test_same_package_names():
    pypi = set(pyproject_requirements())
    conda, _ = conda_dependencies()
    assert set(conda) - CONDA_ONLY - pypi == set(), "in environment.yml but not in pyproject.toml"
    assert pypi - set(conda) == set(), "in pyproject.toml but not in environment.yml"


@pytest.mark.parametrize("name", sorted(pyproject_requirements()))
def test_same_lower_bounds(name):
    conda, _ = conda_dependencies()
    if name not in conda:
        pytest.fail(f"{name} is missing from environment.yml")
    pypi_spec = str(pyproject_requirements()[name].specifier)
    assert lower_bound(pypi_spec) is not None, f"{name}: pyproject.toml declares no lower bound"
    assert lower_bound(conda[name]) == lower_bound(pypi_spec), (
        f"{name}: environment.yml says {conda[name]!r}, pyproject.toml says {pypi_spec!r}"
    )


@pytest.mark.parametrize("name", sorted(pyproject_requirements()))
def test_same_upper_bounds(name):
    conda, _ = conda_dependencies()
    pypi_spec = str(pyproject_requirements()[name].specifier)
    spec = conda.get(name, "").split("#")[0].strip()
    assert upper_bound(spec) == upper_bound(pypi_spec), (
        f"{name}: environment.yml says {spec!r}, pyproject.toml says {pypi_spec!r}"
    )


def test_exact_pins_only_where_intended():
    # ranges, not pins (issue 2): only torch, a test-only dependency, is pinned exactly
    pinned = {n for n, r in pyproject_requirements().items() if "==" in str(r.specifier)}
    assert pinned == {"pytorch"}


def test_conda_builds_pytorch_for_the_cpu():
    conda, _ = conda_dependencies()
    assert conda["pytorch"].endswith("=cpu_*"), "conda-forge's CUDA build is several GB"


def test_pip_installs_the_course_itself():
    _, pip = conda_dependencies()
    assert pip == ["-e ."]


def test_lower_bound_parser():
    assert lower_bound(">=1.26") == "1.26"
    assert lower_bound("==2.13.0") == "2.13.0"
    assert lower_bound("=2.13.0=cpu_*") == "2.13.0"
    assert lower_bound("<3") is None
    assert upper_bound("<4.25,>=4.18") == "4.25" and upper_bound(">=1.26") is None
