"""Ring 1: one module per convention, each a set of small pure `get`-style functions.

A function reads a `SpanView` and returns a run-field value or None. Which function wins for a
field is decided in one place, `precedence.py`; nothing here decides between conventions.
"""
