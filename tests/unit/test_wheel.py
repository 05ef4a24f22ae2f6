"""The deployment runs the project as a wheel (deploy/Dockerfile: `uv sync --no-editable`), outside the
work tree: every file the packages read at run time must be in it, and none may be read from the work
tree beside them (the export checks once read their JSON Schemas from docs/, absent in the image)."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("nba_assets", "resources", "sensors", "checks", "io_managers")


def test_the_wheel_carries_every_data_file_of_the_packages(tmp_path):
    uv = Path(sys.executable).with_name("uv")
    subprocess.run([str(uv), "build", "-q", "--wheel", "--out-dir", str(tmp_path), str(REPO)], check=True, timeout=300)
    (wheel,) = tmp_path.glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    tracked = subprocess.run(["git", "ls-files", *PACKAGES], cwd=REPO, capture_output=True, text=True,
                             check=True).stdout.split()
    data = [f for f in tracked if not f.endswith(".py")]
    assert "checks/export_schemas/tonight.schema.json" in data
    assert [f for f in data if f not in names] == []


def test_no_package_reads_the_docs_folder_at_run_time():
    """docs/ is not in the image: run-time code may not build paths into it (references in text are fine)."""
    pattern = re.compile(r"""/\s*["']docs["']""")
    offenders = [f"{p.relative_to(REPO)}:{i}" for pkg in PACKAGES for p in (REPO / pkg).rglob("*.py")
                 for i, line in enumerate(p.read_text().splitlines(), 1) if pattern.search(line)]
    assert offenders == []
