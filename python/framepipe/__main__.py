"""``python -m framepipe [--summary] [--json] [FILE|-]``: summarise a framepipe stream."""

import sys

from .wire import main

if __name__ == "__main__":
    sys.exit(main(prog="python -m framepipe"))
