#!/usr/bin/env bash
# Online-mode and native-sync tests (issue 10). Every server is `openwandb serve` (test-only,
# from PyPI, pinned by tests/online/constraints.txt; never vendored or shipped) on
# 127.0.0.1:<free port> with a fresh --data-dir; the checks read what it stored.
#   rust      unit tests of src/online (log tailing, record decoding, history lines, YAML)
#   endstate  tests/run's C run uploaded online vs offline + real `wandb sync` vs offline +
#             `wandb-media sync`: history rows, summary, config, tags, state, file list and
#             media bytes equal; re-sync is a no-op; `wandb-media --help`
#   pysync    a Python-SDK offline run: `wandb-media sync` vs `wandb sync`
#   kill      SIGKILL of an online writer mid-run; `wandb-media sync` completes it (every
#             row once, in order; every referenced media file on the server)
#   down      server down for a whole online run: finish reports what is pending within its
#             timeout, wb_run_log p99 stays < 5 ms, then wb_run_sync uploads everything
#   traffic   a recording reverse proxy: our request sequence vs the real SDK's
#             wandb.init(mode="online") for the same rows (GraphQL operations and variables,
#             file_stream rows/offsets/summary/completion, uploaded media bytes)
#   faults    the proxy injects resets, 500s, 429+Retry-After, a 10 s stall, and the server is
#             restarted, during a 2000-step run with images: every row and file exactly once,
#             in order; wb_run_log p99 < 5 ms; writer RSS bounded
#   resume    resume=allow/must on an existing run: server steps continue, summary and config
#             merged; must on a missing run fails
#   tls       HTTPS via a TLS-terminating proxy with a throwaway CA (SSL_CERT_FILE,
#             REQUESTS_CA_BUNDLE; none: certificate error), HTTPS_PROXY/HTTP_PROXY through a
#             forward proxy, NO_PROXY bypass
#   bindings  a short online run through the C++ wrapper and the Go package (server rows,
#             config, name, state, image bytes)
#   url       the run's URL (issue 23): logged at open and finish, returned by wb_run_url, equal
#             to the SDK's Settings.run_url, its entity/project/id as the server stored them;
#             WANDB_APP_URL; offline: WB_ERR_UNSUPPORTED; `wandb-media sync` prints it
#   terminate an uncaught C++ exception: wb::install_terminate_handler() finishes the run
#             (server: finished, every row, exit code 1); without it the run stays running
#   status    feedback while a run is live (tests/online/status.py, issue 23): a refused key
#             named through the log handler within 2 s of open (status FAILED/401, the log
#             complete for a later sync), a wrong base URL (404), progress lines and
#             "reconnected" around a server restart during finish, https:// to a plain server
#   disabled  WB_MODE_DISABLED: 1M wb_run_log calls with an image < 1 µs each, nothing written
#   hostile   (not in the default list: `make test-hostile-sync`) sync of hostile run
#             directories (tests/online/hostile_sync.py): crafted logs, files records out of
#             the run, links, FIFOs, /dev/zero, deep records, truncations and bit flips
# Usage: tests/online/online.sh [test …]   (default: all)
#        tests/online/online.sh --build-only   (only the programs; tests/packaging uses it)
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$here"
build_only=0
[ "${1:-}" = --build-only ] && build_only=1 && shift
venv="${WBM_RUN_VENV:-$here/.venv-run}"
req="$here/tests/run/requirements.txt"
cons="$here/tests/online/constraints.txt"
py="${PYTHON:-python3}"

# --- test venv (shared with tests/run; created once, pinned) ---
stamp="$venv/.wbm-online-$(cat "$req" "$cons" | sha256sum | cut -c1-16)"
if [ ! -e "$stamp" ] && [ $build_only -eq 0 ]; then
    echo "== preparing $venv"
    [ -x "$venv/bin/python" ] || "$py" -m venv "$venv" || exit 1
    timeout 900 "$venv/bin/pip" install -q --disable-pip-version-check -r "$req" -c "$cons" || exit 1
    touch "$stamp"
fi

# --- build ---
echo "== building"
cargo build --quiet --lib --bin wandb-media || exit 1
target="${CARGO_TARGET_DIR:-$here/target}"
bin="$target/online-tests"
mkdir -p "$bin"
lib="$target/debug/libwandb_media.a"
cc -std=c11 -O2 -Wall -Wextra -Werror -D_DEFAULT_SOURCE -Iinclude tests/run/c/run_writer.c \
    -o "$bin/run_writer" "$lib" -lstdc++ -lvpx -lpthread -ldl -lm || exit 1
cc -std=c11 -O2 -Wall -Wextra -Werror -D_DEFAULT_SOURCE -Iinclude tests/online/c/online_writer.c \
    -o "$bin/online_writer" "$lib" -lstdc++ -lvpx -lpthread -ldl -lm || exit 1
cc -std=c11 -O2 -Wall -Wextra -Werror -D_DEFAULT_SOURCE -Iinclude tests/online/c/status_writer.c \
    -o "$bin/status_writer" "$lib" -lstdc++ -lvpx -lpthread -ldl -lm || exit 1
c++ -std=c++17 -O1 -Wall -Wextra -Werror -Iinclude -Ibindings/cpp/include tests/online/cpp/online_run.cpp \
    -o "$bin/online_run_cpp" "$lib" -lvpx -lpthread -ldl -lm || exit 1
cc -std=c11 -O2 -Wall -Wextra -Werror -D_DEFAULT_SOURCE -Iinclude tests/online/c/url_run.c \
    -o "$bin/url_run" "$lib" -lstdc++ -lvpx -lpthread -ldl -lm || exit 1
