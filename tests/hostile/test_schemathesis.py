"""Schemathesis over the api's whole OpenAPI document, as the logged-in coach.

Every operation gets generated requests, valid and invalid, sent to the real process
over the demo roster; half of the ids it puts in paths are real ones, so the handlers
past the 404 are reached too. No answer may be a 5xx, and every answer must be one the
document declares (status, content type, body schema). Examples are bounded and
derandomized: the run is quick and the same every time.

Not stateful: the operations hold no workflow a link could follow (each write takes
ids that the demo roster already provides, fed in here), so a state machine would only
replay the same requests in more steps.

The bugs this run found are fixed, each with its own test below: wall-clock times
declared as RFC 3339 ``format: time`` (which requires an offset) though sent and
accepted without one, a body that is not UTF-8 answered with an undeclared 400, and a
dead-letter id past Redis' 64-bit range answered 503.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hypothesis.strategies as st
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from monstercoach_api.auth.session import SESSION_COOKIE

from .conftest import RunningApi, ids_of

EXAMPLES = 30
DOCUMENT = Path(__file__).parents[2] / "docs" / "openapi.json"

# The committed contract (tests/test_generated_files.py keeps it equal to what the api
# serves), read at collection so that each operation is its own test.
schema = schemathesis.openapi.from_dict(json.loads(DOCUMENT.read_text()))

KNOWN: dict[str, list[str]] = {}
"""Ids that exist in the demo roster, by path parameter name (filled per run)."""


@pytest.fixture(scope="module")
def known_ids(api: RunningApi) -> Iterator[None]:
    KNOWN.update(
        client_id=ids_of(api, "/clients")[:3],
        flag_id=ids_of(api, "/flags")[:3],
        engine=["meals"],
        trigger=["lunch_reminder"],
    )
    yield
    KNOWN.clear()


@schema.hook
def flatmap_path_parameters(context: Any, path_parameters: dict[str, Any] | None) -> Any:
    real = {name: KNOWN[name] for name in path_parameters or {} if KNOWN.get(name)}
    if not real:
        return st.just(path_parameters)
    with_real = st.fixed_dictionaries({name: st.sampled_from(ids) for name, ids in real.items()})
    return st.one_of(
        st.just(path_parameters), with_real.map(lambda ids: {**(path_parameters or {}), **ids})
    )


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_within_its_contract(
    case: schemathesis.Case, api: RunningApi, known_ids: None
) -> None:
    case.call_and_validate(
        base_url=api.url,
        cookies={SESSION_COOKIE: api.cookie()},
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )


# --- the bugs this run found, each on its own ---------------------------------------------


def test_wall_clock_times_are_declared_and_sent_without_an_offset(api: RunningApi) -> None:
    with api.client() as coach:
        document = coach.get("/openapi.json").json()
        trigger = coach.get("/lst").json()["engines"][0]["triggers"][0]
    # JSON Schema's ``format: time`` is RFC 3339's full-time: an offset is part of it.
    assert '"format": "time"' not in json.dumps(document)
    declared = document["components"]["schemas"]["LstTrigger"]["properties"]["at"]["anyOf"][0]
    assert re.search(declared["pattern"], trigger["at"]), f"{trigger['at']!r} is not {declared}"


def test_a_wall_clock_time_is_accepted_as_its_document_says(api: RunningApi) -> None:
    client_id = ids_of(api, "/clients")[0]
    lunch = f"/clients/{client_id}/schedule/meals/lunch_reminder"
    with api.client() as coach:
        answers = {at: coach.put(lunch, json={"local_time": at}) for at in ("12:30", "12:30:00")}
        with_offset = coach.put(lunch, json={"local_time": "12:30:00Z"})
        coach.delete(lunch)  # the demo roster as it was, for the other tests
    for at, response in answers.items():
        assert response.status_code == 200, (at, response.text)
        assert response.json()["local_time"] == "12:30:00", at
    assert with_offset.status_code == 422, with_offset.text


def test_a_body_that_is_not_utf8_gets_a_documented_status(api: RunningApi) -> None:
    document = json.loads(DOCUMENT.read_text())
    client_id, flag_id = ids_of(api, "/clients")[0], ids_of(api, "/flags")[0]
    undocumented = []
    with api.client() as coach:
        for path, operations in document["paths"].items():
            for method, operation in operations.items():
                if "requestBody" not in operation:
                    continue
                url = path.format(
                    client_id=client_id, flag_id=flag_id, engine="meals",
                    trigger="lunch_reminder", dead_letter_id="0-1",
                )  # fmt: skip
                response = coach.request(
                    method,
                    url,
                    content=b"\xff\xfe\xfd",
                    headers={"content-type": "application/json"},
                )
                assert response.status_code == 422, (method, path, response.text)
                assert "UTF-8" in response.json()["error"]["message"], (method, path)
                if str(response.status_code) not in operation["responses"]:
                    undocumented.append(f"{method.upper()} {path}: {response.status_code}")
    assert not undocumented, undocumented


def test_a_stream_id_beyond_redis_range_is_the_clients_error(api: RunningApi) -> None:
    beyond = "99999999999999999999-0"  # the documented pattern, past 2**64 - 1
    with api.client() as coach:
        listing = coach.get("/system/dead-letters", params={"after": beyond})
        replay = coach.post(f"/system/dead-letters/{beyond}/replay")
    assert listing.status_code in (200, 422), listing.text
    assert replay.status_code in (404, 422), replay.text
