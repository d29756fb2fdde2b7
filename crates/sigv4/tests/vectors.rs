//! Runs every case of the AWS SigV4 test suites under `shared/reference/sigv4-vectors/`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::fs;
use std::path::Path;

use common::{RawRequest, vectors_dir};
use palisade_sigv4::{
    AuthError, Credentials, Duration, Expectations, OffsetDateTime, PathMode, SignOptions,
    SigningKeyCache, canonical_query, canonical_request, canonical_uri, derive_signing_key, parse,
    presign_with_options, sha256_hex, sign_with_options, signature_hex, string_to_sign, verify,
};
use time::format_description::well_known::Rfc3339;

const REGION: &str = "us-east-1";
const SERVICE: &str = "service";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn expectations(now: OffsetDateTime) -> Expectations<'static> {
    Expectations {
        region: REGION,
        service: SERVICE,
        now,
        max_skew: Duration::minutes(5),
    }
}

/// Parses and verifies a signed request as the server would.
fn server_verify(signed: &RawRequest, now: OffsetDateTime) -> Result<(), AuthError> {
    let headers = signed.header_refs();
    let req = signed.parts(&headers);
    let parsed = parse(&req)?;
    assert_eq!(parsed.access_key_id(), "AKIDEXAMPLE");
    verify(
        &parsed,
        &req,
        &signed.body,
        SECRET,
        &expectations(now),
        &SigningKeyCache::default(),
    )
}

/// Whether normalising the path changes its canonical form (S3-style cases only).
fn normalization_matters(path: &str) -> bool {
    canonical_uri(path, PathMode::Normalized) != canonical_uri(path, PathMode::Unnormalized)
}

#[test]
fn new_format_suite() {
    let Some(root) = vectors_dir() else { return };
    let suite = root.join("aws-signing-test-suite-v4");
    let mut cases: Vec<_> = fs::read_dir(&suite)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(!cases.is_empty());
    let mut header_ok = 0;
    let mut query_ok = 0;
    let mut rejected_unnormalized = 0;
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let ctx: serde_json::Value =
            serde_json::from_str(&read(&case.join("context.json"))).unwrap();
        let creds = Credentials {
            access_key_id: ctx["credentials"]["access_key_id"]
                .as_str()
                .unwrap()
                .to_owned(),
            secret_access_key: ctx["credentials"]["secret_access_key"]
                .as_str()
                .unwrap()
                .to_owned(),
            session_token: ctx["credentials"]["token"].as_str().map(str::to_owned),
        };
        assert_eq!(creds.secret_access_key, SECRET);
        let now = OffsetDateTime::parse(ctx["timestamp"].as_str().unwrap(), &Rfc3339).unwrap();
        let normalize = ctx["normalize"].as_bool().unwrap();
        let options = SignOptions {
            path_mode: if normalize {
                PathMode::Normalized
            } else {
                PathMode::Unnormalized
            },
            content_sha256_header: ctx["sign_body"].as_bool().unwrap(),
            sign_session_token: !ctx["omit_session_token"].as_bool().unwrap_or(false),
        };
        let expires = Duration::seconds(ctx["expiration_in_seconds"].as_i64().unwrap());
        let raw = RawRequest::parse(&read(&case.join("request.txt")));
        let headers = raw.header_refs();
        let req = raw.parts(&headers);
        let region = ctx["region"].as_str().unwrap();
        let service = ctx["service"].as_str().unwrap();

        // Authorization-header form: canonical request, string to sign, signature, headers.
        let signed = sign_with_options(&req, &raw.body, &creds, region, service, now, &options);
        assert_eq!(
            signed.canonical_request,
            read(&case.join("header-canonical-request.txt")),
            "{name}: header canonical request"
        );
        assert_eq!(
            signed.string_to_sign,
            read(&case.join("header-string-to-sign.txt")),
            "{name}: header string to sign"
        );
        assert_eq!(
            signed.signature,
            read(&case.join("header-signature.txt")),
            "{name}: header signature"
        );
        let expected_signed = RawRequest::parse(&read(&case.join("header-signed-request.txt")));
        for (n, v) in &signed.headers {
            let theirs: Vec<&str> = expected_signed
                .headers
                .iter()
                .filter(|(en, _)| en.eq_ignore_ascii_case(n))
                .map(|(_, ev)| ev.as_str())
                .collect();
            assert_eq!(theirs, vec![v.as_str()], "{name}: header {n}");
        }

        // Presigned form.
        let presigned = presign_with_options(
            &req, &raw.body, &creds, region, service, now, expires, &options,
        );
        assert_eq!(
            presigned.canonical_request,
            read(&case.join("query-canonical-request.txt")),
            "{name}: query canonical request"
        );
        assert_eq!(
            presigned.string_to_sign,
            read(&case.join("query-string-to-sign.txt")),
            "{name}: query string to sign"
        );
        assert_eq!(
            presigned.signature,
            read(&case.join("query-signature.txt")),
            "{name}: query signature"
        );

        // Round trip through the server: the suite's signed requests and ours. DynamoDB (like
        // every non-S3 service) always normalises, so an S3-style signature over a path that
        // normalisation changes must be rejected.
        let expected_query_signed =
            RawRequest::parse(&read(&case.join("query-signed-request.txt")));
        let mut own = raw.clone();
        own.headers.extend(signed.headers.iter().cloned());
        let mut own_presigned = raw.clone();
        own_presigned.query = presigned.query.clone();
        for (form, request) in [
            ("suite header", &expected_signed),
            ("own header", &own),
            ("suite query", &expected_query_signed),
            ("own query", &own_presigned),
        ] {
            let result = server_verify(request, now);
            if !normalize && normalization_matters(&raw.path) {
                assert_eq!(result, Err(AuthError::SignatureMismatch), "{name}: {form}");
                rejected_unnormalized += 1;
            } else {
                assert_eq!(result, Ok(()), "{name}: {form}");
                if form.ends_with("header") {
                    header_ok += 1;
                } else {
                    query_ok += 1;
                }
            }
        }
    }
    println!(
        "new-format suite: {} cases; canonical request, string to sign and signature matched for \
         both forms in all; verify accepted {header_ok} header-signed and {query_ok} presigned \
         requests, rejected {rejected_unnormalized} S3-style unnormalised ones",
        cases.len()
    );
}

