//! Problem 3: scale-invariant functions, their gradients, and what gradient descent does to the
//! norm and the direction of the iterate (with and without weight decay).

pub mod model;
pub mod report;
pub mod tab;
