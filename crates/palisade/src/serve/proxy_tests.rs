#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;

/// The reference's example: IPv4 10.0.1.25:49152 -> 10.0.2.10:8000 through
/// vpce-0123456789abcdef0, 54 bytes.
const AWS_EXAMPLE: &str = "0d0a0d0a000d0a515549540a211100260a0001190a00020ac0001f40ea001701767063652d3031323334353637383961626364656630";

fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

/// A v2 header with the given command/family bytes, addresses and TLVs.
fn header(command: u8, family: u8, addresses: &[u8], tlvs: &[u8]) -> Vec<u8> {
    let mut bytes = SIGNATURE.to_vec();
    bytes.push(command);
    bytes.push(family);
    let len = u16::try_from(addresses.len() + tlvs.len()).unwrap();
    bytes.extend_from_slice(&len.to_be_bytes());
    bytes.extend_from_slice(addresses);
    bytes.extend_from_slice(tlvs);
    bytes
}

fn tlv(kind: u8, value: &[u8]) -> Vec<u8> {
    let mut bytes = vec![kind];
    bytes.extend_from_slice(&u16::try_from(value.len()).unwrap().to_be_bytes());
    bytes.extend_from_slice(value);
    bytes
}

const IPV4_ADDRESSES: [u8; 12] = [10, 9, 8, 7, 127, 0, 0, 1, 0x30, 0x39, 0x1f, 0x40];

#[test]
fn the_aws_example_gives_the_client_address_and_the_endpoint_id() {
    let bytes = hex(AWS_EXAMPLE);
    assert_eq!(bytes.len(), 54);
    let (parsed, used) = parse(&bytes).unwrap();
    assert_eq!(used, 54);
    assert_eq!(
        parsed,
        Header::Proxy(Proxied {
            source: Some("10.0.1.25:49152".parse().unwrap()),
            destination: Some("10.0.2.10:8000".parse().unwrap()),
            vpce_id: Some("vpce-0123456789abcdef0".into()),
            client_ssl: false,
        })
    );
}

#[test]
fn bytes_after_the_header_are_not_part_of_it() {
    let mut bytes = hex(AWS_EXAMPLE);
    bytes.extend_from_slice(b"POST / HTTP/1.1\r\n");
    assert_eq!(parse(&bytes).unwrap().1, 54);
}

#[tokio::test]
async fn read_header_takes_exactly_the_header_from_a_stream() {
    let mut bytes = hex(AWS_EXAMPLE);
    bytes.extend_from_slice(b"GET /");
    let mut reader = &bytes[..];
    let parsed = read_header(&mut reader).await.unwrap();
    assert!(
        matches!(parsed, Header::Proxy(p) if p.vpce_id.as_deref() == Some("vpce-0123456789abcdef0"))
    );
    assert_eq!(reader, b"GET /");
}

#[tokio::test]
async fn a_stream_that_ends_inside_the_header_is_truncated() {
    let bytes = hex(AWS_EXAMPLE);
    for cut in [0, 5, 15, 16, 30, 53] {
        let mut reader = &bytes[..cut];
        assert_eq!(
            read_header(&mut reader).await,
            Err(ProxyError::Truncated),
            "cut at {cut}"
        );
    }
}

#[test]
fn every_truncation_is_refused() {
    let bytes = hex(AWS_EXAMPLE);
    for cut in 0..bytes.len() {
        assert_eq!(
            parse(&bytes[..cut]),
            Err(ProxyError::Truncated),
            "cut at {cut}"
        );
    }
}

#[test]
fn version_1_text_headers_are_refused() {
    let v1 = b"PROXY TCP4 10.9.8.7 127.0.0.1 12345 8000\r\nGET / HTTP/1.1\r\n\r\n";
    assert_eq!(parse(v1), Err(ProxyError::Version1));
    assert_eq!(parse(b"PROXY "), Err(ProxyError::Version1));
    assert!(could_be_proxy(b"PROX"));
    assert!(could_be_proxy(v1));
}

#[test]
fn plain_http_and_tls_are_not_proxy_headers() {
    assert_eq!(
        parse(b"POST / HTTP/1.1\r\nhost: x\r\n\r\n"),
        Err(ProxyError::NotProxy)
    );
    assert!(!could_be_proxy(b"POST / HTTP/1.1\r\n"));
    assert!(!could_be_proxy(&[0x16, 0x03, 0x01]));
    assert!(could_be_proxy(&SIGNATURE[..5]));
    assert!(could_be_proxy(&hex(AWS_EXAMPLE)));
    assert!(could_be_proxy(b""));
}

#[test]
fn local_keeps_the_peer_and_ignores_addresses_and_tlvs() {
    let bytes = header(0x20, 0x11, &IPV4_ADDRESSES, &tlv(0xEA, b"\x01vpce-0abc"));
    assert_eq!(parse(&bytes).unwrap().0, Header::Local);
    let bare = header(0x20, 0x00, &[], &[]);
    assert_eq!(parse(&bare).unwrap(), (Header::Local, 16));
}

