//! Python string literals as written in a revision file (`"a1"`, `r'a1'`, `"""a1"""`, `u"a\x31"`),
//! decoded to the value Python would give them. Owns only the literal's own syntax: which node is a
//! literal is the parser's business.

/// Decodes the source text of one string literal, prefix and quotes included.
///
/// Returns why not when the literal has no fixed `str` value: bytes, an f-string with fields, a
/// `\N{...}` escape, or text that is not a complete literal.
pub fn decode_string(text: &str) -> Result<String, &'static str> {
    let prefix_len = text.find(['\'', '"']).ok_or("not a string literal")?;
    let prefix = text[..prefix_len].to_ascii_lowercase();
    if !prefix
        .chars()
        .all(|c| matches!(c, 'r' | 'u' | 'b' | 'f' | 't'))
    {
        return Err("not a string literal");
    }
    if prefix.contains('b') {
        return Err("a bytes literal, not a string");
    }
    let rest = &text[prefix_len..];
    let quote = if rest.starts_with("\"\"\"") || rest.starts_with("'''") {
        &rest[..3]
    } else {
        &rest[..1]
    };
    if rest.len() < 2 * quote.len() || !rest.ends_with(quote) {
        return Err("an unterminated string");
    }
    let body = &rest[quote.len()..rest.len() - quote.len()];
    let formatted = prefix.contains('f') || prefix.contains('t');
    let raw = prefix.contains('r');
    let body = if formatted {
        unbrace(body)?
    } else {
        body.to_string()
    };
    if raw { Ok(body) } else { unescape(&body) }
}

/// An f-string without fields: `{{` and `}}` stand for single braces; any other brace is a field.
fn unbrace(body: &str) -> Result<String, &'static str> {
    let mut out = String::with_capacity(body.len());
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' | '}' if chars.peek() == Some(&c) => {
                chars.next();
                out.push(c);
            }
            '{' | '}' => return Err("an f-string with fields"),
            _ => out.push(c),
        }
    }
    Ok(out)
}

fn unescape(body: &str) -> Result<String, &'static str> {
    let mut out = String::with_capacity(body.len());
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some(next) = chars.next() else {
            return Err("an unterminated string");
        };
        match next {
            '\n' => {}
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
            }
            '\\' | '\'' | '"' => out.push(next),
            'a' => out.push('\x07'),
            'b' => out.push('\x08'),
            'f' => out.push('\x0c'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            'v' => out.push('\x0b'),
            '0'..='7' => {
                let mut value = next.to_digit(8).unwrap_or(0);
                for _ in 0..2 {
                    match chars.peek().and_then(|d| d.to_digit(8)) {
                        Some(digit) => {
                            value = value * 8 + digit;
                            chars.next();
                        }
                        None => break,
                    }
                }
                out.push(char::from_u32(value).ok_or("an invalid escape")?);
            }
            'x' => out.push(hex(&mut chars, 2)?),
            'u' => out.push(hex(&mut chars, 4)?),
            'U' => out.push(hex(&mut chars, 8)?),
            'N' => return Err("a \\N{...} escape"),
            other => {
                out.push('\\');
                out.push(other);
            }
        }
    }
    Ok(out)
}

fn hex(
    chars: &mut std::iter::Peekable<std::str::Chars<'_>>,
    digits: usize,
) -> Result<char, &'static str> {
    let mut value: u32 = 0;
    for _ in 0..digits {
        let digit = chars
            .next()
            .and_then(|d| d.to_digit(16))
            .ok_or("an invalid escape")?;
        value = value * 16 + digit;
    }
    char::from_u32(value).ok_or("an invalid escape")
}

#[cfg(test)]
mod tests {
    use super::decode_string;
    use rstest::rstest;

    #[rstest]
    #[case(r#""0001""#, "0001")]
    #[case("'ab'", "ab")]
    #[case(r#""""ab""""#, "ab")]
    #[case("'''a'b'''", "a'b")]
    #[case(r#"u"a\x31""#, "a1")]
    #[case(r#"r"a\x31""#, r"a\x31")]
    #[case(r#"R'a\n'"#, r"a\n")]
    #[case(r#""a\tb""#, "a\tb")]
    #[case(r#""\u00e9t\U0001F600""#, "ét😀")]
    #[case(r#""\101\q""#, r"A\q")]
    #[case(r#"f"a{{b}}""#, "a{b}")]
    #[case(r#""""#, "")]
    fn decodes_like_python(#[case] text: &str, #[case] value: &str) {
        assert_eq!(decode_string(text), Ok(value.to_string()));
    }

    #[rstest]
    #[case(r#"b"ab""#)]
    #[case(r#"f"a{x}""#)]
    #[case(r#""\N{DASH}""#)]
    #[case(r#""ab"#)]
    #[case("\"")]
    #[case(r#""\x4""#)]
    #[case("abc")]
    #[case(r#"x"ab""#)]
    fn refuses_what_has_no_fixed_value(#[case] text: &str) {
        assert!(decode_string(text).is_err(), "{text}");
    }
}
