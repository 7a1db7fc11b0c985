//! Problem 1: the ResNet family from torchvision as a module tree with parameter counts,
//! output shapes and MACs, checked against the homework's printed figures.

pub mod bn_live;
pub mod cost;
pub mod homework;
pub mod model;
pub mod notes;
pub mod report;
pub mod tab;
