//! `palisade policy …`: validate and simulate IAM policies from the command line.

use std::process::ExitCode;

use clap::Subcommand;

/// The `policy` subcommands.
#[derive(Subcommand)]
pub enum PolicyCommand {
    /// Check a policy document and print the findings.
    Validate {
        /// The policy file, or `-` for standard input.
        file: String,
    },
}

/// Runs a `policy` subcommand and returns the process exit status.
pub fn run(cmd: PolicyCommand) -> ExitCode {
    match cmd {
        PolicyCommand::Validate { file } => {
            eprintln!("policy validation is not available yet: {file}");
            ExitCode::FAILURE
        }
    }
}
