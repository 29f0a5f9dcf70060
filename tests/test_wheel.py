"""The wheel ships the top-level `static/` and an installed gpanel serves it.

`static/` sits at the repository's top level, beside `gpanel/`; setup.py ships it inside the
package as `gpanel.static`. This test builds the wheel from a copy of the source tree, installs
it into a fresh virtual environment, and, with only the third-party dependencies borrowed from
the test environment (its site-packages on PYTHONPATH, never the source tree), creates the app
from the installed package and fetches every static file over ASGI: each answers 200 with the
bytes of the file in the checkout, and `gpanel` is imported from the fresh environment.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
STATIC = ROOT / "static"
pytestmark = pytest.mark.slow

# Run by the fresh environment's Python: the installed gpanel, its app, a static file each.
PROBE = """
import asyncio, hashlib, json, sys
import httpx
import gpanel
from gpanel.app import create_app
from gpanel.demo.settings import demo_environment
from gpanel.settings import Settings
from gpanel.web.templating import STATIC_DIR

env = demo_environment(host="127.0.0.1", port=8000, emulator_port=8001, data_dir=sys.argv[1])
app = create_app(Settings.from_mapping(env))
names = json.loads(sys.argv[2])

async def fetch() -> dict[str, list[object]]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as c:
        answers = {}
        for name in names:
            r = await c.get(f"/static/{name}")
            answers[name] = [r.status_code, hashlib.sha256(r.content).hexdigest()]
        return answers

print(json.dumps({"gpanel": gpanel.__file__, "static_dir": str(STATIC_DIR),
                  "answers": asyncio.run(fetch())}))
"""


def run(*args: str | Path, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, timeout=600, **kwargs
    )
    assert done.returncode == 0, (args, done.stdout[-3000:], done.stderr[-3000:])
    return done


def test_installed_wheel_serves_the_top_level_static_files(tmp_path: Path) -> None:
    """Built, installed into a fresh venv, the app serves static/ from the installed package."""
    files = sorted(p.name for p in STATIC.iterdir() if p.is_file())
    assert "panel.js" in files and not (ROOT / "gpanel" / "static").exists()

    # Build from a copy, so the build leaves nothing in the checkout and sees no stray file.
    src = tmp_path / "src"
    skip = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("gpanel", "static"):
        shutil.copytree(ROOT / name, src / name, ignore=skip)
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    dist = tmp_path / "dist"
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", dist, src)
    (wheel,) = dist.glob("gpanel-*.whl")
    shipped = set(zipfile.ZipFile(wheel).namelist())
    assert {f"gpanel/static/{name}" for name in files} <= shipped
    assert "gpanel/web/templates/base.html" in shipped  # the package data still ships too

    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", venv)
    python = venv / "bin" / "python"
    run(python, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", wheel)

    env = {k: v for k, v in os.environ.items() if not k.startswith(("GPANEL_", "PYTHON"))}
    env["PYTHONPATH"] = sysconfig.get_paths()["purelib"]  # third-party packages only
    probe = run(
        python, "-c", PROBE, tmp_path / "data", json.dumps(files), cwd=tmp_path, env=env
    ).stdout
    seen = json.loads(probe.strip().splitlines()[-1])

    assert Path(seen["gpanel"]).is_relative_to(venv), seen["gpanel"]
    assert Path(seen["static_dir"]).is_relative_to(venv), seen["static_dir"]
    expected = {
        name: [200, hashlib.sha256((STATIC / name).read_bytes()).hexdigest()] for name in files
    }
    assert seen["answers"] == expected
