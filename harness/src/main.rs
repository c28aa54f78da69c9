//! The `switchboard` command. All the work is in the library; see [`switchboard::cli`].

/// mimalloc instead of the system allocator: `switchboard load` allocates
/// each rendered message on one thread and frees it on another, which glibc's
/// per-thread arenas turn into lock contention (measured with
/// `cargo xtask bench load`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    switchboard::cli::main()
}
