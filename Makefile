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

.PHONY: all build deps-build demo test dist test-hostile-sync test-dist test-licenses deps-dist test-floatcheck floatcheck-10m test-rust test-c test-header test-compat test-difffuzz fuzz-diff test-video test-run test-online test-bindings test-cpp test-go test-packaging test-examples install lint bench bench-detail clean deps-apt
.PHONY: test-hostile test-harden test-sanitizers test-tsan-rust test-soak test-fsfaults fuzz-short fuzz-long miri
.PHONY: test-docs test-conan
.PHONY: test-console
.PHONY: test-weave
.PHONY: test-roundtrip test-fromjson

all: build

# The cdylib carries SONAME libwandb_media.so.<major>: provide the link next to it.
build: deps-build
	$(CARGO) build --release --lib
	ln -sf libwandb_media.so $(RELEASE)/libwandb_media.so.$(LIB_MAJOR)

# The demo's last lines name `wandb-media sync`: the CLI is built next to the library.
demo: build
	$(CARGO) build --release --bin wandb-media
	@mkdir -p target/demo
	$(CC) -std=c11 -O2 -Iinclude examples/c/training_loop.c -o target/demo/training_loop $(LDFLAGS_T)
	$(CC) -std=c11 -O2 -Wall -Wextra -Iinclude examples/c/weave_policy.c -o target/demo/weave_policy $(LDFLAGS_T)
	rm -rf demo-run
	./target/demo/training_loop demo-run
	@echo "wandb-media CLI: $(RELEASE)/wandb-media (make install puts it into PREFIX/bin); $(RELEASE)/wandb-media --help"
	cd demo-run && ../target/demo/weave_policy 3

deps-apt:
	@command -v valgrind >/dev/null || (apt-get update -qq && apt-get install -y -qq valgrind)

# nasm lets the bundled OpenH264 build its SIMD kernels (MP4 encoding ~2.3x faster, same
# bytes); without it the build still works (plain C). Must be there before the first build.
deps-build:
	@command -v nasm >/dev/null || (apt-get update -qq && apt-get install -y -qq nasm) || echo "nasm not installed: OpenH264 builds without assembly"
	@# WebM (default feature `webm`): VP8 from Debian's libvpx-dev (BSD-3-Clause), found with pkg-config
	@(command -v pkg-config >/dev/null && pkg-config --exists vpx) || (apt-get update -qq && apt-get install -y -qq pkg-config libvpx-dev)
	@# linked statically (.cargo/config.toml): the static library, by its own name
	@mkdir -p target/vpx-static && ln -sf "$$($(CC) -print-file-name=libvpx.a)" target/vpx-static/libvpx.a
	@# Opus audio tracks (default feature `opus`): libopus compiled from opusic-sys's sources with CMake
	@command -v cmake >/dev/null || (apt-get update -qq && apt-get install -y -qq cmake)
	@[ "$$(pkg-config --modversion vpx)" = "1.12.0" ] || echo "warning: libvpx $$(pkg-config --modversion vpx) installed; .cargo/config.toml expects 1.12.0 (set VPX_VERSION)"

# The suites never reach a real W&B account, even with WANDB_API_KEY exported: runs are
# offline unless a suite (tests/online) points them at its own local server.
test lint test-rust test-header test-c test-compat test-video test-run test-bindings test-cpp test-go test-packaging test-examples test-dist test-harden test-sanitizers test-fsfaults test-soak fuzz-short test-docs test-conan test-roundtrip test-fromjson: export WANDB_MODE := offline

# One line per suite: `make test` runs them in this order and counts them. `.ci/run` runs
# `make test` and then `make test-cross` (the other platforms: Windows under wine, ARM64
# under qemu, their bundles, msvc/macOS checks, the H.264 feature variants).
SUITES := lint test-licenses test-rust test-header test-c test-compat test-difffuzz test-video test-run test-online test-bindings
SUITES += test-floatcheck
SUITES += test-docs test-conan
SUITES += test-console
SUITES += test-harden
SUITES += test-hostile-sync
SUITES += test-hostile
SUITES += test-weave
SUITES += test-roundtrip test-fromjson
CROSS_SUITES := test-cross-run test-dist test-h264-features

