# symbiosis: the README's commands. Everything installs into .venv from the package registries.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SCENARIO ?= models/guizhou-2025.yaml
OUT    ?= runs/$(basename $(notdir $(SCENARIO)))

.PHONY: install run test test-slow bench lint typecheck messages clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[all,dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/symbiosis run $(SCENARIO) --out $(OUT)

test: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow"

test-slow: $(STAMP)
	$(BIN)/python -m pytest -q -m slow

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run

lint: $(STAMP)
	$(BIN)/ruff check symbiosis tests benchmarks
	$(BIN)/ruff format --check symbiosis tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

# The translation catalogs (docs/i18n.md): extract every marked string into the template
# symbiosis/locale/symbiosis.pot, then merge it into each language's .po (new strings come
# in empty, changed ones fuzzy: translate them, then `pytest tests/test_i18n.py`).
LOCALE := symbiosis/locale
messages: $(STAMP)
	$(BIN)/pybabel -q extract -F babel.cfg --add-comments=TRANSLATORS: --add-location=file \
		--sort-by-file --no-wrap --project=symbiosis --copyright-holder="symbiosis developers" \
		-o $(LOCALE)/symbiosis.pot symbiosis
	$(BIN)/pybabel -q update -D symbiosis -i $(LOCALE)/symbiosis.pot -d $(LOCALE) \
		--ignore-obsolete --no-wrap

clean:
	rm -rf $(VENV) runs .pytest_cache .mypy_cache .ruff_cache
