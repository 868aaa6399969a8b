#!/usr/bin/env bash
# Reading against the SDK (issue 21), with wandb 0.31 (.venv-compat + difffuzz pins):
# 1. sdk.py logs media, lists, a table and plain values into an offline run and builds an
#    artifact directory (dataset table with image/audio/boxes/masks/classes cells), and
#    dumps what the SDK's own from_json reads from both;
# 2. read_dump (C) reads the same row and artifact through wb_value_from_wandb_json /
#    wb_artifact_get and prints the same dump: compared line by line (pixels, samples, bins,
#    cells, column types);
# 3. write_table (C) saves a table as an artifact directory; the SDK's Table.from_json and
#    the C reader must read the same values;
# 4. the C++ and Go wrappers read the SDK's artifact (tests/fromjson/read.cpp, read_go);
# 5. artifact source (tests/fromjson/artsrc.py): a table read from a logged artifact (id
#    given) logged again, and a new table of its image cells, by the SDK's own
#    Artifact.get / run.log and by the library (examples/cpp/eval_table.cpp on the
#    examples' dataset; tests/fromjson/artsrc_copy.c on the artifact of step 1, with boxes,
#    masks and class sets): the history rows and the run_table artifact records (reference
#    entries, digests, the new table's JSON) must be the same.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$here"
py="${COMPAT_VENV:-.venv-compat}/bin/python"
work=target/fromjson
rm -rf "$work"
mkdir -p "$work"
export WANDB_MODE=offline WANDB_SILENT=true WANDB_DATA_DIR="$here/$work/data" \
  WANDB_CACHE_DIR="$here/$work/cache" WANDB_CONFIG_DIR="$here/$work/config"
CC="${CC:-cc}"
LIBS=(-Ltarget/release "-Wl,-rpath,$here/target/release" -lwandb_media -lm)
$CC -std=c11 -Wall -Wextra -Werror -O1 -g -Iinclude tests/fromjson/read_dump.c -o "$work/read_dump" "${LIBS[@]}"
$CC -std=c11 -Wall -Wextra -Werror -O1 -g -Iinclude tests/fromjson/write_table.c -o "$work/write_table" "${LIBS[@]}"
$CC -std=c11 -Wall -Wextra -Werror -O1 -g -Iinclude tests/fromjson/artsrc_copy.c -o "$work/artsrc_copy" "${LIBS[@]}"
${CXX:-c++} -std=c++17 -O1 -Wall -Wextra -Wconversion -Werror -Iinclude -Ibindings/cpp/include \
  examples/cpp/eval_table.cpp -o "$work/eval_table" "${LIBS[@]}"

"$py" tests/fromjson/sdk.py write "$work" 2> >(grep -v '^wandb:' >&2)
"$work/read_dump" "$work/row.json" "$(cat "$work/files_dir.txt")" "$work/art" eval >"$work/c.txt"
status=0
"$py" tests/fromjson/sdk.py compare "$work/expected.txt" "$work/c.txt" || status=1

"$work/write_table" "$work/cart"
"$work/read_dump" --artifact "$work/cart" preds art.preds >"$work/c_preds.txt"
"$py" tests/fromjson/sdk.py dump-artifact "$work/cart" preds art.preds >"$work/sdk_preds.txt"
"$py" tests/fromjson/sdk.py compare "$work/sdk_preds.txt" "$work/c_preds.txt" || status=1

# The artifact part of the SDK dump, for the wrappers.
grep '^art\.eval' "$work/expected.txt" >"$work/expected_art.txt"

