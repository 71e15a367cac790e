#!/usr/bin/env python3
"""``python3 python/framepipe.py [--summary] [--json] [FILE|-]`` in a clone: summarise a stream.

The package lives in ``python/framepipe/`` (``pip install ./python``); this script only runs
its summary command (``framepipe/wire.py``, the reader you can also copy as one file).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from framepipe.wire import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
