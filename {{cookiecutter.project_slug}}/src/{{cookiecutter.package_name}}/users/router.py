from fastapi import APIRouter

from ..auth.dependencies import CurrentUser
from .models import User
from .schemas import UserRead

router = APIRouter(prefix="/users", tags=["users"])


@router.get("/me", response_model=UserRead)
async def read_me(user: CurrentUser) -> User:
    """Return the authenticated user."""
    return user
