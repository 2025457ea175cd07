"""`python -m bbn_scraper.sample_site [--port 8000] [--edition 1|2] [--faults [--stall S]] [--verbose]`:
serve the sample site in the foreground on 127.0.0.1 until Ctrl-C."""
from __future__ import annotations

import argparse
import json
import sys

from .faults import DEFAULT_STALL
from .server import SampleSite


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bbn_scraper.sample_site",
                                     description="Serve the BBN-style sample site on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on (0: any free port; default 8000)")
    parser.add_argument("--edition", type=int, choices=(1, 2), default=1, help="content edition (default 1)")
    parser.add_argument("--faults", action="store_true", help="fault mode: timeouts, resets, 5xx, 429, bad redirects, "
                        "huge, binary and empty pages, hostile articles (see faults.py)")
    parser.add_argument("--stall", type=float, default=DEFAULT_STALL,
                        help=f"seconds the timeout fault stalls (default {DEFAULT_STALL:g})")
    parser.add_argument("--verbose", "-v", action="store_true", help="log every request to stderr")
    parser.add_argument("--manifest", action="store_true", help="print the manifest as JSON and exit")
    args = parser.parse_args(argv)
    if args.manifest:
        from .manifest import build_manifest
        base = f"http://127.0.0.1:{args.port or 8000}/"
        json.dump(build_manifest(args.edition, base), sys.stdout, ensure_ascii=False, indent=2)
        print()
        return 0
    try:
        site = SampleSite(port=args.port, edition=args.edition, verbose=args.verbose,
                          faults=args.faults, stall=args.stall).start()
    except OSError as exc:
        print(f"cannot listen on 127.0.0.1:{args.port}: {exc}", file=sys.stderr)
        return 1
    mode = ", fault mode" if args.faults else ""
    print(f"BBN sample site (edition {site.edition}{mode}) at {site.base_url} - Ctrl-C to stop", flush=True)
    try:
        site._thread.join()
    except KeyboardInterrupt:
        print("stopping", file=sys.stderr)
    finally:
        site.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
