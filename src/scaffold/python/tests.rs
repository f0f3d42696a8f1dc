//! `analyze` on small projects written from scratch, one per layout the module is for.

use std::path::Path;

use super::*;

fn write(root: &Path, files: &[(&str, &str)]) {
    for (path, text) in files {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

fn names(reads: &[EnvRead]) -> Vec<String> {
    reads.iter().map(ToString::to_string).collect()
}

fn has_note(project: &PythonProject, text: &str) -> bool {
    project.notes.iter().any(|n| n.contains(text))
}

const FLASK_ENV_PY: &str = r#"import logging
from logging.config import fileConfig

from flask import current_app

from alembic import context

config = context.config
fileConfig(config.config_file_name)
logger = logging.getLogger("alembic.env")


def get_engine_url():
    return current_app.extensions["migrate"].db.engine.url.render_as_string(hide_password=False)


config.set_main_option("sqlalchemy.url", get_engine_url().replace("%", "%%"))
"#;

#[test]
fn flask_app_with_a_requirements_file() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            (
                "requirements.txt",
                "Flask==3.0.3\nFlask-SQLAlchemy==3.1.1\nFlask-Migrate==4.0.7\n",
            ),
            ("requirements-dev.txt", "-r requirements.txt\npytest\n"),
            (
                "config.py",
                "import os\n\nbasedir = os.path.abspath(os.path.dirname(__file__))\n\n\nclass Config:\n    SECRET_KEY = os.environ.get(\"SECRET_KEY\") or \"you-will-never-guess\"\n    SQLALCHEMY_DATABASE_URI = os.environ.get(\"DATABASE_URL\", \"sqlite:///app.db\")\n    MAIL_SERVER = os.environ[\"MAIL_SERVER\"]\n",
            ),
            (
                "app/__init__.py",
                "from flask import Flask\nfrom config import Config\n",
            ),
            (
                "migrations/env.py",
                &format!("from config import Config\n{FLASK_ENV_PY}"),
            ),
            ("uv.lock", "version = 1\n"),
        ],
    );
    let project = analyze(dir.path(), &dir.path().join("migrations"));
    assert_eq!(project.requirements_files, ["requirements.txt"]);
    assert_eq!(
        project.packages,
        ["alembic"],
        "Flask-Migrate does not name alembic itself"
    );
    assert_eq!(project.pythonpath, ["."]);
    assert_eq!(
        names(&project.url_variables),
        ["DATABASE_URL (config.py:8)"]
    );
    assert!(project.url_variables[0].has_default);
    assert_eq!(
        names(&project.required_variables),
        ["MAIL_SERVER (config.py:9)"]
    );
    assert_eq!(project.requires_python, None);
    assert!(
        has_note(
            &project,
            "development lists not installed: requirements-dev.txt"
        ),
        "{:?}",
        project.notes
    );
    assert!(has_note(&project, "uv.lock seen"), "{:?}", project.notes);
    assert!(
        has_note(&project, "migrations/env.py, config.py"),
        "{:?}",
        project.notes
    );
}

