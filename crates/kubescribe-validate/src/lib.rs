//! kubescribe validation.
