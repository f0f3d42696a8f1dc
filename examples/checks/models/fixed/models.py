"""The shop's tables as the application declares them."""
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


class Owner(Base):
    __tablename__ = "owners"

    id = sa.Column(sa.Integer, primary_key=True)
    name = sa.Column(sa.String(100), nullable=False)


class Item(Base):
    __tablename__ = "items"

    id = sa.Column(sa.Integer, primary_key=True)
    owner_id = sa.Column(sa.Integer, sa.ForeignKey("owners.id"), nullable=False)
    name = sa.Column(sa.String(100), nullable=False)
    listed_at = sa.Column(sa.DateTime(timezone=True))
    notes = sa.Column(sa.String(200))
