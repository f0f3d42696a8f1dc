from sqlalchemy import Column, Integer, MetaData, String, Table

metadata = MetaData()

screens = Table(
    "screens",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("title", String(200), nullable=False),
    Column("location", String(50), index=True),
)
