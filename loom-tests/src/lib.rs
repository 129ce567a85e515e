//! loom model checks of arcow. The models live in `tests/` and only build
//! under `RUSTFLAGS="--cfg loom"`; see `scripts/loom`.