/// Legacy cases whose `.creq` is inconsistent with their `.sts`/`.authz` (README: known defect of
/// AWS's published legacy suite; the new-format copies of both are run in full).
const LEGACY_DEFECTIVE: &[&str] = &[
    "post-x-www-form-urlencoded",
    "post-x-www-form-urlencoded-parameters",
];

fn collect_legacy(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if path.join(format!("{name}.req")).is_file() {
                out.push(path.clone());
            }
            collect_legacy(&path, out);
        }
    }
}

#[test]
fn legacy_suite() {
    let Some(root) = vectors_dir() else { return };
    let mut cases = Vec::new();
    collect_legacy(
        &root.join("aws-sig-v4-test-suite-legacy/aws-sig-v4-test-suite"),
        &mut cases,
    );
    cases.sort();
    assert!(!cases.is_empty());
    let now = OffsetDateTime::parse("2015-08-30T12:36:00Z", &Rfc3339).unwrap();
    let mut checked = 0;
    let mut skipped = 0;
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        if LEGACY_DEFECTIVE.contains(&name.as_str()) {
            println!("legacy {name}: skipped (known defect per README; new-format copy is tested)");
            skipped += 1;
            continue;
        }
        let file = |ext: &str| read(&case.join(format!("{name}.{ext}")));
        let raw = RawRequest::parse_legacy(&file("req"));
        let sreq = RawRequest::parse_legacy(&file("sreq"));
        let sheaders = sreq.header_refs();
        let parsed = parse(&sreq.parts(&sheaders)).unwrap();
        let authz = file("authz");
        assert!(authz.ends_with(&format!("Signature={}", parsed_signature(&authz))));

        let headers = raw.header_refs();
        let req = raw.parts(&headers);
        let signed: Vec<&str> = parsed.signed_headers().iter().map(String::as_str).collect();
        let creq = canonical_request(
            &req,
            &signed,
            &canonical_query(&raw.query, &[]),
            &sha256_hex(&raw.body),
            PathMode::Normalized,
        );
        assert_eq!(creq, file("creq"), "{name}: canonical request");
        let sts = string_to_sign("20150830T123600Z", &parsed.scope().as_scope_string(), &creq);
        assert_eq!(sts, file("sts"), "{name}: string to sign");
        let key = derive_signing_key(SECRET, "20150830", REGION, SERVICE);
        assert_eq!(
            signature_hex(&key, &sts),
            parsed_signature(&authz),
            "{name}: signature"
        );
        assert_eq!(server_verify(&sreq, now), Ok(()), "{name}: verify");
        checked += 1;
    }
    assert_eq!(skipped, LEGACY_DEFECTIVE.len());
    println!(
        "legacy suite: {} cases; canonical request, string to sign, signature and verify matched \
         in {checked}, {skipped} skipped as defective",
        cases.len()
    );
}

fn parsed_signature(authz: &str) -> &str {
    authz.rsplit_once("Signature=").unwrap().1.trim()
}
