"""The versioned API: every router needs a bearer token unless declared public."""

from fastapi import APIRouter, Depends

from .auth.dependencies import get_current_user_id
from .auth.router import router as auth_router
from .items.router import router as items_router
from .users.router import router as users_router

api_router = APIRouter(prefix="/api/v1")

# Public: registration and login cannot require a token.
api_router.include_router(auth_router)

authenticated = [Depends(get_current_user_id)]
api_router.include_router(users_router, dependencies=authenticated)
api_router.include_router(items_router, dependencies=authenticated)
