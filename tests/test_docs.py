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
* An example that is meant to raise catches the error and asserts on it, and must fail when
  nothing is raised: every ``try:`` with an ``except`` needs an ``else:`` that raises (or
  asserts), or a ``try`` body that ends by raising.  The runner reads each block's syntax
  tree and refuses a ``try`` that would pass silently, before running it::

      try:
          engine.fire(case, "close", ...)
      except GuardFailed as exc:
          assert exc.reasons == ("close needs a reason",)
      else:
          raise AssertionError("closing without a reason must be refused")

* Printed output is checked where a page shows it: a Python block followed directly (only
  blank lines between) by a ```` ```text ```` block must print exactly that text (trailing
  spaces and blank lines at the end aside).  Other blocks' output is not shown anywhere.
* ``docs/tutorial.md`` must also work pasted into a Python shell, block after block:
  :func:`test_tutorial_pastes_into_a_python_shell` feeds it line by line to
  :class:`code.InteractiveConsole`, so no blank line inside an indented block, and a blank
  line after each one before the code that follows it.

The tables of the standard lifecycle in ``docs/concepts.md`` are checked against
:data:`casework.STANDARD` by :func:`test_concepts_tables_match_standard`; run this file as a
script (``python tests/test_docs.py``) to print them afresh after changing the lifecycle.
"""

from __future__ import annotations

import ast
import code
import contextlib
import difflib
import io
import itertools
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
    """A fenced block of a Markdown file; ``line`` is the 1-based line of its first code line,
    ``end`` that of its closing fence (0 when the file ends first)."""

    line: int
    info: str
    code: str
    end: int = 0

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
        end = j + 1 if j < len(lines) else 0
        blocks.append(Block(i + 2, info, "\n".join(body) + "\n", end))
        i = j + 1
    return blocks


def shown_output(text: str) -> dict[int, Block]:
    """The ```` ```text ```` blocks that directly follow a runnable Python block, keyed by the
    Python block's line: what that block must print."""
    lines = text.splitlines()
    blocks = fenced_blocks(text)
    shown = {}
    for block, after in itertools.pairwise(blocks):
        if not block.runs or after.language != "text" or not block.end:
            continue
        between = lines[block.end : after.line - 2]  # after its closing fence, before the next
        if all(not line.strip() for line in between):
            shown[block.line] = after
    return shown


def silent_tries(source: str) -> list[int]:
    """Lines of the ``try`` statements in ``source`` that pass when nothing is raised.

    A ``try`` with ``except`` handlers must fail when the error it expects does not come: it
    has an ``else:`` that raises or asserts, or its body ends with ``raise``.
    """
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, (ast.Try, ast.TryStar)) or not node.handlers:
            continue
        else_fails = any(
            isinstance(n, (ast.Raise, ast.Assert)) for s in node.orelse for n in ast.walk(s)
        )
        body_fails = isinstance(node.body[-1], ast.Raise)
        if not (else_fails or body_fails):
            found.append(node.lineno)
    return found


def _same_output(printed: str, shown: str) -> bool:
    def norm(text: str) -> list[str]:
        return [line.rstrip() for line in text.rstrip().splitlines()]

    return norm(printed) == norm(shown)


def doc_files() -> list[Path]:
    """``docs/*.md`` in name order, then ``README.md`` when it has Python blocks."""
    files = sorted(DOCS.glob("*.md"))
    readme = ROOT / "README.md"
    if readme.exists() and any(b.runs for b in fenced_blocks(readme.read_text("utf-8"))):
        files.append(readme)
    return files


def check_tries(path: Path) -> None:
    """Fail, naming every one, when a runnable block of ``path`` has a silent ``try``."""
    found = []
    for block in fenced_blocks(path.read_text("utf-8")):
        if block.runs:
            source = "\n" * (block.line - 1) + block.code
            found += [f"line {n} (block at line {block.line})" for n in silent_tries(source)]
    if found:
        pytest.fail(
            f"{path.name}: a try/except passes when nothing is raised at {', '.join(found)}: "
            "add `else: raise AssertionError(...)` saying what should have been refused",
            pytrace=False,
        )


