"""Every ```python block in README.md and docs/*.md runs.

The blocks of one Markdown file run in order in one shared namespace (a later block may use names an
earlier one defined), a fresh namespace per file. Fences may be indented (a block inside a list item)
and use backticks or tildes; only blocks whose info string is ``python`` (or ``py``, ``python3``) are
Python, so ``bash``, ``text`` and unlabelled blocks are left alone.

Where the blocks run: in a fresh temporary directory holding a copy of the repository's ``data/``
folder and an empty ``maps/`` (as the repository has), made the working directory for the file's
blocks. A snippet reads ``data/sample/cases.csv`` exactly as a reader at the repository root would,
and anything it writes (``maps/...``, a brief, a GeoPackage) lands in the temporary directory, never
in the working tree. ``data/`` is copied rather than symlinked so that a snippet writing into it
cannot change the repository's sample either.
Matplotlib uses the non-interactive Agg backend.
"""

from __future__ import annotations

import re
import shutil
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").glob("*.md"))]
PYTHON_INFO = frozenset({"python", "py", "python3"})
_OPENING = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`]*?)\s*$")


@dataclass(frozen=True)
class CodeBlock:
    """A fenced code block: its info string's first word, the line its code starts on, its code."""

    language: str
    line: int
    code: str


def fenced_blocks(markdown: str) -> list[CodeBlock]:
    """The fenced code blocks of a CommonMark text, in order, code dedented by the fence's indent.

    A block closes at a fence of the same character, at least as long as the opening one, with at most
    three spaces of indent; an unclosed block runs to the end of the text (as CommonMark reads it).
    """
    lines = markdown.splitlines()
    blocks: list[CodeBlock] = []
    i = 0
    while i < len(lines):
        opening = _OPENING.match(lines[i])
        if opening is None:
            i += 1
            continue
        fence, indent = opening["fence"], len(opening["indent"])
        closing = re.compile(rf"^ {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}\s*$")
        end = next((j for j in range(i + 1, len(lines)) if closing.match(lines[j])), len(lines))
        body = [re.sub(rf"^ {{0,{indent}}}", "", line) for line in lines[i + 1:end]]
        language = opening["info"].split()[0].lower() if opening["info"] else ""
        blocks.append(CodeBlock(language, i + 2, "\n".join(body) + "\n"))
        i = end + 1
    return blocks


def python_blocks(path: Path) -> list[CodeBlock]:
    """The Python blocks of a Markdown file."""
    blocks = fenced_blocks(path.read_text(encoding="utf-8"))
    return [block for block in blocks if block.language in PYTHON_INFO]


DOCUMENTS_WITH_PYTHON = [path for path in DOCUMENTS if python_blocks(path)]


def test_fenced_blocks_reads_indented_tilde_and_nested_fences() -> None:
    markdown = textwrap.dedent(
        """\
        Intro.

        ```bash
        make test
        ```

        1. A step:

           ```python
           x = 1
           if x:
               y = 2
           ```

        ~~~~ Python
        z = "```"
        ```
        still code
        ~~~~

        ````text
        ```python
        not a block of its own
        ```
        ````
        """
    )
    blocks = fenced_blocks(markdown)
    assert [(b.language, b.line) for b in blocks] == [("bash", 4), ("python", 10), ("python", 16),
                                                      ("text", 22)]
    assert blocks[1].code == "x = 1\nif x:\n    y = 2\n"
    assert blocks[2].code == 'z = "```"\n```\nstill code\n'
    assert blocks[3].code == "```python\nnot a block of its own\n```\n"


def test_unclosed_fence_runs_to_the_end() -> None:
    assert fenced_blocks("text\n```python\na = 1\n") == [CodeBlock("python", 3, "a = 1\n")]


@pytest.mark.parametrize("path", DOCUMENTS_WITH_PYTHON,
                         ids=[str(path.relative_to(REPO_ROOT)) for path in DOCUMENTS_WITH_PYTHON])
def test_python_blocks_run(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(REPO_ROOT / "data", tmp_path / "data")
    (tmp_path / "maps").mkdir()  # the repository ships an empty maps/ for products
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    name = path.relative_to(REPO_ROOT)
    namespace: dict[str, object] = {"__name__": "__main__"}
    for block in python_blocks(path):
        # Blank lines in front, so that a traceback names the line of the Markdown file.
        code = compile("\n" * (block.line - 1) + block.code, str(name), "exec")
        try:
            exec(code, namespace)
        except Exception as error:
            raise AssertionError(
                f"the python block at {name} line {block.line} failed: {type(error).__name__}: {error}\n"
                + textwrap.indent(block.code, "    ")
            ) from error
