"""``/ui/...``: HTML shells of the analysts' pages (no data: the page's script loads it)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from app.store import catalog
from app.ui import UI_DIR

router = APIRouter(prefix="/ui", include_in_schema=False)
templates = Jinja2Templates(directory=UI_DIR / "templates")

#: Strict but permissive enough for the pages: scripts only from this server.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'"
)


def _without_header(statement: str) -> str:
    """A catalog statement without its leading ``//`` comment lines."""
    lines = statement.splitlines()
    while lines and lines[0].startswith("//"):
        lines.pop(0)
    return "\n".join(lines)


def _page(request: Request, template: str, **context: object) -> HTMLResponse:
    response = templates.TemplateResponse(request, template, context)
    response.headers["Content-Security-Policy"] = CSP
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("", response_class=RedirectResponse)
def root() -> RedirectResponse:
    return RedirectResponse("/ui/")


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    """Find a customer by one of its identifiers; links to explain and review."""
    return _page(request, "home.html", title="idgraph")


@router.get("/login", response_class=HTMLResponse)
def login(request: Request) -> HTMLResponse:
    """Enter the API key once; it stays in this browser tab's session storage."""
    return _page(request, "login.html", title="Sign in")


@router.get("/customers/{customer_id}", response_class=HTMLResponse)
def customer(
    request: Request,
    customer_id: Annotated[str, Path(max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")],
) -> HTMLResponse:
    """A customer's identifiers and records as a graph, profile, confidence, history."""
    return _page(
        request,
        "customer.html",
        title=f"Customer {customer_id}",
        customer_id=customer_id,
        browser_query=_without_header(catalog.query("analyst/customer_360")),
    )


@router.get("/explain", response_class=HTMLResponse)
def explain(request: Request) -> HTMLResponse:
    """Why two identifiers are (or are not) one customer. The identifiers travel in the
    URL fragment (``#a=...&b=...``), which browsers never send to the server."""
    return _page(request, "explain.html", title="Explain two identifiers")


@router.get("/review", response_class=HTMLResponse)
def review(request: Request) -> HTMLResponse:
    """The review queue: doubtful matches and close policy splits, accept or reject."""
    return _page(request, "review.html", title="Review queue")
