"""Tools for testing greensock itself: ``python -m greensock.testing.stdlib`` runs CPython's
own test modules with ``greensock.monkey.patch_all()`` applied."""
