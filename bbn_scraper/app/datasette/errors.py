"""Server errors as one line each: ``ERROR GET /news/-/page/7: ArchiveError: WARC file ... is
missing`` on stderr (the logger ``bbn_archive.datasette``), never a traceback, never local
variables; a 4xx (a 404, a bad request, invalid SQL) is the reader's mistake, not logged.

Datasette 0.65's own exception handler prints every exception, 404s included, with rich's
tracebacks and their local variables when rich is installed (the dev tools pull it in), and
the traceback of every 500; Datasette awaits every handler's answer, so it prints even when
another handler answers first. The plugin's handler takes its place: at startup the default is
unregistered, and `error_page` answers with the same error page (``<status>.html`` or
error.html, JSON for a .json path) without printing anything but the one line."""
from __future__ import annotations

import logging
import pdb

from datasette import hookimpl
from datasette.utils import add_cors_headers
from datasette.utils.asgi import Base400, Response
from datasette.views.base import DatasetteError
from markupsafe import Markup

DEFAULT_HANDLER = "datasette.handle_exception"  # the name Datasette registers its handler under
log = logging.getLogger("bbn_archive.datasette")
# What a reader sees of a server error: its line in the server's log (above) says what and where;
# the page shows neither file paths nor what a file held.
SERVER_ERROR = "This page could not be shown. The server's log has the reason, on a line starting ERROR."


def one_line(text: str) -> str:
    return text.replace("\r", "\\r").replace("\n", "\\n")


@hookimpl(specname="startup")
def replace_default_handler(datasette):
    from datasette.plugins import pm  # not at import: the entry point loads while datasette.plugins does

    if pm.has_plugin(DEFAULT_HANDLER):
        pm.unregister(name=DEFAULT_HANDLER)


def status_of(exception: Exception) -> tuple[int, str, dict, str | None]:
    """(status, message, extra info, title) of the error page, as Datasette's handler gives them."""
    if isinstance(exception, Base400):
        return exception.status, exception.args[0], {}, None
    if isinstance(exception, DatasetteError):
        message = Markup(exception.message) if exception.message_is_html else exception.message
        return exception.status, message, dict(exception.error_dict), exception.title
    return 500, SERVER_ERROR, {}, None


READ_METHODS = ("GET", "HEAD", "OPTIONS")


@hookimpl(specname="asgi_wrapper")
def read_only_methods(datasette):
    """Any other method is a 405 before Datasette sees it: an archive is served to be read
    (Datasette 0.65 answers a POST to a table or a read-only canned query with a 500)."""
    def wrap(app):
        async def refuse_writes(scope, receive, send):
            if scope.get("type") == "http" and scope.get("method", "GET") not in READ_METHODS:
                await send({"type": "http.response.start", "status": 405, "headers": [
                    [b"allow", ", ".join(READ_METHODS).encode()], [b"content-type", b"text/plain; charset=utf-8"]]})
                await send({"type": "http.response.body", "body": b"This archive is served to be read: GET only.\n"})
                return
            await app(scope, receive, send)

        return refuse_writes

    return wrap


@hookimpl(specname="handle_exception", trylast=True)
def error_page(datasette, request, exception):
    async def inner():
        if datasette.pdb:
            pdb.post_mortem(exception.__traceback__)
        status, message, info, title = status_of(exception)
        if status >= 500:
            method, path = (request.method, request.path) if request is not None else ("-", "-")
            log.error(one_line(f"ERROR {method} {path}: {type(exception).__name__}: {exception}"))
        info.update({"ok": False, "error": message, "status": status, "title": title})
        headers = {}
        if datasette.cors:
            add_cors_headers(headers)
        if request is not None and request.path.split("?")[0].endswith(".json"):
            return Response.json(info, status=status, headers=headers)
        template = datasette.jinja_env.select_template([f"{status}.html", "error.html"])
        return Response.html(await template.render_async(dict(
            info, urls=datasette.urls, app_css_hash=datasette.app_css_hash(), menu_links=lambda: [],
        )), status=status, headers=headers)

    return inner
