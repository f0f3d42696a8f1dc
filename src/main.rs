//! The `harness` binary: everything lives in the library; this only exits with the CLI's status.

/// mimalloc: parsing thousands of revision files on every core spent a sixth of its time in the
/// system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let status = harness::cli::main();
    std::process::exit(status.code());
}
