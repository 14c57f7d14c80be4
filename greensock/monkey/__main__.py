"""``python -m greensock.monkey script.py [args]`` or ``-m module [args]``: run a program fully patched."""
from __future__ import annotations

import argparse
import os
import runpy
import sys

from . import patch_all


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m greensock.monkey",
        description="Apply greensock.monkey.patch_all(), then run a script or module as __main__.")
    parser.add_argument("-m", dest="module", metavar="module", help="run a module, as python -m does")
    parser.add_argument("target", nargs="?", help="the script to run (unless -m is given)")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="arguments for the program")
    args = parser.parse_args(argv)
    if args.module is None and args.target is None:
        parser.error("give a script, or -m and a module")
    patch_all()
    if args.module is not None:
        rest = ([args.target] if args.target is not None else []) + args.args
        sys.argv = [args.module, *rest]
        sys.path.insert(0, os.getcwd())
        runpy.run_module(args.module, run_name="__main__", alter_sys=True)
    else:
        sys.argv = [args.target, *args.args]
        sys.path.insert(0, os.path.dirname(os.path.abspath(args.target)))
        runpy.run_path(args.target, run_name="__main__")


if __name__ == "__main__":
    main()
