//! Query-protocol output: XML escaping and a small element writer.

/// Escapes text for element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// A small XML builder: elements with escaped text, no attributes.
#[derive(Default)]
pub struct Xml {
    buf: String,
}

impl Xml {
    pub fn new() -> Xml {
        Xml::default()
    }

    /// `<tag>`
    pub fn open(&mut self, tag: &str) -> &mut Xml {
        self.buf.push('<');
        self.buf.push_str(tag);
        self.buf.push('>');
        self
    }

    /// `</tag>`
    pub fn close(&mut self, tag: &str) -> &mut Xml {
        self.buf.push_str("</");
        self.buf.push_str(tag);
        self.buf.push('>');
        self
    }

    /// `<tag>text</tag>` with `text` escaped.
    pub fn elem(&mut self, tag: &str, text: &str) -> &mut Xml {
        self.open(tag);
        self.buf.push_str(&escape(text));
        self.close(tag)
    }

    /// An element only when the value is present.
    pub fn opt(&mut self, tag: &str, text: Option<&str>) -> &mut Xml {
        if let Some(t) = text {
            self.elem(tag, t);
        }
        self
    }

    /// `<tag/>`: an empty element.
    pub fn empty(&mut self, tag: &str) -> &mut Xml {
        self.buf.push('<');
        self.buf.push_str(tag);
        self.buf.push_str("/>");
        self
    }

    /// The XML built so far.
    pub fn finish(self) -> String {
        self.buf
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_writes_elements() {
        assert_eq!(escape(r#"a<b>&"c'"#), "a&lt;b&gt;&amp;&quot;c&apos;");
        let mut x = Xml::new();
        x.open("User")
            .elem("UserName", "a&b")
            .opt("Path", None)
            .opt("Arn", Some("x"))
            .empty("Tags")
            .close("User");
        assert_eq!(
            x.finish(),
            "<User><UserName>a&amp;b</UserName><Arn>x</Arn><Tags/></User>"
        );
    }
}
