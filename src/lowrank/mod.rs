//! Problem module: lowrank.
