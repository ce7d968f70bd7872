"""Exit 0 when the PostgreSQL and Redis servers named by the given URLs accept connections."""

import socket
import sys
from urllib.parse import urlsplit


def reachable(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname, parts.port), timeout=1):
            return True
    except OSError:
        return False


if __name__ == "__main__":
    sys.exit(0 if all(reachable(url) for url in sys.argv[1:]) else 1)
