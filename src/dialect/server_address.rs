//! A server URL taken apart by the `url` crate (the parser sqlx uses too):
//! `scheme[+driver]://[user[:password]@]host[:port][/database][?query]`. User and password stay
//! percent-encoded as written, so a re-emitted URL keeps them so, and are decoded on request.

use std::fmt;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use url::{Host, Url};

use super::Family;
use super::redact;

/// What a user or password given raw is percent-encoded against: all but letters, digits, `-._~`.
const USERINFO: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// What ends a password early when it is written without percent-encoding.
const RAW_PASSWORD: &AsciiSet = &AsciiSet::EMPTY.add(b'/').add(b'?').add(b'#').add(b'@');

/// Why a text is not a server URL. No variant holds any part of the URL (a secret stays out).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error("it has no `scheme://`")]
    NoScheme,
    #[error("its scheme names no server; expected postgresql, postgres, mysql or mariadb")]
    UnknownScheme,
    #[error("it names no host")]
    NoHost,
    #[error("it has a `#` fragment (in a URL, a password holding # is written %23)")]
    Fragment,
    #[error("its user or password is not UTF-8 once percent-decoded")]
    NotUtf8,
    #[error(
        "{0} (in a URL, a password holding / ? @ # or : is written percent-encoded: %2F %3F %40 %23 %3A)"
    )]
    Invalid(url::ParseError),
}

/// The parts of a server URL. Its `Debug` hides the password.
#[derive(Clone, PartialEq, Eq)]
pub struct ServerAddress {
    family: Family,
    /// The scheme without its driver, in lower case (`postgresql`, `postgres`, `mysql`, `mariadb`).
    scheme: String,
    /// What follows `+` in the scheme (`psycopg`, `pymysql`).
    driver: Option<String>,
    /// Percent-encoded, as in the URL (empty when absent).
    user: String,
    /// Percent-encoded, as in the URL (or raw, as written, where it could only be read so).
    password: Option<String>,
    /// A name or an address; an IPv6 address without its brackets.
    host: String,
    port: Option<u16>,
    /// The path after `/`, as in the URL (empty when absent).
    database: String,
    /// Everything after `?` (empty when absent).
    query: String,
}

impl ServerAddress {
    /// A server at `host` and `port`, with a user and password given raw (they are encoded here).
    pub fn new(
        family: Family,
        host: &str,
        port: u16,
        user: &str,
        password: &str,
        database: &str,
    ) -> Self {
        Self {
            family,
            scheme: family.sqlx_scheme().to_string(),
            driver: None,
            user: utf8_percent_encode(user, USERINFO).to_string(),
            password: Some(utf8_percent_encode(password, USERINFO).to_string()),
            host: host.trim_matches(['[', ']']).to_string(),
            port: Some(port),
            database: database.to_string(),
            query: String::new(),
        }
    }

    /// Parses a URL whose scheme names a server family (with or without a driver).
    ///
    /// A password may also be written without percent-encoding, as SQLAlchemy accepts it
    /// (`user:pa/ss@host`): when the URL does not parse as written, a user holding none of
    /// `: / ? # @`, then `:`, starts a password that runs to the last `@` (the reading
    /// [`super::redact`] hides), and the URL is read again with that password encoded.
    /// Such a password is kept as written: a re-emitted URL holds it so, which SQLAlchemy reads
    /// and sqlx refuses (drift then names the fix), while host, port and credentials are right.
    pub fn parse(text: &str) -> Result<Self, UrlError> {
        let (written_scheme, rest) = text.split_once("://").ok_or(UrlError::NoScheme)?;
        let scheme = written_scheme.to_lowercase();
        let (scheme, driver) = match scheme.split_once('+') {
            Some((scheme, driver)) => (scheme.to_string(), Some(driver.to_string())),
            None => (scheme, None),
        };
        let family = Family::from_scheme(&scheme).ok_or(UrlError::UnknownScheme)?;
        let (url, host, raw_password) = match read(text) {
            Ok((url, host)) => (url, host, None),
            Err(first) => {
                let Some((encoded, raw_password)) = encode_raw_password(rest) else {
                    return Err(first);
                };
                let (url, host) =
                    read(&format!("{written_scheme}://{encoded}")).map_err(|_| first)?;
                (url, host, Some(raw_password))
            }
        };
        let user = url.username().to_string();
        let password = raw_password.or_else(|| url.password().map(str::to_string));
        for part in std::iter::once(user.as_str()).chain(password.as_deref()) {
            percent_decode_str(part)
                .decode_utf8()
                .map_err(|_| UrlError::NotUtf8)?;
        }
        Ok(Self {
            family,
            scheme,
            driver,
            user,
            password,
            host,
            port: url.port(),
            database: url.path().trim_start_matches('/').to_string(),
            query: url.query().unwrap_or_default().to_string(),
        })
    }

