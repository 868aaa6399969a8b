"""Checks every field number in src/run/proto.rs against the descriptors of the installed
wandb wheel (wandb.proto.wandb_internal_pb2), so the schema facts cannot drift silently.

usage: python check_proto.py path/to/src/run/proto.rs
"""

import re
import sys

from google.protobuf import timestamp_pb2
from wandb.proto import wandb_internal_pb2 as pb
from wandb.proto import wandb_telemetry_pb2 as tpb

M = pb.Record.DESCRIPTOR.file.pool.FindMessageTypeByName

# proto.rs module path → the message(s) its constants describe (field name = lower-case
# constant name unless mapped).
MODULES = {
    "record": ["wandb_internal.Record"],
    "record_info": ["wandb_internal._RecordInfo"],
    "header": {"VERSION_INFO": "wandb_internal.HeaderRecord", "*": "wandb_internal.VersionInfo"},
    "run": ["wandb_internal.RunRecord"],
    "timestamp": [timestamp_pb2.Timestamp.DESCRIPTOR.full_name],
    "telemetry": {"FEATURE": "wandb_internal.TelemetryRecord", "PLATFORM": "wandb_internal.TelemetryRecord", "*": "wandb_internal.Feature"},
    "environment": ["wandb_internal.EnvironmentRecord"],
    "history": {"STEP_NUM": "wandb_internal.HistoryStep", "*": "wandb_internal.HistoryRecord"},
    "item": ["wandb_internal.HistoryItem", "wandb_internal.SummaryItem", "wandb_internal.ConfigItem"],
    "update": ["wandb_internal.SummaryRecord", "wandb_internal.ConfigRecord"],
    "files": {"FILES": "wandb_internal.FilesRecord", "*": "wandb_internal.FilesItem"},
    "exit": ["wandb_internal.RunExitRecord"],
    "artifact": ["wandb_internal.ArtifactRecord"],
    "artifact::manifest": ["wandb_internal.ArtifactManifest"],
    "artifact::entry": ["wandb_internal.ArtifactManifestEntry"],
    "metric": ["wandb_internal.MetricRecord"],
    "stats": ["wandb_internal.StatsRecord"],
    "output_raw": ["wandb_internal.OutputRawRecord"],
    "stats::item": ["wandb_internal.StatsItem"],
    "metric::options": ["wandb_internal.MetricOptions"],
    "metric::summary": ["wandb_internal.MetricSummary"],
    "metric::control": ["wandb_internal.MetricControl"],
}
RENAME = {("record", "INFO"): "_info", ("history", "STEP_NUM"): "num", ("metric", "CONTROL"): "_control"}


def descriptor(name):
    if name == timestamp_pb2.Timestamp.DESCRIPTOR.full_name:
        return timestamp_pb2.Timestamp.DESCRIPTOR
    try:
        return M(name)
    except KeyError:
        return tpb.DESCRIPTOR.pool.FindMessageTypeByName(name)


def main():
    src = open(sys.argv[1]).read()
    stack, checked, bad = [], 0, []
    for line in src.splitlines():
        m = re.match(r"\s*pub mod (\w+) \{", line)
        if m:
            stack.append(m.group(1))
            continue
        if re.match(r"\s*\}\s*$", line) and stack:
            stack.pop()
            continue
        m = re.match(r"\s*pub const (\w+): u32 = (\d+);", line)
        if not m or not stack:
            continue
        mod, const, num = "::".join(stack), m.group(1), int(m.group(2))
        spec = MODULES.get(mod)
        if spec is None:
            bad.append(f"{mod}::{const}: module not mapped in check_proto.py")
            continue
        msgs = spec if isinstance(spec, list) else [spec.get(const, spec["*"])]
        field = RENAME.get((mod, const), const[2:].lower() if const.startswith("F_") else const.lower())
        for msg in msgs:
            d = descriptor(msg)
            f = d.fields_by_name.get(field)
            checked += 1
            if f is None:
                bad.append(f"{mod}::{const}: {msg} has no field {field}")
            elif f.number != num:
                bad.append(f"{mod}::{const} = {num}, but {msg}.{field} is {f.number}")
    for b in bad:
        print("FAIL:", b)
    print(f"proto: {checked} field numbers checked against wandb's descriptors")
    if bad or checked < 50:
        sys.exit(1)
    print("proto: ok")


if __name__ == "__main__":
    main()
