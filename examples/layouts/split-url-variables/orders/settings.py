"""Settings of the orders service, read from the environment at import."""
import os

SECRET_KEY = os.environ["ORDERS_SECRET_KEY"]

DB_HOST = os.getenv("DB_HOST", "localhost")
DB_PORT = os.getenv("DB_PORT", "5432")
DB_USER = os.getenv("DB_USER", "orders")
DB_PASSWORD = os.getenv("DB_PASSWORD", "orders")
DB_NAME = os.getenv("DB_NAME", "orders")
DB_POOL_SIZE = int(os.getenv("DB_POOL_SIZE", "5"))

DATABASE_URL = "postgresql+psycopg2://{}:{}@{}:{}/{}".format(
    DB_USER, DB_PASSWORD, DB_HOST, DB_PORT, DB_NAME
)