#[test]
fn ipv6_addresses() {
    let mut addresses = Vec::new();
    addresses.extend_from_slice(&"2001:db8::7".parse::<Ipv6Addr>().unwrap().octets());
    addresses.extend_from_slice(&"2001:db8::1".parse::<Ipv6Addr>().unwrap().octets());
    addresses.extend_from_slice(&443u16.to_be_bytes());
    addresses.extend_from_slice(&8000u16.to_be_bytes());
    let bytes = header(0x21, 0x21, &addresses, &[]);
    let Header::Proxy(p) = parse(&bytes).unwrap().0 else {
        panic!("not a PROXY header")
    };
    assert_eq!(p.source, Some("[2001:db8::7]:443".parse().unwrap()));
    assert_eq!(p.destination, Some("[2001:db8::1]:8000".parse().unwrap()));
}

#[test]
fn unknown_tlvs_are_skipped() {
    let mut tlvs = tlv(0x04, &[0; 7]); // NOOP
    tlvs.extend(tlv(0xEE, &[1, 2, 3, 4, 5])); // Azure
    tlvs.extend(tlv(0xEA, b"\x02other-subtype"));
    tlvs.extend(tlv(0xEA, b"\x01vpce-0a1b2c3d"));
    tlvs.extend(tlv(0x05, b"unique"));
    let Header::Proxy(p) = parse(&header(0x21, 0x11, &IPV4_ADDRESSES, &tlvs))
        .unwrap()
        .0
    else {
        panic!("not a PROXY header")
    };
    assert_eq!(p.source, Some("10.9.8.7:12345".parse().unwrap()));
    assert_eq!(p.vpce_id.as_deref(), Some("vpce-0a1b2c3d"));
    assert!(!p.client_ssl);
}

#[test]
fn the_ssl_tlv_with_the_client_bit_means_tls() {
    let with = tlv(0x20, &[0x01, 0, 0, 0, 0]);
    let without = tlv(0x20, &[0x00, 0, 0, 0, 0]);
    for (tlvs, expected) in [(with, true), (without, false)] {
        let Header::Proxy(p) = parse(&header(0x21, 0x11, &IPV4_ADDRESSES, &tlvs))
            .unwrap()
            .0
        else {
            panic!("not a PROXY header")
        };
        assert_eq!(p.client_ssl, expected);
    }
}

#[test]
fn oversize_lengths_are_refused_before_reading_the_body() {
    let mut bytes = SIGNATURE.to_vec();
    bytes.extend_from_slice(&[0x21, 0x11, 0xFF, 0xFF]);
    assert_eq!(parse(&bytes), Err(ProxyError::TooLong(65535)));
}

#[test]
fn malformed_headers_are_refused() {
    // Version 1 in the binary form, command 2, unknown family.
    assert_eq!(
        parse(&header(0x11, 0x11, &IPV4_ADDRESSES, &[])),
        Err(ProxyError::BadVersion(1))
    );
    assert_eq!(
        parse(&header(0x22, 0x11, &IPV4_ADDRESSES, &[])),
        Err(ProxyError::BadCommand(2))
    );
    assert_eq!(
        parse(&header(0x21, 0x41, &IPV4_ADDRESSES, &[])),
        Err(ProxyError::BadFamily(0x41))
    );
    // Too short for IPv6 addresses.
    assert_eq!(
        parse(&header(0x21, 0x21, &IPV4_ADDRESSES, &[])),
        Err(ProxyError::ShortAddresses)
    );
    // A TLV longer than what is left, and one cut in its own header.
    let mut long = tlv(0xEA, b"\x01vpce-0a");
    long.truncate(long.len() - 1);
    assert_eq!(
        parse(&header(0x21, 0x11, &IPV4_ADDRESSES, &long)),
        Err(ProxyError::BadTlv(0xEA))
    );
    assert_eq!(
        parse(&header(0x21, 0x11, &IPV4_ADDRESSES, &[0x04, 0x00])),
        Err(ProxyError::BadTlv(0x04))
    );
    // An endpoint id with a NUL or a space, and an empty one.
    for bad in [&b"\x01vpce-0a\0"[..], b"\x01vpce 0a", b"\x01"] {
        assert_eq!(
            parse(&header(0x21, 0x11, &IPV4_ADDRESSES, &tlv(0xEA, bad))),
            Err(ProxyError::BadVpceId)
        );
    }
    // An empty AWS TLV has no subtype.
    assert_eq!(
        parse(&header(0x21, 0x11, &IPV4_ADDRESSES, &tlv(0xEA, b""))),
        Err(ProxyError::BadTlv(0xEA))
    );
}
