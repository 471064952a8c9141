"""`flask hub ...` commands: load, dump, token create, create-admin."""

from __future__ import annotations

import sqlalchemy as sa
import yaml
from test_hubfile import BAD, SMALL, row_counts

from hub.accounts import service as accounts
from hub.accounts.models import Organization, User
from hub.extensions import db
from hub.spaces.models import Hub


def run(app, *args, **kwargs):
    return app.test_cli_runner().invoke(args=["hub", *args], **kwargs)


def test_load_reports_what_it_did_and_commits(app, tmp_path):
    path = tmp_path / "hub.yaml"
    path.write_text(SMALL, encoding="utf-8")

    first = run(app, "load", str(path))
    second = run(app, "load", str(path))

    assert first.exit_code == 0, first.output
    assert "hubs: 1 created" in first.stdout
    assert second.exit_code == 0
    assert "nothing to change" in second.stdout
    db.session.rollback()  # what the command committed is still there
    assert db.session.scalar(sa.select(Hub.slug)) == "testhub"


def test_load_of_a_bad_file_exits_1_lists_problems_and_writes_nothing(app, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(BAD, encoding="utf-8")

    result = run(app, "load", str(path))

    assert result.exit_code == 1
    assert "Nothing was changed" in result.stderr
    assert "  hubs[0].spaces[3].capacity: " in result.stderr
    assert "  organizations[2].org_number: " in result.stderr
    assert sum(row_counts().values()) == 0


def test_load_of_a_file_with_a_yaml_syntax_error_exits_1(app, tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("hubs:\n  - slug: x\n    name: [open\n", encoding="utf-8")

    result = run(app, "load", str(path))

    assert result.exit_code == 1
    assert "line 4, column 1: YAML syntax error" in result.stderr


def test_dump_to_stdout_and_to_a_file(app, tmp_path):
    source = tmp_path / "hub.yaml"
    source.write_text(SMALL, encoding="utf-8")
    run(app, "load", str(source))
    out = tmp_path / "out.yaml"

    to_stdout = run(app, "dump")
    to_file = run(app, "dump", "--hub", "testhub", "--output", str(out))

    assert to_stdout.exit_code == 0 and to_file.exit_code == 0
    assert yaml.safe_load(to_stdout.stdout)["hubs"][0]["slug"] == "testhub"
    assert out.read_text(encoding="utf-8") == to_stdout.stdout
    reload = run(app, "load", str(out))
    assert "nothing to change" in reload.stdout


def test_dump_of_an_unknown_hub_exits_1(app):
    result = run(app, "dump", "--hub", "finnes-ikke")

    assert result.exit_code == 1
    assert "finnes-ikke" in result.stderr


def test_token_create_prints_a_working_token_last(app, make_user):
    user = make_user(email="ola@example.no")

    result = run(app, "token", "create", "OLA@example.no", "--name", "Rapporter")

    assert result.exit_code == 0, result.output
    secret = result.stdout.strip().splitlines()[-1]
    assert accounts.user_for_api_token(secret).id == user.id
    assert [t.name for t in user.api_tokens] == ["Rapporter"]


def test_token_create_for_an_unknown_email_exits_1(app):
    result = run(app, "token", "create", "ingen@example.no")

    assert result.exit_code == 1
    assert "ingen@example.no" in result.stderr


def test_create_admin_bootstraps_a_system_administrator(app):
    result = run(
        app,
        "create-admin",
        "Admin@Example.no",
        "--name",
        "Ada Admin",
        "--organization",
        "Lyngdal kommune",
        input="a-long-password\na-long-password\n",
    )

    assert result.exit_code == 0, result.output
    user = accounts.authenticate("admin@example.no", "a-long-password")
    assert user is not None and user.is_system_admin
    assert user.home_organization.name == "Lyngdal kommune"


def test_create_admin_uses_an_existing_organization(app, make_org):
    org = make_org(name="Skatteetaten")

    result = run(
        app,
        "create-admin",
        "a@example.no",
        "--name",
        "A",
        "--organization",
        "skatteetaten",
        "--password",
        "a-long-password",
    )

    assert result.exit_code == 0, result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Organization)) == 1
    assert db.session.scalar(sa.select(User.home_organization_id)) == org.id


def test_create_admin_refuses_a_short_password_and_an_existing_email(app, make_user):
    make_user(email="taken@example.no")
    args = ["--name", "A", "--organization", "Ny kommune"]

    short = run(app, "create-admin", "new@example.no", *args, "--password", "kort")
    taken = run(app, "create-admin", "taken@example.no", *args, "--password", "a-long-password")

    assert short.exit_code == 1 and "password" in short.stderr
    assert taken.exit_code == 1 and "email" in taken.stderr
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1
    assert not db.session.scalar(
        sa.select(Organization.id).where(Organization.name == "Ny kommune")
    )
