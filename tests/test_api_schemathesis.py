"""Fuzzing the JSON API with schemathesis against its own OpenAPI document.

Every operation of /api/v1/openapi.json is called in-process (WSGI) with
generated valid and invalid input, as a system administrator and as an ordinary
employee, on a seeded world (tests/world_support.py) so that path ids and hub
slugs often exist. Each response must not be a 5xx, must have a documented
status code, content type and headers, and must match the documented schema.

Bounded and reproducible: a fixed seed, ``FUZZ_EXAMPLES`` generated cases per
operation (plus schemathesis' deterministic examples and boundary cases), no
deadline, no shrinking. Time it with ``pytest --durations=5``.
"""

from __future__ import annotations

import os
from typing import Any

import hypothesis
import pytest
import schemathesis
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import strategies as st
from schemathesis import checks as sc
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import FailureGroup
from schemathesis.generation import GenerationMode
from world_support import World, build_world, fake_download

from hub.accounts.models import ApiToken, User
from hub.api.openapi import build_document
from hub.calendar import external
from hub.extensions import db

# A deeper run by hand: HUB_FUZZ_EXAMPLES=200 HUB_FUZZ_SEED=7 pytest tests/test_api_schemathesis.py
FUZZ_EXAMPLES = int(os.environ.get("HUB_FUZZ_EXAMPLES", "12"))
SEED = int(os.environ.get("HUB_FUZZ_SEED", "20300107"))

CHECKS = [
    sc.not_a_server_error,
    sc.status_code_conformance,
    sc.content_type_conformance,
    sc.response_headers_conformance,
    sc.response_schema_conformance,
    sc.negative_data_rejection,
]
# Left out on purpose:
# - positive_data_acceptance: schema-valid input is still refused by the rules the
#   schema cannot say (a booking in the past, an overlapping membership, a closed
#   period); those 409/422 answers are correct.
# - use_after_free, ensure_resource_availability: they follow links between
#   operations in stateful runs; the stateful phase is off (the world is seeded).
# - ignored_auth: it sends every accepted request again without the token; the
#   authorization matrix (tests/test_authorization_matrix.py) calls every operation
#   without a token already, and doing it here doubled the run time.
# - missing_required_header, unsupported_method, max_response_time: Authorization is
#   the only required header (see above); 405 for other methods is Werkzeug's;
#   timing is not a property of this suite.

CONFIG = {
    "seed": SEED,
    "generation": {"mode": "all", "max-examples": FUZZ_EXAMPLES, "no-shrink": True},
    "phases": {"stateful": {"enabled": False}},
}


def _known_values(world: World) -> dict[str, list[Any]]:
    """Path values that exist in the world, mixed into the generated ones."""
    return {
        "slug": [world.hub_x.slug, world.hub_y.slug],
        "space_id": [world.desk_x.id, world.room_x.id, world.desk_y.id],
        "booking_id": [world.booking_employee.id, world.booking_admin_y.id],
        "statement_id": [world.statement_a.id, world.draft_a.id, world.statement_y_a.id],
        "organization_id": [world.org_a.id, world.org_b.id],
        "user_id": [world.people["employee"].id, world.people["admin_y"].id],
        "event_id": [world.event_x.id],
        "import_id": [world.usage_import.id],
        "year": ["2030", "2031"],
        "on_date": ["2030-01-08", "2030-01-09"],
        "membership_id": world.ids_of("membership"),
        "item_id": world.ids_of("cost_item"),
        "funding_id": world.ids_of("funding"),
        "role_id": world.ids_of("role"),
        "token_id": world.ids_of("api_token"),
        "feed_id": world.ids_of("feed"),
    }


