"""The caller's identity: the one dependency every protected route takes.

This service authenticates no one (see principal.py): every request is made by
ANONYMOUS. Switching to real authentication replaces this module and keeps the
routes as they are.
"""

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends

from ..exceptions import ForbiddenError
from .principal import ANONYMOUS, Principal


async def get_principal() -> Principal:
    return ANONYMOUS


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


def requires(permission: str) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency that lets only callers with this permission through (else 403)."""

    async def check(principal: CurrentPrincipal) -> Principal:
        if not principal.can(permission):
            msg = f"This request needs the {permission!r} permission."
            raise ForbiddenError(msg, subject=principal.id)
        return principal

    return check
