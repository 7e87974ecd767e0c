"""Stands in for the real `rfc3987_syntax` in nbgrader's processes only (see course.QUICK_IMPORTS):
jsonschema imports it inside `suppress(ImportError)`, so refusing here skips a slow grammar build."""

raise ImportError("rfc3987_syntax is skipped in nbgrader processes (slow to import, not needed)")
