//! Whole-program tests: the `brainsim` binary run as a user runs it.
//! One test binary (modules below); each module owns one concern.

mod cli;
