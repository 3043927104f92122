#![no_main]
//! Fuzz target: `sancha_server::fuzzing::visit` must never panic.

libfuzzer_sys::fuzz_target!(|data: &[u8]| sancha_server::fuzzing::visit(data));
