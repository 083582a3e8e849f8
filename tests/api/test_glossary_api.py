"""GET /api/v1/glossary, PUT and DELETE /api/v1/glossary/{kind}/{key}: roles, validation naming the field, keys
with slashes, and the registry's glossary_terms routes listing the workspace rows."""

from __future__ import annotations

from urllib.parse import quote

from fastapi.testclient import TestClient

from bizpilot.app import create_app


def test_list_shows_the_defaults_filtered_and_paged(api_client: TestClient) -> None:
    body = api_client.get("/api/v1/glossary", params={"kind": "industry", "limit": 5}).json()
    assert (body["limit"], body["offset"]) == (5, 0) and body["total"] > 5 and len(body["items"]) == 5
    assert {i["kind"] for i in body["items"]} == {"industry"} and {i["source"] for i in body["items"]} == {"default"}
    found = api_client.get("/api/v1/glossary", params={"q": "最小起订量"}).json()
    assert [(i["kind"], i["key"], i["en"]) for i in found["items"]] == [("attribute", "minimum order quantity",
                                                                         "minimum order quantity"),
                                                                        ("attribute", "moq", "MOQ")]
    bad = api_client.get("/api/v1/glossary", params={"kind": "colour"})
    assert bad.status_code == 422 and bad.json()["error"]["details"][0]["field"] == "kind"


def test_reads_need_a_key_and_writes_need_the_write_role(api_client: TestClient) -> None:
    assert TestClient(create_app()).get("/api/v1/glossary").status_code == 401
    put = api_client.put("/api/v1/glossary/value/grey", json={"zh": "深灰色"})
    assert put.status_code == 403 and put.json()["error"]["code"] == "forbidden"
    assert api_client.delete("/api/v1/glossary/value/grey").status_code == 403


def test_put_then_delete_a_term(write_client: TestClient) -> None:
    put = write_client.put("/api/v1/glossary/value/Grey", json={"zh": "深灰色", "note": "house style"})
    assert put.status_code == 200, put.text
    body = put.json()
    assert body["outcome"] == "inserted"
    assert {k: body["term"][k] for k in ("kind", "key", "en", "zh", "note", "source")} == {
        "kind": "value", "key": "grey", "en": "Grey", "zh": "深灰色", "note": "house style", "source": "workspace"}
    assert write_client.put("/api/v1/glossary/value/grey", json={"zh": "炭灰色"}).json()["outcome"] == "updated"
    listed = write_client.get("/api/v1/glossary", params={"kind": "value", "q": "grey"}).json()["items"]
    assert [(i["key"], i["zh"], i["source"]) for i in listed] == [("grey", "炭灰色", "workspace")]
    rows = write_client.get("/api/v1/glossary_terms").json()  # the registry route lists workspace rows only
    assert rows["total"] == 1 and rows["items"][0]["zh"] == "炭灰色"
    deleted = write_client.delete("/api/v1/glossary/value/grey")
    assert deleted.status_code == 200
    assert deleted.json()["now"]["zh"] == "灰色" and deleted.json()["now"]["source"] == "default"
    again = write_client.delete("/api/v1/glossary/value/grey")
    assert again.status_code == 404 and again.json()["error"]["details"] == [{"field": "key",
                                                                             "reason": "no workspace term"}]


def test_keys_with_slashes_and_spaces(write_client: TestClient) -> None:
    path = "/api/v1/glossary/value/" + quote("CE/UL dual", safe="/")
    assert write_client.put(path, json={"zh": "CE/UL双认证"}).status_code == 200
    term = write_client.get("/api/v1/glossary", params={"source": "workspace"}).json()["items"][0]
    assert (term["key"], term["en"], term["zh"]) == ("ce/ul dual", "CE/UL dual", "CE/UL双认证")
    new = write_client.delete(path).json()
    assert new == {"deleted": True, "now": None}


def test_validation_errors_name_the_field(write_client: TestClient) -> None:
    no_zh = write_client.put("/api/v1/glossary/value/red", json={"en": "red"})
    assert no_zh.status_code == 422 and [d["field"] for d in no_zh.json()["error"]["details"]] == ["zh"]
    blank = write_client.put("/api/v1/glossary/value/red", json={"zh": ""})
    assert blank.status_code == 422 and [d["field"] for d in blank.json()["error"]["details"]] == ["zh"]
    kind = write_client.put("/api/v1/glossary/colour/red", json={"zh": "红色"})
    assert kind.status_code == 422 and [d["field"] for d in kind.json()["error"]["details"]] == ["kind"]
