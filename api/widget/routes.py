"""``GET /widget/loyalty.js`` (the widget itself) and ``GET /widget/config`` (its design).

The script is a plain file shipped in this package, served with a short cache and gzipped
when the browser accepts it. The config is public (no token): the design, the texts of one
language and the program summary a signed-out visitor sees; nothing about any member.
"""

from __future__ import annotations

import gzip
import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.params import QueryParameter

from loyalty import program, widget
from schemas.widget import WidgetConfigOut

SCRIPT = Path(__file__).with_name("loyalty.js")
JS = "text/javascript; charset=utf-8"


@lru_cache(maxsize=1)
def script() -> tuple[bytes, bytes, str]:
    """The script, its gzipped bytes and its ETag (read once per process)."""
    raw = SCRIPT.read_bytes()
    return raw, gzip.compress(raw, 9, mtime=0), '"' + hashlib.sha256(raw).hexdigest()[:20] + '"'


class WidgetController(Controller):
    path = "/widget"
    tags = ["widget"]

    @get("/loyalty.js", include_in_schema=False)
    async def loyalty_js(self, request: Request[Any, Any, Any]) -> Response[bytes]:
        raw, packed, etag = script()
        headers = {"cache-control": "public, max-age=300", "etag": etag, "vary": "Accept-Encoding"}
        if request.headers.get("if-none-match") == etag:
            return Response(b"", status_code=304, headers=headers)
        if "gzip" in request.headers.get("accept-encoding", ""):
            return Response(packed, media_type=JS, headers={**headers, "content-encoding": "gzip"})
        return Response(raw, media_type=JS, headers=headers)

    @get("/config")
    async def config(
        self,
        locale: Annotated[str | None, QueryParameter(max_length=16)] = None,
    ) -> Response[WidgetConfigOut]:
        """The widget's design and texts for ``locale`` (or the program's default language),
        with the program summary signed-out visitors see. Public: design data only."""
        rules = await program.get_rules()
        return Response(
            widget.public_config(rules, locale), headers={"cache-control": "public, max-age=60"}
        )
