#!/usr/bin/env python3
"""SDK side of the differential fuzzer: run cases through the real wandb SDK.

    sdk_side.py SHARED_COMPAT_DIR CASES_DIR EXPECTED_DIR

Uses ../shared/compat/gen_reference.py (imported, not copied: the same Builder, the same
ReferenceRun and the same row encoder that produced the public reference), but unlike its
main() it does not need to know in advance whether the SDK raises for a case: a raising
case gets error.txt, any other case row.json + files/ + compare.json. A case-format error
(a bug in the generator) stops everything.
"""

import json
import logging
import os
import shutil
import sys
import tempfile
import warnings


def main() -> int:
    if os.environ.get("PYTHONHASHSEED") != "0":
        os.environ["PYTHONHASHSEED"] = "0"
        os.execv(sys.executable, [sys.executable] + sys.argv)
    shared, cases_dir, out_dir = (os.path.abspath(a) for a in sys.argv[1:4])
    sys.path.insert(0, shared)
    import gen_reference as g

    names = sorted(f[:-5] for f in os.listdir(cases_dir) if f.endswith(".json"))
    cases = {n: g.load_case(os.path.join(cases_dir, n + ".json")) for n in names}
    scratch = tempfile.mkdtemp(prefix="difffuzz_sdk_")
    g._isolate_environment(scratch)
    logging.disable(logging.WARNING)
    warnings.simplefilter("ignore")
    import wandb

    if wandb.__version__ != g.REFERENCE_WANDB_VERSION:
        print(f"wandb {wandb.__version__} found, reference is {g.REFERENCE_WANDB_VERSION}",
              file=sys.stderr)
        return 2
    os.makedirs(out_dir, exist_ok=True)
    ref = g.ReferenceRun(scratch)
    try:
        for name in names:
            out = os.path.join(out_dir, name)
            shutil.rmtree(out, ignore_errors=True)
            os.makedirs(out)
            try:
                items, lossy = ref.log_case(cases[name], cases_dir)
            except g.CaseFormatError:
                raise
            except Exception as exc:  # the SDK raised
                ref._reset_media()
                msg = f"{type(exc).__name__}: {exc}".strip().replace(cases_dir, "<CASES_DIR>")
                with open(os.path.join(out, "error.txt"), "w", encoding="utf-8") as fh:
                    fh.write(msg + "\n")
                continue
            with open(os.path.join(out, "row.json"), "wb") as fh:
                fh.write(g.encode_row(items))
            ref.take_media(os.path.join(out, "files"))
            with open(os.path.join(out, "compare.json"), "w", encoding="utf-8") as fh:
                json.dump({"lossy": dict(sorted(lossy.items()))}, fh, indent=1, sort_keys=True)
                fh.write("\n")
    finally:
        ref.finish()
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
