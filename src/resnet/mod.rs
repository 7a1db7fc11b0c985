//! Problem module: resnet.
