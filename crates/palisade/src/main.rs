//! The `palisade` binary: the server (`serve`) and the command-line tools. The only crate that
//! picks a storage backend.

mod cli_policy;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Palisade: a DynamoDB-compatible database guarded by AWS-grade access control.
#[derive(Parser)]
#[command(name = "palisade", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Validate or simulate IAM policies.
    #[command(subcommand)]
    Policy(cli_policy::PolicyCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Policy(cmd) => cli_policy::run(cmd),
    }
}
