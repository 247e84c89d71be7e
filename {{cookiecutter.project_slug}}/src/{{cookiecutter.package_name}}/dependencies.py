"""Dependencies shared by every domain."""

from typing import Annotated

from fastapi import Depends, Request

from .config import Settings


# async: FastAPI runs a plain `def` dependency in a worker thread, a hop per request.
async def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_app_settings)]
