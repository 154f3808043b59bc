"""The encoder process of route/encode_ahead.py: ``python -m skillyard.route.encoder_process``.

Reads {"seq", "texts"} JSON lines on stdin and writes, for each, a header (seq, rows) and the
float32 rows of the multilingual vectors on stdout; ends when stdin closes. Nothing else may
reach stdout, so everything else printed goes to stderr.
"""

from __future__ import annotations

import json
import os
import sys

import numpy as np

from .encode_ahead import HEADER


def main() -> None:
    """The encoder process: {"seq", "texts"} lines in, (seq, rows, float32 rows) out."""
    from .xling import shared_encoder

    out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")  # the replies' own copy of stdout ...
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # ... so nothing else printed mixes in
    sys.stdout = sys.stderr
    encoder = shared_encoder()
    for line in sys.stdin:  # ends when the build closes it, or is gone
        request = json.loads(line)
        vectors = np.ascontiguousarray(encoder.encode(request["texts"]), np.float32)
        out.write(HEADER.pack(request["seq"], len(vectors)))
        out.write(vectors.tobytes())
        out.flush()


if __name__ == "__main__":
    main()
