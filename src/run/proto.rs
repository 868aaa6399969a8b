//! Every protobuf schema fact the run writer relies on, in one place, plus a tiny encoder.
//!
//! Field numbers were read from the `wandb` 0.31.0 wheel
//! (`wandb.proto.wandb_internal_pb2.Record.DESCRIPTOR` and the nested message descriptors);
//! only the fields a native offline run writes are listed. proto3 semantics: a scalar equal
//! to its default (0, false, "") is not written, exactly as the Go/Python encoders do.

/// `wandb_internal.Record`.
pub mod record {
    pub const NUM: u32 = 1; // int64
    pub const HISTORY: u32 = 2; // HistoryRecord (oneof record_type)
    pub const SUMMARY: u32 = 3; // SummaryRecord
    pub const CONFIG: u32 = 5; // ConfigRecord
    pub const FILES: u32 = 6; // FilesRecord
    pub const ARTIFACT: u32 = 8; // ArtifactRecord
    pub const STATS: u32 = 7; // StatsRecord
    pub const OUTPUT_RAW: u32 = 13; // OutputRawRecord
    pub const TELEMETRY: u32 = 11; // TelemetryRecord
    pub const METRIC: u32 = 12; // MetricRecord
    pub const RUN: u32 = 17; // RunRecord
    pub const EXIT: u32 = 18; // RunExitRecord
    pub const HEADER: u32 = 21; // HeaderRecord
    pub const ENVIRONMENT: u32 = 26; // EnvironmentRecord
    pub const INFO: u32 = 200; // _RecordInfo
}

/// `wandb_internal._RecordInfo`.
pub mod record_info {
    pub const STREAM_ID: u32 = 1; // string
}

/// `wandb_internal.HeaderRecord` / `wandb_internal.VersionInfo`.
pub mod header {
    pub const VERSION_INFO: u32 = 1; // VersionInfo
    pub const PRODUCER: u32 = 1; // VersionInfo.producer: string
    pub const MIN_CONSUMER: u32 = 2; // VersionInfo.min_consumer: string
}

/// `wandb_internal.RunRecord`.
pub mod run {
    pub const RUN_ID: u32 = 1; // string
    pub const ENTITY: u32 = 2; // string
    pub const PROJECT: u32 = 3; // string
    pub const CONFIG: u32 = 4; // ConfigRecord
    pub const RUN_GROUP: u32 = 6; // string
    pub const JOB_TYPE: u32 = 7; // string
    pub const DISPLAY_NAME: u32 = 8; // string
    pub const NOTES: u32 = 9; // string
    pub const TAGS: u32 = 10; // repeated string
    pub const HOST: u32 = 13; // string
    pub const START_TIME: u32 = 17; // google.protobuf.Timestamp
    pub const TELEMETRY: u32 = 19; // TelemetryRecord
}

/// `google.protobuf.Timestamp`.
pub mod timestamp {
    pub const SECONDS: u32 = 1; // int64
    pub const NANOS: u32 = 2; // int32
}

/// `wandb_internal.TelemetryRecord` and its `Feature` message.
pub mod telemetry {
    pub const FEATURE: u32 = 3; // Feature
    pub const PLATFORM: u32 = 13; // string
    /// `Feature` fields (bool).
    pub const F_FINISH: u32 = 2;
    pub const F_OFFLINE: u32 = 4;
    pub const F_SET_INIT_NAME: u32 = 13;
    pub const F_SET_INIT_ID: u32 = 14;
    pub const F_SET_INIT_TAGS: u32 = 15;
    pub const F_SET_INIT_CONFIG: u32 = 16;
}

/// `wandb_internal.EnvironmentRecord` (the subset a native program can fill honestly).
pub mod environment {
    pub const OS: u32 = 1; // string
    pub const STARTED_AT: u32 = 3; // google.protobuf.Timestamp
    pub const ARGS: u32 = 5; // repeated string
    pub const PROGRAM: u32 = 6; // string
    pub const ROOT: u32 = 11; // string
    pub const HOST: u32 = 12; // string
    pub const EXECUTABLE: u32 = 14; // string
    pub const CPU_COUNT: u32 = 16; // uint32
    pub const CPU_COUNT_LOGICAL: u32 = 17; // uint32
    pub const WRITER_ID: u32 = 199; // string
}

