"""CPython tests that fail under ``patch_all()`` because greensock's semantics differ on purpose.

Each entry is a test id and one line saying which difference makes it fail.
"""
EXPECTED_FAILURES: dict[str, str] = {
}
