"""The domain is plain Python: importing it loads no web, database or template framework."""

from __future__ import annotations

import ast
import json
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import skillcard
import skillcard.domain

FRAMEWORKS = {
    "sqlalchemy",
    "alembic",
    "fastapi",
    "starlette",
    "typer",
    "jinja2",
    "pydantic",
    "pydantic_settings",
    "psycopg",
    "uvicorn",
}
# Within skillcard, the domain may lean only on itself and the error tree.
ALLOWED_SKILLCARD = ("skillcard.domain", "skillcard.errors")

DOMAIN_DIRECTORY = Path(skillcard.domain.__file__).parent
SRC_DIRECTORY = Path(skillcard.__file__).parent.parent


def domain_modules() -> list[str]:
    return sorted(
        f"skillcard.domain.{m.name}" for m in pkgutil.iter_modules(skillcard.domain.__path__)
    )


def test_the_domain_modules_are_found():
    # Guards the tests below against passing on an empty list.
    assert {
        "skillcard.domain.card_numbers",
        "skillcard.domain.cards",
        "skillcard.domain.names",
        "skillcard.domain.people",
        "skillcard.domain.schemes",
        "skillcard.domain.accounts",
        "skillcard.domain.audit",
    } <= set(domain_modules())


def test_importing_every_domain_module_loads_no_framework(tmp_path):
    script = (
        "import importlib, json, sys\n"
        f"for name in {domain_modules()!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(SRC_DIRECTORY)}
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout)
    assert set(domain_modules()) <= set(loaded)
    assert sorted(m for m in loaded if m.partition(".")[0] in FRAMEWORKS) == []


def imports_in(path: Path) -> list[tuple[int, str]]:
    """Every module named in an import statement, anywhere in the file, made absolute."""
    package = "skillcard.domain"
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                name = f"{base}.{node.module}" if node.module else base
            else:
                name = node.module or ""
            found.append((node.lineno, name))
    return found


def test_no_domain_file_imports_a_framework_or_an_outer_layer():
    files = sorted(DOMAIN_DIRECTORY.rglob("*.py"))
    assert len(files) >= 8
    offences = []
    for path in files:
        for line, name in imports_in(path):
            root = name.partition(".")[0]
            outer = root == "skillcard" and not name.startswith(ALLOWED_SKILLCARD)
            if root in FRAMEWORKS or outer:
                offences.append(f"{path.name}:{line} imports {name}")
    assert offences == []


def test_the_static_check_sees_imports_inside_functions(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "def lazy():\n"
        "    import sqlalchemy.orm\n"
        "    from fastapi import Depends\n"
        "    from ..services import cards\n"
    )
    assert [name for _, name in imports_in(sample)] == [
        "sqlalchemy.orm",
        "fastapi",
        "skillcard.services",
    ]
