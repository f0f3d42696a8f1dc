//! Why an environment's dependencies did not install, read once from the installer's output
//! (uv or pip) into a type: a package that needs system headers to build, a requirement no version
//! of which supports the interpreter, a package the index does not have, or something else (the
//! network, a proxy). The help a user gets and init's choice of interpreters both come from it.

use std::fmt;

/// What stopped an install.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InstallFailure {
    /// A package built from source needs a C header (or a tool such as `pg_config`) the system
    /// lacks: the file, and the Debian package that provides it when known.
    MissingHeader {
        package: Option<String>,
        header: String,
        debian: Option<&'static str>,
    },
    /// No version of a requirement installs on this Python (too new or too old for it).
    NoVersionForPython { package: Option<String> },
    /// The index has no package of that name.
    NotInIndex { package: Option<String> },
    /// Anything else: usually the network or a TLS proxy on a cold cache.
    Other,
}

/// Headers (and build tools) packages look for, with the Debian package that provides them.
const HEADERS: [(&str, &str); 16] = [
    ("sql.h", "unixodbc-dev"),
    ("sqlext.h", "unixodbc-dev"),
    ("pg_config", "libpq-dev"),
    ("libpq-fe.h", "libpq-dev"),
    ("mysql.h", "default-libmysqlclient-dev"),
    ("mysql_config", "default-libmysqlclient-dev"),
    ("lber.h", "libldap2-dev"),
    ("ldap.h", "libldap2-dev"),
    ("sasl/sasl.h", "libsasl2-dev"),
    ("ffi.h", "libffi-dev"),
    ("openssl/ssl.h", "libssl-dev"),
    ("libxml/xmlversion.h", "libxml2-dev"),
    ("xmlsec/xmlsec.h", "libxmlsec1-dev"),
    ("krb5-config", "libkrb5-dev"),
    ("gssapi/gssapi.h", "libkrb5-dev"),
    ("Python.h", "python3-dev"),
];

impl InstallFailure {
    /// Reads an installer's output.
    pub fn of(output: &str) -> Self {
        let package = failed_package(output);
        if let Some(header) = missing_header(output) {
            let debian = HEADERS
                .iter()
                .find(|(name, _)| header.ends_with(name))
                .map(|(_, deb)| *deb);
            return InstallFailure::MissingHeader {
                package,
                header,
                debian,
            };
        }
        let lower = output.to_ascii_lowercase();
        if lower.contains("was not found in the package registry")
            || lower.contains("no matching distribution found")
                && lower.contains("from versions: none")
        {
            return InstallFailure::NotInIndex {
                package: package.or_else(|| named_after(output, "Because ")),
            };
        }
        if lower.contains("requires-python")
            || lower.contains("current python version")
            || lower.contains("requires a different python")
            || lower.contains("no matching distribution found")
            || lower.contains("has no wheels with a matching python")
            || lower.contains("no solution found")
        {
            return InstallFailure::NoVersionForPython {
                package: package.or_else(|| named_after(output, "Because ")),
            };
        }
        InstallFailure::Other
    }

    /// The package it names, when it names one.
    pub fn package(&self) -> Option<&str> {
        match self {
            InstallFailure::MissingHeader { package, .. }
            | InstallFailure::NoVersionForPython { package }
            | InstallFailure::NotInIndex { package } => package.as_deref(),
            InstallFailure::Other => None,
        }
    }

    /// What to do about it.
    pub fn help(&self) -> String {
        match self {
            InstallFailure::MissingHeader {
                package,
                header,
                debian,
            } => format!(
                "{} builds from source here and needs `{header}`, which this system lacks: install {}, or use a Python the package publishes a wheel for",
                package.as_deref().unwrap_or("a package"),
                debian
                    .map(|d| format!("the system package that provides it (Debian: {d})"))
                    .unwrap_or_else(|| "the system package that provides it".into())
            ),
            InstallFailure::NoVersionForPython { package } => format!(
                "no version of {} installs on this Python: choose another Python for the matrix, or a version of it that supports this one",
                package.as_deref().unwrap_or("a requirement")
            ),
            InstallFailure::NotInIndex { package } => format!(
                "the package index has no {}: check the name in the requirements",
                package
                    .as_deref()
                    .map(|p| format!("package `{p}`"))
                    .unwrap_or_else(|| "such package".into())
            ),
            InstallFailure::Other => "check the requirements file and the network (pip's index must be reachable on a cold cache; behind a TLS-intercepting proxy set `[runtime] ca_bundle`, see docs/runtimes.md)".into(),
        }
    }
}

