#[cfg(any(feature = "bundled", feature = "bundled_without_openssl"))]
extern crate pq_src;

#[allow(non_camel_case_types, non_upper_case_globals, non_snake_case, dead_code)]
mod bindings {
    #[cfg(buildscript_run)]
    include!(concat!(env!("OUT_DIR"), "/bindings.rs"));
}

#[cfg(not(buildscript_run))]
compile_error!(
    "pq-sys relies on build scripts beeing executed. \n \
     Please double check that you don't have a `[target.*.pq]` entry \
     in your `.cargo/config.toml`\n \
     These entries prevent build scripts from beeing run"
);

pub use bindings::*;

// sancha's patch (see ../README.md): diesel installs a no-op notice processor on
// every connection, so a WARNING that comes with a successful result is lost. The
// one that matters is PostgreSQL's "canceling wait for synchronous replication":
// the COMMIT returned success, but the transaction may exist on the primary only.
// This `PQsetNoticeProcessor` shadows libpq's and installs a notice receiver that
// counts WARNINGs per thread instead; libpq calls it on the thread that runs the
// query, so a caller compares `warnings_on_this_thread()` before and after one.
thread_local! {
    static WARNINGS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// WARNING notices received so far by the connections this thread used.
pub fn warnings_on_this_thread() -> u64 {
    WARNINGS.with(|w| w.get())
}

unsafe extern "C" fn count_warnings(_arg: *mut std::os::raw::c_void, result: *const PGresult) {
    let severity = unsafe {
        bindings::PQresultErrorField(result, PG_DIAG_SEVERITY_NONLOCALIZED as std::os::raw::c_int)
    };
    if !severity.is_null() && unsafe { std::ffi::CStr::from_ptr(severity) }.to_bytes() == b"WARNING" {
        WARNINGS.with(|w| w.set(w.get() + 1));
    }
}

/// Installs [`count_warnings`] as the connection's notice receiver; the processor
/// asked for is not used (diesel asks for a no-op one).
///
/// # Safety
/// `conn` is a live connection, as for libpq's `PQsetNoticeProcessor`.
#[allow(non_snake_case)]
pub unsafe fn PQsetNoticeProcessor(
    conn: *mut PGconn,
    _processor: PQnoticeProcessor,
    _arg: *mut std::os::raw::c_void,
) -> PQnoticeProcessor {
    unsafe { bindings::PQsetNoticeReceiver(conn, Some(count_warnings), std::ptr::null_mut()) };
    None
}

#[cfg(not(feature = "buildtime_bindgen"))]
#[test]
fn check_generated_bindings_match() {
    let libpq_include_path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/pq-src/source/src/interfaces/libpq/"
    );
    let postgres_include_path = concat!(env!("CARGO_MANIFEST_DIR"), "/pq-src/source/src/include");
    let additional_includes_path =
        concat!(env!("CARGO_MANIFEST_DIR"), "/pq-src/additional_include/");

    let builder = include!("make_bindings.rs").clang_args([
        "-I",
        libpq_include_path,
        "-I",
        postgres_include_path,
        "-I",
        additional_includes_path,
    ]);

    let generated_bindings = builder.generate().expect("Unable to generate bindings");

    let mut out = Vec::<u8>::new();
    generated_bindings.write(Box::new(&mut out)).unwrap();
    let generated_bindings = String::from_utf8(out).unwrap();

    let bundled_bindings =
        std::fs::read_to_string(String::from(env!("OUT_DIR")) + "/bindings.rs").unwrap();
    similar_asserts::assert_eq!(generated_bindings, bundled_bindings,)
}
