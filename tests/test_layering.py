"""The domain (estates) never reaches into the site (showcase): not at module level, not inside
a function, not by a dotted name handed to importlib. The site listens to what the domain
announces (estates/signals.py)."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def site_imports(path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name
    found = []
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names = [node.module or ""]
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and node.value.startswith("showcase.")
        ):
            names = [node.value]  # "showcase.cache.bump" handed to import_string()
        found += [
            f"{shown}:{node.lineno} {name}"
            for name in names
            if name == "showcase" or name.startswith("showcase.")
        ]
    return found


def test_estates_never_imports_showcase():
    found = [hit for path in sorted((ROOT / "estates").rglob("*.py")) for hit in site_imports(path)]
    assert found == []


def test_the_scan_finds_imports_inside_functions_and_dotted_names(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import importlib\n"
        "def f():\n"
        "    from showcase.cache import bump\n"
        "    import showcase\n"
        "    return importlib.import_module('showcase.cache')\n"
    )
    assert site_imports(sample) == [
        "sample.py:3 showcase.cache",
        "sample.py:4 showcase",
        "sample.py:5 showcase.cache",
    ]
