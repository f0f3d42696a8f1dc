//! setup.py, read without running it: the keywords of its `setup(...)` call that are literals
//! (`install_requires`, `python_requires`, `classifiers`, `extras_require`), or names bound to a
//! literal at module level. Anything computed is reported as unread.

use std::collections::HashMap;

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{Expr, PySourceType, Stmt};
use ruff_python_parser::parse_unchecked_source;

use super::group::Group;

/// What a setup.py's `setup(...)` call declares.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SetupPy {
    /// `install_requires`, when it is a literal list of strings; `None` when absent or computed.
    pub install_requires: Option<Vec<String>>,
    pub python_requires: Option<String>,
    pub classifiers: Vec<String>,
    pub groups: Vec<Group>,
    /// Keywords present but not literal (`install_requires=read_requirements()`).
    pub unread: Vec<&'static str>,
}

impl SetupPy {
    pub fn parse(source: &str) -> Self {
        // A long chain in the source needs a stack sized for it; without a thread for it, the
        // file is read as empty.
        crate::stack::for_source(source.len(), || Self::parse_here(source)).unwrap_or_default()
    }

    fn parse_here(source: &str) -> Self {
        let parsed = parse_unchecked_source(source, PySourceType::Python);
        let body = &parsed.syntax().body;
        let mut finder = SetupCall::default();
        for statement in body {
            if let Stmt::Assign(assign) = statement
                && let [Expr::Name(target)] = assign.targets.as_slice()
            {
                finder.bindings.insert(target.id.to_string(), &assign.value);
            }
            finder.visit_stmt(statement);
        }
        let mut setup = Self::default();
        let Some(call) = finder.call else {
            return setup;
        };
        for keyword in &call.arguments.keywords {
            let Some(name) = keyword.arg.as_ref().map(|a| a.as_str()) else {
                continue;
            };
            let value = finder.resolve(&keyword.value);
            match name {
                "install_requires" => match string_list(value) {
                    Some(list) => setup.install_requires = Some(list),
                    None => setup.unread.push("install_requires"),
                },
                "python_requires" => match value {
                    Expr::StringLiteral(s) => {
                        setup.python_requires = Some(s.value.to_str().to_string())
                    }
                    _ => setup.unread.push("python_requires"),
                },
                "classifiers" => setup.classifiers = string_list(value).unwrap_or_default(),
                "extras_require" => match value {
                    Expr::Dict(dict) => {
                        for item in &dict.items {
                            if let Some(Expr::StringLiteral(key)) = &item.key
                                && let Some(specifiers) = string_list(finder.resolve(&item.value))
                            {
                                setup.groups.push(Group {
                                    name: key.value.to_str().to_string(),
                                    specifiers,
                                });
                            }
                        }
                    }
                    _ => setup.unread.push("extras_require"),
                },
                _ => {}
            }
        }
        setup
    }
}

/// Finds the first call of `setup(...)` or `setuptools.setup(...)`, and the module's simple
/// assignments.
#[derive(Default)]
struct SetupCall<'a> {
    call: Option<&'a ruff_python_ast::ExprCall>,
    bindings: HashMap<String, &'a Expr>,
}

impl<'a> SetupCall<'a> {
    /// A name bound at module level to its value; anything else as it is.
    fn resolve(&self, expr: &'a Expr) -> &'a Expr {
        match expr {
            Expr::Name(name) => self.bindings.get(name.id.as_str()).copied().unwrap_or(expr),
            _ => expr,
        }
    }
}

impl<'a> Visitor<'a> for SetupCall<'a> {
    fn visit_expr(&mut self, expr: &'a Expr) {
        if self.call.is_none()
            && let Expr::Call(call) = expr
        {
            let is_setup = match call.func.as_ref() {
                Expr::Name(name) => name.id.as_str() == "setup",
                Expr::Attribute(attribute) => attribute.attr.as_str() == "setup",
                _ => false,
            };
            if is_setup {
                self.call = Some(call);
                return;
            }
        }
        visitor::walk_expr(self, expr);
    }
}

/// The strings of a list or tuple of string literals.
fn string_list(expr: &Expr) -> Option<Vec<String>> {
    let items = match expr {
        Expr::List(list) => &list.elts,
        Expr::Tuple(tuple) => &tuple.elts,
        _ => return None,
    };
    items
        .iter()
        .map(|item| match item {
            Expr::StringLiteral(s) => Some(s.value.to_str().to_string()),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_keywords_and_module_level_names() {
        let setup = SetupPy::parse(
            r#"
from setuptools import find_packages, setup

REQUIRES = [
    "Flask>=2.3",
    "SQLAlchemy>=2.0",
    "alembic",
]

setup(
    name="orders",
    packages=find_packages(exclude=("tests",)),
    install_requires=REQUIRES,
    python_requires=">=3.9, <3.13",
    classifiers=["Programming Language :: Python :: 3.12"],
    extras_require={"postgres": ["psycopg2-binary"], "dev": ("pytest",)},
)
"#,
        );
        assert_eq!(
            setup.install_requires.as_deref().unwrap(),
            ["Flask>=2.3", "SQLAlchemy>=2.0", "alembic"]
        );
        assert_eq!(setup.python_requires.as_deref(), Some(">=3.9, <3.13"));
        assert_eq!(
            setup.classifiers,
            ["Programming Language :: Python :: 3.12"]
        );
        let groups: Vec<&str> = setup.groups.iter().map(|g| g.name.as_str()).collect();
        assert_eq!(groups, ["postgres", "dev"]);
        assert!(setup.unread.is_empty());
    }

    #[test]
    fn computed_values_are_unread() {
        let setup = SetupPy::parse(
            "import setuptools\n\
             def reqs():\n    return open('requirements.txt').read().split()\n\
             setuptools.setup(name='x', install_requires=reqs())\n",
        );
        assert_eq!(setup.install_requires, None);
        assert_eq!(setup.unread, ["install_requires"]);
    }

    #[test]
    fn no_setup_call() {
        assert_eq!(SetupPy::parse("print('hello')\n"), SetupPy::default());
    }
}
