//! Secrets kept out of everything the harness shows: the passwords of the servers a configuration
//! names, however they are written (percent-encoded in the URL, or raw, as `[project.env]` may hold
//! them), and the password of any URL a tool prints. Applied to a tool's output before it reaches a
//! report, so a traceback that prints the URL it connected to shows `***`.

use super::database::redact;

/// The secrets of one run, longest first (a secret that contains another is replaced whole).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Secrets(Vec<String>);

impl Secrets {
    /// The passwords of `urls`: as written, and percent-decoded when that differs.
    pub fn of_urls<'a>(urls: impl IntoIterator<Item = &'a str>) -> Self {
        let mut found = Vec::new();
        for url in urls {
            let Some(password) = password_of(url) else {
                continue;
            };
            let decoded = percent_encoding::percent_decode_str(password)
                .decode_utf8_lossy()
                .into_owned();
            found.push(password.to_string());
            found.push(decoded);
        }
        // Short values would blank ordinary words of the output.
        found.retain(|secret| secret.chars().count() >= 4);
        found.sort_by_key(|secret| std::cmp::Reverse(secret.len()));
        found.dedup();
        Self(found)
    }

    /// `text` with every known secret, and the password of every URL in it, replaced by `***`.
    pub fn redact(&self, text: &str) -> String {
        let mut text = redact_urls(text);
        for secret in &self.0 {
            if text.contains(secret.as_str()) {
                text = text.replace(secret.as_str(), "***");
            }
        }
        text
    }
}

/// The password part of `scheme://user:password@host...`, as written.
fn password_of(url: &str) -> Option<&str> {
    let rest = &url[url.find("://")? + 3..];
    let password = crate::dialect::password_span(rest)?;
    Some(&rest[password]).filter(|p| !p.is_empty())
}

/// Every URL of `text` (a `scheme://` run up to white space or a quote) with its password
/// redacted.
fn redact_urls(text: &str) -> String {
    if !text.contains("://") {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let start = rest[..at]
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '+' || c == '.' || c == '-'))
            .map_or(0, |i| i + 1);
        let end = rest[at..]
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '`' | '<' | '>'))
            .map_or(rest.len(), |i| at + i);
        out.push_str(&rest[..start]);
        out.push_str(&redact(&rest[start..end]));
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_is_hidden_however_it_is_written() {
        let secrets =
            Secrets::of_urls(["postgresql://app:Sup3r%40S3cr%25t%2Fx%3Fy@db:5432/postgres"]);
        let text = "cannot migrate postgresql://app:Sup3r%40S3cr%25t%2Fx%3Fy@db:5432/harness_1 \
                    secret=Sup3r@S3cr%t/x?y (url='mysql+pymysql://root:other@h/x')";
        let shown = secrets.redact(text);
        assert!(
            !shown.contains("Sup3r") && !shown.contains("other"),
            "{shown}"
        );
        assert_eq!(
            shown,
            "cannot migrate postgresql://app:***@db:5432/harness_1 secret=*** (url='mysql+pymysql://root:***@h/x')"
        );
    }

    #[test]
    fn text_without_secrets_is_left_as_it_is() {
        let secrets = Secrets::of_urls(["postgresql://app@db/postgres", "sqlite:///x.db"]);
        let text = "see https://example.test/docs and sqlite:///tmp/a.db: no such table";
        assert_eq!(secrets.redact(text), text);
    }
}
