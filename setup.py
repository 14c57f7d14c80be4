import os
import sys

from setuptools import find_packages, setup
from setuptools.command.build_ext import build_ext

# The hot modules, compiled by Cython from these same sources when Cython and a C compiler
# are there at install time. The .py files stay beside them: the package is complete without
# them, and GREENSOCK_PURE_PYTHON=1 (at install time: build nothing; at run time: load the
# sources) gives the pure-Python package. Modules whose frames the diagnostics read
# (greensock/_core/frames.py, waitqueue.py, thread.py) are never compiled, nor are the
# modules that only wrap them (events, locks, queues: compiling them measured no gain).
COMPILED = [
    "greensock/_core/timers.py",
    "greensock/_core/fdstate.py",
    "greensock/_core/poller.py",
    "greensock/_core/hub.py",
    "greensock/greenlet.py",
    "greensock/socket.py",
    "greensock/callback/fdwatcher.py",
    "greensock/callback/stream.py",
    "greensock/callback/dangaloop.py",
    "greensock/callback/eventsocket.py",
]
# The compiled code behaves as the Python code does: annotations are not C types, functions
# are real bound methods with signatures, and keyword arguments work everywhere.
DIRECTIVES = {"language_level": 3, "binding": True, "annotation_typing": False, "always_allow_keywords": True}


def extensions() -> list:
    if os.environ.get("GREENSOCK_PURE_PYTHON", "").strip() not in ("", "0"):
        return []
    try:
        from Cython.Build import cythonize
    except ImportError:
        return []
    return cythonize(COMPILED, compiler_directives=DIRECTIVES, quiet=True)


class OptionalBuildExt(build_ext):
    """Compile where possible; where not (no compiler, no headers), install the pure-Python package."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as e:  # noqa: BLE001 - any failure to compile leaves the pure-Python package
            self._skip(e)

    def build_extension(self, ext) -> None:
        try:
            super().build_extension(ext)
        except Exception as e:  # noqa: BLE001 - as above, one module at a time
            self._skip(e)

    @staticmethod
    def _skip(error: Exception) -> None:
        print(f"greensock: not compiled ({error}); the pure-Python modules are used", file=sys.stderr)


setup(
    name="greensock",
    version="0.2.0",
    license="MIT",
    description="Concurrent network programs in plain synchronous style, on greenlets",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    packages=find_packages(include=["greensock", "greensock.*"]),
    package_data={"greensock": ["py.typed", "*.pyi"]},  # PEP 561: the annotations are for checkers too
    ext_modules=extensions(),
    cmdclass={"build_ext": OptionalBuildExt},
    python_requires=">=3.10",
    install_requires=["greenlet>=3.0"],
    extras_require={
        "http": ["httptools>=0.6", "wsproto>=1.2"],
        "test": ["pytest>=7", "pytest-xdist>=3", "pytest-timeout>=2", "hypothesis>=6", "requests", "redis",
                 "httptools>=0.6", "wsproto>=1.2", "websocket-client", "simple-websocket", "flask", "flask-sock",
                 "django", "gunicorn", "psycopg[binary]", "psycopg_pool", "psycopg2-binary",
                 "aiohttp", "celery"],
        "docs": ["sphinx>=7"],
        "dev": ["tox>=4"],
        "lint": ["ruff>=0.4", "mypy>=1.10"],
        "bench": ["gevent", "eventlet", "uvloop", "trio", "matplotlib"],
    },
    classifiers=[
        "Programming Language :: Python :: 3",
        "License :: OSI Approved :: MIT License",
        "Operating System :: POSIX",
        "Topic :: System :: Networking",
    ],
)
