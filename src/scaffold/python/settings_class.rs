//! pydantic settings classes (`class Settings(BaseSettings)`): the environment variable behind each
//! field (its name upper-cased with the class's `env_prefix`, or its `env=`/alias), and whether the
//! field has a default. Best effort: only what is written literally in the class.

use ruff_python_ast::{Expr, Stmt, StmtClassDef};
use ruff_text_size::Ranged;

use super::source_text::{VariableRead, line_of, line_text};

/// The settings classes of one module seen so far, with their prefixes (a subclass of a settings
/// class is one too, and keeps its prefix unless it sets its own).
#[derive(Debug, Default)]
pub struct SettingsClasses {
    known: Vec<(String, String)>,
}

impl SettingsClasses {
    /// The variables `class` reads, when it is a settings class; remembers it for subclasses.
    pub fn fields(&mut self, class: &StmtClassDef, source: &str) -> Vec<VariableRead> {
        let Some(inherited) = self.inherited_prefix(class) else {
            return Vec::new();
        };
        let prefix = own_prefix(class).unwrap_or(inherited);
        self.known.push((class.name.to_string(), prefix.clone()));
        class
            .body
            .iter()
            .filter_map(|stmt| field(stmt, &prefix, source))
            .collect()
    }

    /// The prefix of the settings class `class` derives from; `None` when it derives from none.
    fn inherited_prefix(&self, class: &StmtClassDef) -> Option<String> {
        let bases = class.arguments.as_ref().map(|a| &a.args[..]).unwrap_or(&[]);
        bases.iter().find_map(|base| match base {
            Expr::Name(name) if name.id.as_str() == "BaseSettings" => Some(String::new()),
            Expr::Attribute(attribute) if attribute.attr.as_str() == "BaseSettings" => {
                Some(String::new())
            }
            Expr::Name(name) => self
                .known
                .iter()
                .find(|(known, _)| known == name.id.as_str())
                .map(|(_, prefix)| prefix.clone()),
            _ => None,
        })
    }
}

/// `env_prefix` from the class keywords, `model_config` (a call or a dict) or `class Config`.
fn own_prefix(class: &StmtClassDef) -> Option<String> {
    if let Some(arguments) = &class.arguments
        && let Some(keyword) = arguments.find_keyword("env_prefix")
    {
        return string(&keyword.value);
    }
    class.body.iter().find_map(|stmt| match stmt {
        Stmt::Assign(assign) if is_name(&assign.targets, "model_config") => {
            config_prefix(&assign.value)
        }
        Stmt::AnnAssign(assign)
            if matches!(assign.target.as_ref(), Expr::Name(n) if n.id.as_str() == "model_config") =>
        {
            assign.value.as_deref().and_then(config_prefix)
        }
        Stmt::ClassDef(config) if config.name.as_str() == "Config" => {
            config.body.iter().find_map(|inner| match inner {
                Stmt::Assign(assign) if is_name(&assign.targets, "env_prefix") => {
                    string(&assign.value)
                }
                _ => None,
            })
        }
        _ => None,
    })
}

/// `SettingsConfigDict(env_prefix="APP_")` or `{"env_prefix": "APP_"}`.
fn config_prefix(value: &Expr) -> Option<String> {
    match value {
        Expr::Call(call) => call
            .arguments
            .find_keyword("env_prefix")
            .and_then(|k| string(&k.value)),
        Expr::Dict(dict) => dict.items.iter().find_map(|item| match &item.key {
            Some(Expr::StringLiteral(key)) if key.value.to_str() == "env_prefix" => {
                string(&item.value)
            }
            _ => None,
        }),
        _ => None,
    }
}

/// One annotated field as the variable it is read from.
fn field(stmt: &Stmt, prefix: &str, source: &str) -> Option<VariableRead> {
    let Stmt::AnnAssign(assign) = stmt else {
        return None;
    };
    let Expr::Name(target) = assign.target.as_ref() else {
        return None;
    };
    let name = target.id.as_str();
    if name.starts_with('_') || name == "model_config" || is_class_var(&assign.annotation) {
        return None;
    }
    let mut variable = format!("{prefix}{name}");
    let has_default = match assign.value.as_deref() {
        None => false,
        Some(Expr::Call(call)) if is_field_call(&call.func) => {
            let arguments = &call.arguments;
            if let Some(alias) = ["env", "validation_alias", "alias"]
                .iter()
                .find_map(|k| arguments.find_keyword(k).and_then(|k| string(&k.value)))
            {
                variable = alias;
            }
            arguments.find_keyword("default").is_some()
                || arguments.find_keyword("default_factory").is_some()
                || arguments
                    .args
                    .first()
                    .is_some_and(|first| !matches!(first, Expr::EllipsisLiteral(_)))
        }
        Some(_) => true,
    };
    let line = line_of(source, stmt.start());
    Some(VariableRead {
        name: variable.to_ascii_uppercase(),
        line,
        has_default,
        context: line_text(source, line).to_string(),
    })
}

fn is_field_call(func: &Expr) -> bool {
    match func {
        Expr::Name(name) => name.id.as_str() == "Field",
        Expr::Attribute(attribute) => attribute.attr.as_str() == "Field",
        _ => false,
    }
}

fn is_class_var(annotation: &Expr) -> bool {
    let head = match annotation {
        Expr::Subscript(subscript) => subscript.value.as_ref(),
        other => other,
    };
    match head {
        Expr::Name(name) => name.id.as_str() == "ClassVar",
        Expr::Attribute(attribute) => attribute.attr.as_str() == "ClassVar",
        _ => false,
    }
}

fn is_name(targets: &[Expr], wanted: &str) -> bool {
    matches!(targets, [Expr::Name(n)] if n.id.as_str() == wanted)
}

fn string(expr: &Expr) -> Option<String> {
    match expr {
        Expr::StringLiteral(literal) => Some(literal.value.to_str().to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::python_file::PythonFile;

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
    fn pydantic_v2_settings_with_a_prefix() {
        let source = r#"from typing import ClassVar
from pydantic import Field, PostgresDsn
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="APP_", env_file=".env")

    database_url: PostgresDsn
    secret_key: str = Field(...)
    debug: bool = False
    pool_size: int = Field(default=5)
    sentry_dsn: str | None = Field(None, validation_alias="SENTRY_DSN")
    _cache: dict = {}
    registry: ClassVar[dict] = {}


settings = Settings()
"#;
        assert_eq!(
            reads(source),
            [
                read("APP_DATABASE_URL", 9, false),
                read("APP_SECRET_KEY", 10, false),
                read("APP_DEBUG", 11, true),
                read("APP_POOL_SIZE", 12, true),
                read("SENTRY_DSN", 13, true),
            ]
        );
    }

    #[test]
    fn pydantic_v1_config_class_env_and_subclasses() {
        let source = r#"import pydantic


class Common(pydantic.BaseSettings):
    sqlalchemy_database_uri: str = pydantic.Field(..., env="DB_URI")

    class Config:
        env_prefix = "LEDGER_"


class Production(Common):
    redis_url: str
"#;
        assert_eq!(
            reads(source),
            [
                read("DB_URI", 5, false),
                read("LEDGER_REDIS_URL", 12, false)
            ]
        );
    }

    #[test]
    fn ordinary_classes_are_not_settings() {
        assert!(reads("class Model(Base):\n    database_url: str\n").is_empty());
    }
}
