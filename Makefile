# Two commands: `make book` builds the book (executing every chapter), `make test` runs every test:
# unit tests and nbval, then the book build and the reader's-eye page tests on the built site.
# Both create the virtual environment and install everything on first use.
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed


.PHONY: book test unit lint notebooks pages browser lab reproduce bench clean assignments grade

$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(STAMP)

book: $(STAMP)
	bash scripts/fetch_widget_assets.sh
	$(VENV)/bin/jupyter-book build . --all -W -n --keep-going

test: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m pytest tests chapters assignments/masters --ignore=tests/pages --nbval-lax --nbval-current-env -q
	$(MAKE) book
	$(MAKE) pages

unit: $(STAMP)
	$(PY) -m pytest tests --ignore=tests/pages -q

# Lint and import order of every Python file (ruff, configured in pyproject.toml).
lint: $(STAMP)
	$(PY) -m ruff check .

# The reader's-eye test of the built book (headless Chromium, offline, 1280 and 390 px wide).
# Uses the existing _build/html: run `make book` first (make test does).
pages: $(STAMP) browser
	$(PY) -m pytest tests/pages -q

browser:
	bash scripts/ensure_chromium.sh

notebooks: $(STAMP)
	$(PY) -m pytest chapters --nbval-lax --nbval-current-env -q

# Open the chapters in JupyterLab (installed on first use; not needed by the book or the tests).
lab: $(STAMP)
	test -x $(VENV)/bin/jupyter-lab || $(PY) -m pip install --quiet jupyterlab==4.6.6
	$(VENV)/bin/jupyter lab chapters/

# Coursework (assignments/README.md). `otter assign` of every master notebook in
# assignments/masters/ into _build/assignments/<name>/ (student/ and autograder/ with the zip);
# refreshes the hand-outs assignments/<name>.ipynb that the book shows.
assignments: $(STAMP)
	$(PY) -m sslcore.assignments build

# Grade every .ipynb in a folder without Docker into <folder>/grades.csv (otter's final_grades.csv
# layout) and <folder>/feedback/:  make grade ASSIGNMENT=A1 SUBMISSIONS=path/to/folder
# (ASSIGNMENT: the full name or its prefix; TIMEOUT: seconds per submission; JOBS: at once).
TIMEOUT ?= 600
JOBS    ?= 2
grade: $(STAMP)
	@$(PY) -m sslcore.assignments grade "$(ASSIGNMENT)" "$(SUBMISSIONS)" --timeout "$(TIMEOUT)" --jobs "$(JOBS)"

reproduce: $(STAMP)
	$(PY) -m sslcore reproduce --out out/reproduce

bench: $(STAMP)
	$(PY) benchmarks/bench_reproduce.py
	$(PY) benchmarks/bench_widgets.py
	$(PY) benchmarks/bench_scaling.py

clean:
	rm -rf _build out
