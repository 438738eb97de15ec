"""The import rules of docs/architecture.md ("The areas and what each may import"),
checked over the source with `ast`: no request, no app."""
from __future__ import annotations

import ast
from pathlib import Path

PORTAL = Path(__file__).resolve().parents[2] / "portal"
AREAS = {p.name for p in PORTAL.iterdir() if (p / "__init__.py").exists()}
# Modules every area may use, which import no area themselves.
FOUNDATION = {"clock", "config", "errors", "extensions", "forms", "numbers", "pagination",
              "text", "vocab"}
# Which areas each area may import (any of its modules), as docs/architecture.md draws it.
ALLOWED = {
    "audit": {"actions", "people", "program"},
    "auth": {"audit", "notes", "people", "program", "reminders"},
    "people": {"actions", "audit", "auth", "program"},
    "program": {"actions", "audit", "auth", "notes", "people", "pocs"},
    "actions": {"audit", "auth", "people", "program"},
    "workstreams": {"actions", "audit", "auth", "people", "program"},
    "pocs": {"actions", "audit", "auth", "people", "program"},
    "notes": {"actions", "audit", "auth", "people", "program"},
    "reminders": {"actions", "audit", "auth", "people", "program"},
    "summary": {"actions", "audit", "auth", "people", "pocs", "program", "reminders"},
    "dashboard": {"actions", "auth", "people", "program", "reminders", "summary"},
    "demo": {"actions", "audit", "auth", "notes", "people", "pocs", "program", "summary",
             "workstreams"},
}


def _imports(path: Path) -> set[str]:
    """The portal modules `path` imports, at any depth of the file."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in names if name.startswith("portal.")}


def _modules():
    for path in sorted(PORTAL.rglob("*.py")):
        parts = path.relative_to(PORTAL).with_suffix("").parts
        yield path, parts, _imports(path)


def _area(module: str) -> str | None:
    part = module.split(".")[1]
    return part if part in AREAS else None


def test_areas_import_each_other_only_as_the_architecture_allows():
    wrong = []
    for path, parts, imported in _modules():
        me = parts[0] if parts[0] in AREAS else None
        if me is None:
            continue
        for module in imported:
            other = _area(module)
            if other and other != me and other not in ALLOWED[me]:
                wrong.append(f"{path.relative_to(PORTAL)} imports {module}")
    assert wrong == [], "new directions between areas; see docs/architecture.md"
    assert set(ALLOWED) == AREAS


def test_views_are_imported_by_nobody_but_the_blueprint_list():
    wrong = [f"{path.relative_to(PORTAL)} imports {module}"
             for path, parts, imported in _modules() if parts != ("blueprints",)
             for module in imported
             if "routes" in module.split(".") and _area(module) != parts[0]]
    assert wrong == []


def test_the_foundation_imports_no_area():
    wrong = [f"{path.relative_to(PORTAL)} imports {module}"
             for path, parts, imported in _modules() if parts[0] in FOUNDATION
             for module in imported if _area(module)]
    assert wrong == []


def test_models_import_only_models():
    wrong = [f"{path.relative_to(PORTAL)} imports {module}"
             for path, parts, imported in _modules() if parts[-1] == "models"
             for module in imported
             if _area(module) and not module.split(".")[2:3] == ["models"]]
    assert wrong == []
