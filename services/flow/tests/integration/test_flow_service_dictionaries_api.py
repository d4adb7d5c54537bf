"""The dictionaries API end to end: dictionaries, entries (converted clips in the object store),
system dictionaries shared read-only, the lookup rule, and the events on the outbox."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from nats.aio.msg import Msg
from nats.js import JetStreamContext

from callcast_contracts.envelope import decode
from callcast_contracts.events.flows import DictionaryEntrySaved, DictionarySaved
from callcast_spoken import expected_keys, missing_keys

pytestmark = pytest.mark.integration

Client = AsyncTestClient[Any]
MessagesOn = Callable[..., Awaitable[list[Msg]]]
MakeAudio = Callable[..., bytes]

DICTIONARIES = "/api/dictionaries"


async def create(client: Client, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    response = await client.post(DICTIONARIES, json={"name": "Mine", "language": "fr", **body}, headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def add_entry(
    client: Client, headers: dict[str, str], dictionary_id: str, key: str, audio: bytes, *, expect: int = 201
) -> dict[str, Any]:
    response = await client.post(
        f"{DICTIONARIES}/{dictionary_id}/entries",
        files={"file": (f"{key}.wav", audio, "audio/wav")},
        data={"key": key},
        headers=headers,
    )
    assert response.status_code == expect, response.text
    return dict(response.json())


async def test_a_new_dictionary_lacks_every_key_of_its_language_and_publishes_dictionary_saved(
    client: Client, headers: dict[str, str], org_id: str, messages_on: MessagesOn
) -> None:
    created = await create(client, headers, name="Numéros", description="Nos voix", language="ar")

    assert (created["name"], created["description"], created["language"]) == ("Numéros", "Nos voix", "ar")
    assert (created["organizationId"], created["isSystem"], created["entryCount"]) == (org_id, False, 0)
    assert (created["createdBy"], created["updatedBy"], created["deletedBy"], created["deletedAt"]) == (
        org_id,
        org_id,
        None,
        None,
    )
    assert created["createdAt"].endswith("Z")
    assert created["missingKeys"] == missing_keys("ar", [])
    assert set(created["missingKeys"]) == expected_keys("ar")

    [msg] = await messages_on("FLOWS", f"flows.{org_id}.dictionary.{created['id']}", expect=1)
    assert msg.headers is not None
    assert msg.headers["Nats-Msg-Id"] == f"dictionary-{created['id']}-r1"
    event = decode(msg.data).data
    assert isinstance(event, DictionarySaved)
    assert (event.dictionary_id, event.language, event.is_system, event.revision) == (created["id"], "ar", False, 1)


async def test_an_entry_is_stored_as_8k_mulaw_under_the_dictionary_and_its_key(
    client: Client,
    headers: dict[str, str],
    org_id: str,
    js: JetStreamContext,
    messages_on: MessagesOn,
    make_audio: MakeAudio,
) -> None:
    dictionary = await create(client, headers)

    entry = await add_entry(client, headers, dictionary["id"], "80_plural", make_audio(0.6, rate=44100, channels=2))

    assert (entry["dictionaryId"], entry["key"]) == (dictionary["id"], "80_plural")
    assert abs(entry["durationSeconds"] - 0.6) <= 0.02
    assert entry["file"]["contentType"] == "audio/wav"
    assert entry["digest"].startswith("sha256:")
    bucket = await js.object_store("callcast-audio")
    stored = await bucket.get(f"dictionaries/{dictionary['id']}/80_plural.ulaw")
    assert len(stored.data or b"") == round(entry["durationSeconds"] * 8000)  # one μ-law byte per sample
    after = (await client.get(f"{DICTIONARIES}/{dictionary['id']}", headers=headers)).json()
    assert "80_plural" not in after["missingKeys"]
    assert len(after["missingKeys"]) == len(expected_keys("fr")) - 1
    assert after["entryCount"] == 1

    messages = await messages_on("FLOWS", f"flows.{org_id}.dictionary.{dictionary['id']}", expect=2)
    event = decode(messages[-1].data).data
    assert isinstance(event, DictionaryEntrySaved)
    assert (event.entry_id, event.key, event.language, event.object_name, event.digest) == (
        entry["id"],
        "80_plural",
        "fr",
        f"dictionaries/{dictionary['id']}/80_plural.ulaw",
        entry["digest"],
    )
    assert messages[-1].headers is not None
    assert messages[-1].headers["Nats-Msg-Id"] == f"dictionary-entry-{entry['id']}-r1"


async def test_adding_a_key_again_replaces_its_clip(
    client: Client, headers: dict[str, str], make_audio: MakeAudio
) -> None:
    dictionary = await create(client, headers)
    first = await add_entry(client, headers, dictionary["id"], "and", make_audio(0.2))

    second = await add_entry(client, headers, dictionary["id"], "and", make_audio(0.4), expect=200)

    assert second["id"] == first["id"]
    assert second["durationSeconds"] > first["durationSeconds"]
    assert second["digest"] != first["digest"]
    listed = (await client.get(f"{DICTIONARIES}/{dictionary['id']}/entries", headers=headers)).json()
    assert [e["key"] for e in listed["data"]] == ["and"]


async def test_entries_are_listed_by_key_paged_and_searchable_and_can_be_deleted(
    client: Client, headers: dict[str, str], make_audio: MakeAudio
) -> None:
    dictionary = await create(client, headers)
    path = f"{DICTIONARIES}/{dictionary['id']}/entries"
    clip = make_audio(0.1, rate=8000, channels=1)
    for key in ("month_2", "1", "month_1", "100"):
        await add_entry(client, headers, dictionary["id"], key, clip)

    page1 = (await client.get(path, params={"limit": 3}, headers=headers)).json()
    page2 = (await client.get(path, params={"limit": 3, "page": 2}, headers=headers)).json()
    months = (await client.get(path, params={"search": "MONTH", "sortOrder": "desc"}, headers=headers)).json()

    assert [e["key"] for e in page1["data"]] == ["1", "100", "month_1"]
    assert [e["key"] for e in page2["data"]] == ["month_2"]
    assert (page1["meta"]["total"], page1["meta"]["hasNextPage"], page2["meta"]["hasPreviousPage"]) == (4, True, True)
    assert [e["key"] for e in months["data"]] == ["month_2", "month_1"]

    one = page1["data"][0]
    assert (await client.delete(f"{path}/{one['id']}", headers=headers)).status_code == 204
    assert (await client.delete(f"{path}/{one['id']}", headers=headers)).json()[
        "code"
    ] == "DictionaryEntryNotFoundError"
    remaining = (await client.get(path, headers=headers)).json()
    assert [e["key"] for e in remaining["data"]] == ["100", "month_1", "month_2"]
    got = (await client.get(f"{DICTIONARIES}/{dictionary['id']}", headers=headers)).json()
    assert "1" in got["missingKeys"]


async def test_a_dictionary_can_be_renamed_but_not_moved_to_another_language(
    client: Client, headers: dict[str, str]
) -> None:
    dictionary = await create(client, headers, description="old")
    path = f"{DICTIONARIES}/{dictionary['id']}"

    renamed = await client.put(path, json={"name": "Voix FR", "language": "fr"}, headers=headers)
    cleared = await client.put(path, json={"description": None}, headers=headers)
    moved = await client.put(path, json={"language": "ar"}, headers=headers)

    assert renamed.status_code == 200, renamed.text
    assert (renamed.json()["name"], renamed.json()["description"]) == ("Voix FR", "old")
    assert (cleared.json()["name"], cleared.json()["description"]) == ("Voix FR", None)
    assert cleared.json()["updatedAt"] >= renamed.json()["updatedAt"]
    assert moved.status_code == 400
    assert "language" in moved.json()["fieldErrors"]


async def test_a_deleted_dictionary_is_gone_softly(client: Client, headers: dict[str, str], org_id: str) -> None:
    dictionary = await create(client, headers)
    path = f"{DICTIONARIES}/{dictionary['id']}"

    assert (await client.delete(path, headers=headers)).status_code == 204

    assert (await client.get(path, headers=headers)).status_code == 404
    assert (await client.delete(path, headers=headers)).status_code == 404
    own = (await client.get(DICTIONARIES, params={"isSystem": "false"}, headers=headers)).json()
    assert own["meta"]["total"] == 0


async def test_dictionaries_are_listed_with_the_system_ones_and_filtered(
    client: Client, headers: dict[str, str], system_fr: dict[str, Any]
) -> None:
    ar = await create(client, headers, name="B arabic", language="ar")
    fr = await create(client, headers, name="A french", language="fr")

    everything = (await client.get(DICTIONARIES, params={"limit": 100}, headers=headers)).json()
    own = (
        await client.get(
            DICTIONARIES, params={"isSystem": "false", "sortBy": "name", "sortOrder": "asc"}, headers=headers
        )
    ).json()
    system = (await client.get(DICTIONARIES, params={"isSystem": "true", "language": "fr"}, headers=headers)).json()
    searched = (await client.get(DICTIONARIES, params={"search": "arab"}, headers=headers)).json()

    ids = [d["id"] for d in everything["data"]]
    assert {ar["id"], fr["id"], system_fr["id"]} <= set(ids)
    assert [d["id"] for d in own["data"]] == [fr["id"], ar["id"]]
    assert [d["id"] for d in system["data"]] == [system_fr["id"]]
    assert [d["id"] for d in searched["data"]] == [ar["id"]]
    shown = system["data"][0]
    assert (shown["organizationId"], shown["isSystem"], shown["language"], shown["createdBy"]) == (
        None,
        True,
        "fr",
        "system",
    )
    assert shown["missingKeys"] == missing_keys("fr", system_fr["keys"])


async def test_system_dictionaries_are_read_only_for_organizations(
    client: Client, headers: dict[str, str], system_fr: dict[str, Any], make_audio: MakeAudio
) -> None:
    path = f"{DICTIONARIES}/{system_fr['id']}"
    entries = (await client.get(f"{path}/entries", params={"limit": 100}, headers=headers)).json()
    assert sorted(e["key"] for e in entries["data"]) == sorted(system_fr["keys"])

    for response in (
        await client.put(path, json={"name": "Mine now"}, headers=headers),
        await client.delete(path, headers=headers),
        await client.post(
            f"{path}/entries",
            files={"file": ("x.wav", make_audio(0.1), "audio/wav")},
            data={"key": "2"},
            headers=headers,
        ),
        await client.delete(f"{path}/entries/{entries['data'][0]['id']}", headers=headers),
    ):
        assert response.status_code == 403, response.text
        assert response.json()["code"] == "SystemDictionaryReadOnlyError"
    assert (await client.get(path, headers=headers)).json()["name"] == "System dictionary (fr)"


def test_installing_the_system_dictionaries_again_installs_nothing(system_fr: dict[str, Any]) -> None:
    again = system_fr["reinstall"]()

    assert again.returncode == 0, again.stderr
    assert (
        f"fr: system dictionary {system_fr['id']}: 0 installed, {len(system_fr['keys'])} already there" in again.stdout
    )


async def test_keys_resolve_to_the_organizations_dictionary_first_then_the_system_one(
    client: Client, headers: dict[str, str], system_fr: dict[str, Any], make_audio: MakeAudio
) -> None:
    item = {"type": "number", "value": 21, "language": "fr"}
    before = (await client.post(f"{DICTIONARIES}/render", json={"items": [item]}, headers=headers)).json()
    older = await create(client, headers, name="older")
    newer = await create(client, headers, name="newer")
    await add_entry(client, headers, older["id"], "1", make_audio(0.1))
    await add_entry(client, headers, older["id"], "and", make_audio(0.1))
    await add_entry(client, headers, newer["id"], "1", make_audio(0.1))

    after = (await client.post(f"{DICTIONARIES}/render", json={"items": [item]}, headers=headers)).json()
    stranger = (
        await client.post(
            f"{DICTIONARIES}/render", json={"items": [item]}, headers={"X-Callcast-Org-Id": str(uuid.uuid4())}
        )
    ).json()

    def sources(body: dict[str, Any]) -> list[tuple[str, str]]:
        return [(c["key"], c["dictionaryId"]) for c in body["items"][0]["clips"]]

    assert before["items"][0]["keys"] == ["20", "and", "1"]
    assert sources(before) == [("20", system_fr["id"]), ("and", system_fr["id"]), ("1", system_fr["id"])]
    assert sources(after) == [("20", system_fr["id"]), ("and", older["id"]), ("1", newer["id"])]
    assert sources(stranger) == sources(before)  # another organization's dictionaries are never used


async def test_render_reports_missing_keys_and_values_that_cannot_be_said(
    client: Client, headers: dict[str, str], system_fr: dict[str, Any]
) -> None:
    items = [
        {"type": "date", "value": {"type": "literal", "value": "2024-03-01"}, "language": "fr", "mode": "date"},
        {"type": "number", "value": "douze", "language": "fr"},
        {"type": "number", "value": 5, "language": "fr", "mode": "currency"},
        {"type": "word", "value": "bonjour", "language": "ar"},
    ]

    body = (await client.post(f"{DICTIONARIES}/render", json={"items": items}, headers=headers)).json()

    date, not_a_number, no_currency, word = body["items"]
    assert date["keys"] == ["first", "month_3", "2", "1000", "20", "4"]
    assert [c["key"] for c in date["clips"]] == ["first", "month_3", "20"]
    assert date["missingKeys"] == ["2", "1000", "4"]
    assert "not a number" in not_a_number["error"]
    assert "currency" in no_currency["error"]
    assert (word["keys"], word["missingKeys"], word["error"]) == (["bonjour"], ["bonjour"], None)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "x", "language": "en"}, "language"),
        ({"name": "x"}, "language"),
        ({"language": "fr"}, "name"),
        ({"name": " ", "language": "fr"}, "name"),
        ({"name": "n" * 257, "language": "fr"}, "name"),
        ({"name": "x", "language": "fr", "description": "d" * 501}, "description"),
        ({"name": "x", "language": "fr", "isSystem": True}, "isSystem"),
    ],
)
async def test_bad_dictionary_bodies_are_refused_naming_the_field(
    client: Client, headers: dict[str, str], body: dict[str, Any], field: str
) -> None:
    response = await client.post(DICTIONARIES, json=body, headers=headers)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "VALIDATION_FAILED"
    assert field in response.json()["fieldErrors"]


@pytest.mark.parametrize(
    ("parts", "field"),
    [
        ({"data": {"key": "1"}}, "file"),
        ({"files": {"file": ("a.wav", b"RIFF", "audio/wav")}, "data": {"key": "1"}}, "file"),
        ({"files": {"file": ("a.txt", b"not audio at all", "text/plain")}, "data": {"key": "1"}}, "file"),
        ({"audio": True}, "key"),
        ({"audio": True, "data": {"key": "k" * 257}}, "key"),
        ({"audio": True, "data": {"key": "a/b"}}, "key"),
        ({"audio": True, "data": {"key": "  "}}, "key"),
        ({"audio": True, "data": {"key": "1", "language": "fr"}}, "language"),
    ],
)
async def test_bad_entries_are_refused_naming_the_part(
    client: Client, headers: dict[str, str], make_audio: MakeAudio, parts: dict[str, Any], field: str
) -> None:
    dictionary = await create(client, headers)
    kwargs: dict[str, Any] = {k: v for k, v in parts.items() if k != "audio"}
    if parts.get("audio"):
        kwargs["files"] = {"file": ("a.wav", make_audio(0.1), "audio/wav")}

    response = await client.post(f"{DICTIONARIES}/{dictionary['id']}/entries", headers=headers, **kwargs)

    assert response.status_code == 400, response.text
    assert field in response.json()["fieldErrors"]


async def test_a_clip_longer_than_30_seconds_is_refused(
    client: Client, headers: dict[str, str], make_audio: MakeAudio
) -> None:
    dictionary = await create(client, headers)
    response = await client.post(
        f"{DICTIONARIES}/{dictionary['id']}/entries",
        files={"file": ("long.wav", make_audio(31, rate=8000, channels=1), "audio/wav")},
        data={"key": "1"},
        headers=headers,
    )
    assert response.status_code == 400
    assert "30 seconds" in response.json()["fieldErrors"]["file"][0]


async def test_another_organizations_dictionary_reads_as_missing(
    client: Client, headers: dict[str, str], make_audio: MakeAudio
) -> None:
    dictionary = await create(client, headers)
    entry = await add_entry(client, headers, dictionary["id"], "1", make_audio(0.1))
    path = f"{DICTIONARIES}/{dictionary['id']}"
    stranger = {"X-Callcast-Org-Id": str(uuid.uuid4())}

    for response in (
        await client.get(path, headers=stranger),
        await client.put(path, json={"name": "mine"}, headers=stranger),
        await client.delete(path, headers=stranger),
        await client.get(f"{path}/entries", headers=stranger),
        await client.delete(f"{path}/entries/{entry['id']}", headers=stranger),
        await client.post(
            f"{path}/entries",
            files={"file": ("a.wav", make_audio(0.1), "audio/wav")},
            data={"key": "2"},
            headers=stranger,
        ),
    ):
        assert response.status_code == 404, response.text
        assert response.json()["code"] == "DictionaryNotFoundError"


async def test_path_ids_must_be_uuids(client: Client, headers: dict[str, str]) -> None:
    dictionary = await create(client, headers)
    for response in (
        await client.get(f"{DICTIONARIES}/not-a-uuid", headers=headers),
        await client.delete(f"{DICTIONARIES}/{dictionary['id']}/entries/42", headers=headers),
    ):
        assert response.status_code == 400
        assert response.json()["code"] == "VALIDATION_FAILED"