#[test]
fn fastapi_src_layout_with_pydantic_settings() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            (
                "pyproject.toml",
                r#"[project]
name = "inventory"
requires-python = ">=3.10,<3.13"
dependencies = ["fastapi>=0.100", "sqlalchemy[asyncio]>=2.0", "pydantic-settings>=2", "asyncpg"]
classifiers = ["Programming Language :: Python :: 3.9", "Programming Language :: Python :: 3.12"]

[project.optional-dependencies]
dev = ["pytest", "httpx"]
db = ["alembic>=1.13", "psycopg[binary]"]
"#,
            ),
            ("src/inventory/__init__.py", ""),
            (
                "src/inventory/models.py",
                "from sqlalchemy.orm import DeclarativeBase\n\nclass Base(DeclarativeBase):\n    pass\n",
            ),
            (
                "src/inventory/config.py",
                r#"from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="INVENTORY_")

    database_url: str
    jwt_secret: str
    debug: bool = False


settings = Settings()
"#,
            ),
            (
                "alembic/env.py",
                "import asyncio\n\nfrom alembic import context\nfrom pydantic_settings import BaseSettings\nfrom sqlalchemy.ext.asyncio import async_engine_from_config\n\nfrom inventory.config import settings\nfrom inventory.models import Base\n\nconfig = context.config\nconfig.set_main_option(\"sqlalchemy.url\", settings.database_url)\ntarget_metadata = Base.metadata\n",
            ),
        ],
    );
    let project = analyze(dir.path(), Path::new("alembic"));
    assert!(project.requirements_files.is_empty());
    assert_eq!(
        project.packages,
        [
            "fastapi>=0.100",
            "sqlalchemy[asyncio]>=2.0",
            "pydantic-settings>=2",
            "asyncpg",
            "alembic>=1.13",
            "psycopg[binary]",
        ]
    );
    assert_eq!(project.pythonpath, ["src"]);
    assert_eq!(
        project.requires_python,
        Some((">=3.10,<3.13".to_string(), "pyproject.toml".to_string()))
    );
    assert_eq!(
        names(&project.url_variables),
        ["INVENTORY_DATABASE_URL (src/inventory/config.py:7)"]
    );
    assert_eq!(
        names(&project.required_variables),
        ["INVENTORY_JWT_SECRET (src/inventory/config.py:8)"]
    );
    assert!(
        has_note(&project, "optional group `db` installed"),
        "{:?}",
        project.notes
    );
    assert!(
        has_note(&project, "optional groups not installed: dev;"),
        "{:?}",
        project.notes
    );
    assert!(
        has_note(
            &project,
            "the classifiers name Python 3.9, which requires-python `>=3.10,<3.13` (pyproject.toml) excludes"
        ),
        "{:?}",
        project.notes
    );
    assert!(
        !has_note(&project, "alembic added"),
        "the db group names alembic"
    );
}

#[test]
fn poetry_project_in_a_monorepo_folder() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            ("README.md", "monorepo\n"),
            (
                "services/ledger/pyproject.toml",
                r#"[tool.poetry]
name = "ledger"
version = "0.3.0"

[tool.poetry.dependencies]
python = "^3.11"
SQLAlchemy = "^2.0.30"
alembic = "~1.13"
psycopg2-binary = { version = "^2.9", optional = true }
auth-client = { git = "https://example.org/acme/auth-client.git" }

[tool.poetry.extras]
postgres = ["psycopg2-binary"]

[tool.poetry.group.dev.dependencies]
pytest = "^8"
"#,
            ),
            ("services/ledger/poetry.lock", "# lock\n"),
            ("services/ledger/ledger/__init__.py", ""),
            (
                "services/ledger/ledger/db.py",
                "import os\n\nDB_URL = os.environ[\"LEDGER_DB_URL\"]\n",
            ),
            (
                "services/ledger/migrations/env.py",
                "from alembic import context\nfrom ledger import db\nfrom auth_client import tokens\n\ncontext.config.set_main_option(\"sqlalchemy.url\", db.DB_URL)\n",
            ),
        ],
    );
    let project = analyze(dir.path(), &dir.path().join("services/ledger/migrations"));
    assert_eq!(
        project.packages,
        ["SQLAlchemy>=2.0.30,<3", "alembic>=1.13,<1.14"]
    );
    assert_eq!(project.pythonpath, ["services/ledger"]);
    assert_eq!(
        project.requires_python,
        Some((
            ">=3.11,<4".to_string(),
            "services/ledger/pyproject.toml".to_string()
        ))
    );
    assert_eq!(
        names(&project.url_variables),
        ["LEDGER_DB_URL (services/ledger/ledger/db.py:3)"]
    );
    assert!(
        has_note(
            &project,
            "services/ledger/pyproject.toml ([tool.poetry.dependencies])"
        ),
        "{:?}",
        project.notes
    );
    assert!(
        has_note(&project, "`auth-client` comes from git"),
        "{:?}",
        project.notes
    );
    assert!(
        has_note(&project, "optional groups not installed: postgres, dev;"),
        "{:?}",
        project.notes
    );
    assert!(
        has_note(&project, "services/ledger/poetry.lock seen"),
        "{:?}",
        project.notes
    );
    assert!(
        has_note(&project, "`auth_client` (line 3)"),
        "{:?}",
        project.notes
    );
}

