"""The ``imgbench`` console script: stop signals are handled before anything heavy loads.

numpy, h5py, Textual and plotext take a second or more to import; a ctrl+c (or a
hang-up) in that second must end the command quietly, not print an import traceback.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Sequence

from .stopping import StopRequested, exit_code_for, raise_on_stop_signals


def main(argv: Sequence[str] | None = None) -> int:
    raise_on_stop_signals()
    try:
        from .cli import main as cli_main

        return cli_main(argv)
    except KeyboardInterrupt as stop:  # StopRequested too: ctrl+c, hang-up, SIGTERM
        _say("imgbench: stopped")
        return exit_code_for(stop.signum if isinstance(stop, StopRequested) else None)


def _say(line: str) -> None:
    with contextlib.suppress(OSError, ValueError):  # the terminal may be gone
        print(line, file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
