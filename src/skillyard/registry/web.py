"""The web UI: server-rendered pages (Jinja2) over ``Registry``; readable without JavaScript.

Pages: search (tier and verdict badges, abstention), a skill (rendered SKILL.md, file tree with
sizes and digests, versions with a diff between any two, the audit with every finding, its
evidence and its flow), one file, a diff, a publisher, sign-in with a token. A signed-in token
lives in an HttpOnly, SameSite=Strict cookie; the UI only reads (writes go through the API
with a bearer token), so a cross-site form cannot act for a user.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from importlib import resources
from typing import Any
from urllib.parse import quote, urlencode

from jinja2 import Environment, FunctionLoader, select_autoescape
from markdown_it import MarkdownIt
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from .._version import __version__
from ..errors import NotFoundError
from ..library.files import file_role
from .access import Access
from .http import COOKIE, LOG, FailureLimiter, RateLimited, caller, client_of, status_of
from .service import Registry
from .tokens import AuthError

TIER_LABELS = {0: "metadata only", 1: "instructions", 2: "scripts w/ approval", 3: "trusted"}
_MD = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def _template(name: str) -> str | None:
    folder = resources.files("skillyard.registry") / "templates"
    entry = folder / name
    return entry.read_text(encoding="utf-8") if entry.is_file() else None


def _env() -> Environment:
    env = Environment(loader=FunctionLoader(_template), autoescape=select_autoescape(
        default=True, default_for_string=True), trim_blocks=True, lstrip_blocks=True)
    env.filters["size"] = _size
    env.filters["q"] = lambda v: quote(str(v), safe="/")
    env.globals["tier_label"] = TIER_LABELS
    env.globals["version"] = __version__
    return env


def _size(n: int) -> str:
    for unit in ("B", "KiB", "MiB"):
        if n < 1024 or unit == "MiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"


def render_markdown(text: str) -> Markup:
    """SKILL.md body to HTML; raw HTML in the text is escaped, unsafe links dropped."""
    return Markup(_MD.render(text))  # noqa: S704 - markdown-it escapes (html disabled)


def web_routes(registry: Registry, limiter: FailureLimiter) -> list[Route]:
    env = _env()

    def page(template: str, request: Request, access: Access | None, status: int = 200,
             **context: Any) -> HTMLResponse:
        html = env.get_template(template).render(request=request, access=access,
                                             anonymous_read=bool(registry.anonymous_read),
                                             **context)
        response = HTMLResponse(html, status_code=status)
        response.headers["Content-Security-Policy"] = (
            "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
            "frame-ancestors 'none'; base-uri 'none'")
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        return response

    def view(handler: Callable[[Request, Access], Awaitable[Response]]
             ) -> Callable[[Request], Awaitable[Response]]:
        async def run(request: Request) -> Response:
            access = None
            try:
                access = await caller(registry, limiter, request, cookie=True)
                if access.token is None and not registry.anonymous_read:
                    target = urlencode({"next": request.url.path})
                    return RedirectResponse(f"/signin?{target}", status_code=303)
                return await handler(request, access)
            except RateLimited as exc:
                return page("error.html", request, None, 429, message=str(exc))
            except AuthError as exc:
                response = page("signin.html", request, None, 401, error=str(exc))
                response.delete_cookie(COOKIE)
                return response
            except Exception as exc:  # noqa: BLE001 - a page for every refusal
                status = status_of(exc)
                if status == 500:
                    LOG.error("internal error: %s", exc, exc_info=exc)
                message = str(exc) if status != 500 else "internal error; see the server log"
                return page("error.html", request, access, status, message=message)
        return run

    def call(fn: Callable[..., Any], *args: Any) -> Awaitable[Any]:
        return run_in_threadpool(fn, *args)

    async def home(request: Request, access: Access) -> Response:
        query = request.query_params.get("q", "").strip()
        if query:
            found = await call(registry.search, access, query, 20)
            return page("search.html", request, access, query=query, found=found)
        skills = await call(registry.list_skills, access)
        return page("search.html", request, access, query="", skills=skills)

    async def skill(request: Request, access: Access) -> Response:
        path = f"{request.path_params['ns']}/{request.path_params['name']}"
        ref = request.query_params.get("v")

        def load() -> dict[str, Any]:
            from ..evaluate.report import answer_lines, combine

            record, current = registry.skill(access, path, ref)
            report = registry.audit_report(access, path, record.label)
            files = [{**f.manifest(), "role": file_role(f.path)} for f in current.files]
            exps = registry.evaluations(access, path, limit=5)
            evals = [{"run": e.run_id, "answers": answer_lines(combine([e])),
                      "arms": [{"arm": a.arm, "tasks": a.tasks, "passed": a.tasks_passed,
                                "rate": a.rate, "lo": a.rate_lo, "hi": a.rate_hi}
                               for a in e.analysis.arms]} for e in exps]
            return {"record": record, "skill": current, "files": files, "report": report,
                    "versions": list(reversed(registry.versions(access, path))),
                    "body": render_markdown(current.body), "path": path, "evals": evals,
                    "signer": registry.verified_signer(current)}

        return page("skill.html", request, access, **await call(load))

    async def file(request: Request, access: Access) -> Response:
        p = request.path_params
        path, name = f"{p['ns']}/{p['name']}", p["file"]
        ref = request.query_params.get("v")
        record = await call(registry.version, access, path, ref)
        data = await call(registry.read_file, access, path, record.label, name)
        if request.query_params.get("raw"):
            return Response(data, media_type="application/octet-stream", headers={
                "Content-Disposition": "attachment; filename=\"" + re.sub(
                    r"[^A-Za-z0-9._-]", "_", name.rsplit("/", 1)[-1]) + "\"",
                "X-Content-Type-Options": "nosniff"})
        try:
            text: str | None = data.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        _, current = await call(registry.skill, access, path, record.label)
        entry = current.file(name)
        return page("file.html", request, access, path=path, record=record, name=name,
                    text=text, entry=entry.manifest() if entry else {}, size=len(data))

    async def diff(request: Request, access: Access) -> Response:
        path = f"{request.path_params['ns']}/{request.path_params['name']}"
        old, new = request.query_params.get("from", ""), request.query_params.get("to", "")
        files = await call(registry.diff, access, path, old, new)
        return page("diff.html", request, access, path=path, old=old, new=new, files=files)

    async def eval_plot(request: Request, access: Access) -> Response:
        from ..evaluate.plot import experiment_png
        from ..evaluate.report import combine

        path = f"{request.path_params['ns']}/{request.path_params['name']}"
        run_id = request.path_params["run"]

        def draw() -> bytes:
            exps = [e for e in registry.evaluations(access, path) if str(e.run_id) == run_id]
            if not exps:
                raise NotFoundError(f"no evaluation run {run_id} of {path}")
            return experiment_png(exps[0].analysis.arms, combine(exps), run_id)

        return Response(await call(draw), media_type="image/png")

    async def publisher(request: Request, access: Access) -> Response:
        who = request.path_params["publisher"]
        records = await call(registry.publisher, access, who)
        return page("publisher.html", request, access, who=who, records=records)

    async def signin(request: Request) -> Response:
        target = request.query_params.get("next", "/")
        if not target.startswith("/") or target.startswith("//"):
            target = "/"
        if request.method == "GET":
            return page("signin.html", request, None, next=target)
        form = await request.form()
        secret = str(form.get("token", "")).strip()
        try:
            wait = limiter.retry_after(client_of(request))
            if wait:
                raise RateLimited(wait)
            access = await run_in_threadpool(registry.authenticate, secret or None)
            if access.token is None:
                raise AuthError("paste a token to sign in")
        except AuthError as exc:
            limiter.failed(client_of(request))
            return page("signin.html", request, None, 401, error=str(exc), next=target)
        except RateLimited as exc:
            return page("signin.html", request, None, 429, error=str(exc), next=target)
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(COOKIE, secret, httponly=True, samesite="strict",
                            secure=request.url.scheme == "https", max_age=8 * 3600)
        return response

    async def signout(request: Request) -> Response:
        response = RedirectResponse("/", status_code=303)
        response.delete_cookie(COOKIE)
        return response

    async def style(request: Request) -> Response:
        css = (resources.files("skillyard.registry") / "static" / "style.css").read_text(
            encoding="utf-8")
        return Response(css, media_type="text/css", headers={"Cache-Control": "max-age=300"})

    skill_path = "/skills/{ns}/{name}"
    return [
        Route("/", view(home), methods=["GET"]),
        Route(skill_path, view(skill), methods=["GET"]),
        Route(skill_path + "/files/{file:path}", view(file), methods=["GET"]),
        Route(skill_path + "/diff", view(diff), methods=["GET"]),
        Route(skill_path + "/evaluations/{run}.png", view(eval_plot), methods=["GET"]),
        Route("/publishers/{publisher}", view(publisher), methods=["GET"]),
        Route("/signin", signin, methods=["GET", "POST"]),
        Route("/signout", signout, methods=["POST", "GET"]),
        Route("/static/style.css", style, methods=["GET"]),
    ]
