"""Docs that run: every fenced Python block in ``docs/*.md`` and ``README.md`` is executed.

Rules of the runner, for anyone writing docs:

* A block fenced as ```` ```python ```` (or ```` ```py ````) runs.  Any other language, or
  a Python block whose info string contains ``no-run`` (```` ```python no-run ````), is
  skipped: use that for sketches that cannot run on their own.
* The blocks of one file run in order, in one fresh namespace (a throwaway module), so a
  later block can use what an earlier one defined.  Files never share a namespace.
* Each file is one test, with the file name as its id (``test_doc_runs[tutorial.md]``).
* Blocks run with the working directory set to a fresh temporary directory, so a doc
  that writes files leaves nothing behind.
* A failing block fails the test with the file, the block's line number in the file, and
  the traceback; tracebacks point at the doc's own line numbers.
* An example that is meant to raise should catch the error and assert on it, so the block
  still checks the behaviour it shows.

The tables of the standard lifecycle in ``docs/concepts.md`` are checked against
:data:`casework.STANDARD` by :func:`test_concepts_tables_match_standard`; run this file as a
script (``python tests/test_docs.py``) to print them afresh after changing the lifecycle.
"""

from __future__ import annotations

import re
import sys
import traceback
import types
from pathlib import Path

import attrs
import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"

FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^\n`]*)$")
PYTHON = {"python", "py", "python3"}
SKIP_MARKER = "no-run"


@attrs.frozen
class Block:
    """A fenced block of a Markdown file; ``line`` is the 1-based line of its first code line."""

    line: int
    info: str
    code: str

    @property
    def language(self) -> str:
        words = self.info.split()
        return words[0].lower() if words else ""

    @property
    def runs(self) -> bool:
        return self.language in PYTHON and SKIP_MARKER not in self.info.split()[1:]


def fenced_blocks(text: str) -> list[Block]:
    """Every fenced block in ``text``, in order (indented fences, as in lists, included)."""
    blocks = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, fence, info = m["indent"], m["fence"], m["info"].strip()
        body = []
        j = i + 1
        while j < len(lines):
            close = lines[j].strip()
            if close.startswith(fence[0] * len(fence)) and not close.strip(fence[0]):
                break
            line = lines[j]
            body.append(line[len(indent) :] if line.startswith(indent) else line.lstrip())
            j += 1
        blocks.append(Block(i + 2, info, "\n".join(body) + "\n"))
        i = j + 1
    return blocks


def doc_files() -> list[Path]:
    """``docs/*.md`` in name order, then ``README.md`` when it has Python blocks."""
    files = sorted(DOCS.glob("*.md"))
    readme = ROOT / "README.md"
    if readme.exists() and any(b.runs for b in fenced_blocks(readme.read_text("utf-8"))):
        files.append(readme)
    return files


def run_blocks(path: Path) -> int:
    """Run the Python blocks of ``path`` in one fresh module namespace; how many ran."""
    name = "_casework_doc_" + re.sub(r"\W", "_", path.stem)
    module = types.ModuleType(name)
    module.__file__ = str(path)
    sys.modules[name] = module  # dataclasses, pickle and typing look classes up here
    ran = 0
    try:
        for block in fenced_blocks(path.read_text("utf-8")):
            if not block.runs:
                continue
            # pad so that tracebacks and error locations give the doc's own line numbers
            source = "\n" * (block.line - 1) + block.code
            try:
                exec(compile(source, str(path), "exec"), module.__dict__)
            except Exception:
                pytest.fail(
                    f"{path.name}: the block at line {block.line} failed:\n"
                    f"{traceback.format_exc()}",
                    pytrace=False,
                )
            ran += 1
    finally:
        sys.modules.pop(name, None)
    return ran


@pytest.mark.parametrize("path", doc_files(), ids=lambda p: p.name)
def test_doc_runs(path: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Every runnable Python block of the file runs without error, in order."""
    monkeypatch.chdir(tmp_path)
    if run_blocks(path) == 0:
        pytest.skip(f"{path.name} has no runnable Python blocks")


# --- the runner's own behaviour ------------------------------------------------------------


def test_fenced_blocks_finds_languages_markers_and_lines() -> None:
    """Blocks are found with their info string and the line of their first code line."""
    text = (
        "intro\n```python\nx = 1\n```\n\n```python no-run\nboom()\n```\n  ```py\n  y = 2\n  ```\n"
    )
    blocks = fenced_blocks(text)
    assert [(b.line, b.language, b.runs, b.code) for b in blocks] == [
        (3, "python", True, "x = 1\n"),
        (7, "python", False, "boom()\n"),
        (10, "py", True, "y = 2\n"),
    ]


def test_a_failing_block_reports_file_and_line(tmp_path: Path) -> None:
    """A failure names the file and the block's line, and the traceback the doc's line."""
    doc = tmp_path / "broken.md"
    doc.write_text("# Broken\n\n```python\nx = 1\n```\n\ntext\n\n```python\nassert x == 2\n```\n")
    with pytest.raises(pytest.fail.Exception) as info:
        run_blocks(doc)
    message = str(info.value)
    assert "broken.md: the block at line 10 failed" in message
    assert 'broken.md", line 10' in message
    assert "AssertionError" in message


def test_blocks_of_one_file_share_a_namespace_and_files_do_not(tmp_path: Path) -> None:
    """Later blocks see earlier names; another file starts afresh."""
    first = tmp_path / "first.md"
    first.write_text("```python\nshared = 1\n```\n```python\nassert shared == 1\n```\n")
    second = tmp_path / "second.md"
    second.write_text("```python\nassert 'shared' not in globals()\n```\n")
    assert run_blocks(first) == 2
    assert run_blocks(second) == 1


# --- the tables of the standard lifecycle in docs/concepts.md --------------------------------

TABLES = ("standard-states", "standard-triggers")


def _cell(text: str) -> str:
    return text.replace("|", "\\|") or "—"


def standard_tables() -> dict[str, str]:
    """The Markdown tables of :data:`casework.STANDARD` that ``docs/concepts.md`` shows."""
    from casework import PREVIOUS, STANDARD
    from casework.lifecycle import callable_name

    states = [
        "| state | 中文 | English | class | initial | terminal |",
        "|---|---|---|---|---|---|",
    ]
    for s in STANDARD.states:
        states.append(
            f"| `{s.name}` | {_cell(s.zh)} | {_cell(s.en)} | {s.category.value} | "
            f"{'yes' if s.initial else ''} | {'yes' if s.terminal else ''} |"
        )
    triggers = [
        "| trigger | 中文 | from | to | event | guards |",
        "|---|---|---|---|---|---|",
    ]
    for t in STANDARD.transitions:
        if t.dest is None:
            dest = "(internal)"
        elif t.dest == PREVIOUS:
            dest = "`PREVIOUS`"
        else:
            dest = f"`{t.dest}`"
        source = ", ".join(f"`{s}`" for s in t.source)
        guards = ", ".join(f"`{callable_name(g)}`" for g in t.guards) or "—"
        triggers.append(
            f"| `{t.trigger}` | {_cell(t.zh)} | {source} | {dest} | `{t.event_type}` | {guards} |"
        )
    return {"standard-states": "\n".join(states), "standard-triggers": "\n".join(triggers)}


def doc_table(text: str, name: str) -> str:
    """The text between ``<!-- name:begin -->`` and ``<!-- name:end -->``, stripped."""
    m = re.search(rf"<!-- {name}:begin -->\n(.*?)<!-- {name}:end -->", text, re.DOTALL)
    assert m, f"docs/concepts.md has no <!-- {name}:begin --> ... <!-- {name}:end --> section"
    return m[1].strip()


@pytest.mark.parametrize("name", TABLES)
def test_concepts_tables_match_standard(name: str) -> None:
    """The static tables in docs/concepts.md say what STANDARD says, row for row."""
    text = (DOCS / "concepts.md").read_text("utf-8")
    assert doc_table(text, name) == standard_tables()[name], (
        "docs/concepts.md is out of date: run `python tests/test_docs.py` and paste its output"
    )


if __name__ == "__main__":
    for table_name, table in standard_tables().items():
        print(f"<!-- {table_name}:begin -->\n{table}\n<!-- {table_name}:end -->\n")
