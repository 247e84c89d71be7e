"""The caller's identity: the one dependency every protected route takes.

This service authenticates no one (see principal.py): every request is made by
ANONYMOUS. Switching to real authentication replaces this module and keeps the
routes as they are.
"""

from typing import Annotated

from fastapi import Depends

from .principal import ANONYMOUS, Principal


async def get_principal() -> Principal:
    return ANONYMOUS


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]
