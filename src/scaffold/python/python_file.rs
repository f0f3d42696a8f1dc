//! One Python module read without running it (Ruff's error-recovering parser): the modules it
//! imports and the environment variables it reads (`os.environ[...]`, `os.environ.get`,
//! `os.getenv`, python-decouple's and Starlette's `config(...)`, environs' `env(...)`, pydantic
//! settings classes), each with its line and the text around it.

use std::collections::HashSet;

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{BoolOp, Expr, ExprCall, ExprContext, PySourceType, Stmt};
use ruff_python_parser::parse_unchecked_source;
use ruff_text_size::{Ranged, TextRange, TextSize};

use super::settings_class::SettingsClasses;
pub use super::source_text::{VariableRead, line_of, line_text};

/// A statement longer than this is not used as the context of a read; its line is.
const MAX_CONTEXT: usize = 600;

/// What a module imports and reads from the environment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PythonFile {
    pub imports: Vec<Import>,
    /// `from .settings import *` and `from ..core import config`: the number of dots, and the
    /// import with the dotted rest as its module (empty for `from . import x`).
    pub relative_imports: Vec<(u32, Import)>,
    pub reads: Vec<VariableRead>,
}

/// `import a.b` or `from a.b import c, d` (relative imports are not kept).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Import {
    /// The dotted module, as written.
    pub module: String,
    /// The names a `from` import takes (not `*`).
    pub names: Vec<String>,
    pub line: usize,
}

impl PythonFile {
    pub fn parse(source: &str) -> Self {
        // A long chain in the source needs a stack sized for it; without a thread for it, the
        // file is read as empty.
        crate::stack::for_source(source.len(), || Self::parse_here(source)).unwrap_or_default()
    }

    fn parse_here(source: &str) -> Self {
        let parsed = parse_unchecked_source(source, PySourceType::Python);
        let mut scanner = Scanner {
            source,
            file: Self::default(),
            environ_names: vec!["environ".to_string()],
            os_names: vec!["os".to_string()],
            getenv_names: vec!["getenv".to_string()],
            fallbacks: HashSet::new(),
            context: Vec::new(),
            settings: SettingsClasses::default(),
        };
        for statement in &parsed.syntax().body {
            scanner.visit_stmt(statement);
        }
        scanner.file
    }
}

struct Scanner<'a> {
    source: &'a str,
    file: PythonFile,
    /// Names bound to `os.environ` (`from os import environ as env`).
    environ_names: Vec<String>,
    /// Names bound to the `os` module.
    os_names: Vec<String>,
    /// Names bound to `os.getenv`.
    getenv_names: Vec<String>,
    /// Where expressions start that an `or` gives a fallback (`os.getenv("X") or "default"`).
    fallbacks: HashSet<TextSize>,
    /// The simple statements being visited, innermost last.
    context: Vec<TextRange>,
    settings: SettingsClasses,
}

/// The names a `from` import takes, without `*`.
fn imported_names(aliases: &[ruff_python_ast::Alias]) -> Vec<String> {
    aliases
        .iter()
        .map(|a| a.name.to_string())
        .filter(|n| n != "*")
        .collect()
}

