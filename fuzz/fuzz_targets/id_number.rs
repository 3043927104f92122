#![no_main]
//! Fuzz target: `sancha_server::fuzzing::id_number` must never panic.

libfuzzer_sys::fuzz_target!(|data: &[u8]| sancha_server::fuzzing::id_number(data));
