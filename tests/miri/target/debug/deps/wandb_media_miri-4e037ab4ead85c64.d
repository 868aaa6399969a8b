/work/main/tests/miri/target/debug/deps/wandb_media_miri-4e037ab4ead85c64.d: src/lib.rs src/../../../src/error.rs src/../../../src/text_escape.rs src/../../../src/json/mod.rs src/../../../src/json/float.rs src/../../../src/stats.rs src/../../../src/tensor.rs src/../../../src/par.rs

/work/main/tests/miri/target/debug/deps/libwandb_media_miri-4e037ab4ead85c64.rmeta: src/lib.rs src/../../../src/error.rs src/../../../src/text_escape.rs src/../../../src/json/mod.rs src/../../../src/json/float.rs src/../../../src/stats.rs src/../../../src/tensor.rs src/../../../src/par.rs

src/lib.rs:
src/../../../src/error.rs:
src/../../../src/text_escape.rs:
src/../../../src/json/mod.rs:
src/../../../src/json/float.rs:
src/../../../src/stats.rs:
src/../../../src/tensor.rs:
src/../../../src/par.rs:
