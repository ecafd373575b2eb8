# Two commands: `make book` builds the book (executing every chapter), `make test` runs every test.
# Both create the virtual environment and install everything on first use.
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed


.PHONY: book test unit notebooks lab reproduce bench clean

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
	$(PY) -m pytest tests chapters assignments --nbval-lax --nbval-current-env -q

unit: $(STAMP)
	$(PY) -m pytest tests -q

notebooks: $(STAMP)
	$(PY) -m pytest chapters --nbval-lax --nbval-current-env -q

# Open the chapters in JupyterLab (installed on first use; not needed by the book or the tests).
lab: $(STAMP)
	test -x $(VENV)/bin/jupyter-lab || $(PY) -m pip install --quiet jupyterlab==4.6.6
	$(VENV)/bin/jupyter lab chapters/

reproduce: $(STAMP)
	$(PY) -m sslcore reproduce --out out/reproduce

bench: $(STAMP)
	$(PY) benchmarks/bench_reproduce.py
	$(PY) benchmarks/bench_widgets.py

clean:
	rm -rf _build out
