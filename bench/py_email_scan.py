#!/usr/bin/env python3
"""Parse every message file under a directory with Python's standard email
package, the way a defect scanner built on it would: parse the whole file
(email.message_from_binary_file, policy=compat32), walk every part
(msg.walk()), decode every leaf payload (get_payload(decode=True)) and
collect the parser's defects (.defects on every part).

BadMail side files (.BDR reason text, .BDP binary envelope) are skipped, as
the Go peers skip them. With -j N the files are spread over N processes
(multiprocessing), so the comparison with the Go tools, which use every
core, is fair.

Prints one summary line on stderr:
  python-email: FILES files, BYTES bytes, PARTS parts, DECODED decoded bytes,
  DEFECTS defects, FAILURES failures, SECONDS s
"""

import argparse
import email
import email.policy
import os
import sys
import time


def message_files(root):
    """Yield every regular message file under root, streamed."""
    stack = [root]
    while stack:
        d = stack.pop()
        with os.scandir(d) as it:
            for e in it:
                if e.is_dir(follow_symlinks=False):
                    stack.append(e.path)
                elif e.is_file(follow_symlinks=False):
                    ext = os.path.splitext(e.name)[1].upper()
                    if ext not in (".BDR", ".BDP"):
                        yield e.path


def scan(path):
    """Return (bytes, parts, decoded, defects, failed) for one file."""
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            msg = email.message_from_binary_file(f, policy=email.policy.compat32)
        parts = decoded = defects = 0
        for part in msg.walk():
            parts += 1
            defects += len(part.defects)
            if not part.is_multipart():
                payload = part.get_payload(decode=True)
                if payload:
                    decoded += len(payload)
        return size, parts, decoded, defects, 0
    except Exception:  # a scanner must survive any file; count it
        return 0, 0, 0, 0, 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-j", type=int, default=1, help="worker processes")
    ap.add_argument("-v", action="store_true", help="print every failure")
    ap.add_argument("dir")
    args = ap.parse_args()
    start = time.monotonic()
    totals = [0, 0, 0, 0, 0, 0]  # files, bytes, parts, decoded, defects, failures
    if args.j > 1:
        import multiprocessing

        with multiprocessing.Pool(args.j) as pool:
            results = pool.imap_unordered(scan, message_files(args.dir), chunksize=16)
            for r in results:
                totals[0] += 1
                for k in range(5):
                    totals[k + 1] += r[k]
    else:
        for p in message_files(args.dir):
            r = scan(p)
            if r[4] and args.v:
                print("python-email: failed: %s" % p, file=sys.stderr)
            totals[0] += 1
            for k in range(5):
                totals[k + 1] += r[k]
    print(
        "python-email: %d files, %d bytes, %d parts, %d decoded bytes, %d defects, %d failures, %.2fs"
        % (*totals, time.monotonic() - start),
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
