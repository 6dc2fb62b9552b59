"""The ``pathways`` command. Every subcommand has ``--help``.

The database comes from ``--database`` or ``$PATHWAYS_DATABASE_URL`` (SQLite file
``pathways.sqlite`` in the current folder by default).
"""
from __future__ import annotations

import re
from pathlib import Path

import click

from engine import (DATABASE_URL_SETTING, Engine, FormValidationError, PathwayInvalidError, PathwaysError,
                    check_password, check_paths, run_scenarios)

ROOT = Path(__file__).resolve().parent.parent
DEMO_PASSWORD = "pathways-demo"
DEMO_ADMIN = "admin"  # `init --demo`'s administrator: manages users, has no lane role


def _engine(ctx: click.Context) -> Engine:
    return Engine(ctx.obj.get("database"))


class _Group(click.Group):
    """Engine errors end a command with their message, not a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except PathwayInvalidError as exc:
            for problem in exc.problems:
                click.echo(str(problem), err=True)
            raise SystemExit(1) from None
        except FormValidationError as exc:
            for field, messages in exc.field_errors.items():
                click.echo(f"{field or 'input'}: {'; '.join(messages)}", err=True)
            raise SystemExit(1) from None
        except PathwaysError as exc:
            raise click.ClickException(str(exc)) from None


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--database", envvar=DATABASE_URL_SETTING, default=None,
              help=f"Database URL (default: ${DATABASE_URL_SETTING} or sqlite:///pathways.sqlite).")
@click.pass_context
def main(ctx: click.Context, database: str | None) -> None:
    """Pathways: children's services pathways as executable BPMN."""
    ctx.ensure_object(dict)
    ctx.obj["database"] = database


