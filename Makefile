# Every target sets up .venv first (idempotent), so each is one command on a fresh machine.
PY := .venv/bin/python
VENV_STAMP := .venv/.installed

.PHONY: setup browser demo test lint bench clean
# The grader's own modules are compiled here, each time (a no-op when nothing changed): pip compiles the packages it
# installs, not an editable install's sources, and where PYTHONDONTWRITEBYTECODE is set (this machine sets it)
# nothing else writes them: every grader process (each judge, sandbox worker, grader check) compiled them at start.
setup: $(VENV_STAMP)
	$(PY) -m compileall -q grader reference

$(VENV_STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv .venv
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[dev,lab]"
	touch $(VENV_STAMP)

# Hidden checks are seeded by the course secret; the demo uses a throwaway one unless you set yours.
demo: setup          ## grade the sample class in submissions/ into out/
	GRADER_SECRET="$${GRADER_SECRET:-sample-class-demo}" .venv/bin/grader grade submissions --out out

# The report's browser test renders report.html in Debian's headless Chromium.
browser:
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) || \
	  echo "note: chromium not installed; the browser test will be skipped"; }

# One pytest process per core (at most 4), each taking whole files, so a module's fixtures are built once.
test: setup browser lint  ## lint, then the whole test suite
	$(PY) -m pytest -q -n auto --maxprocesses 4 --dist loadfile

lint: setup          ## ruff on everything, mypy on grader/ (baseline in pyproject.toml)
	.venv/bin/ruff check .
	.venv/bin/mypy

bench: setup         ## benchmark: grader vs a fresh pytest per student
	$(PY) benchmarks/bench_grading.py

clean:
	rm -rf out .pytest_cache .ruff_cache
