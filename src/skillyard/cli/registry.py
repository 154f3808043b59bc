"""``skillyard registry``: serve a team registry, manage its tokens, and use one as a client
(``publish``, ``search``, ``fetch``). Also ``skillyard publish`` and ``skillyard search``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from .common import DbOption, JsonOption, console, err_console, fail, open_library, print_json

EXAMPLES = """
Examples:

  # the API, the web UI, MCP at /mcp and a .well-known skills index
  skillyard registry serve --db team.db --port 8080

  skillyard registry token create --role publish --scope 'team/*' \\
    --expires 90d
  skillyard registry token list
  skillyard registry token revoke 3f9a1c2b7d10

  export SKILLYARD_REGISTRY_URL=http://127.0.0.1:8080
  export SKILLYARD_REGISTRY_TOKEN=syk_...
  skillyard publish ./my-skill --namespace team    # audited on the server
  skillyard search "fill a PDF form"
  skillyard registry fetch team/my-skill@1.2 --to .agents/skills
  skillyard registry yank team/my-skill@1.2 --reason "leaks a path"
"""

RegistryUrl = Annotated[str, typer.Option(
    "--registry", envvar="SKILLYARD_REGISTRY_URL",
    help="Registry base URL (http://host:port).", show_default=False)]
TokenOpt = Annotated[str | None, typer.Option(
    "--token", envvar="SKILLYARD_REGISTRY_TOKEN",
    help="API token (default: the credentials file; see 'registry login').",
    show_default=False)]


def _client(url: str, token: str | None):  # noqa: ANN202
    from ..sources.registry import RegistryClient

    if not url:
        raise fail("give --registry URL (or set SKILLYARD_REGISTRY_URL)", 2)
    return RegistryClient(url, token)


def _refused(exc: Exception) -> typer.Exit:
    """A client error as one line; exit 1 when the audit blocked, 2 for other refusals."""
    status = getattr(exc, "status", 0)
    report = getattr(exc, "body", {}).get("report")
    if report:
        for finding in report.get("findings", [])[:20]:
            if not finding.get("accepted"):
                err_console.print(f"  {finding['severity']:<8} {finding['rule']} "
                                  f"{finding['file']}:{finding.get('line') or ''} "
                                  f"{finding['why']}", markup=False)
    return fail(str(exc).replace("[", "\\["), 1 if status in (0, 422, 500) else 2)


def _split_ref(spec: str) -> tuple[str, str | None]:
    path, _, version = spec.partition("@")
    return path, version or None

SignOpt = Annotated[Path | None, typer.Option(
    "--sign", help="Sign the folder first with this SSH key (writes SKILL.sig; see "
    "docs/signing.md).", dir_okay=False)]


def _publish(folder: Path, namespace: str, registry: str, token: str | None,
             as_json: bool, sign: Path | None = None) -> None:
    from ..sources.registry import ClientError

    client = _client(registry, token)
    if sign is not None:  # SKILL.sig is a file of the skill: the registry stores and serves it
        from ..sources.sign import sign_folder

        signed = sign_folder(folder, sign)
        if not as_json:
            console.print(f"signed {folder} with key {signed.fingerprint}", markup=False)
    try:
        out = client.publish(folder, namespace)
    except ClientError as exc:
        if as_json and exc.body:
            print_json(exc.body)
        raise _refused(exc) from None
    if as_json:
        print_json(out)
        return
    console.print(f"published {out['skill']}@{out['version']} (digest {out['digest'][:12]}, "
                  f"verdict {out['verdict']}, tier {out['tier']}, "
                  f"{out['findings_count']} finding(s))", markup=False)


def _search(query: str, registry: str, token: str | None, k: int, as_json: bool) -> None:
    from ..sources.registry import ClientError

    try:
        out = _client(registry, token).search(query, k)
    except ClientError as exc:
        raise _refused(exc) from None
    if as_json:
        print_json(out)
        return
    if out["abstain"]:
        console.print("no skill fits this well (the router abstains)", markup=False)
    for hit in out["results"]:
        console.print(f"{hit['score']:7.3f}  {hit['skill']}@{hit['version']}  tier "
                      f"{hit['tier']}  {hit['description'][:80]}", markup=False)


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="A self-hosted team registry: serve, tokens, publish, search.",
                        no_args_is_help=True, epilog=EXAMPLES)
    tokens = typer.Typer(help="API tokens of the registry on --db (shown once, stored hashed).",
                         no_args_is_help=True)
    group.add_typer(tokens, name="token")
    app.add_typer(group, name="registry")

    @group.command(epilog=EXAMPLES)
    def serve(
        db: DbOption = None,
        host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="Port; 0 picks a free one.", min=0,
                                          max=65535)] = 8080,
        policy: Annotated[Path | None, typer.Option(
            help="Audit policy (TOML) every publish is audited under.", exists=True,
            dir_okay=False)] = None,
        max_upload: Annotated[float, typer.Option(
            help="Largest accepted upload, in MiB.", min=0.01)] = 16.0,
        anonymous_read: Annotated[str, typer.Option(
            help="Let callers without a token read these NAMESPACE/NAME globs (e.g. "
            "'public/*'); off by default.")] = "",
        web: Annotated[bool, typer.Option(help="Serve the web UI at /.")] = True,
        mcp: Annotated[bool, typer.Option(
            help="Serve MCP at /mcp (streamable HTTP) behind the same tokens.")] = True,
        as_json: JsonOption = False,
    ) -> None:
        """Serve the registry: JSON API at /api/v1, web UI at /, well-known skills index."""
        from ..registry import Registry, UploadLimits, create_app
        from ..registry.server import run
        from ..registry.tokens import parse_scope
        from ..serve.run import listen

        scope = parse_scope(anonymous_read) if anonymous_read.strip() else ()
        sock = listen(host, port)
        lib = open_library(db, create=True)
        registry = Registry(lib, policy=policy, anonymous_read=scope,
                            route_library=open_library(db),
                            limits=UploadLimits(max_upload=int(max_upload * 1024 * 1024)))
        err_console.print("building the routing index ...") if not as_json else None
        registry.route_library.route_index()
        app_ = create_app(registry, web=web, host=host,
                          mcp_library=(lambda: open_library(db)) if mcp else None)

        def ready(url: str) -> None:
            info = {"url": url, "db": lib.path, "skills": len(registry.list_skills(
                registry.authenticate(None))), "anonymous_read": list(scope)}
            if as_json:
                sys.stderr.write(json.dumps(info) + "\n")
            else:
                err_console.print(f"skillyard registry on {url} (library {lib.path}); "
                                  f"API {url}/api/v1, OpenAPI {url}/api/v1/openapi.json",
                                  markup=False)
            sys.stderr.flush()

        try:
            run(app_, sock=sock, on_ready=ready)
        finally:
            registry.route_library.close()
            lib.close()

    @tokens.command("create")
    def token_create(
        role: Annotated[str, typer.Option(help="read, publish or admin.")] = "read",
        scope: Annotated[str, typer.Option(
            help="NAMESPACE/NAME globs, comma-separated: 'team/*', 'team/pdf-*', '*'.")] = "",
        name: Annotated[str, typer.Option(help="A label (shown as the publisher).")] = "",
        expires: Annotated[str | None, typer.Option(
            help="12h, 30d, 2w or an ISO date; default never.")] = None,
        db: DbOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """Create a token; its secret is printed once and only a hash is stored."""
        from ..registry import Registry
        from ..registry.access import Access
        from ..registry.tokens import Token, TokenError

        with open_library(db, create=True) as lib:
            registry = Registry(lib)
            local = Access(Token("local", "cli", "admin", ("*",), "", "cli"))
            try:
                token, secret = registry.create_token(local, role=role, scope=scope,
                                                      name=name, expires=expires)
            except TokenError as exc:
                raise fail(str(exc), 2) from None
        if as_json:
            print_json({**token.to_dict(), "token": secret})
            return
        err_console.print(f"token {token.id} ({token.role}, scope {','.join(token.scope)}"
                          f"{', expires ' + token.expires_at if token.expires_at else ''}); "
                          "shown once, store it now:", markup=False)
        sys.stdout.write(secret + "\n")

    @tokens.command("list")
    def token_list(db: DbOption = None, as_json: JsonOption = False) -> None:
        """Every token with its role, scope and status (never a secret)."""
        from ..registry.tokens import TokenStore

        with open_library(db) as lib:
            found = TokenStore(lib.store).list()
        if as_json:
            print_json([t.to_dict() for t in found])
            return
        for t in found:
            console.print(f"{t.id}  {t.status:<8} {t.role:<8} {','.join(t.scope):<20} {t.name}"
                          f"{'  expires ' + t.expires_at if t.expires_at else ''}", markup=False)

    @tokens.command("revoke")
    def token_revoke(token_id: str, db: DbOption = None, as_json: JsonOption = False) -> None:
        """Revoke a token at once (every process sees it on its next request)."""
        from ..errors import NotFoundError
        from ..registry import Registry
        from ..registry.access import Access
        from ..registry.tokens import Token

        with open_library(db) as lib:
            try:
                token = Registry(lib).revoke_token(
                    Access(Token("local", "cli", "admin", ("*",), "", "cli")), token_id)
            except NotFoundError as exc:
                raise fail(str(exc), 2) from None
        if as_json:
            print_json(token.to_dict())
        else:
            console.print(f"revoked {token.id} ({token.name})", markup=False)

    @group.command("log")
    def log_cmd(db: DbOption = None, limit: int = 50, as_json: JsonOption = False) -> None:
        """The registry's write log: who published, yanked, accepted or made tokens, when."""
        from ..registry.log import WriteLog

        with open_library(db) as lib:
            found = WriteLog(lib.store).entries(limit=limit)
        if as_json:
            print_json([e.to_dict() for e in found])
            return
        for e in found:
            console.print(f"{e.at}  {e.actor:<28} {e.action:<16} {e.target}  "
                          f"{json.dumps(e.detail)}", markup=False)

    @group.command("login")
    def login(registry: RegistryUrl = "", token: Annotated[str, typer.Option(
            prompt=True, hide_input=True, help="The token (prompted when not given).")] = "",
              ) -> None:
        """Save a token for a registry URL in the credentials file (mode 0600)."""
        from ..sources.registry import save_token

        if not registry:
            raise fail("give --registry URL", 2)
        where = save_token(registry, token.strip())
        console.print(f"saved the token for {registry} in {where}", markup=False)

    @group.command("publish")
    def publish_cmd(folder: Path, namespace: Annotated[str, typer.Option(
            "--namespace", "-n", help="Namespace to publish under (e.g. team).")],
                    registry: RegistryUrl = "", token: TokenOpt = None,
                    sign: SignOpt = None, as_json: JsonOption = False) -> None:
        """Publish a skill folder: the server validates and audits it (exit 1 if blocked)."""
        _publish(folder, namespace, registry, token, as_json, sign)

    @group.command("search")
    def search_cmd(query: str, registry: RegistryUrl = "", token: TokenOpt = None,
                   k: Annotated[int, typer.Option("-k", min=1, max=100)] = 10,
                   as_json: JsonOption = False) -> None:
        """Route a task to the registry's skills you may read."""
        _search(query, registry, token, k, as_json)

    @group.command("fetch")
    def fetch(spec: Annotated[str, typer.Argument(help="NAMESPACE/NAME[@VERSION]")],
              to: Annotated[Path, typer.Option(help="Folder to write the skill into.")] =
              Path("."), registry: RegistryUrl = "", token: TokenOpt = None,
              as_json: JsonOption = False) -> None:
        """Download a version, verify its archive sha256 and skill digest, write it."""
        from ..sources.registry import ClientError

        path, version = _split_ref(spec)
        try:
            got = _client(registry, token).fetch(path, version, to)
        except ClientError as exc:
            raise _refused(exc) from None
        out = {"folder": str(got.folder), "version": got.version, "digest": got.digest,
               "archive_sha256": got.archive_sha256}
        if as_json:
            print_json(out)
        else:
            console.print(f"fetched {path}@{got.version} into {got.folder} (digest "
                          f"{got.digest[:12]}, verified)", markup=False)

    @group.command("yank")
    def yank(spec: Annotated[str, typer.Argument(help="NAMESPACE/NAME@VERSION")],
             reason: str = "", deprecate: Annotated[bool, typer.Option(
                 help="Deprecate instead (still served, with a warning).")] = False,
             restore: Annotated[bool, typer.Option(help="Make the version active again.")] =
             False, registry: RegistryUrl = "", token: TokenOpt = None,
             as_json: JsonOption = False) -> None:
        """Yank a version (hidden from search and latest) or deprecate/restore it."""
        from ..sources.registry import ClientError

        path, version = _split_ref(spec)
        if not version:
            raise fail("give NAMESPACE/NAME@VERSION", 2)
        status = "active" if restore else "deprecated" if deprecate else "yanked"
        try:
            out = _client(registry, token).set_status(path, version, status, reason)
        except ClientError as exc:
            raise _refused(exc) from None
        if as_json:
            print_json(out)
        else:
            console.print(f"{path}@{version} is now {out['status']}", markup=False)

    @app.command("publish", epilog=EXAMPLES)
    def publish_top(folder: Path, namespace: Annotated[str, typer.Option(
            "--namespace", "-n", help="Namespace to publish under (e.g. team).")],
                    registry: RegistryUrl = "", token: TokenOpt = None,
                    sign: SignOpt = None, as_json: JsonOption = False) -> None:
        """Publish a skill folder to a registry (same as 'skillyard registry publish')."""
        _publish(folder, namespace, registry, token, as_json, sign)

    @app.command("search", epilog=EXAMPLES)
    def search_top(query: str, registry: RegistryUrl = "", token: TokenOpt = None,
                   k: Annotated[int, typer.Option("-k", min=1, max=100)] = 10,
                   as_json: JsonOption = False) -> None:
        """Search a registry (same as 'skillyard registry search')."""
        _search(query, registry, token, k, as_json)
