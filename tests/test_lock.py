"""requirements.lock holds the exact set the tests pass with: every dependency pyproject.toml
names (extras included) at a version its range allows, every entry pinned with hashes, and the
running environment built from it. A dependency added to pyproject.toml without `make lock`
fails here."""
from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s\\;]+)", re.M)


def locked(lock_text: str) -> dict[str, str]:
    """name -> exact version of every `name==version` line of a pip-compile lock."""
    return {canonicalize_name(name): version for name, version in PIN.findall(lock_text)}


def declared(pyproject: dict) -> list[Requirement]:
    project = pyproject["project"]
    extras = project.get("optional-dependencies", {}).values()
    return [Requirement(spec) for spec in [*project["dependencies"], *(s for group in extras for s in group)]]


def unlocked(pyproject: dict, lock_text: str) -> list[str]:
    """The dependencies of `pyproject` the lock lacks, or pins at a version outside their range."""
    pins = locked(lock_text)
    problems = []
    for requirement in declared(pyproject):
        version = pins.get(canonicalize_name(requirement.name))
        if version is None:
            problems.append(f"{requirement}: not in the lock")
        elif not requirement.specifier.contains(version, prereleases=True):
            problems.append(f"{requirement}: the lock pins {version}")
    return problems


def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def lock_text() -> str:
    return (ROOT / "requirements.lock").read_text(encoding="utf-8")


def test_every_dependency_of_pyproject_is_locked_within_its_range():
    assert unlocked(pyproject(), lock_text()) == []


def test_a_dependency_the_lock_lacks_or_pins_outside_its_range_is_named():
    project = pyproject()
    project["project"]["dependencies"] = [*project["project"]["dependencies"], "no-such-package>=1", "lxml>=99"]
    assert unlocked(project, lock_text()) == ["no-such-package>=1: not in the lock", "lxml>=99: the lock pins "
                                              + locked(lock_text())["lxml"]]


def test_every_pin_carries_hashes():
    entries = re.split(r"\n(?=[A-Za-z0-9])", lock_text())
    pinned = [entry for entry in entries if PIN.match(entry)]
    assert len(pinned) == len(locked(lock_text())) > 50
    assert [entry.split(" ")[0] for entry in pinned if "--hash=sha256:" not in entry] == []


def test_the_environment_is_the_locked_one():
    """What the tests run with is what the lock says (make install builds .venv from it)."""
    pins = locked(lock_text())
    installed = {canonicalize_name(d.metadata["Name"]): d.version for d in metadata.distributions()}
    assert {name: (version, installed.get(name)) for name, version in pins.items()
            if installed.get(name) != version} == {}
