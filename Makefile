# The suite's verbs. `make up` serves the suite; `make test` runs every test.
# One target directory for everything, so CI and repeated builds reuse work.

CARGO ?= cargo
WASM_TARGET := wasm32-wasip2
WASM_CRATES := -p fixture-hello -p fixture-greeter -p fixture-conformance -p safetynet-routing \
	-p fn-registry -p fn-device-events -p fn-incidents -p fn-openapi -p fn-console \
	-p safetynet-recognition -p fn-officers -p safetynet-scoring -p fn-scoring \
	-p safetynet-schedule -p fn-reminders
# Libraries whose code exists only in the Wasm build (Spin SQLite, Spin HTTP); linted for Wasm.
WASM_LIBS := -p safetynet-db -p safetynet-http -p safetynet-auth -p safetynet-residents \
	-p safetynet-alerting -p safetynet-cases -p safetynet-care
NATIVE_CRATES := -p safetynet-host -p safetynet-cli -p safetynet-bridge
LISTEN ?= 127.0.0.1:3000
# Crates that only build for Wasm (spin-sdk exports); excluded from native test/clippy runs.
WASM_ONLY := --exclude fixture-hello --exclude fixture-greeter --exclude fixture-conformance \
	--exclude fn-registry --exclude fn-device-events --exclude fn-incidents --exclude fn-openapi \
	--exclude fn-officers --exclude fn-reminders --exclude fn-console

.PHONY: target console build up test test-deps bench fmt clippy lint clean

# A target named in rust-toolchain.toml is not installed by itself on a fresh machine.
target:
	@rustup target add $(WASM_TARGET) >/dev/null 2>&1 || rustup target add $(WASM_TARGET)

# The console's page and assets (Vite, from the lockfile); fn-console embeds web/dist.
CONSOLE_WEB := functions/console/web
console:
	@[ -d $(CONSOLE_WEB)/node_modules ] && [ $(CONSOLE_WEB)/node_modules/.package-lock.json -nt $(CONSOLE_WEB)/package-lock.json ] \
		|| npm --prefix $(CONSOLE_WEB) ci --no-audit --no-fund
	npm --prefix $(CONSOLE_WEB) run build

build: target console
	$(CARGO) build --target $(WASM_TARGET) --release $(WASM_CRATES)
	$(CARGO) build --release $(NATIVE_CRATES)

up: build
	LISTEN=$(LISTEN) ./scripts/up.sh

test: build test-deps
	./scripts/test.sh $(WASM_ONLY)

# Python venv (schemathesis, python-dateutil, pysiaalarm, paho-mqtt) and mosquitto.
test-deps:
	./scripts/test-deps.sh

bench: build
	$(CARGO) run --release -p safetynet-bench

fmt:
	$(CARGO) fmt --all

# Native crates (with their tests and benches), then every Wasm crate as it is built for Spin.
clippy: target console
	$(CARGO) clippy --release --workspace --all-targets $(WASM_ONLY) -- -D warnings
	$(CARGO) clippy --release --target $(WASM_TARGET) $(WASM_CRATES) $(WASM_LIBS) -- -D warnings

# What CI checks besides the tests: formatting and clippy, warnings as errors.
lint: clippy
	$(CARGO) fmt --all -- --check

clean:
	$(CARGO) clean