impl Scanner<'_> {
    fn record_import(&mut self, stmt: &Stmt) {
        match stmt {
            Stmt::Import(import) => {
                for alias in &import.names {
                    let module = alias.name.as_str();
                    if module == "os"
                        && let Some(asname) = &alias.asname
                    {
                        self.os_names.push(asname.to_string());
                    }
                    self.file.imports.push(Import {
                        module: module.to_string(),
                        names: Vec::new(),
                        line: line_of(self.source, stmt.start()),
                    });
                }
            }
            Stmt::ImportFrom(import) if import.level > 0 => {
                self.file.relative_imports.push((
                    import.level,
                    Import {
                        module: import
                            .module
                            .as_ref()
                            .map(ToString::to_string)
                            .unwrap_or_default(),
                        names: imported_names(&import.names),
                        line: line_of(self.source, stmt.start()),
                    },
                ));
            }
            Stmt::ImportFrom(import) if import.level == 0 => {
                let Some(module) = &import.module else {
                    return;
                };
                if module.as_str() == "os" {
                    for alias in &import.names {
                        let bound = alias.asname.as_ref().unwrap_or(&alias.name).to_string();
                        match alias.name.as_str() {
                            "environ" => self.environ_names.push(bound),
                            "getenv" => self.getenv_names.push(bound),
                            _ => {}
                        }
                    }
                }
                self.file.imports.push(Import {
                    module: module.to_string(),
                    names: imported_names(&import.names),
                    line: line_of(self.source, stmt.start()),
                });
            }
            _ => {}
        }
    }

    fn is_environ(&self, expr: &Expr) -> bool {
        match expr {
            Expr::Name(name) => self.environ_names.iter().any(|n| n == name.id.as_str()),
            Expr::Attribute(attribute) => {
                attribute.attr.as_str() == "environ"
                    && matches!(attribute.value.as_ref(), Expr::Name(m) if self.os_names.iter().any(|n| n == m.id.as_str()))
            }
            _ => false,
        }
    }

    /// The variable a call reads, and whether it has a default.
    fn call_read(&self, call: &ExprCall) -> Option<(String, bool)> {
        let args = &call.arguments;
        let name = match args.args.first() {
            Some(Expr::StringLiteral(literal)) => literal.value.to_str().to_string(),
            _ => return None,
        };
        let keyword_default = args.find_keyword("default").is_some();
        match call.func.as_ref() {
            // os.environ.get("X") and os.getenv("X") give None when X is unset: the code runs
            // without it, so it is not a value the project needs.
            Expr::Attribute(attribute)
                if attribute.attr.as_str() == "get" && self.is_environ(&attribute.value) =>
            {
                Some((name, true))
            }
            // os.environ.setdefault("X", default), os.environ.pop("X"[, default])
            Expr::Attribute(attribute)
                if matches!(attribute.attr.as_str(), "setdefault" | "pop")
                    && self.is_environ(&attribute.value) =>
            {
                Some((name, args.args.len() >= 2 || keyword_default))
            }
            Expr::Attribute(attribute)
                if attribute.attr.as_str() == "getenv"
                    && matches!(attribute.value.as_ref(), Expr::Name(m) if self.os_names.iter().any(|n| n == m.id.as_str())) =>
            {
                Some((name, true))
            }
            Expr::Name(function) if self.getenv_names.iter().any(|n| n == function.id.as_str()) => {
                Some((name, true))
            }
            // decouple's config("X", default=...), Starlette's config("X", cast=..., default=...),
            // environs' env("X") and env.str("X", "default"): only for names that look like
            // variables, so other functions called `config` are left alone.
            Expr::Name(function) if matches!(function.id.as_str(), "config" | "env") => {
                looks_like_variable(&name).then(|| (name, keyword_default || literal_second(call)))
            }
            Expr::Attribute(attribute) if matches!(attribute.value.as_ref(), Expr::Name(m) if m.id.as_str() == "env") => {
                looks_like_variable(&name).then(|| (name, keyword_default || literal_second(call)))
            }
            _ => None,
        }
    }

    fn push_read(&mut self, name: String, at: TextRange, has_default: bool) {
        let line = line_of(self.source, at.start());
        let context = match self.context.last() {
            Some(range) if range.len().to_usize() <= MAX_CONTEXT => &self.source[*range],
            _ => line_text(self.source, line),
        };
        self.file.reads.push(VariableRead {
            name,
            line,
            has_default: has_default || self.fallbacks.contains(&at.start()),
            context: context.to_string(),
        });
    }
}

impl<'a> Visitor<'a> for Scanner<'a> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        self.record_import(stmt);
        if let Stmt::ClassDef(class) = stmt {
            for read in self.settings.fields(class, self.source) {
                self.file.reads.push(read);
            }
        }
        let simple = !matches!(
            stmt,
            Stmt::FunctionDef(_)
                | Stmt::ClassDef(_)
                | Stmt::For(_)
                | Stmt::While(_)
                | Stmt::If(_)
                | Stmt::With(_)
                | Stmt::Match(_)
                | Stmt::Try(_)
        );
        if simple {
            self.context.push(stmt.range());
        }
        visitor::walk_stmt(self, stmt);
        if simple {
            self.context.pop();
        }
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        match expr {
            Expr::BoolOp(bool_op) if bool_op.op == BoolOp::Or => {
                for value in &bool_op.values[..bool_op.values.len().saturating_sub(1)] {
                    self.fallbacks.insert(value.start());
                }
            }
            Expr::Subscript(subscript)
                if subscript.ctx == ExprContext::Load && self.is_environ(&subscript.value) =>
            {
                if let Expr::StringLiteral(literal) = subscript.slice.as_ref() {
                    self.push_read(literal.value.to_str().to_string(), expr.range(), false);
                }
            }
            Expr::Call(call) => {
                if let Some((name, has_default)) = self.call_read(call) {
                    self.push_read(name, expr.range(), has_default);
                }
            }
            _ => {}
        }
        visitor::walk_expr(self, expr);
    }
}

