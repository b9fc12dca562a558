"""Ring 1: spans to runs. Records in, runs out; no I/O, no threads."""
