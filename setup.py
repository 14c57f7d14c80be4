from setuptools import find_packages, setup

setup(
    name="greensock",
    version="0.2.0",
    license="MIT",
    description="Concurrent network programs in plain synchronous style, on greenlets",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    packages=find_packages(include=["greensock", "greensock.*"]),
    package_data={"greensock": ["py.typed", "*.pyi"]},  # PEP 561: the annotations are for checkers too
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
