//! What the Query-protocol services (IAM, STS, EC2) share: form decoding and indexed list
//! parameters ([`Form`]), XML escaping and element writing ([`Xml`]). Each service keeps its
//! own envelopes, error documents and error codes, which differ.

mod form;
mod xml;

pub use form::{Form, parse_form};
pub use xml::{Xml, escape};
