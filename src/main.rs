//! The `harness` binary: everything lives in the library; this only exits with the CLI's status.

fn main() {
    let status = harness::cli::main();
    std::process::exit(status.code());
}