/// `wandb_internal.HistoryRecord`, `HistoryItem`, `HistoryStep`.
pub mod history {
    pub const ITEM: u32 = 1; // repeated HistoryItem
    pub const STEP: u32 = 2; // HistoryStep
    pub const STEP_NUM: u32 = 1; // HistoryStep.num: int64
}

/// Shared layout of `HistoryItem`, `SummaryItem` and `ConfigItem` (the fields used here).
pub mod item {
    pub const KEY: u32 = 1; // string
    pub const NESTED_KEY: u32 = 2; // repeated string
    pub const VALUE_JSON: u32 = 16; // string
}

/// `wandb_internal.SummaryRecord` / `ConfigRecord`.
pub mod update {
    pub const UPDATE: u32 = 1; // repeated SummaryItem / ConfigItem
}

/// `wandb_internal.FilesRecord` / `FilesItem`.
pub mod files {
    pub const FILES: u32 = 1; // repeated FilesItem
    pub const PATH: u32 = 1; // FilesItem.path: string
    /// FilesItem.policy: enum NOW=0 / END=1 / LIVE=2 (media stay at NOW, as wandb-core
    /// writes them; `run.save` sets it). FilesItem.type stays OTHER (0).
    pub const POLICY: u32 = 2;
}

/// `wandb_internal.RunExitRecord`.
pub mod exit {
    pub const EXIT_CODE: u32 = 1; // int32
    pub const RUNTIME: u32 = 2; // int32 (whole seconds)
}

/// `wandb_internal.ArtifactRecord`, `ArtifactManifest`, `ArtifactManifestEntry`,
/// `StoragePolicyConfigItem` — for the `run_table` artifact a logged table creates (§16.3).
pub mod artifact {
    pub const RUN_ID: u32 = 1;
    pub const PROJECT: u32 = 2;
    pub const ENTITY: u32 = 3;
    pub const TYPE: u32 = 4;
    pub const NAME: u32 = 5;
    pub const DIGEST: u32 = 6;
    pub const DESCRIPTION: u32 = 7;
    pub const METADATA: u32 = 8; // string (compact JSON)
    pub const ALIASES: u32 = 11; // repeated string
    pub const MANIFEST: u32 = 12;
    pub const FINALIZE: u32 = 14; // bool
    pub const CLIENT_ID: u32 = 15;
    pub const SEQUENCE_CLIENT_ID: u32 = 16;
    pub const DIGEST_ALGORITHM: u32 = 20; // string ("MANIFEST_MD5")
    pub const INCREMENTAL_BETA1: u32 = 100; // bool
    pub mod manifest {
        pub const VERSION: u32 = 1; // int32
        pub const STORAGE_POLICY: u32 = 2;
        pub const STORAGE_POLICY_CONFIG: u32 = 3; // repeated {key = 1, value_json = 2}
        pub const CONTENTS: u32 = 4; // repeated ArtifactManifestEntry
    }
    pub mod entry {
        pub const PATH: u32 = 1;
        pub const DIGEST: u32 = 2;
        pub const REF: u32 = 3;
        pub const SIZE: u32 = 4; // int64
        pub const LOCAL_PATH: u32 = 6;
    }
}

/// `wandb_internal.OutputRawRecord` (console output; `output_type` STDERR = 0, STDOUT = 1).
pub mod output_raw {
    pub const OUTPUT_TYPE: u32 = 1; // enum OutputType
    pub const TIMESTAMP: u32 = 2; // google.protobuf.Timestamp
    pub const LINE: u32 = 3; // string
}

/// `wandb_internal.StatsRecord` and `StatsItem`.
pub mod stats {
    pub const TIMESTAMP: u32 = 2; // google.protobuf.Timestamp
    pub const ITEM: u32 = 3; // repeated StatsItem
    pub mod item {
        pub const KEY: u32 = 1; // string
        pub const VALUE_JSON: u32 = 16; // string
    }
}

