# Balcão — the two commands are `make run` and `make test`; see README.md.
SWIFT ?= swift
JOBS ?= $(shell nproc)
RELEASE_BIN := .build/release/balcao
CPU_BOUND_SUITES := VectorIndexTests|ChunkerFuzzTests|DocumentFuzzTests|IsolatedDocumentReaderTests|HybridSearchTests|AgentIsolationTests|VectorIndexRestartTests|OCRTests|ScanExtractionTests
QUIET_PERIOD_SUITES := WhatsAppFlowTests
# Tesseract's OpenMP threads spin while they wait: tests and benchmarks that read in-process use one (the daemon's
# document reader sets the same for its child processes).
export OMP_THREAD_LIMIT := 1

.PHONY: setup build release run test test-browser bench-admin bench-ann bench-embed bench-extract bench-ocr bench-speech bench-webhook score-extract score-retrieval clean

setup:
	@bash scripts/setup.sh

build: setup
	$(SWIFT) build -j $(JOBS)

release: setup
	$(SWIFT) build -c release -j $(JOBS) --product balcao

## Runs the daemon on embedded defaults: http://127.0.0.1:8080, data in ./balcao-data.
run: release
	$(RELEASE_BIN) serve

## The whole test suite.
## make test's bounded fuzz run takes its seed from the commit (its first 7 hex digits), so CI and a local run of the
## same commit fuzz the same inputs and a finding replays; each commit draws new ones. FUZZ_SEED=N picks one; make fuzz
## draws a random seed.
FUZZ_SEED ?= $(shell git rev-parse --short=7 HEAD 2>/dev/null | sed -n 's/^\([0-9a-f]\{7\}\)$$/\1/p' | xargs -r -I{} printf '%d' 0x{})

test: setup lint
	$(SWIFT) build --build-tests -j $(JOBS)
	@# CPU-bound suites (the vector index's, the chunker and document fuzzers) keep both cores and the test process's
	@# two cooperative threads busy; run alongside the loopback tests they held up those tests' daemons for a minute
	@# and more (a 20 s quiet period was overrun), so they run first, in a process of their own.
	$(SWIFT) test --skip-build --filter '$(CPU_BOUND_SUITES)'
	$(SWIFT) test --skip-build --skip '$(CPU_BOUND_SUITES)|$(QUIET_PERIOD_SUITES)'
	@# Quiet periods are due on the wall clock, and the big run's many in-process daemons share the process's two
	@# cooperative threads: beside them, a burst's last message was once applied after a 20 s quiet period. Alone,
	@# the suite holds.
	$(SWIFT) test --skip-build --filter '$(QUIET_PERIOD_SUITES)'
	@bash scripts/test-browser.sh
	@bash scripts/fuzz.sh --bounded $(if $(FUZZ_SEED),--seed $(FUZZ_SEED))

## The JSON API's server interface and types, generated from Sources/HTTPAPI/openapi.json by swift-openapi-generator
## (committed, so a build does not need the generator; a test fails when the document changed without this).
openapi:
	@bash scripts/generate-openapi.sh

## The code's format (.swift-format: Hummingbird's settings, 4 spaces, 150 columns; `make format` fixes what it can), and
## the module boundaries: imports match Package.swift, GRDB only in the modules that own tables.
lint:
	$(SWIFT) format lint --strict --parallel --recursive Sources Tests Benchmarks Package.swift
	@python3 scripts/check-module-deps.py

format:
	$(SWIFT) format --in-place --parallel --recursive Sources Tests Benchmarks Package.swift

## Only the browser tests (headless Chromium against .build/debug/balcao); screenshots in test-artifacts/browser/.
test-browser: setup
	@bash scripts/test-browser.sh

bench-ann:
	@bash scripts/bench-ann.sh

bench-embed: setup
	@bash scripts/bench-embed.sh

bench-extract: setup
	@bash scripts/bench-extract.sh

bench-ocr: setup
	@bash scripts/bench-ocr.sh

## Voice notes: WER and speed of decode + resample + whisper.cpp against faster-whisper on the same model and clips.
bench-speech: setup
	@bash scripts/bench-speech.sh

score-extract: setup
	@bash scripts/score-extract.sh

score-retrieval: setup
	@bash scripts/score-retrieval.sh

bench-admin: setup
	@bash scripts/bench-admin.sh

bench-webhook: setup
	@bash scripts/bench-webhook.sh

## SOAK_SECONDS (600) of webhooks at SOAK_RATE/s (40) against the release daemon: RSS, SQLite/WAL, latencies, lost/duplicated.
bench-soak: setup
	@bash scripts/bench-soak.sh

## The release daemon (local model, an agent with documents) at rest: CPU and SQLite write transactions over IDLE_SECONDS (60).
bench-idle: setup
	@bash scripts/bench-idle.sh

## The webhook fuzzer and schemathesis against the debug daemon, long run (FUZZ_WEBHOOKS, FUZZ_API_SECONDS); make test runs a bounded one.
fuzz: setup
	@bash scripts/fuzz.sh
	@# Documents: seeded mutations of the corpus through the real isolated reader (FUZZ_DOCUMENTS per file; seed
	@# BALCAO_FUZZ_SEED), plus the made hostile files; a crash, hang or memory blow-up of the reader fails it.
	$(SWIFT) build --build-tests -j $(JOBS)
	BALCAO_FUZZ_MUTANTS=$${FUZZ_DOCUMENTS:-100} $(SWIFT) test --skip-build --filter DocumentFuzzTests

## The vector index's concurrency suites and the conversation suites under the thread sanitizer (scratch path .build-tsan).
test-tsan: setup
	@bash scripts/test-tsan.sh

## The Debian package dist/balcao_<version>_<arch>.deb: static release build in .build-deb (packaging/README.md).
deb: setup
	@bash scripts/build-deb.sh

## Builds the package, installs it on this machine (root), runs the unit's command line, then removes and purges it.
test-deb: setup
	@bash scripts/test-deb.sh

.PHONY: deb test-deb bench-soak bench-idle fuzz test-tsan lint format openapi

clean:
	rm -rf .build .build-deb dist bench-results
