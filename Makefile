# wandb-media — the two commands of the README:
#   make demo   build the library and run the C training-loop demo into ./demo-run/
#   make test   everything: Rust, C under valgrind, header drift, compat suite, bindings …
# Both work on a fresh machine (they install what they need: crates, apt packages, a venv).

CARGO     ?= cargo
CC        ?= cc
PYTHON    ?= python3
SHARED    ?= ../shared
RELEASE   := target/release
LIB_MAJOR := $(shell sed -n 's/^version = "\([0-9]*\)\..*/\1/p' Cargo.toml | head -1)
VERSION   := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
CFLAGS_T  := -std=c11 -Wall -Wextra -Werror -O1 -g -Iinclude
LDFLAGS_T := -L$(RELEASE) -Wl,-rpath,$(abspath $(RELEASE)) -lwandb_media -lm
COMPAT_VENV := .venv-compat
VALGRIND  := valgrind --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite,indirect,possible --quiet

.PHONY: test-floatcheck floatcheck-10m all build deps-build demo test test-rust test-c test-header test-compat test-difffuzz fuzz-diff test-video test-run test-online test-bindings test-cpp test-go test-packaging test-examples install lint bench bench-detail clean deps-apt

all: build

# The cdylib carries SONAME libwandb_media.so.<major>: provide the link next to it.
build: deps-build
	$(CARGO) build --release --lib
	ln -sf libwandb_media.so $(RELEASE)/libwandb_media.so.$(LIB_MAJOR)

demo: build
	@mkdir -p target/demo
	$(CC) -std=c11 -O2 -Iinclude examples/c/training_loop.c -o target/demo/training_loop $(LDFLAGS_T)
	rm -rf demo-run
	./target/demo/training_loop demo-run

deps-apt:
	@command -v valgrind >/dev/null || (apt-get update -qq && apt-get install -y -qq valgrind)

# nasm lets the bundled OpenH264 build its SIMD kernels (MP4 encoding ~2.3x faster, same
# bytes); without it the build still works (plain C). Must be there before the first build.
deps-build:
	@command -v nasm >/dev/null || (apt-get update -qq && apt-get install -y -qq nasm) || echo "nasm not installed: OpenH264 builds without assembly"

# The suites never reach a real W&B account, even with WANDB_API_KEY exported: runs are
# offline unless a suite (tests/online) points them at its own local server.
test lint test-rust test-header test-c test-compat test-video test-run test-bindings test-cpp test-go test-packaging test-examples: export WANDB_MODE := offline

test: lint test-rust test-header test-c test-compat test-difffuzz test-video test-run test-online test-bindings test-floatcheck
	@echo "suites: 14 passed, 0 failed"

lint: deps-build
	$(CARGO) fmt --check
	$(CARGO) clippy --all-targets --quiet -- -D warnings

test-rust: deps-build
	$(CARGO) test --quiet

# A fresh build must not change the committed header.
test-header: build
	git diff --exit-code -- include/wandb_media.h || (echo "include/wandb_media.h differs from a fresh build: commit the regenerated header" && exit 1)