/// `wandb_internal.MetricRecord` and its `MetricOptions`, `MetricSummary`, `MetricControl`.
pub mod metric {
    pub const NAME: u32 = 1; // string
    pub const GLOB_NAME: u32 = 2; // string
    pub const STEP_METRIC: u32 = 4; // string
    pub const OPTIONS: u32 = 6; // MetricOptions
    pub const SUMMARY: u32 = 7; // MetricSummary
    pub const GOAL: u32 = 8; // enum MetricGoal (UNSET=0, MINIMIZE=1, MAXIMIZE=2)
    pub const CONTROL: u32 = 9; // MetricControl (`_control`)
    pub mod options {
        pub const STEP_SYNC: u32 = 1; // bool
        pub const HIDDEN: u32 = 2; // bool
        pub const DEFINED: u32 = 3; // bool
    }
    pub mod summary {
        pub const MIN: u32 = 1; // bool
        pub const MAX: u32 = 2;
        pub const MEAN: u32 = 3;
        pub const LAST: u32 = 5;
        pub const NONE: u32 = 6;
        pub const FIRST: u32 = 8;
    }
    pub mod control {
        pub const OVERWRITE: u32 = 1; // bool
    }
}

/// A protobuf message under construction (fields appended in call order).
#[derive(Debug, Default, Clone)]
pub struct Msg {
    buf: Vec<u8>,
}

const WIRE_VARINT: u32 = 0;
const WIRE_FIXED64: u32 = 1;
const WIRE_LEN: u32 = 2;

fn put_varint(buf: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        buf.push((v as u8) | 0x80);
        v >>= 7;
    }
    buf.push(v as u8);
}

impl Msg {
    pub fn new() -> Msg {
        Msg::default()
    }
    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf
    }
    fn tag(&mut self, field: u32, wire: u32) {
        put_varint(&mut self.buf, (u64::from(field) << 3) | u64::from(wire));
    }
    /// int64/int32/uint32/enum (negative values as 10-byte two's complement, as protobuf does).
    pub fn int(&mut self, field: u32, v: i64) -> &mut Msg {
        if v != 0 {
            self.tag(field, WIRE_VARINT);
            put_varint(&mut self.buf, v as u64);
        }
        self
    }
    pub fn boolean(&mut self, field: u32, v: bool) -> &mut Msg {
        if v {
            self.tag(field, WIRE_VARINT);
            self.buf.push(1);
        }
        self
    }
    pub fn double(&mut self, field: u32, v: f64) -> &mut Msg {
        if v.to_bits() != 0 {
            self.tag(field, WIRE_FIXED64);
            self.buf.extend_from_slice(&v.to_le_bytes());
        }
        self
    }
    /// A singular string field (omitted when empty, proto3).
    pub fn string(&mut self, field: u32, s: &str) -> &mut Msg {
        if !s.is_empty() {
            self.bytes_always(field, s.as_bytes());
        }
        self
    }
    /// One element of a repeated string field (written even when empty).
    pub fn repeated_string(&mut self, field: u32, s: &str) -> &mut Msg {
        self.bytes_always(field, s.as_bytes())
    }
    /// A sub-message (always written, so an empty message marks presence, like
    /// `HistoryRecord.step` of step 0).
    pub fn message(&mut self, field: u32, m: &Msg) -> &mut Msg {
        self.bytes_always(field, &m.buf)
    }
    fn bytes_always(&mut self, field: u32, b: &[u8]) -> &mut Msg {
        self.tag(field, WIRE_LEN);
        put_varint(&mut self.buf, b.len() as u64);
        self.buf.extend_from_slice(b);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_like_protobuf() {
        let mut m = Msg::new();
        m.int(1, 150)
            .string(2, "testing")
            .boolean(3, true)
            .int(4, -1);
        m.string(5, "").int(6, 0).boolean(7, false);
        assert_eq!(
            m.as_bytes(),
            &[
                0x08, 0x96, 0x01, 0x12, 0x07, b't', b'e', b's', b't', b'i', b'n', b'g', 0x18, 1,
                0x20, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01
            ][..]
        );
        let mut outer = Msg::new();
        outer.message(200, &Msg::new());
        assert_eq!(outer.as_bytes(), &[0xc2, 0x0c, 0x00]);
        let mut d = Msg::new();
        d.double(1, 1.5);
        assert_eq!(d.as_bytes(), &[0x09, 0, 0, 0, 0, 0, 0, 0xf8, 0x3f]);
    }
}
