"""What every benchmark needs: a production-mode environment, the masthead command, gunicorn."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VAR = ROOT / "bench" / "var"


def environment(var: Path, database_url: str = "", redis_url: str = "", **extra: str) -> dict:
    """Settings for a benchmark site under `var`: DEBUG off, plain HTTP on loopback."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "masthead.settings",
        "MASTHEAD_VAR_DIR": str(var),
        "DEBUG": "0",
        "SECRET_KEY": "benchmark-only-secret-key-" + "z" * 40,
        "MASTHEAD_HTTPS": "0",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "LOG_LEVEL": "ERROR",
        # One load generator on one address: lift the per-address event limit for the run.
        "MASTHEAD_EVENT_RATE_IP": "100000000/m",
        **extra,
    }


def masthead(env: dict, *args: str) -> str:
    """Run a `masthead` management command; its standard output."""
    return subprocess.run(
        [sys.executable, "-m", "masthead.cli", *args],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def masthead_print(env: dict, code: str) -> str:
    """The last line a snippet run in `masthead shell` prints."""
    return masthead(env, "shell", "-c", code).strip().splitlines()[-1]


# MASTHEAD_BENCH_PORTS=FIRST-LAST keeps the servers a benchmark starts inside that range (on a
# machine shared with other work); without it the system picks any free port.
_last_port: int | None = None


def free_port() -> int:
    global _last_port
    span = os.environ.get("MASTHEAD_BENCH_PORTS", "")
    if not span:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            return sock.getsockname()[1]
    first, last = (int(p) for p in span.split("-"))
    ports = list(range(first, last + 1))
    # Start after the port handed out last: a server may not have bound it yet.
    start = ports.index(_last_port) + 1 if _last_port in ports else 0
    for port in ports[start:] + ports[:start]:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        _last_port = port
        return port
    raise RuntimeError(f"no free port in MASTHEAD_BENCH_PORTS={span}")


def gunicorn(env: dict, workers: int = 2) -> tuple[subprocess.Popen, str]:
    """Start gunicorn on a free loopback port; the process and its base URL once it answers."""
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "masthead.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--log-level",
            "error",
        ],
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            urllib.request.urlopen(base + "/robots.txt", timeout=1)
            return server, base
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise RuntimeError("gunicorn did not start")


def stop(server: subprocess.Popen) -> None:
    """Stop a server; on a busy machine it may need more than a few seconds."""
    server.terminate()
    try:
        server.wait(timeout=60)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def reachable(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def psql(statement: str, database: str = "postgres") -> None:
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", database, "-qc", statement],
        check=True,
    )


def article_published(channel, n: int):
    """A short copper article added to `channel` and published through Wagtail's normal path
    (revision, publish, signals), for the probes that time discovery's update after a publish.
    Needs Django set up."""
    from masthead.news.models import ArticlePage

    article = ArticlePage(
        title=f"Copper smelters cut output again, day {n} {time.time_ns()}",
        dek="Prices rose as smelters in Chile and Zambia cut output.",
        body=[("paragraph", "<p>Copper futures climbed in London as smelters cut output.</p>")],
        live=False,
    )
    channel.add_child(instance=article)
    article.save_revision().publish()
    return article