impl fmt::Display for InstallFailure {
    /// One short phrase: "pyodbc needs sql.h (Debian: unixodbc-dev)".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InstallFailure::MissingHeader {
                package,
                header,
                debian,
            } => {
                write!(
                    f,
                    "{} needs {header}",
                    package.as_deref().unwrap_or("a package built from source")
                )?;
                if let Some(debian) = debian {
                    write!(f, " (Debian: {debian})")?;
                }
                Ok(())
            }
            InstallFailure::NoVersionForPython { package } => write!(
                f,
                "no version of {} installs on it",
                package.as_deref().unwrap_or("a requirement")
            ),
            InstallFailure::NotInIndex { package } => write!(
                f,
                "the index has no {}",
                package.as_deref().unwrap_or("such package")
            ),
            InstallFailure::Other => f.write_str("the install failed"),
        }
    }
}

/// The package whose build failed: uv's "Failed to build `name==1.0`", pip's "Failed building
/// wheel for name".
fn failed_package(output: &str) -> Option<String> {
    for marker in [
        "Failed to build `",
        "Failed to build ",
        "Failed building wheel for ",
        "Building wheel for ",
    ] {
        if let Some(rest) = output.rfind(marker).map(|at| &output[at + marker.len()..]) {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
                .collect();
            if !name.is_empty() {
                return Some(name);
            }
        }
    }
    None
}

/// The header a compiler could not find (`fatal error: sql.h: No such file or directory`), or a
/// build tool a setup script could not run (`pg_config executable not found`).
fn missing_header(output: &str) -> Option<String> {
    for line in output.lines() {
        if let Some(at) = line.find("fatal error: ") {
            let rest = &line[at + "fatal error: ".len()..];
            if let Some((header, _)) = rest.split_once(": No such file or directory") {
                return Some(header.trim().to_string());
            }
        }
        if line.contains("pg_config executable not found") {
            return Some("pg_config".into());
        }
        if line.contains("mysql_config: not found") || line.contains("mysql_config not found") {
            return Some("mysql_config".into());
        }
        if line.contains("krb5-config: not found") {
            return Some("krb5-config".into());
        }
    }
    None
}

/// The word after `marker` (uv: "Because foo==1.0 was not found ...").
fn named_after(output: &str, marker: &str) -> Option<String> {
    let rest = &output[output.find(marker)? + marker.len()..];
    let name: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .collect();
    (!name.is_empty() && name != "the" && name != "there" && name != "only").then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_header_names_the_package_and_debians_package() {
        let output = "  × Failed to build `pyodbc==5.1.0`\n  ├─▶ The build backend returned an error\n      src/pyodbc.h:56:10: fatal error: sql.h: No such file or directory\n";
        let failure = InstallFailure::of(output);
        assert_eq!(
            failure.to_string(),
            "pyodbc needs sql.h (Debian: unixodbc-dev)"
        );
        assert!(failure.help().contains("Debian: unixodbc-dev"));
    }

    #[test]
    fn a_requirement_no_version_of_which_supports_the_python_is_told_apart_from_the_network() {
        let output = "  × No solution found when resolving dependencies:\n  ╰─▶ Because the current Python version (3.13.0) does not satisfy Python>=3.8,<3.12 and greenlet==1.1.2 depends on Python>=3.8,<3.12, we can conclude that greenlet==1.1.2 cannot be used.";
        assert!(matches!(
            InstallFailure::of(output),
            InstallFailure::NoVersionForPython { .. }
        ));
        let missing = "  × No solution found when resolving dependencies:\n  ╰─▶ Because sqlalchemy-utilz was not found in the package registry and you require sqlalchemy-utilz==9.9, we can conclude that your requirements are unsatisfiable.";
        assert_eq!(
            InstallFailure::of(missing),
            InstallFailure::NotInIndex {
                package: Some("sqlalchemy-utilz".into())
            }
        );
        assert_eq!(
            InstallFailure::of("error: Failed to fetch: connection refused"),
            InstallFailure::Other
        );
    }
}
