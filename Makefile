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

.PHONY: all build deps-build demo test test-rust test-c test-header test-compat test-difffuzz fuzz-diff test-video test-run test-online test-bindings test-cpp test-go test-packaging test-examples install lint bench bench-detail clean deps-apt
.PHONY: test-harden test-sanitizers test-tsan-rust test-soak test-fsfaults fuzz-short fuzz-long miri

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
test lint test-rust test-header test-c test-compat test-video test-run test-bindings test-cpp test-go test-packaging test-examples test-harden test-sanitizers test-fsfaults test-soak fuzz-short: export WANDB_MODE := offline

test: lint test-rust test-header test-c test-compat test-difffuzz test-video test-run test-online test-bindings test-harden
	@echo "suites: 18 passed, 0 failed"

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

# --- hardening (issue 15) -------------------------------------------------------------
# test-harden: sanitizers (C/ASan+UBSan, C/TSan), file-system faults on a tmpfs,
# the soak, the short fuzz pass and Miri. The depth/hostile-size/fault regressions are Rust
# tests (tests/robustness.rs, in test-rust) and tests/c/test_harden.c (in test-c, valgrind).
# The 10-minute soak runs in the background while the nightly builds (TSan, fuzz, Miri) and
# their runs take the foreground, so it adds no wall time; its log is printed at the end.
SOAK_SECS ?= 600
FUZZ_SECS ?= 30
FUZZ_TARGETS := file_decoders json_entry tensor_ctor table_cells run_calls

test-harden: build test-fsfaults
	@mkdir -p target; \
	WBM_SOAK_SECS=$(SOAK_SECS) nice -n 5 $(CARGO) test --quiet --test soak -- --nocapture >target/soak.log 2>&1 & soak=$$!; \
	$(MAKE) --no-print-directory test-sanitizers fuzz-short miri; rc=$$?; \
	wait $$soak; src=$$?; echo "== soak ($(SOAK_SECS) s, alongside the above): exit $$src"; cat target/soak.log; \
	[ $$rc -eq 0 ] && [ $$src -eq 0 ]

test-sanitizers: build
	tests/sanitizers/run.sh

# The library itself under TSan (nightly -Zsanitizer=thread -Zbuild-std; not yet in make test).
test-tsan-rust:
	tests/sanitizers/rust-tsan.sh

# Disk full / read-only / deleted dir / file-for-dir / FIFOs and devices / escaping keys,
# on a size-limited tmpfs mounted by the test (root), else skipped with the reason printed.
test-fsfaults: deps-build
	$(CARGO) test --quiet --test robustness --test fsfaults

# Mixed multi-threaded logging for SOAK_SECS seconds: rows read back exactly once, flat
# RSS, no fd growth. `make test-soak SOAK_SECS=3600` for a long local soak.
test-soak: deps-build
	WBM_SOAK_SECS=$(SOAK_SECS) $(CARGO) test --quiet --test soak -- --nocapture

# cargo-fuzz (nightly, ASan) on the checked-in corpus, FUZZ_SECS per target, one at a time.
# New inputs go to target/fuzz-corpus (the checked-in seeds are only read).
fuzz-short:
	scripts/fuzz.sh $(FUZZ_SECS) $(FUZZ_TARGETS)

# Longer local fuzzing (not in make test): make fuzz-long FUZZ_LONG_SECS=36000
FUZZ_LONG_SECS ?= 3600
fuzz-long:
	scripts/fuzz.sh $(FUZZ_LONG_SECS) $(FUZZ_TARGETS)

# Miri on the pure-Rust modules whose unsafe code it can run (tensor views, JSON, stats).
miri:
	scripts/miri.sh
