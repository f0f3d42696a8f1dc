"""Settings of the shop, read from the environment at import."""
import os

DATABASE_URL = os.getenv("SHOP_DATABASE_URL", "sqlite:///shop.db")
REDIS_URL = os.getenv("SHOP_REDIS_URL", "redis://localhost:6379/0")
