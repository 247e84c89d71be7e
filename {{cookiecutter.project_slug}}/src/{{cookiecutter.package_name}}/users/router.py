from fastapi import APIRouter

from ..auth.dependencies import CurrentUser
from .schemas import UserRead

router = APIRouter(prefix="/users", tags=["users"])


@router.get("/me")
async def read_me(user: CurrentUser) -> UserRead:
    """Return the authenticated user."""
    return user
