fn main() -> std::process::ExitCode {
    sancha_server::cli::main()
}
