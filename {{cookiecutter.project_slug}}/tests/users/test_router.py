from httpx import AsyncClient


async def test_me_returns_the_authenticated_user(
    client: AsyncClient, auth_headers: dict[str, str]
) -> None:
    response = await client.get("/api/v1/users/me", headers=auth_headers)

    assert response.status_code == 200
    assert response.json()["email"] == "ada@example.com"
    assert response.json()["is_active"] is True
