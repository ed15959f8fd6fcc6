"""Sphinx configuration of lstmcast's documentation site (``make docs``).

The site is built offline, warnings are errors (``-W``), and the gallery's
examples (examples/plot_*.py) run at every build. The benchmark pages
(docs/*.md) are the files the benchmark scripts write, read as they are by MyST.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE / "_ext"))

import lstmcast  # noqa: E402
import lstmcast.models  # noqa: E402, F401

project = "lstmcast"
author = "the lstmcast developers"
copyright = "the lstmcast developers"  # noqa: A001
version = release = lstmcast.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
    "sphinxarg.ext",
    "lstmcast_docs",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "_ext", "longhorizon-peers", "auto_examples/*.ipynb",
                    "auto_examples/*.py", "auto_examples/*.zip", "auto_examples/*.md5",
                    "auto_examples/*.json"]
templates_path = ["_templates"]

# -- MyST: the Markdown pages (guides, and the benchmark pages as the scripts write them)
myst_enable_extensions = ["colon_fence", "deflist", "dollarmath"]
myst_heading_anchors = 3
# an unresolved link is reported once (myst.xref_missing), not again per domain tried
suppress_warnings = ["myst.domains"]

# -- API reference from the code's own docstrings (Google style: napoleon)
autosummary_generate = True
autosummary_imported_members = False
autodoc_default_options = {"members": True, "show-inheritance": True}
autodoc_member_order = "bysource"
autodoc_typehints = "none"  # the docstrings say what each argument takes
autoclass_content = "class"
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_rtype = False
napoleon_use_ivar = True

# -- the gallery: every example runs at each build, on tiny sizes
sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "download_all_examples": False,
    "remove_config_comments": True,
    "matplotlib_animations": False,
    "within_subsection_order": "FileNameSortKey",
    "abort_on_example_error": True,
    "reset_modules": ("matplotlib",),
    "show_memory": False,
    "min_reported_time": 0,
}
os.environ.setdefault("LSTMCAST_TUNE_MALLOC", "1")

# -- HTML: furo, nothing fetched from the web
html_theme = "furo"
html_title = f"lstmcast {release}"
html_static_path: list[str] = []
html_show_sourcelink = False
html_theme_options = {"navigation_with_keys": True}
