//! `palisade bench` end to end: the benchmark starts its own server, runs every workload for a
//! fixed number of requests and reports them as JSON. Correctness only: no timing is asserted.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

use serde_json::Value;

const WORKLOADS: [&str; 7] = ["get", "put", "query", "mixed", "cond", "batch", "transact"];

fn run_bench(extra: &[&str]) -> Value {
    let output = Command::new(env!("CARGO_BIN_EXE_palisade"))
        .args(["bench", "--requests", "200", "--items", "100", "--json"])
        .args(["--workloads", &WORKLOADS.join(","), "--connections", "4"])
        .args(extra)
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_SESSION_TOKEN")
        .output()
        .expect("run palisade bench");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "palisade bench failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("the output is not JSON ({e}):\n{stdout}\n{stderr}"))
}

fn check_workload(w: &Value, name: &str) {
    assert_eq!(w["name"], name);
    assert_eq!(w["requests"], 200, "{w:#}");
    assert_eq!(w["ok"], 200, "{w:#}");
    assert_eq!(w["errors"], 0, "{w:#}");
    assert!(w["error_kinds"].as_object().unwrap().is_empty(), "{w:#}");
    for field in [
        "ops_per_sec",
        "items_per_sec",
        "p50_us",
        "p99_us",
        "max_us",
        "seconds",
    ] {
        let value = w[field]
            .as_f64()
            .unwrap_or_else(|| panic!("{field} missing: {w:#}"));
        assert!(value > 0.0, "{field} not positive: {w:#}");
    }
    assert!(w["p50_us"].as_f64() <= w["p99_us"].as_f64(), "{w:#}");
    assert!(w["p99_us"].as_f64() <= w["max_us"].as_f64(), "{w:#}");
}

#[test]
fn bench_runs_every_workload_against_its_own_server() {
    let report = run_bench(&["--ceiling"]);
    assert_eq!(report["errors"], 0, "{report:#}");
    assert!(
        report["endpoint"]
            .as_str()
            .unwrap()
            .starts_with("http://127.0.0.1:")
    );
    assert_eq!(report["settings"]["connections"], 4);
    assert_eq!(report["settings"]["items"], 100);
    assert_eq!(report["settings"]["requests"], 200);

    let server = &report["server"];
    assert!(server["startup_ms"].as_f64().unwrap() > 0.0, "{server:#}");
    assert!(server["idle_rss_kib"].as_u64().unwrap() > 0, "{server:#}");
    assert!(server["final_rss_kib"].as_u64().unwrap() > 0, "{server:#}");
    assert!(report["preload_seconds"].as_f64().unwrap() > 0.0);

    check_workload(&report["ceiling"], "get");

    let workloads = report["workloads"].as_array().unwrap();
    assert_eq!(workloads.len(), WORKLOADS.len(), "{report:#}");
    for (w, name) in workloads.iter().zip(WORKLOADS) {
        check_workload(w, name);
        assert!(w["ceiling_fraction"].as_f64().unwrap() > 0.0, "{w:#}");
    }
    let items_per_request: Vec<u64> = workloads
        .iter()
        .map(|w| w["items_per_request"].as_u64().unwrap())
        .collect();
    assert_eq!(items_per_request, [1, 1, 1, 1, 1, 25, 4]);
}

#[test]
fn bench_rejects_bad_options() {
    for args in [
        &["--workloads", "scan"][..],
        &["--connections", "0"],
        &["--table", "x"],
        &["--duration", "ten"],
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_palisade"))
            .arg("bench")
            .args(args)
            .output()
            .unwrap();
        assert!(!output.status.success(), "{args:?} accepted");
        assert!(
            output.stdout.is_empty(),
            "{args:?} printed results: {}",
            String::from_utf8_lossy(&output.stdout)
        );
    }
}
