# examples/train.py
import sys

import framepipe  # pip install ./python (numpy; torch optional)

for meta, img in framepipe.read_frames(sys.stdin.buffer):
    # img: np.ndarray uint8, shape (3, 480, 853) = numpy reshape(3, H, W) of the payload
    print(meta["seq"], meta["key"], meta["labels"], img.shape)
