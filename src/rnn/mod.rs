//! Problem module: rnn.
