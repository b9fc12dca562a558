"""Coverage-guided fuzzing (atheris) of every parser that reads untrusted input.

    fuzz/run                 every target, 100,000 inputs each (the long mode)
    fuzz/run --runs 2000     fewer inputs; tests/test_fuzz_smoke.py runs this size
    fuzz/run otlp_json       one target

Crashes and hangs land in tests/fixtures/fuzz/<target>/, the directory
tests/test_fuzz_regressions.py replays: a crasher fails the suite until it is fixed, and is kept
as a regression input after that.
"""
