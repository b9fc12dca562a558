"""The oracle of the spans -> runs conversion: a recording of what today's code produces on every
fixture and on a seeded corpus, and the code that re-runs and compares it (see README.md)."""
