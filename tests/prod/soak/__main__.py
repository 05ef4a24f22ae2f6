"""`python -m tests.prod.soak [--short] [--keep]` (`make soak` runs the full one): exit 0 on OK, 1 on FAIL."""

import os
import signal
import sys

os.environ.setdefault("GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT", "false")  # read by gcsfs at import

from tests.prod.soak.plan import run  # noqa: E402

if __name__ == "__main__":
    # SIGTERM (a timeout, CI cancelling) unwinds like Ctrl-C: the soak stops every process it started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    args = set(sys.argv[1:])
    unknown = args - {"--short", "--keep"}
    if unknown:
        sys.exit(f"usage: python -m tests.prod.soak [--short] [--keep] (unknown: {' '.join(sorted(unknown))})")
    ok, _, _ = run("short" if "--short" in args else "full", keep="--keep" in args)
    sys.exit(0 if ok else 1)