#[test]
fn setup_cfg_project_with_a_package_at_the_root() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            (
                "setup.cfg",
                "[metadata]\nname = payroll\n\n[options]\npackages = find:\npython_requires = >=3.9\ninstall_requires =\n    SQLAlchemy>=1.4\n    python-decouple\n\n[options.extras_require]\ndatabase = psycopg2-binary\n",
            ),
            ("setup.py", "from setuptools import setup\nsetup()\n"),
            ("payroll/__init__.py", ""),
            (
                "payroll/settings.py",
                "from decouple import config\n\nDATABASE_URL = config(\"PAYROLL_DATABASE_URL\")\nAPI_TOKEN = config(\"API_TOKEN\")\n",
            ),
            (
                "payroll/db/migrations/env.py",
                "from decouple import config\nfrom payroll.settings import DATABASE_URL\n",
            ),
        ],
    );
    let project = analyze(dir.path(), &dir.path().join("payroll/db/migrations"));
    assert_eq!(
        project.packages,
        [
            "SQLAlchemy>=1.4",
            "python-decouple",
            "psycopg2-binary",
            "alembic"
        ]
    );
    assert_eq!(project.pythonpath, ["."]);
    assert_eq!(
        project.requires_python,
        Some((">=3.9".to_string(), "setup.cfg".to_string()))
    );
    assert_eq!(
        names(&project.url_variables),
        ["PAYROLL_DATABASE_URL (payroll/settings.py:3)"]
    );
    assert_eq!(
        names(&project.required_variables),
        ["API_TOKEN (payroll/settings.py:4)"]
    );
    assert!(
        has_note(&project, "alembic added to `packages`"),
        "{:?}",
        project.notes
    );
}

#[test]
fn setup_py_literal_list() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            (
                "setup.py",
                "from setuptools import setup\n\nsetup(\n    name='reports',\n    install_requires=['sqlalchemy<2', 'alembic==1.7.7'],\n    python_requires='>=3.8',\n)\n",
            ),
            (
                "db/env.py",
                "import os\nfrom alembic import context\nurl = os.getenv('REPORTS_DSN')\n",
            ),
        ],
    );
    let project = analyze(dir.path(), &dir.path().join("db"));
    assert_eq!(project.packages, ["sqlalchemy<2", "alembic==1.7.7"]);
    assert_eq!(project.requires_python.unwrap().1, "setup.py");
    assert_eq!(names(&project.url_variables), ["REPORTS_DSN (db/env.py:3)"]);
    assert!(project.required_variables.is_empty());
}

#[test]
fn the_first_list_found_wins() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            ("requirements/base.txt", "django\nalembic\n"),
            ("requirements/dev.txt", "-r base.txt\npytest\n"),
            (
                "pyproject.toml",
                "[project]\nname = \"x\"\ndependencies = [\"flask\"]\n",
            ),
            ("migrations/env.py", ""),
        ],
    );
    let project = analyze(dir.path(), &dir.path().join("migrations"));
    assert_eq!(project.requirements_files, ["requirements/base.txt"]);
    assert!(project.packages.is_empty(), "{:?}", project.packages);
}

#[test]
fn a_development_list_only_when_it_is_the_only_one() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            ("requirements-dev.txt", "sqlalchemy\npytest\n"),
            ("migrations/env.py", ""),
        ],
    );
    let project = analyze(dir.path(), &dir.path().join("migrations"));
    assert_eq!(project.requirements_files, ["requirements-dev.txt"]);
    assert_eq!(project.packages, ["alembic"]);
    assert!(
        has_note(&project, "only a development list was found"),
        "{:?}",
        project.notes
    );
}