def run_blocks(path: Path, *, checks: bool = True) -> int:
    """Run the Python blocks of ``path`` in one fresh module namespace; how many ran.

    With ``checks`` (the default), a silent ``try`` (:func:`silent_tries`) fails the file
    before anything runs, and output shown in a ```` ```text ```` block is compared.
    """
    if checks:
        check_tries(path)
    name = "_casework_doc_" + re.sub(r"\W", "_", path.stem)
    module = types.ModuleType(name)
    module.__file__ = str(path)
    sys.modules[name] = module  # dataclasses, pickle and typing look classes up here
    ran = 0
    text = path.read_text("utf-8")
    shown = shown_output(text)
    try:
        for block in fenced_blocks(text):
            if not block.runs:
                continue
            # pad so that tracebacks and error locations give the doc's own line numbers
            source = "\n" * (block.line - 1) + block.code
            printed = io.StringIO()
            try:
                with contextlib.redirect_stdout(printed):
                    exec(compile(source, str(path), "exec"), module.__dict__)
            except Exception:
                pytest.fail(
                    f"{path.name}: the block at line {block.line} failed:\n"
                    f"{traceback.format_exc()}",
                    pytrace=False,
                )
            expected = shown.get(block.line) if checks else None
            if expected is not None and not _same_output(printed.getvalue(), expected.code):
                diff = difflib.unified_diff(
                    expected.code.rstrip().splitlines(),
                    printed.getvalue().rstrip().splitlines(),
                    f"shown at line {expected.line}",
                    "printed",
                    lineterm="",
                )
                pytest.fail(
                    f"{path.name}: the block at line {block.line} does not print what the page "
                    f"shows after it:\n" + "\n".join(diff),
                    pytrace=False,
                )
            ran += 1
    finally:
        sys.modules.pop(name, None)
    return ran