# Each suite in its own sub-make, timed, so a CI log says where the minutes went (the CI budget
# is 65 min on 2 cores). Stops at the first failing suite unless make runs with -k.
KEEP_GOING := $(findstring k,$(firstword -$(MAKEFLAGS)))
define run_suites
	@t0=$$(date +%s); failed=""; n=0; \
	for s in $(1); do \
	  t=$$(date +%s); echo "== $$s (at $$(( t - t0 )) s)"; \
	  if $(MAKE) --no-print-directory $$s; then n=$$((n + 1)); r=passed; \
	  else failed="$$failed $$s"; r=FAILED; fi; \
	  echo "== $$s $$r in $$(( $$(date +%s) - t )) s"; \
	  [ -z "$$failed" ] || [ -n "$(KEEP_GOING)" ] || break; \
	done; \
	echo "$(2): $$n passed, $$(echo $$failed | wc -w) failed$${failed:+ ($$failed )} in $$(( $$(date +%s) - t0 )) s"; \
	[ -z "$$failed" ]
endef

test:
	$(call run_suites,$(SUITES),suites)

test-cross:
	$(call run_suites,$(CROSS_SUITES),cross suites)

# Everything CI runs.
test-all: test test-cross

# What the later suites compile (cargo-fuzz, Miri, the library under Rust TSan, the Windows
# and ARM64 cross builds), each in its own target dir so no host build waits on its lock.
# .ci/run starts it in the background (nice) before `make test`, whose first suites leave a
# core idle much of the time; the suites then find their builds done (or wait for them).
# On its own it only builds.
.PHONY: prebuild
prebuild:
	scripts/fuzz.sh --build-only
	scripts/miri.sh --no-run
	tests/sanitizers/rust-tsan.sh build
	tests/cross/run.sh build

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

# Reading back (issue 21): every compat case, extra case and difffuzz seed-1 case is logged,
# read back with wb_value_from_wandb_json, logged again: same JSON, same bytes, equal values.
test-roundtrip: $(COMPAT_VENV)/.ok
	tests/roundtrip/run.sh

# Reading against the SDK (issue 21): what wandb 0.31 logs (run + artifact) read back in
# C/C++/Go and compared with what the SDK's from_json reads; a C table read by the SDK.
test-fromjson: build $(COMPAT_VENV)/.difffuzz-ok
	tests/fromjson/run.sh

SEED ?= 2
N    ?= 1000
fuzz-diff: $(COMPAT_VENV)/.difffuzz-ok
	$(COMPAT_VENV)/bin/python tests/difffuzz/difffuzz.py --seed $(SEED) --n $(N) --shared $(SHARED)

# Offline runs read by the real wandb CLI, uploaded to a local openwandb server, stress + kill tests.
test-run: build
	tests/run/run.sh

# Online mode and native sync against local openwandb servers (pinned test venv): online vs
# offline + real `wandb sync` end state, Python-run sync, SIGKILL + sync, server down, disabled.
test-online: build deps-apt
	tests/online/online.sh

# Sync of hostile run directories (issue 22): crafted logs and run dirs, truncations and bit
# flips against a local openwandb (tests/online/hostile_sync.py); the server-less sweeps
# (every truncation offset, 3000 bit flips, crafted records, save/YAML/deleted-dir
# regressions) are tests/hostile_sync.rs, run here and by test-rust.
test-hostile-sync: build deps-apt
	$(CARGO) test --quiet --test hostile_sync -- --nocapture
	tests/online/online.sh hostile
# Hostile-server suite (issue 22): online runs through the C ABI against a local server that
# misbehaves in 16 ways (malformed/huge/errors answers, redirects, upload URLs on other
# origins and schemes, slow drip, resets, 401/403/404, down), a 512 MiB and a /dev/zero
# saved file, artifacts whose file became a FIFO or a link to /dev/zero. Python stdlib only.
test-hostile: build
	tests/hostile/hostile.sh
