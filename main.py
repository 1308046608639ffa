"""Entry point: the GUI by default, the command-line tools of design §8 as subcommands."""

import sys

from app.cli import main, wants_gui


def run(argv: list[str]) -> int:
    if wants_gui(argv):
        from ui.app import run_gui  # Qt is imported only when the GUI is asked for

        return run_gui(argv)
    return main(argv)


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
