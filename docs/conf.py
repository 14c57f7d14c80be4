project = "greensock"
author = "the greensock developers"
extensions = []
html_theme = "alabaster"
exclude_patterns = ["_build"]