# The console log (issue 25): the differential against wandb 0.31 (output_raw records,
# output.log), file_stream's output.log lines (SDK vs ours live, wandb sync, wandb-media
# sync), fd capture from C/C++/Go/a child (file, pipe, terminal), programs that dup2/close
# their own fds, a 128 MB flood with bounded RSS, and the redirection overhead line.
test-console: build deps-apt
	tests/console/console.sh
# Weave traces (issue 20): the C demo, C++ and Go examples traced into a local trace server
# (weave 0.51.59's SqliteTraceServer wrapped in tests/weave/server.py), read back by the Python
# client 0.54.0 (moviepy, PIL, wave); the same ops traced by Python side by side; faults (down,
# restart, 500, 429, resets, SIGKILL + `wandb-media sync`). Venvs .venv-weave-srv/.venv-weave-py.
test-weave: build
	tests/weave/weave.sh

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

# The READMEs' C/C++/Go/CMake snippets compiled (tests/docs/snippets.py), rustdoc without
# warnings (the doctests run in test-rust), examples/rust_run.rs run and checked.
test-docs: build
	tests/docs/run.sh

# The Conan 2 recipe (conanfile.py): conan create (Conan from PyPI in .venv-conan, no remote)
# and a consumer project built with conan install + CMake and with the generated .pc.
test-conan: build deps-build
	tests/conan/run.sh

# make install PREFIX=/usr/local: header, C++ header, .so (+SONAME links), .a, pkg-config, CMake
# package, the wandb-media CLI in PREFIX/bin; stripped, debug info in .debug/ (STRIP=0: unstripped)
PREFIX ?= /usr/local
install: build
	scripts/install.sh $(PREFIX)

# Real browser playback of our MP4s and WebMs (installs Debian's chromium if missing), then
# quality controls (crf / bitrate / keyframe interval, decoded by imageio-ffmpeg's ffmpeg)
# and the streaming writers' bounded memory, for MP4 and WebM; H.264 pass-through of
# libx264/libopenh264/our streams (the venv's imageio-ffmpeg, tests only); raw streams
# without timestamps (B-frames, open GOPs: order from the slice headers) and byte streams.
test-video: build $(COMPAT_VENV)/.ok
	tests/video/playback.sh
	$(CARGO) build --quiet --release --example h264_mux --example video_encode
	$(COMPAT_VENV)/bin/python tests/video/quality.py $(RELEASE)/examples/video_encode
	$(COMPAT_VENV)/bin/python tests/video/h264_passthrough.py
	$(COMPAT_VENV)/bin/python tests/video/h264_reorder.py
	$(COMPAT_VENV)/bin/python tests/video/audio_track.py

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
	benches/weave.sh

# The older per-area benchmarks (PNG modes, video writer, offline-run rows/s).
bench-detail: build
	benches/foundation.sh
	benches/video.sh
	benches/run.sh

# Prebuilt bundles into dist/ (README "Download a bundle"), for Linux x86-64, Linux ARM64 and
# Windows x86-64 by default (deps-dist installs the cross toolchains; DIST_TARGETS="triple ..."
# to choose): wandb_media-V-T.{tar.gz,zip},
# -debug.tar.gz, SHA256SUMS, and dist/go-module (the Go module a release publishes).
HOST_TRIPLE  := $(shell rustc -vV 2>/dev/null | sed -n 's/^host: //p')
DIST_TARGETS ?= $(HOST_TRIPLE) aarch64-unknown-linux-gnu x86_64-pc-windows-gnu
deps-dist:
	@command -v zip >/dev/null || (apt-get update -qq && apt-get install -y -qq zip)
	@case " $(DIST_TARGETS) " in *" aarch64-unknown-linux-gnu "*) \
	  command -v aarch64-linux-gnu-g++ >/dev/null && command -v qemu-aarch64 >/dev/null || \
	    (apt-get update -qq && apt-get install -y -qq gcc-aarch64-linux-gnu g++-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user); \
	  rustup target list --installed | grep -qx aarch64-unknown-linux-gnu || rustup target add aarch64-unknown-linux-gnu;; esac
	@case " $(DIST_TARGETS) " in *" x86_64-pc-windows-gnu "*) \
	  command -v x86_64-w64-mingw32-g++ >/dev/null && command -v wine >/dev/null || \
	    (apt-get update -qq && apt-get install -y -qq gcc-mingw-w64-x86-64 g++-mingw-w64-x86-64 wine wine64); \
	  rustup target list --installed | grep -qx x86_64-pc-windows-gnu || rustup target add x86_64-pc-windows-gnu;; esac
