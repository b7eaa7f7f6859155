"""What the speech benchmark's scripts share: messages that name the script, and file digests."""
import hashlib
import sys


def reporter(name):
    """log(msg) and die(msg) that prefix `name: ` and write to standard error; die exits with status 1."""
    def log(msg):
        print(f"{name}: {msg}", file=sys.stderr)

    def die(msg):
        log(f"error: {msg}")
        sys.exit(1)

    return log, die


def sha_of(path):
    """The file's SHA-256, hex, read 1 MiB at a time."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
