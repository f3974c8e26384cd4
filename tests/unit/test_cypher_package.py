"""The Cypher files ship inside the package: the catalog reads them with
importlib.resources, so an installed idgraph (a wheel, the Docker image) finds them
without the source tree."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from app.store import catalog

ROOT = Path(__file__).resolve().parents[2]


def test_catalog_lists_every_file_of_the_checkout() -> None:
    on_disk = sorted(
        str(p.relative_to(ROOT / "cypher").with_suffix(""))
        for p in (ROOT / "cypher").rglob("*.cypher")
    )
    folders = {name.split("/")[0] for name in on_disk}
    listed = sorted(name for folder in folders for name in catalog.names(folder))
    assert listed == on_disk
    assert (
        catalog.query(on_disk[0])
        == (ROOT / "cypher" / f"{on_disk[0]}.cypher").read_text(encoding="utf-8").strip()
    )


def test_the_wheel_carries_the_cypher_files(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("idgraph-*.whl")
    inside = set(zipfile.ZipFile(wheel).namelist())
    expected = {
        str(p.relative_to(ROOT))
        for p in (ROOT / "cypher").rglob("*")
        if p.is_file() and p.suffix in {".cypher", ".grass", ".py"}
    }
    assert expected <= inside, sorted(expected - inside)[:5]