@pytest.mark.parametrize("path", doc_files(), ids=lambda p: p.name)
def test_doc_runs(path: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Every runnable Python block of the file runs without error, in order; no ``try`` of it
    passes when nothing is raised, and it prints what the page shows it printing."""
    monkeypatch.chdir(tmp_path)
    if run_blocks(path) == 0:
        pytest.skip(f"{path.name} has no runnable Python blocks")


class _Shell(code.InteractiveConsole):
    """A Python shell that records, instead of printing, the errors of what is pasted in."""

    def __init__(self) -> None:
        super().__init__(filename="<pasted>")
        self.errors: list[str] = []

    def showsyntaxerror(self, filename: str | None = None, **kwargs: object) -> None:
        self.errors.append(traceback.format_exc(limit=0).strip())

    def showtraceback(self) -> None:
        self.errors.append(traceback.format_exc().strip())


def paste_error(path: Path) -> str | None:
    """Paste the Python blocks of ``path`` into a Python shell line by line, as a reader
    would, one block after another; the first error (what follows it would only cascade),
    with the doc's line it came at, or None."""
    shell = _Shell()
    with contextlib.redirect_stdout(io.StringIO()):  # the shell echoes every expression
        for block in fenced_blocks(path.read_text("utf-8")):
            if not block.runs:
                continue
            for n, line in enumerate([*block.code.splitlines(), ""]):
                shell.push(line)
                if shell.errors:
                    return f"{path.name}, line {block.line + n}: {shell.errors[0]}"
    return None


def test_tutorial_pastes_into_a_python_shell(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """docs/tutorial.md works pasted into ``python`` block by block, as it says it does: no
    blank line inside an indented block, a blank line after each one."""
    monkeypatch.chdir(tmp_path)
    error = paste_error(DOCS / "tutorial.md")
    assert error is None, error


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


def test_a_try_that_passes_when_nothing_is_raised_is_refused(tmp_path: Path) -> None:
    """A ``try``/``except`` with no way to fail when nothing is raised fails the file, before
    anything runs, naming the doc's line of each such ``try``."""
    doc = tmp_path / "silent.md"
    doc.write_text(
        "```python\nran = []\ntry:\n    ran.append(1)\nexcept ValueError:\n    pass\n```\n"
        "\n```python\ndef f():\n    try:\n        pass\n    except KeyError:\n"
        "        pass\n```\n"
    )
    with pytest.raises(pytest.fail.Exception) as info:
        run_blocks(doc)
    message = str(info.value)
    assert message.startswith("silent.md: a try/except passes when nothing is raised at ")
    assert "at line 3 (block at line 2), line 11 (block at line 10)" in message
    assert "else: raise AssertionError" in message


@pytest.mark.parametrize(
    "ending",
    [
        "else:\n    raise AssertionError('must be refused')\n",
        "else:\n    assert False, 'must be refused'\n",
        "finally:\n    pass\nassert True\n",
    ],
)
def test_a_try_that_fails_when_nothing_is_raised_is_accepted(ending: str) -> None:
    """An ``else`` that raises or asserts is a way to fail; so is a body that ends by raising."""
    base = "try:\n    int('x')\nexcept ValueError:\n    pass\n"
    if ending.startswith("finally"):  # the body raises itself: no else needed
        base = "try:\n    int('x')\n    raise AssertionError('no')\nexcept ValueError:\n    pass\n"
    assert silent_tries(base + ending) == []
    assert silent_tries("try:\n    x = 1\nfinally:\n    pass\n") == []  # no handler


def test_shown_output_must_be_what_the_block_prints(tmp_path: Path) -> None:
    """A ```text block right after a Python block is what it prints; prose between them
    means it is not output, and a mismatch fails with a diff."""
    good = tmp_path / "good.md"
    good.write_text(
        "```python\nprint('one')\nprint('two')  \n```\n\n```text\none\ntwo\n```\n"
        "\n```python\nprint('hidden')\n```\n\nprose\n\n```text\nanything\n```\n"
    )
    assert run_blocks(good) == 2
    assert list(shown_output(good.read_text())) == [2]
    bad = tmp_path / "bad.md"
    bad.write_text("```python\nprint('one')\n```\n```text\nuno\n```\n")
    with pytest.raises(pytest.fail.Exception) as info:
        run_blocks(bad)
    message = str(info.value)
    assert "bad.md: the block at line 2 does not print what the page shows after it" in message
    assert "-uno\n+one" in message


def test_pasting_finds_what_breaks_a_python_shell(tmp_path: Path) -> None:
    """A blank line inside a function, or code straight after an indented block, breaks a
    pasted shell session; the doc's line is named."""
    blank = tmp_path / "blank.md"
    blank.write_text("```python\ndef f():\n    x = 1\n\n    return x\n```\n")
    error = paste_error(blank)
    assert error is not None and error.startswith("blank.md, line 5: ")
    assert "IndentationError" in error
    dedent = tmp_path / "dedent.md"
    dedent.write_text("# Loop\n\n```python\nfor i in range(2):\n    pass\nprint(i)\n```\n")
    error = paste_error(dedent)
    assert error is not None and error.startswith("dedent.md, line 6: ")
    assert "SyntaxError" in error
    good = tmp_path / "good.md"
    good.write_text("```python\nok = [1]\nfor i in ok:\n    pass\n\nassert ok\n```\n")
    assert paste_error(good) is None


def test_blocks_of_one_file_share_a_namespace_and_files_do_not(tmp_path: Path) -> None:
    """Later blocks see earlier names; another file starts afresh."""
    first = tmp_path / "first.md"
    first.write_text("```python\nshared = 1\n```\n```python\nassert shared == 1\n```\n")
    second = tmp_path / "second.md"
    second.write_text("```python\nassert 'shared' not in globals()\n```\n")
    assert run_blocks(first) == 2
    assert run_blocks(second) == 1


def test_help_casework_points_to_the_docs() -> None:
    """``help(casework)`` opens with what casework is, then names the pages, which exist."""
    import pydoc

    import casework

    text = pydoc.render_doc(casework, renderer=pydoc.plaintext)
    assert "casework - Social-work case processes as data" in text.split("DESCRIPTION")[0]
    named = re.findall(r"docs/[\w.-]+\.md", casework.__doc__ or "")
    assert named[0] == "docs/tutorial.md"
    assert sorted(named) == sorted(f"docs/{page.name}" for page in DOCS.glob("*.md"))


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
