//! Problem module: scale.
