"""The shared column types, on a table of the test's own in the test database."""

import asyncio

from fastapi import FastAPI
from sqlalchemy import String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from {{ cookiecutter.package_name }}.models import CreatedAt, UpdatedAt


class Scratch(DeclarativeBase):
    """Not the service's Base: its metadata stays what the migrations build."""


class Note(Scratch):
    __tablename__ = "test_models_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]


async def test_timestamps_are_set_by_the_database(app: FastAPI) -> None:
    engine = app.state.engine
    async with engine.begin() as connection:
        await connection.run_sync(Scratch.metadata.create_all)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as session:
            note = Note(text="first")
            session.add(note)
            await session.commit()
            created = await session.scalar(select(Note.created_at))
            await asyncio.sleep(0.01)  # now() is the transaction's start time
            note.text = "second"
            await session.commit()
            row = (await session.execute(select(Note))).scalar_one()
            await session.refresh(row)

        assert created is not None
        assert created.tzinfo is not None
        assert row.created_at == created
        assert row.updated_at > created
    finally:
        async with engine.begin() as connection:
            await connection.run_sync(Scratch.metadata.drop_all)