c++ -std=c++17 -O1 -Wall -Wextra -Werror -Iinclude -Ibindings/cpp/include tests/online/cpp/terminate_run.cpp \
    -o "$bin/terminate_run" "$lib" -lvpx -lpthread -ldl -lm || exit 1
# Go: the package's pkg-config link mode, pointed at this debug build's static library.
source "$here/scripts/lib-test-deps.sh"
command -v go >/dev/null || wb_apt_install golang-go || exit 1
command -v openssl >/dev/null || wb_apt_install openssl || exit 1
command -v pkg-config >/dev/null || wb_apt_install pkg-config || exit 1
mkdir -p "$bin/pkgconfig"
printf 'Name: wandb_media\nDescription: wandb-media (online tests)\nVersion: 0\nCflags: -I%s/include\nLibs: %s -lstdc++ -lvpx -lgcc_s -lutil -lrt -lpthread -lm -ldl\n' \
    "$here" "$lib" >"$bin/pkgconfig/wandb_media.pc"
# GOCACHE is this checkout's (lib-test-deps.sh) and the pkg-config answer is repeated in
# CGO_CFLAGS/CGO_LDFLAGS, part of Go's cache key: a user's earlier `go build -tags
# wandb_pkgconfig` against an installed library cannot be handed back here (issue 23).
mapfile -t go_pc_env < <(wb_go_pkgconfig_env "$bin/pkgconfig")
(cd bindings/go && env CGO_ENABLED=1 "${go_pc_env[@]}" go build -tags wandb_pkgconfig \
    -o "$bin/online_run_go" ./cmd/online-run) || exit 1
c++ -std=c++17 -O1 -Wall -Wextra -Werror -Iinclude -Ibindings/cpp/include tests/online/cpp/status_run.cpp \
    -o "$bin/status_run_cpp" "$lib" -lvpx -lpthread -ldl -lm || exit 1
(cd bindings/go && env CGO_ENABLED=1 "${go_pc_env[@]}" go build -tags wandb_pkgconfig \
    -o "$bin/status_run_go" ./cmd/status-run) || exit 1
cli="$target/debug/wandb-media"
if [ $build_only -eq 1 ]; then
    echo "tests/online: built into $bin"
    exit 0
fi

work="$(mktemp -d /tmp/wbm-online-tests.XXXXXX)"
export WANDB_SILENT=true WANDB_DISABLE_CODE=true WANDB_CONFIG_DIR="$work/wandb-config" \
    WANDB_DATA_DIR="$work/wandb-data" WANDB_CACHE_DIR="$work/wandb-cache"
unset WANDB_MODE WANDB_API_KEY WANDB_BASE_URL WANDB_PROJECT WANDB_ENTITY WANDB_RUN_ID WANDB_RESUME
pyv="$venv/bin/python"
check="$here/tests/online/check_online.py"
tests=("$@")
[ ${#tests[@]} -eq 0 ] && tests=(rust endstate pysync traffic faults kill down resume tls bindings url terminate disabled valgrind status)
failed=()

run_test() {  # name, command…
    local name="$1"; shift
    echo "== $name"
    local t0=$SECONDS
    if timeout 900 "$@"; then echo "-- $name: PASS ($((SECONDS - t0)) s)"; else echo "-- $name: FAIL"; failed+=("$name"); fi
}

for t in "${tests[@]}"; do
    case "$t" in
    rust) run_test rust cargo test --quiet --lib online:: ;;
    endstate) run_test endstate "$pyv" "$check" endstate "$bin/run_writer" "$cli" ;;
    pysync) run_test pysync "$pyv" "$check" pysync "$cli" "$here/tests/run/same_rows.py" ;;
    kill) run_test kill "$pyv" "$check" kill "$bin/online_writer" "$cli" ;;
    down) run_test down "$pyv" "$check" down "$bin/online_writer" ;;
    traffic) run_test traffic "$pyv" "$check" traffic "$bin/run_writer" "$here/tests/run/same_rows.py" ;;
    faults) run_test faults "$pyv" "$check" faults "$bin/online_writer" ;;
    resume) run_test resume "$pyv" "$check" resume "$bin/online_writer" ;;
    tls) run_test tls "$pyv" "$check" tls "$bin/online_writer" ;;
    bindings) run_test bindings "$pyv" "$check" bindings "$bin/online_run_cpp" "$bin/online_run_go" ;;
    url) run_test url "$pyv" "$here/tests/online/check_url.py" url "$bin/url_run" "$cli" ;;
    terminate) run_test terminate "$pyv" "$here/tests/online/check_url.py" terminate "$bin/terminate_run" ;;
    disabled) run_test disabled "$pyv" "$check" disabled "$bin/online_writer" ;;
    valgrind) run_test valgrind "$pyv" "$check" valgrind "$bin/online_writer" ;;
    status) for s in wrongkey notfound outage plaintls bindings; do
            a=("$bin/status_writer"); [ "$s" = wrongkey ] && a+=("$cli")
            [ "$s" = bindings ] && a=("$bin/status_run_cpp" "$bin/status_run_go")
            run_test "status-$s" "$pyv" "$here/tests/online/status.py" "$s" "${a[@]}"
        done ;;
    hostile) run_test hostile "$pyv" "$here/tests/online/hostile_sync.py" "$cli" "$bin/online_writer" ;;
    *) echo "unknown test $t"; failed+=("$t") ;;
    esac
done

if [ ${#failed[@]} -eq 0 ]; then
    rm -rf "$work"
    echo "tests/online: all passed"
else
    echo "tests/online: FAILED: ${failed[*]}"
    exit 1
fi
