# Two entry points for a fresh machine: `make demo` and `make test`.
# Both create the virtual environment on first use (Python 3.10 + the pinned TFX stack).

VENV ?= .venv
PY := $(VENV)/bin/python
# python3.10 may be a pyenv shim that refuses to run; fall back to pyenv's own copy
PYTHON310 ?= $(shell for p in python3.10 $$HOME/.pyenv/versions/3.10*/bin/python3.10 /usr/bin/python3.10 /usr/local/bin/python3.10; do \
	$$p -c 'import sys; assert sys.version_info[:2] == (3, 10)' >/dev/null 2>&1 && { echo $$p; break; }; done)

.PHONY: demo demo-library test test-fast bench venv clean

# stardist is installed only for the nuclei image and mask it ships
# (coarseseg_tf.data.datasets.nuclei), with --no-deps: only its data files are read, so its
# code's dependencies (csbdeep, numba, imageio) would be unused installs outside the pinned stack
$(VENV)/.installed: pyproject.toml constraints.txt
	@test -n "$(PYTHON310)" || { echo "Python 3.10 not found: install python3.10 (TFX 1.16 needs it)"; exit 1; }
	$(PYTHON310) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip<25" wheel
	$(PY) -m pip install --quiet -c constraints.txt -e ".[pipeline,datasets,dev]"
	$(PY) -m pip install --quiet --no-deps -c constraints.txt stardist==0.9.2
	touch $@

venv: $(VENV)/.installed

# the TFX pipeline end to end on MNIST: Beam drawings, training, TFMA mIoU gate, push
demo: venv
	$(PY) pipeline/local_runner.py

# the library alone: default method vs naive on the same drawings, with a figure
demo-library: venv
	$(VENV)/bin/coarseseg demo --output-dir demo_output

test: venv
	$(PY) -m pytest -q

test-fast: venv
	$(PY) -m pytest -q -m "not slow"

bench: venv
	$(PY) benchmarks/mnist_table.py

clean:
	rm -rf $(VENV) demo_output tfx_output
