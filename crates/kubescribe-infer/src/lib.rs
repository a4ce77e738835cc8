//! kubescribe inference.
