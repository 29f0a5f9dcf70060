"""Where the web layer's files live inside the package."""

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
STATIC_DIR = PACKAGE_DIR / "static"
