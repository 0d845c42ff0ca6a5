"""core imports no UI library: each module is imported alone in a fresh interpreter."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import pytest

import imgbench.core
import imgbench.core.backends

UI_LIBRARIES = ("textual", "rich", "plotext", "textual_plotext")
CORE_MODULES = sorted(
    {module.name for module in pkgutil.walk_packages(imgbench.core.__path__, "imgbench.core.")}
)


def test_core_has_modules_to_check() -> None:
    assert "imgbench.core.backends.lmdb_store" in CORE_MODULES
    assert len(CORE_MODULES) >= 8


@pytest.mark.parametrize("module", CORE_MODULES)
def test_core_module_imports_no_ui_library(module: str) -> None:
    check = (
        f"import sys, {module}\n"
        f"leaked = sorted(m for m in sys.modules if m.split('.')[0] in {UI_LIBRARIES!r})\n"
        "print(','.join(leaked))"
    )
    result = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"{module} pulls in {result.stdout.strip()}"
