//! The `ipledge` binary: a thin shell over [`ipledge::cli`].

fn main() -> std::process::ExitCode {
    ipledge::cli::main()
}
