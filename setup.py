"""Packaging beyond what pyproject.toml can say (the metadata and package data live there).

The project keeps `static/` at the top level, beside `gpanel/`; the wheel ships it inside the
package as `gpanel.static`, so an installed gpanel serves the same files as a checkout
(`gpanel.web.templating.STATIC_DIR` finds either). pyproject.toml cannot both discover the
packages and add one from another directory, hence this file.
"""

from setuptools import find_namespace_packages, setup

setup(
    packages=[*find_namespace_packages(include=["gpanel*"]), "gpanel.static"],
    package_dir={"gpanel.static": "static"},
)