    pub fn family(&self) -> Family {
        self.family
    }

    /// The scheme without its driver, in lower case.
    pub fn scheme(&self) -> &str {
        &self.scheme
    }

    pub fn driver(&self) -> Option<&str> {
        self.driver.as_deref()
    }

    /// The user, percent-decoded (empty when absent).
    pub fn user(&self) -> String {
        decoded(&self.user)
    }

    /// The password, percent-decoded, as a client program or a container's environment wants it.
    pub fn password(&self) -> Option<String> {
        self.password.as_deref().map(decoded)
    }

    /// The host name or address (an IPv6 address without brackets).
    pub fn host(&self) -> &str {
        &self.host
    }

    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// `host:port` as a URL writes it (IPv6 in brackets; no port when the URL names none).
    pub fn authority(&self) -> String {
        let mut authority = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        if let Some(port) = self.port {
            authority.push_str(&format!(":{port}"));
        }
        authority
    }

    /// The database the URL names, as written (empty when it names none).
    pub fn database(&self) -> &str {
        &self.database
    }

    /// The URL with `scheme`, naming `database` on this server: user and password percent-encoded
    /// as written, the query kept.
    pub fn to_url(&self, scheme: &str, database: &str) -> String {
        let mut url = format!("{scheme}://");
        if !self.user.is_empty() || self.password.is_some() {
            url.push_str(&self.user);
            if let Some(password) = &self.password {
                url.push(':');
                url.push_str(password);
            }
            url.push('@');
        }
        url.push_str(&self.authority());
        url.push('/');
        url.push_str(database);
        if !self.query.is_empty() {
            url.push('?');
            url.push_str(&self.query);
        }
        url
    }
}

impl fmt::Debug for ServerAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = match &self.driver {
            Some(driver) => format!("{}+{driver}", self.scheme),
            None => self.scheme.clone(),
        };
        f.write_str(&redact(&self.to_url(&scheme, &self.database)))
    }
}

/// The URL and its host, or why it is not a server URL.
fn read(text: &str) -> Result<(Url, String), UrlError> {
    let url = Url::parse(text).map_err(|err| match err {
        url::ParseError::EmptyHost => UrlError::NoHost,
        other => UrlError::Invalid(other),
    })?;
    if url.fragment().is_some() {
        return Err(UrlError::Fragment);
    }
    let host = match url.host() {
        Some(Host::Domain(name)) if !name.is_empty() => name.to_string(),
        Some(Host::Ipv4(address)) => address.to_string(),
        Some(Host::Ipv6(address)) => address.to_string(),
        Some(Host::Domain(_)) | None => return Err(UrlError::NoHost),
    };
    Ok((url, host))
}

/// `rest` (the URL after `://`) with a raw password percent-encoded, and that password as
/// written; `None` when it has no `user:` followed later by an `@`.
fn encode_raw_password(rest: &str) -> Option<(String, String)> {
    let password = super::password_span(rest)?;
    let raw = &rest[password.clone()];
    let encoded = utf8_percent_encode(raw, RAW_PASSWORD);
    let rest = format!(
        "{}{encoded}{}",
        &rest[..password.start],
        &rest[password.end..]
    );
    Some((rest, raw.to_string()))
}

