"""What the project's server scripts share: a free loopback port, and the ready file (`--ready-file`) a caller waits
for ({"url": …, "model": …, "pid": …}, written atomically once the server answers its health check)."""
import json
import os
import socket


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_ready_file(path, url: str, model: str) -> None:
    """Writes the ready file (nothing when `path` is None), atomically: a reader never sees half of it."""
    if not path:
        return
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump({"url": url, "model": model, "pid": os.getpid()}, f)
    os.replace(tmp, path)
