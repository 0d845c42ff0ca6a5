"""Exit codes of every command: 0 success, 1 the run or download failed, 2 bad input (one
line on stderr), 130 interrupted (ctrl+c; what was done so far is kept)."""

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130
