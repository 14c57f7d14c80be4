import os
import sys

sys.path.insert(0, os.path.abspath(".."))

project = "greensock"
author = "the greensock developers"
extensions = ["sphinx.ext.autodoc", "sphinx.ext.intersphinx"]
html_theme = "alabaster"
exclude_patterns = ["_build"]
autodoc_typehints = "description"
autodoc_member_order = "bysource"
autodoc_default_options = {"undoc-members": False}
intersphinx_mapping = {}  # no network here: cross-references stay within these pages
