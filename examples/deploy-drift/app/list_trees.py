"""The query the app runs for GET /trees: it selects the columns the newest migration adds."""
import os

import sqlalchemy as sa

engine = sa.create_engine(os.environ["DATABASE_URL"])
with engine.connect() as conn:
    rows = conn.execute(
        sa.text("SELECT id, name, ai_member_provider, ai_recommender_provider FROM trees")
    ).fetchall()
print(len(rows), "trees")
