"""Every code block of the guides and the README runs, so no example goes stale.

The ```python blocks of each page run in order, in one namespace per page, in a
fresh folder, with training cut to one epoch of two batches (the code is what is
checked here, not the scores). A block may be preceded by a hidden setup
(``<!-- setup ... -->``, Python that makes what the block assumes: windows, a
trained model) or marked ``<!-- skip: why -->`` when it cannot run here (a file
of the reader's own); those are few, and counted. Every ``lstmcast ...`` command
of the other blocks (console, bash, or none) must parse with the command line's
own parser.
"""

from __future__ import annotations

import re
import shlex
import warnings
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs" / "guides").glob("*.md"))]
SKIPS_ALLOWED = 3  # blocks marked <!-- skip --> over all pages: keep them few

FENCE = re.compile(r"^(```+|~~~+)\s*([\w+-]*)")
SETUP = re.compile(r"^<!--\s*setup\b[^\n]*$")
SKIP = re.compile(r"^<!--\s*skip\b.*-->\s*$")


@dataclass
class Block:
    page: Path
    line: int  # 1-based line of the first line of code
    language: str
    code: str
    skipped: bool = False
    setup: bool = False


def blocks(page: Path) -> list[Block]:
    """The fenced blocks of a Markdown page, and its hidden setups, in order."""
    lines = page.read_text(encoding="utf-8").split("\n")
    found, i, previous = [], 0, ""
    while i < len(lines):
        line = lines[i]
        fence = FENCE.match(line)
        if SETUP.match(line.strip()):
            end = next(j for j in range(i + 1, len(lines)) if lines[j].strip() == "-->")
            found.append(Block(page, i + 2, "python", "\n".join(lines[i + 1:end]), setup=True))
            i, previous = end + 1, ""
            continue
        if fence:
            marker, language = fence.group(1), fence.group(2).lower()
            end = next(j for j in range(i + 1, len(lines)) if lines[j].startswith(marker))
            found.append(Block(page, i + 2, language, "\n".join(lines[i + 1:end]),
                               skipped=bool(SKIP.match(previous))))
            i, previous = end + 1, ""
            continue
        if line.strip():
            previous = line.strip()
        i += 1
    return found


def _name(page: Path) -> str:
    return str(page.relative_to(ROOT))


PYTHON_PAGES = [p for p in PAGES if any(b.language == "python" for b in blocks(p))]


@pytest.fixture
def quick_training(monkeypatch):
    """Every fit trains one epoch of at most two batches."""
    import lstmcast.engine.training
    import lstmcast.models.sequential

    train, run_plan = lstmcast.models.sequential.train, lstmcast.engine.training.run_plan

    def one_epoch(*args, epochs, initial_epoch=0, **kwargs):
        return train(*args, epochs=min(epochs, initial_epoch + 1),
                     initial_epoch=initial_epoch, **kwargs)

    def two_batches(model, forward, samples, targets, plan, *args, **kwargs):
        return run_plan(model, forward, samples, targets, plan[:2], *args, **kwargs)

    monkeypatch.setattr(lstmcast.models.sequential, "train", one_epoch)
    monkeypatch.setattr(lstmcast.engine.training, "run_plan", two_batches)


@pytest.mark.parametrize("page", PYTHON_PAGES, ids=_name)
def test_the_python_blocks_of_a_page_run(page, tmp_path, monkeypatch, quick_training):
    import matplotlib

    matplotlib.use("Agg")
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": "__docs__"}
    ran = 0
    for block in blocks(page):
        if block.language != "python" or block.skipped:
            continue
        code = compile(block.code, f"{_name(page)}:{block.line}", "exec")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a one-epoch model warns about its scores
            exec(code, namespace)  # noqa: S102
        ran += not block.setup
    assert ran


def test_few_blocks_are_skipped():
    skipped = [f"{_name(b.page)}:{b.line}" for p in PAGES for b in blocks(p) if b.skipped]
    assert len(skipped) <= SKIPS_ALLOWED, skipped


def commands(block: Block) -> list[list[str]]:
    """The ``lstmcast`` commands of a shell block: lines that start with ``lstmcast``
    (or ``$ lstmcast`` where the block shows prompts; ``-m lstmcast`` after a launcher),
    continued over lines ending in a backslash, comments left out."""
    prompts = any(line.startswith("$ ") for line in block.code.split("\n"))
    found, pending = [], ""
    for line in block.code.split("\n"):
        if pending:
            line, pending = pending + " " + line.strip(), ""
        if line.rstrip().endswith("\\"):
            pending = line.rstrip()[:-1]
            continue
        text = line.strip()
        if prompts:
            if not text.startswith("$ "):
                continue
            text = text[2:]
        words = shlex.split(text, comments=True)
        if "-m" in words and "lstmcast" in words[words.index("-m") + 1:][:1]:
            words = words[words.index("-m") + 1:]
        if words[:1] == ["lstmcast"] and "..." not in words:
            found.append(words[1:])
    return found


SHELL = [(b, argv) for p in PAGES for b in blocks(p)
         if b.language in ("", "console", "bash", "sh", "shell") for argv in commands(b)]


@pytest.mark.parametrize("block, argv", SHELL,
                         ids=[f"{_name(b.page)}:{b.line}:{a[0]}" for b, a in SHELL])
def test_every_command_of_the_pages_parses(block, argv):
    from lstmcast.cli.main import _join_negative_values, build_parser

    try:
        build_parser().parse_args(_join_negative_values(list(argv)))
    except SystemExit as exc:
        pytest.fail(f"{_name(block.page)}:{block.line}: `lstmcast {shlex.join(argv)}` does "
                    f"not parse (exit {exc.code})")


def test_the_pages_hold_commands_and_code():
    assert len(SHELL) >= 20
    assert len(PYTHON_PAGES) >= 6


def test_the_readme_links_lead_somewhere():
    """The README is not part of the site (whose links the build checks): its own."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    targets = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text)
    local = [t for t in targets if "://" not in t]
    assert local
    missing = [t for t in local if not (ROOT / t).exists()]
    assert not missing, missing
