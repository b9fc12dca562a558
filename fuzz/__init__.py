"""Coverage-guided fuzzing (atheris) of every parser that reads untrusted input.

    fuzz/run                 every target, 100,000 inputs each (the long mode)
    fuzz/run --runs 2000     fewer inputs; tests/test_fuzz_smoke.py runs this size
    fuzz/run otlp_json       one target

Crashes land in fuzz/crashers/<target>/; move each into tests/fixtures/fuzz/<target>/ once fixed,
where tests/test_fuzz_regressions.py replays it forever.
"""
