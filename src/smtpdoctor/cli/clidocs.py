"""Write (or check) the generated man page and shell completions.

``python -m smtpdoctor.cli.clidocs ROOT`` writes them under ROOT;
``--check`` exits 1 and names the stale files instead.
"""

from __future__ import annotations

import sys
from pathlib import Path

from smtpdoctor.cli.main import build_parser
from smtpdoctor.cli.manpage import bash_completion, fish_completion, man_page, zsh_completion

__all__ = ["generated", "main"]


def generated() -> dict[str, str]:
    """Relative path → content, from the parser as it is now."""
    parser = build_parser()
    return {
        "docs/man/smtpdoctor.1": man_page(parser),
        "completions/smtpdoctor.bash": bash_completion(parser),
        "completions/_smtpdoctor": zsh_completion(parser),
        "completions/smtpdoctor.fish": fish_completion(parser),
    }


def main(argv: list[str]) -> int:
    check = "--check" in argv
    roots = [a for a in argv if a != "--check"]
    root = Path(roots[0] if roots else ".")
    stale = []
    for rel, text in generated().items():
        path = root / rel
        if check:
            if not path.is_file() or path.read_text("utf-8") != text:
                stale.append(rel)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
    for rel in stale:
        sys.stderr.write(f"stale: {rel} (run scripts/gen-cli-docs)\n")
    return 1 if stale else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
