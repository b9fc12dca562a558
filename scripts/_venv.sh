# Sourced by scripts/*: make .venv with the project and its dev tools, then activate it.
if [ ! -x .venv/bin/python ] || [ pyproject.toml -nt .venv/.installed ]; then
    python3 -m venv .venv
    .venv/bin/python -m pip install -q --upgrade pip
    .venv/bin/python -m pip install -q -e '.[dev]'
    touch .venv/.installed
fi
# shellcheck disable=SC1091
. .venv/bin/activate
