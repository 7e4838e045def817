"""The tutorial page's content: ``docs/tutorial.md``, rendered once per process.

One source for the repository and the site: the Markdown file newcomers read on GitHub is the
page ``/tutorial`` shows. markdown-it-py's ``js-default`` preset is CommonMark plus tables,
with raw HTML off: the tutorial's HTML examples are text in code blocks (escaped), never
markup of the page.
"""

from functools import cache
from pathlib import Path

from markdown_it import MarkdownIt
from markupsafe import Markup

SOURCE = Path(__file__).parents[2] / "docs" / "tutorial.md"


def parser():
    """Return the Markdown parser the page renders with (and tests read code blocks with)."""
    return MarkdownIt("js-default")


@cache
def html():
    """Return the tutorial as HTML, read and rendered on the first call only."""
    return Markup(parser().render(SOURCE.read_text(encoding="utf-8")))
