"""The admin API's router: bearer-token authentication (off without a token), the route table, JSON in and
out, and the actor recorded for audits."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from postwarden.api.admin import AdminApi, AdminError, AdminRequest

TOKEN = "s3cret-token"


def client(token: str = TOKEN) -> tuple[httpx.AsyncClient, list[AdminRequest]]:
    seen: list[AdminRequest] = []

    async def show(request: AdminRequest) -> Any:
        seen.append(request)
        if request.params["case"] == "missing":
            raise AdminError(404, "NotFound", "No review case missing.")
        if request.params["case"] == "boom":
            raise RuntimeError("a bug")
        return {"case": request.params["case"], "query": request.query, "body": request.body}

    api = AdminApi(
        token, [("GET", "/admin/v1/reviews/{case}", show), ("POST", "/admin/v1/reviews/{case}", show)]
    )
    transport = httpx.ASGITransport(app=api)
    return httpx.AsyncClient(transport=transport, base_url="http://admin.test"), seen


def bearer(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_without_a_configured_token_the_admin_api_does_not_exist() -> None:
    http, seen = client(token="")
    async with http:
        for headers in ({}, bearer(""), bearer("anything")):
            answer = await http.get("/admin/v1/reviews/1", headers=headers)
            assert answer.status_code == 404 and answer.json()["error"] == "NotFound"
    assert seen == []


@pytest.mark.parametrize(
    "headers",
    [{}, bearer("wrong"), bearer(TOKEN + "x"), {"Authorization": TOKEN}, {"Authorization": f"Basic {TOKEN}"}],
)
async def test_a_missing_or_wrong_token_is_401_and_reaches_no_route(headers: dict[str, str]) -> None:
    http, seen = client()
    async with http:
        answer = await http.get("/admin/v1/reviews/1", headers=headers)
        unknown = await http.get("/admin/v1/nothing-here", headers=headers)
    assert answer.status_code == 401 and answer.headers["www-authenticate"] == "Bearer"
    assert answer.json() == {
        "error": "Unauthorized",
        "message": "A valid admin token is required (Authorization: Bearer …).",
    }
    assert unknown.status_code == 401  # no route is revealed before authentication
    assert seen == []


async def test_a_route_gets_its_parameters_query_body_and_actor() -> None:
    http, seen = client()
    async with http:
        answer = await http.post(
            "/admin/v1/reviews/12%2034?verbose=1",
            headers={**bearer(), "X-Postwarden-Actor": "alice\r\nx"},
            json={"quota": 5},
        )
        anonymous = await http.get("/admin/v1/reviews/7", headers={"authorization": f"bearer {TOKEN}"})
    assert answer.status_code == 200
    assert answer.json() == {"case": "12 34", "query": {"verbose": "1"}, "body": {"quota": 5}}
    assert [r.actor for r in seen] == ["admin-api:alicex", "admin-api"]
    assert anonymous.json()["body"] == {}


async def test_errors_are_json_with_their_status() -> None:
    http, _ = client()
    async with http:
        missing = await http.get("/admin/v1/reviews/missing", headers=bearer())
        method = await http.delete("/admin/v1/reviews/1", headers=bearer())
        route = await http.get("/admin/v1/reviews", headers=bearer())
        not_json = await http.post("/admin/v1/reviews/1", headers=bearer(), content=b"{nope")
        not_object = await http.post("/admin/v1/reviews/1", headers=bearer(), json=[1])
        bug = await http.get("/admin/v1/reviews/boom", headers=bearer())
    assert (missing.status_code, missing.json()["error"]) == (404, "NotFound")
    assert (method.status_code, method.json()["error"]) == (405, "MethodNotAllowed")
    assert (route.status_code, route.json()["message"]) == (404, "No admin route GET /admin/v1/reviews.")
    assert (not_json.status_code, not_json.json()["error"]) == (400, "BadRequest")
    assert not_object.json()["message"] == "The body must be a JSON object."
    assert (bug.status_code, bug.json()["error"]) == (500, "InternalError")


def test_routes_live_under_the_admin_prefix() -> None:
    with pytest.raises(ValueError, match="admin routes live under /admin/"):
        AdminApi(TOKEN).add("GET", "/v2/email/account", lambda request: None)  # type: ignore[arg-type,return-value]
