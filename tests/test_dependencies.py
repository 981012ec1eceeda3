"""Every dependency pyproject.toml declares is imported by the project (runtime ones by the
packages, test extras by tests or what they run), and every third-party module the packages
import is declared."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from functools import lru_cache
from importlib.metadata import packages_distributions

from vectorstore.settings import PROJECT_ROOT

RUNTIME_DIRS = ("assistant", "vectorstore", "eval")  # the installed packages (pyproject)
TEST_DIRS = ("tests", "scripts")
# Declared for what they install, not for an import: a tool run from the command line, an extra
# of a package already imported, a wheel that pins a CPU build for another package.
NOT_IMPORTED = {"ruff": "linter run by scripts/run-tests.sh",
                "torch": "the CPU wheel sentence-transformers runs on",
                "llama-cpp-python[server]": "llama.cpp's server, started as a subprocess by the tests"}


def _distribution(requirement: str) -> str:
    return re.match(r"[A-Za-z0-9_.\-]+(\[[^\]]+\])?", requirement).group(0)


def _imported_modules(dirs) -> set[str]:
    found = set()
    for folder in dirs:
        for path in (PROJECT_ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    found |= {alias.name.split(".")[0] for alias in node.names}
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    found.add(node.module.split(".")[0])
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    found |= set(re.findall(r"^(?:from|import) ([a-z_0-9]+)", readme, re.M)) if "tests" in dirs else set()
    return found


@lru_cache(maxsize=1)
def _installed() -> dict[str, list[str]]:
    return packages_distributions()


def _modules_of(distribution: str) -> set[str]:
    name = re.sub(r"\[.*\]", "", distribution).lower().replace("_", "-")
    return {module for module, dists in _installed().items()
            if any(d.lower().replace("_", "-") == name for d in dists)}


def _pyproject() -> dict:
    return tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def test_every_declared_dependency_is_imported():
    project = _pyproject()
    runtime = _imported_modules(RUNTIME_DIRS)
    everything = runtime | _imported_modules(TEST_DIRS)
    unused = []
    for requirement in project["dependencies"]:
        if not _modules_of(_distribution(requirement)) & runtime:
            unused.append(requirement)
    for extra in project["optional-dependencies"].values():
        for requirement in extra:
            name = _distribution(requirement)
            if name not in NOT_IMPORTED and not _modules_of(name) & everything:
                unused.append(requirement)
    assert unused == []


def test_every_third_party_module_the_packages_import_is_declared():
    project = _pyproject()
    declared = set()
    for requirement in project["dependencies"] + [r for extra in project["optional-dependencies"].values()
                                                   for r in extra]:
        declared |= _modules_of(_distribution(requirement))
    local = {"assistant", "vectorstore", "eval", "tests", "conftest"}
    third_party = {m for m in _imported_modules(RUNTIME_DIRS)
                   if m not in sys.stdlib_module_names and m not in local}
    assert third_party - declared == set()
