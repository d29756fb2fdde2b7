//! The `palisade` binary: the server (`serve`) and the command-line tools. The only crate that
//! picks a storage backend.

mod bench;
mod bootstrap;
mod cli_policy;
mod identity_setup;
mod serve;

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
    /// Run the DynamoDB-compatible server.
    Serve(serve::ServeArgs),
    /// Validate or simulate IAM policies.
    #[command(subcommand)]
    Policy(cli_policy::PolicyCommand),
    /// Measure a DynamoDB-compatible endpoint with a closed-loop load generator.
    Bench(bench::BenchArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => serve::run(args),
        Command::Policy(cmd) => cli_policy::run(cmd),
        Command::Bench(args) => bench::run(args),
    }
}
