import os

BASE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Config:
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", "sqlite:///" + os.path.join(BASE, "notes.db")
    )
    SQLALCHEMY_TRACK_MODIFICATIONS = False