# 5. Artifact source: the same logged values, the same records.
id=QXJ0aWZhY3Q6MTIzNDU=   # base64 of "Artifact:12345", as artifact.id gives it
"$py" examples/cpp/make_dataset.py "$work/dataset"
sdk_run=$("$py" tests/fromjson/artsrc.py sdk "$work/artsrc-sdk" "$work/dataset" "$id" 2>/dev/null | tail -1)
"$work/eval_table" "$work/artsrc-cpp" "$work/dataset" dataset "$id" >"$work/eval_table.txt"
cpp_run=$(sed -n 's/^run: //p' "$work/eval_table.txt")
"$py" tests/fromjson/artsrc.py dump "$sdk_run" >"$work/artsrc-sdk.txt"
"$py" tests/fromjson/artsrc.py dump "$cpp_run" >"$work/artsrc-cpp.txt"
"$py" tests/fromjson/artsrc.py compare "$work/artsrc-sdk.txt" "$work/artsrc-cpp.txt" || status=1
grep -q 'ref=wandb-artifact://41727469666163743a3132333435/media/images/' "$work/artsrc-cpp.txt" || { echo "artsrc: no reference entries"; status=1; }
sdk_run=$("$py" tests/fromjson/artsrc.py copy "$work/artsrc-sdk2" "$work/art" eval "$id" 2>/dev/null | tail -1)
mkdir -p "$work/artsrc-c"
c_run=$("$work/artsrc_copy" "$work/artsrc-c" "$work/art" eval "$id")
"$py" tests/fromjson/artsrc.py dump "$sdk_run" >"$work/artsrc-sdk2.txt"
"$py" tests/fromjson/artsrc.py dump "$c_run" >"$work/artsrc-c.txt"
"$py" tests/fromjson/artsrc.py compare "$work/artsrc-sdk2.txt" "$work/artsrc-c.txt" || status=1
grep -q 'media/images/mask/.*ref=wandb-artifact://' "$work/artsrc-c.txt" || { echo "artsrc: mask not referenced"; status=1; }
if [ -x tests/fromjson/wrappers.sh ]; then
  ARTSRC_ID="$id" tests/fromjson/wrappers.sh "$work" || status=1
fi
# The table saved as an artifact directory holds the referenced files (download layout).
for f in $(cd "$work/artsrc-c/picked-dir" && find media -type f -name '*.png'); do
  cmp -s "$work/artsrc-c/picked-dir/$f" "$work/art/$f" || { echo "artsrc: picked-dir/$f differs from the source"; status=1; }
done
# 6. Both artifact-source runs synced by the real `wandb sync` to a local openwandb: the
#    same history on the server, the run copies present (tests/fromjson/artsrc_sync.py).
[ -x "$(dirname "$py")/openwandb" ] || "$py" -m pip install -q --disable-pip-version-check \
  openwandb==0.5.25 -c tests/online/constraints.txt
(unset WANDB_MODE; "$py" tests/fromjson/artsrc_sync.py "$work/artsrc-sync" \
  "$(ls -d "$work"/artsrc-sdk/wandb/offline-run-*)" "$cpp_run") || status=1
# 7. Incremental tables (tests/fromjson/incr.py, incr.c): the same table logged four times
#    with rows appended in between by the SDK and by the C API: the same history rows,
#    summary, wandb-run-incremental-table artifact records and entry files (epoch-ms part
#    of the entry names normalised); the SDK's increments read back as an artifact by both,
#    appended to and logged into a new run: the same again; both first runs synced by the
#    real `wandb sync`.
$CC -std=c11 -Wall -Wextra -Werror -O1 -g -Iinclude tests/fromjson/incr.c -o "$work/incr" "${LIBS[@]}"
sdk_run=$("$py" tests/fromjson/incr.py sdk "$work/incr-sdk" 2>/dev/null | tail -1)
mkdir -p "$work/incr-c"
c_run=$("$work/incr" log "$work/incr-c")
"$py" tests/fromjson/incr.py dump "$sdk_run" >"$work/incr-sdk.txt"
"$py" tests/fromjson/incr.py dump "$c_run" >"$work/incr-c.txt"
"$py" tests/fromjson/incr.py compare "$work/incr-sdk.txt" "$work/incr-c.txt" || status=1
grep -q '^artifact wandb-run-incremental-table run-<run id>-incr-tab .*incremental=True' "$work/incr-c.txt" \
  || { echo "incr: no incremental artifact record"; status=1; }
name=$("$py" tests/fromjson/incr.py artdir "$sdk_run" "$work/incr-art")
sdk_rr=$("$py" tests/fromjson/incr.py reread "$work/incr-rr-sdk" "$work/incr-art" "$name" 2>/dev/null | tail -1)
mkdir -p "$work/incr-rr-c"
c_rr=$("$work/incr" reread "$work/incr-rr-c" "$work/incr-art" "$name")
"$py" tests/fromjson/incr.py dump "$sdk_rr" >"$work/incr-rr-sdk.txt"
"$py" tests/fromjson/incr.py dump "$c_rr" >"$work/incr-rr-c.txt"
"$py" tests/fromjson/incr.py compare "$work/incr-rr-sdk.txt" "$work/incr-rr-c.txt" || status=1
(unset WANDB_MODE; "$py" tests/fromjson/incr_sync.py "$work/incr-sync" "$sdk_run" "$c_run") || status=1
[ "$status" = 0 ] && echo "fromjson: all comparisons passed"
exit "$status"