def _known_path_parameters(operation: Any, known: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """Every combination of existing values for the operation's path parameters."""
    names = [parameter.name for parameter in operation.path_parameters]
    combos: list[dict[str, Any]] = [{}]
    for name in names:
        combos = [combo | {name: value} for combo in combos for value in known[name]]
    return combos if names else []


class Fuzz:
    """The state one fuzzing run shares between its cases."""

    def __init__(self, client: FlaskClient, world: World, actor: str) -> None:
        self.client = client
        self.world = world
        self.actor_id = world.people[actor].id
        self.is_system_admin = world.people[actor].is_system_admin
        self.headers = {"Authorization": f"Bearer {world.api_tokens[actor]}"}
        self.exercised: set[tuple[str, str]] = set()
        self.answers: dict[tuple[str, str], set[int]] = {}

    def restore_actor(self) -> None:
        """The fuzzer may revoke its own token or take away its own rights: undo that."""
        db.session.rollback()
        db.session.execute(
            sa.update(User)
            .where(User.id == self.actor_id)
            .values(active=True, is_system_admin=self.is_system_admin)
        )
        db.session.execute(
            sa.update(ApiToken).where(ApiToken.user_id == self.actor_id).values(revoked_at=None)
        )
        db.session.commit()

    def call(self, case: Any) -> None:
        key = (case.method.upper(), case.path)
        self.exercised.add(key)
        try:
            response = case.call_and_validate(
                session=self.client, headers=self.headers, checks=CHECKS
            )
            self.answers.setdefault(key, set()).add(response.status_code)
        finally:
            if key[0] == "GET":
                db.session.rollback()
            else:
                self.restore_actor()


def _ordered(schema: Any) -> list[Any]:
    """Reads first, then writes, deletions last, so the world lasts as long as it can."""
    order = {"GET": 0, "POST": 1, "PUT": 1, "PATCH": 1, "DELETE": 2}
    operations = [result.ok() for result in schema.get_all_operations()]
    return sorted(operations, key=lambda op: (order[op.method.upper()], op.path))


def _documented() -> set[tuple[str, str]]:
    return {
        (method.upper(), path)
        for path, operations in build_document()["paths"].items()
        for method in operations
    }


SETTINGS = hypothesis.settings(
    deadline=None,
    database=None,
    phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
    suppress_health_check=list(hypothesis.HealthCheck),
    max_examples=FUZZ_EXAMPLES,
)


@pytest.mark.parametrize(
    ("actor", "examples"),
    [("system_admin", FUZZ_EXAMPLES), ("employee", max(FUZZ_EXAMPLES // 2, 5))],
)
def test_fuzz_every_operation(
    app: Flask,
    client: FlaskClient,
    monkeypatch: pytest.MonkeyPatch,
    actor: str,
    examples: int,
) -> None:
    monkeypatch.setattr(external, "download", fake_download)
    world = build_world(password=None)
    schema = schemathesis.openapi.from_wsgi(
        "/api/v1/openapi.json", app, config=SchemathesisConfig.from_dict(CONFIG)
    )
    known = _known_values(world)
    fuzz = Fuzz(client, world, actor)
    failures: list[str] = []
    for operation in _ordered(schema):
        strategies = [
            operation.as_strategy(GenerationMode.POSITIVE),
            operation.as_strategy(GenerationMode.NEGATIVE),
            *(
                operation.as_strategy(GenerationMode.POSITIVE, path_parameters=combo)
                for combo in _known_path_parameters(operation, known)
            ),
        ]

        @hypothesis.seed(SEED)
        @hypothesis.settings(SETTINGS, max_examples=examples)
        @hypothesis.given(case=st.one_of(strategies))
        def run(case: Any) -> None:
            fuzz.call(case)

        try:
            run()
        except (Exception, FailureGroup) as exc:  # one report for every operation that failed
            db.session.rollback()
            failures.append(f"{operation.label}: {exc}")

    # Schemathesis leaves out the document it was loaded from; loading it was its test.
    missing = _documented() - fuzz.exercised - {("GET", "/openapi.json")}
    if missing:
        failures.append(f"operations never called: {sorted(missing)}")
    assert not failures, f"{len(failures)} problems:\n\n" + "\n\n".join(failures)