def demo_username(role: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", role.lower()).strip("-")


@main.command()
@click.option("--demo", is_flag=True,
              help="Also create a demo user (and API token) for each role, and a demo administrator.")
@click.option("--processes", type=click.Path(file_okay=False, path_type=Path), default=ROOT / "processes",
              show_default=True, help="Folder of pathways (each with a pathway.yaml) and roles.yaml.")
@click.option("--forms", type=click.Path(file_okay=False, path_type=Path), default=ROOT / "forms",
              show_default=True, help="Folder of JSON Schema forms.")
@click.pass_context
def init(ctx: click.Context, demo: bool, processes: Path, forms: Path) -> None:
    """Create or upgrade the database and publish the pathways in PROCESSES.

    Safe to run again: the schema is upgraded in place, and an unchanged pathway makes no new version.
    """
    engine = _engine(ctx)
    revision = engine.upgrade_database()
    click.echo(f"database {engine.database_url} at schema revision {revision}")
    try:
        results = engine.load_pathways(processes, forms)
    except PathwayInvalidError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        raise SystemExit(1) from None
    for result in results:
        state = "published" if result.created else "unchanged"
        click.echo(f"pathway {result.pathway_key}: version {result.version.number} {state}")
    if demo:
        _demo_users(engine)


def _demo_users(engine: Engine) -> None:
    existing = {u.username for u in engine.list_users()}
    for role in sorted(engine.known_roles()):
        username = demo_username(role)
        if username not in existing:
            engine.add_user(username, f"Demo {role}", [role], password=DEMO_PASSWORD)
            engine.create_token(username, "demo", token=f"demo-{username}")
        click.echo(f"demo user {username} ({role}): password {DEMO_PASSWORD}, API token demo-{username}")
    if DEMO_ADMIN not in existing:
        engine.add_user(DEMO_ADMIN, "Demo administrator", [], password=DEMO_PASSWORD, admin=True)
        engine.create_token(DEMO_ADMIN, "demo", token=f"demo-{DEMO_ADMIN}")
    click.echo(f"demo administrator {DEMO_ADMIN}: password {DEMO_PASSWORD}, API token demo-{DEMO_ADMIN}")


@main.command()
@click.argument("paths", nargs=-1, required=True)
def check(paths: tuple[str, ...]) -> None:
    """Validate BPMN, DMN and form files or folders.

    Prints one line per problem as file:line: element-id: message and exits 1 if there is any.
    """
    problems = check_paths(list(paths))
    for problem in problems:
        click.echo(str(problem))
    if problems:
        click.echo(f"{len(problems)} problem(s)", err=True)
        raise SystemExit(1)
    click.echo("no problems found", err=True)


@main.group()
def scenario() -> None:
    """Run pathway scenarios."""


@scenario.command("run")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--coverage", "show_coverage", is_flag=True, help="Print the share of sequence flows exercised.")
@click.option("--processes", type=click.Path(file_okay=False, path_type=Path), default=ROOT / "processes",
              show_default=True, help="Folder of pathways to load.")
@click.option("--forms", type=click.Path(file_okay=False, path_type=Path), default=ROOT / "forms",
              show_default=True, help="Folder of JSON Schema forms.")
def scenario_run(paths: tuple[Path, ...], show_coverage: bool, processes: Path, forms: Path) -> None:
    """Run scenarios (files or folders; default: every pathway's scenarios/) on a throwaway database
    with a simulated clock. Exits 1 if any fails."""
    results, cover = run_scenarios(list(paths) or [processes], processes, forms)
    for r in results:
        click.echo(f"{'PASS' if r.passed else 'FAIL'} {r.file}: {r.name}" + ("" if r.passed else f"\n     {r.message}"))
    failed = [r for r in results if not r.passed]
    click.echo(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    if show_coverage:
        for c in cover:
            click.echo(f"coverage {c.pathway}: {c.covered}/{c.total} sequence flows ({c.percent:.0f}%)")
            if c.missing:
                click.echo(f"     not taken: {', '.join(c.missing)}")
    if failed or not results:
        raise SystemExit(1)


@main.command()
@click.pass_context
def tick(ctx: click.Context) -> None:
    """Fire every due timer now (run it every minute from cron or a systemd timer)."""
    result = _engine(ctx).tick()
    click.echo(f"{result.timers_fired} timer(s) fired in {result.cases} case(s)")
    for error in result.errors:
        click.echo(error, err=True)
    if result.errors:
        raise SystemExit(1)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int)
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, workers: int) -> None:
    """Serve the app with gunicorn (a production WSGI server)."""
    import os
    import secrets

    from gunicorn.app.base import BaseApplication

    from web.app import SECRET_KEY_SETTING, create_app

    database = ctx.obj.get("database")
    config = {"DATABASE_URL": database} if database else {}
    if not os.environ.get(SECRET_KEY_SETTING):
        # One key made here, before gunicorn forks, so that every worker signs sessions alike
        # (a key per worker would sign a user out whenever another worker answered).
        config["SECRET_KEY"] = secrets.token_hex(32)
        click.echo(f"${SECRET_KEY_SETTING} is not set: sessions will not survive a restart", err=True)

    class _App(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("accesslog", "-")

        def load(self):
            return create_app(config or None)

    click.echo(f"serving on http://{host}:{port}/ (database {Engine(database).database_url})")
    _App().run()


@main.group()
def user() -> None:
    """Manage users."""


@user.command("add")
@click.argument("username")
@click.option("--name", "display_name", default="", help="Display name.")
@click.option("--role", "roles", multiple=True, help="A role (repeat for several). Must be a known role.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="Password (asked for when not given).")
@click.option("--token", is_flag=True, help="Also issue an API token and print it.")
@click.option("--admin", is_flag=True, help="Make the user an administrator (manages users at /admin/users).")
@click.pass_context
def user_add(ctx: click.Context, username: str, display_name: str, roles: tuple[str, ...], password: str,
             token: bool, admin: bool) -> None:
    """Add a user with roles. The password must have 12 to 1024 characters and not be the username."""
    check_password(password, username)  # the admin pages' rules (the engine's system path does not apply them)
    engine = _engine(ctx)
    view = engine.add_user(username, display_name or username, list(roles), password=password, admin=admin)
    click.echo(f"added {view.username} with roles: {', '.join(view.roles) or '(none)'}"
               + (" (administrator)" if view.admin else ""))
    if token:
        click.echo(f"API token (shown once): {engine.create_token(username, 'cli')}")


@user.command("list")
@click.pass_context
def user_list(ctx: click.Context) -> None:
    """List users and their roles (then "administrator" and "inactive" where they apply)."""
    for view in _engine(ctx).list_users():
        flags = [word for word, on in (("administrator", view.admin), ("inactive", not view.active)) if on]
        click.echo("\t".join([view.username, view.display_name, ", ".join(view.roles), *flags]))


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.pass_context
def export(ctx: click.Context, directory: Path) -> None:
    """Write the latest published version of every pathway to DIRECTORY/<key>/."""
    written = _engine(ctx).export_pathways(directory)
    click.echo(f"wrote {len(written)} file(s) to {directory}")


@main.command()
@click.argument("case_id", type=int, required=False)
@click.pass_context
def verify(ctx: click.Context, case_id: int | None) -> None:
    """Verify the audit hash chain of one case (or of every case and pathway); exit 1 if broken."""
    engine = _engine(ctx)
    results = [engine.verify_case(case_id)] if case_id is not None else engine.verify_all()
    broken = [r for r in results if not r.ok]
    for r in results:
        if r.ok:
            click.echo(f"{r.chain}: {r.events} event(s), chain intact")
        else:
            click.echo(f"{r.chain}: BROKEN at event {r.first_bad_seq}: {r.reason}")
    if broken or not results:
        raise SystemExit(1)


if __name__ == "__main__":  # pragma: no cover
    main(obj={})