/// Checked to be UTF-8 when parsed; lossy only for what [`ServerAddress::new`] encoded itself.
fn decoded(part: &str) -> String {
    percent_decode_str(part).decode_utf8_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[test]
    fn a_password_with_reserved_characters_round_trips() {
        let raw = "p@ss%w:rd/1";
        let text = "postgresql://app:p%40ss%25w%3Ard%2F1@db:5432/app";
        let parsed = ServerAddress::parse(text).unwrap();
        assert_eq!(parsed.user(), "app");
        assert_eq!(parsed.password().as_deref(), Some(raw));
        assert_eq!(parsed.to_url("postgresql", parsed.database()), text);
        let built = ServerAddress::new(Family::Postgres, "db", 5432, "app", raw, "app");
        assert_eq!(built.to_url("postgresql", "app"), text);
        assert_eq!(built.password().as_deref(), Some(raw));
        assert_eq!(
            ServerAddress::parse(&built.to_url("postgresql", "app")).unwrap(),
            parsed
        );
    }

    #[test]
    fn a_bracketed_ipv6_host_keeps_its_port() {
        let text = "postgresql://u:p@[::1]:5432/db";
        let parsed = ServerAddress::parse(text).unwrap();
        assert_eq!(parsed.host(), "::1");
        assert_eq!(parsed.port(), Some(5432));
        assert_eq!(parsed.authority(), "[::1]:5432");
        assert_eq!(parsed.to_url("postgresql", "db"), text);
        let built = ServerAddress::new(Family::Postgres, "::1", 5432, "u", "p", "db");
        assert_eq!(built.to_url("postgresql", "db"), text);
    }

    #[rstest]
    #[case("postgresql://postgres:pw@127.0.0.1:5433/cell_1")]
    #[case("postgresql+psycopg://app:s3cret@db.internal:5432/postgres?sslmode=require")]
    #[case("mysql+pymysql://root:pw@127.0.0.1:3307/c")]
    #[case("mariadb+mariadbconnector://root@db:3306/app")]
    #[case("postgres://db/app")]
    #[case("postgresql://app:s3cr%40t@db:5432/app")]
    #[case("postgresql://DB.Example.com/App?options=-c%20search_path%3Dx")]
    #[case("postgresql://db:5432/app?x=a@b")]
    fn ordinary_urls_are_re_emitted_byte_for_byte(#[case] text: &str) {
        let parsed = ServerAddress::parse(text).unwrap();
        let scheme = text.split_once("://").unwrap().0;
        assert_eq!(parsed.to_url(scheme, parsed.database()), text);
    }

    #[rstest]
    #[case("postgresql://app:pa/ss@db/app", "pa/ss", "db", "app")]
    #[case("postgresql://app:p?w=1@db:5433/app?token=t0k", "p?w=1", "db", "app")]
    #[case("mysql://root:a#b@host/db", "a#b", "host", "db")]
    fn raw_passwords_are_read_as_sqlalchemy_reads_them_and_kept_as_written(
        #[case] text: &str,
        #[case] password: &str,
        #[case] host: &str,
        #[case] database: &str,
    ) {
        let parsed = ServerAddress::parse(text).unwrap();
        assert_eq!(parsed.password().as_deref(), Some(password));
        assert_eq!((parsed.host(), parsed.database()), (host, database));
        let scheme = text.split_once("://").unwrap().0;
        assert_eq!(parsed.to_url(scheme, parsed.database()), text);
    }

    #[test]
    fn a_raw_at_sign_in_a_password_is_encoded_when_re_emitted() {
        let parsed = ServerAddress::parse("mysql://root:p@ss@host/db").unwrap();
        assert_eq!(parsed.password().as_deref(), Some("p@ss"));
        assert_eq!(parsed.host(), "host");
        assert_eq!(parsed.to_url("mysql", "db"), "mysql://root:p%40ss@host/db");
    }

    #[test]
    fn defaults_and_parts() {
        let parsed = ServerAddress::parse("MySQL+PyMySQL://root@db").unwrap();
        assert_eq!(parsed.family(), Family::Mysql);
        assert_eq!(
            (parsed.scheme(), parsed.driver()),
            ("mysql", Some("pymysql"))
        );
        assert_eq!((parsed.host(), parsed.port()), ("db", None));
        assert_eq!(parsed.database(), "");
        assert_eq!(parsed.password(), None);
        assert_eq!(parsed.to_url("mysql", "x"), "mysql://root@db/x");
    }

    #[rstest]
    #[case("no-scheme", UrlError::NoScheme)]
    #[case("oracle://u:secret@h/db", UrlError::UnknownScheme)]
    #[case("mysql:///db", UrlError::NoHost)]
    #[case("mysql://u:secret@/app", UrlError::NoHost)]
    #[case("postgresql://h/db#secret", UrlError::Fragment)]
    #[case("postgresql://u:%FF@h/db", UrlError::NotUtf8)]
    fn what_is_not_a_server_url(#[case] text: &str, #[case] why: UrlError) {
        let err = ServerAddress::parse(text).unwrap_err();
        assert_eq!(err, why);
        assert!(!err.to_string().contains("secret"), "{err}");
    }

    #[test]
    fn debug_hides_the_password() {
        let parsed = ServerAddress::parse("postgresql+psycopg://app:s3cret@db/app").unwrap();
        assert_eq!(format!("{parsed:?}"), "postgresql+psycopg://app:***@db/app");
    }
}
