//! `palisade policy …`: validate and simulate IAM policies from the command line.

use std::io::Read as _;
use std::process::ExitCode;

use clap::{Subcommand, ValueEnum};
use palisade_iam::{PolicyType, Scenario, Severity, validate};
use serde_json::json;

/// The `policy` subcommands.
#[derive(Subcommand)]
pub enum PolicyCommand {
    /// Check a policy document and print the findings (exit status 1 when there are errors).
    Validate {
        /// The policy file, or `-` for standard input.
        file: String,
        /// The kind of policy the document is.
        #[arg(long = "type", value_enum, default_value = "identity")]
        policy_type: CliPolicyType,
        /// Print the findings as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Evaluate one request scenario and print the decision as JSON (see
    /// docs/policy-simulate.md).
    Simulate {
        /// The scenario file, or `-` for standard input.
        file: String,
    },
}

/// The policy types accepted by `--type`.
#[derive(Clone, Copy, ValueEnum)]
pub enum CliPolicyType {
    /// Identity-based policy (also permissions boundaries and session policies).
    Identity,
    /// Resource-based policy.
    Resource,
    /// Service control policy.
    Scp,
    /// Resource control policy.
    Rcp,
    /// VPC endpoint policy.
    Endpoint,
    /// Role trust policy.
    Trust,
}

impl From<CliPolicyType> for PolicyType {
    fn from(t: CliPolicyType) -> Self {
        match t {
            CliPolicyType::Identity => PolicyType::Identity,
            CliPolicyType::Resource => PolicyType::Resource,
            CliPolicyType::Scp => PolicyType::Scp,
            CliPolicyType::Rcp => PolicyType::Rcp,
            CliPolicyType::Endpoint => PolicyType::Endpoint,
            CliPolicyType::Trust => PolicyType::Trust,
        }
    }
}

/// Runs a `policy` subcommand and returns the process exit status.
pub fn run(cmd: PolicyCommand) -> ExitCode {
    match cmd {
        PolicyCommand::Validate {
            file,
            policy_type,
            json,
        } => run_validate(&file, policy_type.into(), json),
        PolicyCommand::Simulate { file } => run_simulate(&file),
    }
}

fn read_input(file: &str) -> Result<String, String> {
    if file == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| format!("cannot read standard input: {e}"))?;
        Ok(s)
    } else {
        std::fs::read_to_string(file).map_err(|e| format!("cannot read \"{file}\": {e}"))
    }
}

fn run_validate(file: &str, ty: PolicyType, as_json: bool) -> ExitCode {
    let text = match read_input(file) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let findings = validate(&text, ty);
    if as_json {
        let items: Vec<_> = findings
            .items
            .iter()
            .map(|f| {
                json!({"severity": f.severity.name(), "code": f.code, "path": f.path, "message": f.message})
            })
            .collect();
        println!(
            "{}",
            json!({"type": ty.name(), "valid": !findings.has_errors(), "findings": items})
        );
    } else if findings.items.is_empty() {
        println!("no findings");
    } else {
        for f in &findings.items {
            println!("{f}");
        }
        let errors = findings
            .items
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .count();
        println!(
            "{errors} error(s), {} warning(s)",
            findings.items.len() - errors
        );
    }
    if findings.has_errors() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn run_simulate(file: &str) -> ExitCode {
    let text = match read_input(file) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    match Scenario::parse(&text) {
        Ok(s) => {
            println!("{:#}", s.run());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
