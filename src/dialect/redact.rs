//! Hiding the secrets of a database URL for messages and reports.

/// Query parameters whose values are secrets.
const SECRET_PARAMETERS: [&str; 6] = ["password", "pass", "pwd", "secret", "token", "sslpassword"];

/// `url` with the password of `scheme://user:password@host/...` and the values of secret query
/// parameters (`password=`, `token=`, ...) replaced by `***`.
///
/// A user name holds no `:`, `/`, `?` or `@`, but a password may hold anything but `@` when it
/// is not percent-encoded (SQLAlchemy accepts `user:pa/ss@host`). So a `:` met before any of those
/// starts a password that runs to the last `@` of the URL. Where an `@` comes later for another
/// reason (`host:5432/db?x=a@b`), more than the password is hidden: never less.
/// Where the password of `rest` (a URL after its `://`) is, as written: the byte range between
/// the `:` that ends the user name and the last `@`; `None` when there is no `user:` followed
/// later by an `@`. The one place the rule above is written.
pub fn password_span(rest: &str) -> Option<std::ops::Range<usize>> {
    let colon = rest
        .find([':', '/', '?', '@', '#'])
        .filter(|&i| rest.as_bytes()[i] == b':')?;
    let at = rest.rfind('@').filter(|&at| at > colon)?;
    Some(colon + 1..at)
}

pub fn redact(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_string();
    };
    let (head, rest) = url.split_at(scheme_end + 3);
    let mut out = head.to_string();
    let mut tail = rest;
    if let Some(password) = password_span(rest) {
        out.push_str(&rest[..password.start]);
        out.push_str("***");
        tail = &rest[password.end..];
    }
    match tail.split_once('?') {
        Some((before, query)) => {
            out.push_str(before);
            out.push('?');
            let pairs: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((key, _)) if SECRET_PARAMETERS.contains(&key.to_lowercase().as_str()) => {
                        format!("{key}=***")
                    }
                    _ => pair.to_string(),
                })
                .collect();
            out.push_str(&pairs.join("&"));
        }
        None => out.push_str(tail),
    }
    out
}