test-c: build deps-apt
	@mkdir -p target/ctest
	@set -e; for src in tests/c/*.c; do \
	  name=$$(basename $$src .c); \
	  $(CC) $(CFLAGS_T) -DEXPECTED_VERSION='"$(VERSION)"' $$src -o target/ctest/$$name $(LDFLAGS_T); \
	  echo "valgrind $$name"; \
	  env -u RUST_BACKTRACE $(VALGRIND) ./target/ctest/$$name; \
	done

$(COMPAT_VENV)/.ok: $(SHARED)/compat/requirements.txt
	$(PYTHON) -m venv $(COMPAT_VENV)
	$(COMPAT_VENV)/bin/pip install --quiet -r $(SHARED)/compat/requirements.txt
	touch $@

test-compat: $(COMPAT_VENV)/.ok
	rm -rf target/compat-out
	tests/compat/driver $(SHARED)/compat/cases target/compat-out
	$(COMPAT_VENV)/bin/python $(SHARED)/compat/compare.py $(SHARED)/compat/expected target/compat-out
	rm -rf target/compat-extra-out
	tests/compat/driver tests/compat/extra/cases target/compat-extra-out
	$(COMPAT_VENV)/bin/python $(SHARED)/compat/compare.py tests/compat/extra/expected target/compat-extra-out

# Differential fuzzer (tests/difffuzz): seeded random compat cases through wandb 0.31 and
# through tests/compat/driver, compared with compare.py; failing cases are shrunk and printed.
# The SDK side needs the reference environment in the same venv (wandb, moviepy, soundfile).
$(COMPAT_VENV)/.difffuzz-ok: tests/difffuzz/requirements.txt $(COMPAT_VENV)/.ok
	$(COMPAT_VENV)/bin/pip install --quiet -r tests/difffuzz/requirements.txt
	touch $@

test-difffuzz: $(COMPAT_VENV)/.difffuzz-ok
	$(COMPAT_VENV)/bin/python tests/difffuzz/difffuzz.py --seed 1 --n 300 --shared $(SHARED)

SEED ?= 2
N    ?= 1000
fuzz-diff: $(COMPAT_VENV)/.difffuzz-ok
	$(COMPAT_VENV)/bin/python tests/difffuzz/difffuzz.py --seed $(SEED) --n $(N) --shared $(SHARED)

# Offline runs read by the real wandb CLI, uploaded to a local openwandb server, stress + kill tests.
test-run: build
	tests/run/run.sh

# Online mode and native sync against local openwandb servers (pinned test venv): online vs
# offline + real `wandb sync` end state, Python-run sync, SIGKILL + sync, server down, disabled.
test-online: build
	tests/online/online.sh

# C++ (GoogleTest, ASan/UBSan, -fno-exceptions, ODR), Go (-race, cgocheck2, Go compat driver),
# install + CMake/pkg-config consumers, and the examples with their outputs checked.
test-bindings: test-cpp test-go test-packaging test-examples
test-cpp: build
	tests/cpp/run.sh
test-go: build
	tests/go/run.sh
test-packaging: build
	tests/packaging/run.sh
test-examples: build
	tests/examples/run.sh

# make install PREFIX=/usr/local: header, C++ header, .so (+SONAME links), .a, pkg-config, CMake package
PREFIX ?= /usr/local
install: build
	scripts/install.sh $(PREFIX)

# Real browser playback of our MP4s (installs Debian's chromium if missing).
test-video: build
	tests/video/playback.sh

# The float formatter vs Python repr / pydantic-core / Go strconv, bit for bit:
# 300k values in `make test`, 10M with `make floatcheck-10m` (pydantic-core comes with wandb
# in the difffuzz venv; Go from apt if missing).
FLOATCHECK_N ?= 300000
test-floatcheck: $(COMPAT_VENV)/.difffuzz-ok
	$(CARGO) build --release --quiet --bin wb-floatcheck
	@mkdir -p target/floatcheck
	@command -v go >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq golang-go >/dev/null)
	cd tests/floatcheck && go build -o ../../target/floatcheck/gofmt check.go
	target/release/wb-floatcheck $(FLOATCHECK_N) 1 $(COMPAT_VENV)/bin/python target/floatcheck/gofmt target/floatcheck
	@rm -f target/floatcheck/values.bin

floatcheck-10m:
	$(MAKE) test-floatcheck FLOATCHECK_N=10000000

# The issue-11 table (ours vs wandb 0.31 in one process, with the memory-bandwidth limit).
bench: build
	benches/table.sh

# The older per-area benchmarks (PNG modes, video writer, offline-run rows/s).
bench-detail: build
	benches/foundation.sh
	benches/video.sh
	benches/run.sh

clean:
	$(CARGO) clean
	rm -rf demo-run $(COMPAT_VENV)
