"""Fails when a project module is imported inside a function, except in AppConfig.ready().

An import inside a function is how a circular dependency hides from import-linter: the layers
contract (pyproject.toml) sees it, but nobody reading the module does. The one legitimate place
is `ready()`, where an app registers itself with a lower app's registry once every app is loaded.
Run by `make lint`; prints each offender as path:line and exits 1 if there are any.
"""

from __future__ import annotations

import ast
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def project_packages() -> set[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return set(config["tool"]["importlinter"]["root_packages"])


def offenders(packages: set[str]) -> list[str]:
    found = []
    for package in sorted(packages):
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            tree = ast.parse(path.read_text(), filename=str(path))
            for function in ast.walk(tree):
                if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                    continue
                if function.name == "ready":
                    continue
                for node in ast.walk(function):
                    if isinstance(node, ast.ImportFrom) and node.level == 0:
                        names = [node.module or ""]
                    elif isinstance(node, ast.Import):
                        names = [alias.name for alias in node.names]
                    else:
                        continue
                    if any(name.split(".")[0] in packages for name in names):
                        found.append(f"{path.relative_to(ROOT)}:{node.lineno} in {function.name}()")
    return sorted(set(found))


def main() -> int:
    found = offenders(project_packages())
    for line in found:
        print(line)
    if found:
        print(f"{len(found)} imports of project modules inside functions (only ready() may).")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
