"""Settings of the recipes app, read from the environment at import."""
import os
import secrets
from pathlib import Path

PRODUCTION = os.environ["PRODUCTION"]  # no default: the image sets it
DB_ENGINE = os.getenv("DB_ENGINE", "sqlite")  # 'sqlite' or 'postgres'
DATA_DIR = os.getenv("DATA_DIR")

POSTGRES_SERVER = os.getenv("POSTGRES_SERVER", "localhost")
POSTGRES_PORT = os.getenv("POSTGRES_PORT", "5432")
POSTGRES_USER = os.getenv("POSTGRES_USER", "recipes")
POSTGRES_PASSWORD = os.getenv("POSTGRES_PASSWORD", "recipes")
POSTGRES_DB = os.getenv("POSTGRES_DB", "recipes")

if PRODUCTION not in ("true", "false"):
    raise ValueError(f"PRODUCTION must be 'true' or 'false', not {PRODUCTION!r}")


def data_dir():
    if DATA_DIR:
        return Path(DATA_DIR)
    if PRODUCTION == "true":
        return Path("/var/lib/recipes-example-data")
    return Path(__file__).resolve().parents[2] / "dev" / "data"


# In production the app keeps a secret among its files, made on first start.
if PRODUCTION == "true":
    data_dir().mkdir(parents=True, exist_ok=True)
    secret_file = data_dir() / ".secret"
    if not secret_file.exists():
        secret_file.write_text(secrets.token_hex(16))


def database_url():
    if DB_ENGINE == "postgres":
        return "postgresql+psycopg2://{}:{}@{}:{}/{}".format(
            POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_SERVER, POSTGRES_PORT, POSTGRES_DB
        )
    if DB_ENGINE == "sqlite":
        return "sqlite:///{}".format(data_dir() / "recipes.db")
    raise ValueError(f"DB_ENGINE must be 'sqlite' or 'postgres', not {DB_ENGINE!r}")