#[test]
fn nothing_to_read() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), &[("pyproject.toml", "[project\n")]);
    let project = analyze(dir.path(), &dir.path().join("migrations"));
    assert_eq!(project.packages, ["alembic"]);
    assert!(project.requirements_files.is_empty());
    assert!(
        has_note(&project, "no dependency list found"),
        "{:?}",
        project.notes
    );
    assert!(
        has_note(&project, "pyproject.toml is not valid TOML"),
        "{:?}",
        project.notes
    );
    assert!(
        has_note(&project, "migrations/env.py could not be read"),
        "{:?}",
        project.notes
    );
}

#[test]
fn setuptools_dynamic_dependencies_come_from_their_file() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            (
                "pyproject.toml",
                "[project]\nname = \"api\"\ndynamic = [\"dependencies\"]\n\n[tool.setuptools.dynamic]\ndependencies = {file = [\"requirements.in\"]}\n",
            ),
            ("requirements.in", "starlette\nalembic\n"),
            ("migrations/env.py", "from api.db import metadata\n"),
            (
                "api/db.py",
                "from starlette.config import Config\nconfig = Config('.env')\nDATABASE_URL = config('DATABASE_URL', cast=str)\n",
            ),
        ],
    );
    let project = analyze(dir.path(), &dir.path().join("migrations"));
    assert_eq!(project.requirements_files, ["requirements.in"]);
    assert!(project.packages.is_empty());
    assert_eq!(project.pythonpath, ["."]);
    assert_eq!(
        names(&project.url_variables),
        ["DATABASE_URL (api/db.py:3)"]
    );
    assert!(
        !project.url_variables[0].has_default,
        "cast= is not a default"
    );
}

#[test]
fn installed_dependencies_are_not_looked_for_in_the_project() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            ("requirements.txt", "alembic\nmyutils==1.0\n"),
            (
                "myutils/__init__.py",
                "import os\nTOKEN = os.environ['TOKEN']\n",
            ),
            ("migrations/env.py", "import myutils\nimport json\n"),
        ],
    );
    let project = analyze(dir.path(), &dir.path().join("migrations"));
    assert!(project.pythonpath.is_empty(), "{:?}", project.pythonpath);
    assert!(project.required_variables.is_empty());
}

#[test]
fn revision_files_that_import_the_project_put_its_folder_on_pythonpath() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            ("requirements.txt", "alembic\nSQLAlchemy\n"),
            ("shop/__init__.py", ""),
            ("shop/migrations/__init__.py", ""),
            ("shop/migrations/utils.py", "def helper():\n    pass\n"),
            (
                "shop/migrations/env.py",
                "from alembic import context\nfrom sqlalchemy import engine_from_config\n",
            ),
            (
                "shop/migrations/versions/0001_x.py",
                "from alembic import op\nfrom shop.migrations import utils\nrevision = '0001'\n",
            ),
        ],
    );
    let project = analyze(dir.path(), &dir.path().join("shop/migrations"));
    assert_eq!(project.pythonpath, ["."]);
    assert!(
        has_note(&project, "0001_x.py imports `shop`"),
        "{:?}",
        project.notes
    );
}

#[test]
fn a_requirements_file_that_only_installs_the_project_gives_way_to_pyproject() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            ("requirements.txt", "-e .\n"),
            (
                "pyproject.toml",
                "[project]\nname = \"x\"\nversion = \"1\"\ndependencies = [\"loguru>=0.7\", \"alembic\"]\n",
            ),
            ("migrations/env.py", "from alembic import context\n"),
        ],
    );
    let project = analyze(dir.path(), &dir.path().join("migrations"));
    assert!(project.requirements_files.is_empty(), "{project:?}");
    assert_eq!(project.packages, ["loguru>=0.7", "alembic"]);
}
