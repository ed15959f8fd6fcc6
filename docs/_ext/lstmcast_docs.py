"""Two small pieces of lstmcast's site build.

- The serving guide shows docs/serve.md when that page exists (it is written
  beside this site), and says where serving is documented when it does not.
- After the HTML is written, every local link (``href``/``src`` with no scheme)
  of every page is followed: the file must exist, and a ``#fragment`` must be an
  ``id`` on the page it points to. Broken links are warnings, which ``-W``
  makes errors. Nothing is fetched from the network.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)

SERVE_PAGES = "serve*.md"  # docs/serve.md and its companions, written beside this site


def _serving(app: Sphinx, docname: str, source: list[str]) -> None:
    if docname != "guides/serving":
        return
    pages = sorted(Path(app.srcdir).glob(SERVE_PAGES))
    if pages:
        entries = "\n".join(f"../{page.stem}" for page in pages)
        source[0] += f"\n\n```{{toctree}}\n:maxdepth: 2\n\n{entries}\n```\n"
    else:
        source[0] += ("\n\n```{note}\nThe serving guide (docs/serve.md) is not part of this "
                      "copy of lstmcast yet; the ONNX export above is the way to serve "
                      "without Python.\n```\n")


_QUALIFIED_SECTION = re.compile(r"^(\s*)(Args|Arguments|Attributes|Returns|Raises)\s+\((.+)\):\s*$")


def _plain_sections(app: Sphinx, what: str, name: str, obj: object, options: dict,
                    lines: list[str]) -> None:
    """``Attributes (after ``fit``):`` as napoleon reads it: ``Attributes:``, after a
    sentence that keeps the qualification (napoleon knows only the bare headers)."""
    for i, line in enumerate(list(lines)):
        match = _QUALIFIED_SECTION.match(line)
        if match:
            indent, header, note = match.groups()
            lines[i:i + 1] = [f"{indent}The {header.lower()} below: {note}.", "",
                              f"{indent}{header}:"]


_CODE = re.compile(r"(``.+?``|`[^`]*`)")
_ENTRY = re.compile(r"^(\s*[A-Za-z_][\w, ]*(?:\s*\(.*?\))?:\s)")  # "name_: ..." in a section
_TRAILING = re.compile(r"(?<![^\s(\[\"'])([A-Za-z][A-Za-z0-9_]*_)(?=$|[\s.,;:)\]!?'\"])")


def _literal_names(app: Sphinx, what: str, name: str, obj: object, options: dict,
                   lines: list[str]) -> None:
    """A bare ``fitted_`` name in prose is a reference in reStructuredText ("unknown
    target"): set it as code, outside code spans and the names that open an entry."""
    for i, line in enumerate(lines):
        if line.lstrip().startswith((">>>", "...")) or "_" not in line:
            continue
        entry = _ENTRY.match(line)
        head, rest = (entry.group(1), line[entry.end():]) if entry else ("", line)
        parts = _CODE.split(rest)
        parts[::2] = [_TRAILING.sub(r"``\1``", part) for part in parts[::2]]
        lines[i] = head + "".join(parts)


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name in ("id", "name"):
                self.ids.add(value)
            elif name in ("href", "src") and tag in ("a", "img", "link", "script", "source"):
                self.links.append(value)


def _read(page: Path, cache: dict[Path, _Links]) -> _Links:
    if page not in cache:
        parser = _Links()
        parser.feed(page.read_text(encoding="utf-8", errors="replace"))
        cache[page] = parser
    return cache[page]


def broken_links(outdir: Path) -> list[str]:
    """Every local link of the HTML pages under ``outdir`` that leads nowhere."""
    cache: dict[Path, _Links] = {}
    problems = []
    for page in sorted(outdir.rglob("*.html")):
        if page.parent.name in ("_modules", "_sources") or "_modules" in page.parts:
            continue
        for link in _read(page, cache).links:
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or link.startswith("//"):
                continue  # the web is not checked (the build is offline)
            target = page if not parts.path else (page.parent / unquote(parts.path)).resolve()
            if target.is_dir():
                target = target / "index.html"
            where = page.relative_to(outdir)
            if not target.exists():
                problems.append(f"{where}: link to {link!r}: no such file")
            elif parts.fragment and target.suffix == ".html":
                if unquote(parts.fragment) not in _read(target, cache).ids:
                    problems.append(f"{where}: link to {link!r}: no such anchor")
    return problems


def _check_links(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    problems = broken_links(Path(app.outdir))
    for problem in problems:
        logger.warning("broken local link: %s", problem)
    logger.info("local links checked: %d broken", len(problems))




def setup(app: Sphinx) -> dict:
    app.connect("source-read", _serving)
    app.connect("autodoc-process-docstring", _plain_sections, priority=100)  # before napoleon
    app.connect("autodoc-process-docstring", _literal_names, priority=101)
    app.connect("build-finished", _check_links)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
