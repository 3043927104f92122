#![no_main]
//! Fuzz target: `sancha_server::fuzzing::roster_csv` must never panic.

libfuzzer_sys::fuzz_target!(|data: &[u8]| sancha_server::fuzzing::roster_csv(data));
