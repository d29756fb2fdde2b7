//! The hosts of the perimeter tests: a "vpc" and an "outside" Linux network namespace, each
//! joined to the host by a veth pair, created here and removed on drop. Where namespaces cannot
//! be made (no root, no `ip`), the same roles are played by loopback addresses.

use std::net::IpAddr;
use std::process::{Command, Output};

/// Where the callers run.
pub enum Hosts {
    /// Two namespaces; the server runs on the host side of both veth pairs.
    Namespaces(Namespaces),
    /// Everything on loopback: each role gets its own 127.0.0.x address.
    Loopback { why: String },
}

/// The addresses of one run (host side: where the server listens).
pub struct Plan {
    /// The server's public listener address (reached from "outside").
    pub public_host: IpAddr,
    /// The VPC endpoint's listener address (reached from "vpc").
    pub endpoint_host: IpAddr,
    /// A host address trusted to send PROXY protocol headers.
    pub trusted_proxy: IpAddr,
    /// A host address not trusted to send them.
    pub untrusted: IpAddr,
}

pub struct Namespaces {
    vpc: String,
    outside: String,
}

const VPC_NET: [&str; 2] = ["10.231.1.1", "10.231.1.2"];
const OUT_NET: [&str; 2] = ["10.231.2.1", "10.231.2.2"];

fn ip(args: &[&str]) -> Result<(), String> {
    let out = Command::new("ip")
        .args(args)
        .output()
        .map_err(|e| format!("cannot run ip: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "ip {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

impl Hosts {
    /// Namespaces when they can be made, loopback otherwise (or when
    /// `PALISADE_PERIMETER_LOOPBACK` is set, to try that mode where namespaces work).
    pub fn create() -> Hosts {
        if std::env::var_os("PALISADE_PERIMETER_LOOPBACK").is_some() {
            return Hosts::Loopback {
                why: "PALISADE_PERIMETER_LOOPBACK is set".to_string(),
            };
        }
        match Namespaces::create() {
            Ok(ns) => Hosts::Namespaces(ns),
            Err(why) => Hosts::Loopback { why },
        }
    }

    pub fn mode(&self) -> String {
        match self {
            Hosts::Namespaces(_) => {
                "network namespaces (a \"vpc\" and an \"outside\" namespace joined by veth pairs)"
                    .to_string()
            }
            Hosts::Loopback { why } => {
                format!("loopback listeners (network namespaces unavailable: {why})")
            }
        }
    }

    pub fn plan(&self) -> Plan {
        let a = |s: &str| s.parse::<IpAddr>().unwrap();
        match self {
            Hosts::Namespaces(_) => Plan {
                public_host: a(OUT_NET[0]),
                endpoint_host: a(VPC_NET[0]),
                trusted_proxy: a(VPC_NET[0]),
                untrusted: a(OUT_NET[0]),
            },
            Hosts::Loopback { .. } => Plan {
                public_host: a("127.0.0.1"),
                endpoint_host: a("127.0.0.3"),
                trusted_proxy: a("127.0.0.2"),
                untrusted: a("127.0.0.1"),
            },
        }
    }

    /// Runs a program as a caller inside the VPC.
    pub fn in_vpc(&self, program: &str, args: &[&str]) -> Output {
        match self {
            Hosts::Namespaces(ns) => run_in(Some(&ns.vpc), program, args),
            Hosts::Loopback { .. } => run_in(None, program, args),
        }
    }

    /// Runs a program as a caller outside the VPC.
    pub fn outside(&self, program: &str, args: &[&str]) -> Output {
        match self {
            Hosts::Namespaces(ns) => run_in(Some(&ns.outside), program, args),
            Hosts::Loopback { .. } => run_in(None, program, args),
        }
    }
}

fn run_in(ns: Option<&str>, program: &str, args: &[&str]) -> Output {
    let mut cmd = match ns {
        Some(ns) => {
            let mut c = Command::new("ip");
            c.args(["netns", "exec", ns, program]);
            c
        }
        None => Command::new(program),
    };
    cmd.args(args)
        .env_remove("AWS_PROFILE")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"))
}

impl Namespaces {
    fn create() -> Result<Namespaces, String> {
        let id = std::process::id() % 100_000;
        let ns = Namespaces {
            vpc: format!("pal-vpc-{id}"),
            outside: format!("pal-out-{id}"),
        };
        // A namespace left over by a killed run of the same pid would make `add` fail.
        ns.remove();
        ns.join(&ns.vpc, &format!("pv{id}h"), &format!("pv{id}n"), VPC_NET)
            .and_then(|()| {
                ns.join(
                    &ns.outside,
                    &format!("po{id}h"),
                    &format!("po{id}n"),
                    OUT_NET,
                )
            })
            .inspect_err(|_| ns.remove())?;
        Ok(ns)
    }

    /// Makes namespace `name` with one veth pair to the host: host side `net[0]/24`, namespace
    /// side `net[1]/24`, default route through the host.
    fn join(&self, name: &str, host_if: &str, ns_if: &str, net: [&str; 2]) -> Result<(), String> {
        ip(&["netns", "add", name])?;
        ip(&[
            "link", "add", host_if, "type", "veth", "peer", "name", ns_if,
        ])?;
        ip(&["link", "set", ns_if, "netns", name])?;
        ip(&["addr", "add", &format!("{}/24", net[0]), "dev", host_if])?;
        ip(&["link", "set", host_if, "up"])?;
        let inside = |args: &[&str]| {
            let mut all = vec!["netns", "exec", name, "ip"];
            all.extend_from_slice(args);
            ip(&all)
        };
        inside(&["link", "set", "lo", "up"])?;
        inside(&["addr", "add", &format!("{}/24", net[1]), "dev", ns_if])?;
        inside(&["link", "set", ns_if, "up"])?;
        inside(&["route", "add", "default", "via", net[0]])?;
        Ok(())
    }

    /// Deleting a namespace deletes its end of each veth pair, and with it the host's end.
    fn remove(&self) {
        for name in [&self.vpc, &self.outside] {
            let _ = Command::new("ip").args(["netns", "del", name]).output();
        }
    }
}

impl Drop for Namespaces {
    fn drop(&mut self) {
        self.remove();
    }
}
