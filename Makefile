# Two commands for a fresh machine: `make run` and `make test`.
# They assume only python3, make and git; everything else they install.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install lint typecheck unit bench soak package checkov clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall whenever the project's dependencies change.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

# Leaflet for the operations map, from its npm package (npm, or Node.js from PyPI), never a CDN.
LEAFLET := web/map/vendor/leaflet/.integrity
$(LEAFLET): $(STAMP) src/busgps/local/vendor_leaflet.py
	$(BIN)/python -m busgps.local.vendor_leaflet

install: $(STAMP) $(LEAFLET)

run: install
	$(BIN)/busgps local up

lint: install
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests

typecheck: install
	$(BIN)/mypy src

# The pipeline tests run GitLab CI jobs with gitlab-ci-local (4.60 is the newest that runs on
# Node.js 20). Without npm this only says so, and those tests are skipped with that reason.
GITLAB_CI_LOCAL := .tools/gitlab-ci-local/node_modules/.bin/gitlab-ci-local
$(GITLAB_CI_LOCAL):
	@if command -v npm > /dev/null; then \
		npm install --prefix .tools/gitlab-ci-local --no-audit --no-fund --loglevel=error gitlab-ci-local@4.60.0; \
	else echo "npm not found: the gitlab-ci-local pipeline tests will be skipped"; fi

# Command-line tools some tests use: rsync (gitlab-ci-local copies the work tree with it), jq
# (ci/terraform.sh's reports), curl (the README's examples). As root with apt-get (as on CI) the
# missing ones are installed; whatever is still missing is named, with what is skipped without it.
# Terraform is not in Debian's archive: without it the plan checks are skipped, and say so.
APT_TOOLS := rsync jq curl
SKIPPED_WITHOUT_rsync := the gitlab-ci-local job runs
SKIPPED_WITHOUT_jq := the ci/terraform.sh tests
SKIPPED_WITHOUT_curl := the test of the printed curl example
.PHONY: tools
tools:
	@missing=$$(for tool in $(APT_TOOLS); do command -v $$tool > /dev/null || printf '%s ' $$tool; done); \
	if [ -n "$$missing" ] && [ "$$(id -u)" = 0 ] && command -v apt-get > /dev/null; then \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing > /dev/null; } \
			|| echo "apt-get could not install $$missing"; fi
	@$(foreach tool,$(APT_TOOLS),command -v $(tool) > /dev/null || echo "$(tool) not found: $(SKIPPED_WITHOUT_$(tool)) will be skipped";)
	@command -v terraform > /dev/null || echo "terraform not found (not in apt): the plan checks of tests/infra will be skipped"

# The map's browser test drives Debian's chromium with its chromium-driver. As root with apt-get
# (as on CI) they are installed; elsewhere that test is skipped, saying so.
.PHONY: chromium
chromium:
	@command -v chromedriver > /dev/null || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get > /dev/null; then \
			{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver > /dev/null; } \
				|| echo "chromium could not be installed: the map's browser test will be skipped"; \
		else echo "chromedriver not found: the map's browser test will be skipped"; fi; }

# checkov scans terraform/; its dependencies clash with the project's, so it has its own venv.
CHECKOV := .tools/checkov/bin/checkov
$(CHECKOV):
	$(PYTHON) -m venv .tools/checkov
	.tools/checkov/bin/python -m pip install --quiet 'checkov==3.2.533'

checkov: $(CHECKOV)

# On every core (pytest-xdist), the tests sharing a Terraform plan or a pipeline run on one worker each.
# The pytest run's seconds are kept in .local/test-seconds, which `make bench` shows beside the goal,
# unless PYTEST_ADDOPTS narrows the run (as the pipeline tests' own run of the test job does).
test: lint typecheck $(GITLAB_CI_LOCAL) $(CHECKOV) tools chromium
	@started=$$(date +%s); $(BIN)/pytest -n auto --dist loadgroup; status=$$?; \
		if [ -z "$$PYTEST_ADDOPTS" ]; then mkdir -p .local; \
		echo "$$(( $$(date +%s) - started )) $$(date -u +%Y-%m-%dT%H:%M:%SZ)" > .local/test-seconds; fi; exit $$status

bench: install
	$(BIN)/python -m busgps.bench

# 100,000 fixes through a local stack of its own with every fault kind on, then checked through the API.
soak: install
	$(BIN)/python -m busgps.soak

# The Lambda zips, and dist/map: the operations map as Terraform uploads it (Leaflet included).
package: install
	$(BIN)/python -m busgps.packaging
	rm -rf dist/map && cp -R web/map dist/map

clean:
	rm -rf $(VENV) .local dist build .pytest_cache .mypy_cache .ruff_cache
