//! The `switchboard` command. All the work is in the library; see [`switchboard::cli`].

fn main() -> std::process::ExitCode {
    switchboard::cli::main()
}