dist: deps-build deps-dist
	packaging/dist.sh $(DIST_TARGETS)

# The bundles consumed like a user would: FetchContent + find_package, pkg-config, Go without
# Rust, symbol hygiene (only wb_* exported; system -lz -lpng alongside), version check.
test-dist: dist
	WB_DIST_REQUIRE="$(DIST_TARGETS)" tests/dist/run.sh

# Licence allow-list (deny.toml: no GPL/AGPL/NC in what ships), checked from cargo metadata
# by scripts/licenses.py (`cargo deny check licenses` reads the same file); the second line
# proves the check can fail: without MIT in the allow-list it must reject crates.
test-licenses:
	$(PYTHON) scripts/licenses.py
	@if $(PYTHON) scripts/licenses.py --drop MIT >/dev/null; then echo "licence check accepted MIT crates without MIT allowed"; exit 1; fi

clean:
	$(CARGO) clean
	rm -rf demo-run $(COMPAT_VENV) dist

# Cross builds that run (tests/cross/run.sh): x86_64-pc-windows-gnu (mingw-w64) under wine and
# aarch64-unknown-linux-gnu (cross gcc) under qemu-user — C tests, the whole compat suite
# (compare.py on the host) and an offline run read by the wandb CLI — plus `cargo check` for
# all five targets (incl. windows-msvc and macOS). Installs apt packages and rustup targets.
# The H.264 cargo features (tests/cross/features.sh): no-H.264 and runtime-loaded OpenH264.
.PHONY: test-cross test-cross-run test-all test-cross-windows test-cross-arm64 test-cross-check test-h264-features
test-cross-run:
	tests/cross/run.sh windows arm64 check
test-cross-windows:
	tests/cross/run.sh windows
test-cross-arm64:
	tests/cross/run.sh arm64
test-cross-check:
	tests/cross/run.sh check
test-h264-features: build $(COMPAT_VENV)/.ok
	tests/cross/features.sh

# --- hardening (issue 15) -------------------------------------------------------------
# test-harden: file-system faults on a tmpfs, then a 10-minute soak in the background while
# the foreground runs the sanitizer suites (C ASan+UBSan and TSan), the short fuzz pass, Miri
# and the library under Rust TSan (their nightly builds take longer than the soak, so it adds
# no wall time); the soak's log is printed at the end. The depth/hostile-size/fault
# regressions are Rust tests (tests/robustness.rs, in test-rust) and tests/c/test_harden.c
# (in test-c, valgrind).
SOAK_SECS ?= 600
HARDEN_NIGHTLY ?= fuzz-short miri test-tsan-rust
FUZZ_SECS ?= 30
FUZZ_TARGETS := file_decoders json_entry tensor_ctor table_cells run_calls log_reader sync_reader run_save from_json

test-harden: build test-fsfaults
	@mkdir -p target; \
	WBM_SOAK_SECS=$(SOAK_SECS) nice -n 5 $(CARGO) test --quiet --test soak -- --nocapture >target/soak.log 2>&1 & soak=$$!; \
	$(MAKE) --no-print-directory test-sanitizers $(HARDEN_NIGHTLY); rc=$$?; \
	wait $$soak; src=$$?; echo "== soak ($(SOAK_SECS) s, alongside the above): exit $$src"; cat target/soak.log; \
	[ $$rc -eq 0 ] && [ $$src -eq 0 ]

test-sanitizers: build
	tests/sanitizers/run.sh

# The library itself under TSan (nightly -Zsanitizer=thread -Zbuild-std; run by test-harden).
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
