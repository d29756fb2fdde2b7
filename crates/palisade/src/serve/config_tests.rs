#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;

/// A file in a temporary directory with `cert.pem` and `key.pem` (a self-signed certificate)
/// beside it.
fn in_dir(text: &str) -> (tempfile::TempDir, Result<ConfigFile, String>) {
    let dir = tempfile::tempdir().unwrap();
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    std::fs::write(dir.path().join("cert.pem"), certified.cert.pem()).unwrap();
    std::fs::write(
        dir.path().join("key.pem"),
        certified.signing_key.serialize_pem(),
    )
    .unwrap();
    let path = dir.path().join("palisade.toml");
    std::fs::write(&path, text).unwrap();
    let parsed = load(&path);
    (dir, parsed)
}

#[test]
fn a_complete_file() {
    let (dir, parsed) = in_dir(
        r#"
region = "eu-west-1"
account = "111122223333"
data_dir = "data"

[[listener]]
address = "0.0.0.0:8000"

[[listener]]
address = "0.0.0.0:8443"
tls = { cert = "cert.pem", key = "key.pem" }
proxy_protocol = { trusted = ["10.0.0.0/8", "fd00::/8"] }

[[vpc]]
id = "vpc-0a1b2c3d4e5f60718"
cidr_blocks = ["10.0.0.0/16"]

[[vpc_endpoint]]
id = "vpce-0123456789abcdef0"
vpc = "vpc-0a1b2c3d4e5f60718"
addresses = ["10.0.1.10:8000", "10.0.1.10:8001"]
policy = '{"Version":"2012-10-17","Statement":[]}'
"#,
    );
    let file = parsed.unwrap();
    assert_eq!(file.region.as_deref(), Some("eu-west-1"));
    assert_eq!(file.account.as_deref(), Some("111122223333"));
    assert_eq!(file.data_dir, Some(dir.path().join("data")));
    assert_eq!(file.listeners.len(), 2);
    assert_eq!(file.listeners[0].tls, None);
    assert_eq!(
        file.listeners[1].tls,
        Some(TlsFiles {
            cert: dir.path().join("cert.pem"),
            key: dir.path().join("key.pem"),
        })
    );
    assert_eq!(
        file.listeners[1].proxy_trusted,
        vec![
            "10.0.0.0/8".parse::<IpNet>().unwrap(),
            "fd00::/8".parse().unwrap()
        ]
    );
    assert_eq!(
        file.vpcs,
        vec![VpcDecl {
            id: "vpc-0a1b2c3d4e5f60718".into(),
            cidr_blocks: vec!["10.0.0.0/16".parse().unwrap()],
        }]
    );
    assert_eq!(
        file.endpoints,
        vec![EndpointDecl {
            id: "vpce-0123456789abcdef0".into(),
            vpc_id: "vpc-0a1b2c3d4e5f60718".into(),
            addresses: vec![
                "10.0.1.10:8000".parse().unwrap(),
                "10.0.1.10:8001".parse().unwrap()
            ],
            tls: None,
            policy: Some(r#"{"Version":"2012-10-17","Statement":[]}"#.into()),
        }]
    );
}

#[test]
fn an_empty_file_is_all_defaults() {
    let (_dir, parsed) = in_dir("");
    let file = parsed.unwrap();
    assert!(file.listeners.is_empty() && file.endpoints.is_empty() && file.region.is_none());
}

/// The error for `text`, with the temporary directory replaced by `DIR`.
fn error(text: &str) -> String {
    let (dir, parsed) = in_dir(text);
    parsed
        .unwrap_err()
        .replace(&dir.path().display().to_string(), "DIR")
}

#[test]
fn errors_name_the_file_and_the_line() {
    let unknown = error("region = \"x\"\n\n[[listener]]\naddress = \"127.0.0.1:1\"\ncolour = 1\n");
    assert!(
        unknown.starts_with("DIR/palisade.toml:5: unknown field `colour`"),
        "{unknown}"
    );
    let cidr = error(
        "[[listener]]\naddress = \"127.0.0.1:1\"\nproxy_protocol = { trusted = [\"10.0.0.0/33\"] }\n",
    );
    assert!(cidr.starts_with("DIR/palisade.toml:3: "), "{cidr}");
    let cert = error(
        "[[listener]]\naddress = \"127.0.0.1:1\"\ntls = { cert = \"missing.pem\", key = \"key.pem\" }\n",
    );
    assert_eq!(
        cert,
        "DIR/palisade.toml:3: TLS certificate file DIR/missing.pem does not exist"
    );
    let address = error("[[listener]]\naddress = \"localhost\"\n");
    assert!(address.starts_with("DIR/palisade.toml:2: "), "{address}");
    let syntax = error("region = \n");
    assert!(syntax.starts_with("DIR/palisade.toml:1: "), "{syntax}");
}

#[test]
fn endpoints_are_checked() {
    let vpc = "[[vpc]]\nid = \"vpc-01\"\n";
    let undeclared = error(&format!(
        "{vpc}[[vpc_endpoint]]\nid = \"vpce-01\"\nvpc = \"vpc-02\"\naddresses = [\"127.0.0.1:1\"]\n"
    ));
    assert_eq!(
        undeclared,
        "DIR/palisade.toml:5: VPC vpc-02 is not declared (add a [[vpc]] with this id)"
    );
    let bad_id = error(&format!(
        "{vpc}[[vpc_endpoint]]\nid = \"endpoint-1\"\nvpc = \"vpc-01\"\naddresses = [\"127.0.0.1:1\"]\n"
    ));
    assert!(bad_id.starts_with("DIR/palisade.toml:4: "), "{bad_id}");
    let policy = error(&format!(
        "{vpc}[[vpc_endpoint]]\nid = \"vpce-01\"\nvpc = \"vpc-01\"\naddresses = [\"127.0.0.1:1\"]\npolicy = \"{{nope\"\n"
    ));
    assert!(
        policy.starts_with("DIR/palisade.toml:7: the endpoint policy is not JSON"),
        "{policy}"
    );
    let twice = error(&format!(
        "[[listener]]\naddress = \"127.0.0.1:1\"\n{vpc}[[vpc_endpoint]]\nid = \"vpce-01\"\nvpc = \"vpc-01\"\naddresses = [\"127.0.0.1:1\"]\n"
    ));
    assert_eq!(twice, "DIR/palisade.toml:8: 127.0.0.1:1 is used twice");
    // Port 0 may repeat among public listeners, not among endpoints.
    let public_zero = in_dir(
        "[[listener]]\naddress = \"127.0.0.1:0\"\n[[listener]]\naddress = \"127.0.0.1:0\"\n",
    );
    assert_eq!(public_zero.1.unwrap().listeners.len(), 2);
    let endpoint_zero = error(&format!(
        "[[listener]]\naddress = \"127.0.0.1:0\"\n{vpc}[[vpc_endpoint]]\nid = \"vpce-01\"\nvpc = \"vpc-01\"\naddresses = [\"127.0.0.1:0\", \"127.0.0.1:0\"]\n"
    ));
    assert_eq!(
        endpoint_zero,
        "DIR/palisade.toml:8: 127.0.0.1:0 is used twice"
    );
}

#[test]
fn a_policy_file_is_read_relative_to_the_configuration() {
    let (dir, _) = in_dir("");
    std::fs::write(dir.path().join("policy.json"), r#"{"Statement":[]}"#).unwrap();
    let path = dir.path().join("palisade.toml");
    std::fs::write(
        &path,
        "[[vpc]]\nid = \"vpc-01\"\n[[vpc_endpoint]]\nid = \"vpce-01\"\nvpc = \"vpc-01\"\naddresses = [\"127.0.0.1:1\"]\npolicy_file = \"policy.json\"\n",
    )
    .unwrap();
    let file = load(&path).unwrap();
    assert_eq!(
        file.endpoints[0].policy.as_deref(),
        Some(r#"{"Statement":[]}"#)
    );
}

#[test]
fn the_documented_example_parses() {
    let doc = include_str!("../../../../docs/configuration.md");
    let start = doc.find("## Complete example").unwrap();
    let block = &doc[start..];
    let open = block.find("```toml\n").unwrap() + "```toml\n".len();
    let close = block[open..].find("```").unwrap();
    let (dir, _) = in_dir("");
    std::fs::write(dir.path().join("bootstrap.json"), "{}").unwrap();
    std::fs::write(
        dir.path().join("endpoint-policy.json"),
        r#"{"Statement":[]}"#,
    )
    .unwrap();
    let path = dir.path().join("palisade.toml");
    std::fs::write(&path, &block[open..open + close]).unwrap();
    let file = load(&path).unwrap();
    assert_eq!(file.region.as_deref(), Some("eu-west-1"));
    assert_eq!(file.block_cache_mib, Some(512));
    assert_eq!(file.bootstrap, Some(dir.path().join("bootstrap.json")));
    assert_eq!(file.listeners.len(), 3);
    assert_eq!(file.vpcs.len(), 1);
    assert_eq!(file.endpoints.len(), 2);
    assert_eq!(file.endpoints[0].addresses.len(), 2);
    assert!(
        file.endpoints[0]
            .policy
            .as_deref()
            .unwrap()
            .contains("dynamodb:*")
    );
    assert_eq!(
        file.endpoints[1].policy.as_deref(),
        Some(r#"{"Statement":[]}"#)
    );
}

#[test]
fn tls_files_that_are_not_pem_are_reported_with_their_line() {
    let (dir, _) = in_dir("");
    std::fs::write(dir.path().join("bad.pem"), "not a certificate").unwrap();
    let path = dir.path().join("palisade.toml");
    std::fs::write(
        &path,
        "[[listener]]\naddress = \"127.0.0.1:0\"\ntls = { cert = \"bad.pem\", key = \"key.pem\" }\n",
    )
    .unwrap();
    let error = load(&path)
        .unwrap_err()
        .replace(&dir.path().display().to_string(), "DIR");
    assert_eq!(error, "DIR/palisade.toml:3: no certificate in DIR/bad.pem");
    // A key that belongs to another certificate.
    let other = rcgen::generate_simple_self_signed(vec!["other".to_string()]).unwrap();
    std::fs::write(
        dir.path().join("other-key.pem"),
        other.signing_key.serialize_pem(),
    )
    .unwrap();
    std::fs::write(
        &path,
        "[[listener]]\naddress = \"127.0.0.1:0\"\n\ntls = { cert = \"cert.pem\", key = \"other-key.pem\" }\n",
    )
    .unwrap();
    let error = load(&path)
        .unwrap_err()
        .replace(&dir.path().display().to_string(), "DIR");
    assert!(error.starts_with("DIR/palisade.toml:4: the key in DIR/other-key.pem does not fit the certificate in DIR/cert.pem"), "{error}");
}