/// `DATABASE_URL`, `APP_DB_DSN`: letters, digits and `_`, no lowercase letter.
fn looks_like_variable(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// A second positional argument that is a value, not a cast (`config("X", bool)` casts).
fn literal_second(call: &ExprCall) -> bool {
    call.arguments
        .args
        .get(1)
        .is_some_and(|second| !matches!(second, Expr::Name(_) | Expr::Attribute(_)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reads(source: &str) -> Vec<(String, usize, bool)> {
        PythonFile::parse(source)
            .reads
            .into_iter()
            .map(|r| (r.name, r.line, r.has_default))
            .collect()
    }

    fn read(name: &str, line: usize, has_default: bool) -> (String, usize, bool) {
        (name.to_string(), line, has_default)
    }

    #[test]
    fn os_environ_in_all_its_forms() {
        let source = r#"import os
from os import environ, getenv as ge

url = os.environ["DATABASE_URL"]
schema = os.environ.get("DB_SCHEMA")
echo = os.environ.get("SQL_ECHO", "0")
pool = os.getenv("POOL_SIZE", default="5")
name = ge("APP_NAME")
region = environ.get("REGION") or "eu-west-1"
os.environ.setdefault("TZ", "UTC")
os.environ["WRITTEN"] = "1"
if "OPTIONAL" in os.environ:
    pass
key = os.environ[KEY_NAME]
"#;
        assert_eq!(
            reads(source),
            [
                read("DATABASE_URL", 4, false),
                read("DB_SCHEMA", 5, true),
                read("SQL_ECHO", 6, true),
                read("POOL_SIZE", 7, true),
                read("APP_NAME", 8, true),
                read("REGION", 9, true),
                read("TZ", 10, true),
            ]
        );
    }

    #[test]
    fn decouple_starlette_and_environs() {
        let source = r#"from decouple import config
from starlette.config import Config
from environs import Env

DATABASE_URL = config("DATABASE_URL")
DEBUG = config("DEBUG", default=False, cast=bool)
SECRET = config("SECRET_KEY", cast=str)
TIMEOUT = config("TIMEOUT", 30)
env = Env()
REDIS = env.str("REDIS_URL", "redis://localhost")
DSN = env("APP_DSN")
value = config("not a variable")
"#;
        assert_eq!(
            reads(source),
            [
                read("DATABASE_URL", 5, false),
                read("DEBUG", 6, true),
                read("SECRET_KEY", 7, false),
                read("TIMEOUT", 8, true),
                read("REDIS_URL", 10, true),
                read("APP_DSN", 11, false),
            ]
        );
    }

    #[test]
    fn alembic_config_calls_are_not_variables() {
        let source = r#"from alembic import context
config = context.config
url = config.get_main_option("sqlalchemy.url")
section = config.get_section(config.config_ini_section, {})
"#;
        assert!(reads(source).is_empty());
    }

    #[test]
    fn imports_with_their_names_and_lines() {
        let file = PythonFile::parse(
            "import os, myapp.db\nfrom app.models import Base, User\nfrom . import sibling\n\ndef run():\n    from app.config import *\n",
        );
        let imports: Vec<(&str, Vec<&str>, usize)> = file
            .imports
            .iter()
            .map(|i| {
                (
                    i.module.as_str(),
                    i.names.iter().map(String::as_str).collect(),
                    i.line,
                )
            })
            .collect();
        assert_eq!(
            imports,
            [
                ("os", vec![], 1),
                ("myapp.db", vec![], 1),
                ("app.models", vec!["Base", "User"], 2),
                ("app.config", vec![], 6),
            ]
        );
    }

    #[test]
    fn the_context_is_the_whole_statement() {
        let file = PythonFile::parse(
            "config.set_main_option(\n    \"sqlalchemy.url\",\n    os.environ[\"APP_URL\"],\n)\n",
        );
        assert_eq!(file.reads[0].line, 3);
        assert!(file.reads[0].context.contains("sqlalchemy.url"));
    }

    #[test]
    fn a_syntax_error_leaves_the_rest_readable() {
        let file = PythonFile::parse("import os\nx = (\nurl = os.getenv(\"DATABASE_URL\")\n");
        assert!(
            file.reads.iter().any(|r| r.name == "DATABASE_URL"),
            "{file:?}"
        );
    }
}
