"""What a caller may do: `Depends(requires("items:write"))` on a route (else 403)."""

from collections.abc import Awaitable, Callable

from .auth.dependencies import CurrentPrincipal
from .auth.principal import Principal
from .exceptions import ForbiddenError

# Every permission a route requires, as the routers declare them: what there is
# to grant (the tests' callers get them all).
DECLARED: set[str] = set()


def requires(permission: str) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency that lets only callers with this permission through (else 403)."""
    DECLARED.add(permission)

    async def check(principal: CurrentPrincipal) -> Principal:
        if not principal.can(permission):
            msg = f"This request needs the {permission!r} permission."
            raise ForbiddenError(msg, subject=principal.id)
        return principal

    return check
