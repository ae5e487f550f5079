"""Starts llama-cpp-python's OpenAI-compatible server (`python -m llama_cpp.server`, PyPI llama-cpp-python[server])
on a free loopback port and says when it is ready, as mlserver_onnx.py does: once `GET /v1/models` answers 200,
{"url": "http://127.0.0.1:PORT", "model": NAME, "pid": PID} is written to --ready-file. SIGTERM or SIGINT stops the
server. Requests queue for the model instead of interrupting each other (`--interrupt_requests False`: by default
a new request cuts off the stream in progress).

    python3 references/servers/llama_server.py --model data/generated/tiny-llama/model.gguf --name tiny-llama \
        --ready-file /tmp/ready.json
"""
import argparse
import ctypes
import signal
import subprocess
import sys
import time
import urllib.request

from readiness import free_port, write_ready_file



def die_with_parent() -> None:
    """In the child: killed when this wrapper dies, even by SIGKILL (Linux prctl PR_SET_PDEATHSIG): a server killed
    mid-run vanishes at once, as a crashed one would, instead of draining its requests."""
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True, help="the GGUF file")
    p.add_argument("--name", required=True, help="the model name the API serves (model_alias)")
    p.add_argument("--port", type=int, default=0, help="HTTP port on 127.0.0.1 (0: a free one)")
    p.add_argument("--threads", type=int, default=1, help="llama.cpp threads")
    p.add_argument("--context", type=int, default=2048, help="context length (n_ctx)")
    p.add_argument("--ready-file", help="written with the URL once the server answers")
    args = p.parse_args()
    port = args.port or free_port()
    child = subprocess.Popen([sys.executable, "-m", "llama_cpp.server", "--model", args.model,
                              "--model_alias", args.name, "--host", "127.0.0.1", "--port", str(port),
                              "--n_ctx", str(args.context), "--n_threads", str(args.threads),
                              "--n_threads_batch", str(args.threads), "--interrupt_requests", "False"],
                             preexec_fn=die_with_parent)

    def stop(*_):
        child.terminate()
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        if child.poll() is not None:
            sys.exit(f"llama_cpp.server exited with status {child.returncode} before it was ready")
        try:
            with urllib.request.urlopen(url + "/v1/models", timeout=1) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if time.monotonic() > deadline:
            child.kill()
            sys.exit(f"{url}/v1/models did not answer 200 within 60 s")
        time.sleep(0.1)
    write_ready_file(args.ready_file, url, args.name)
    print(f"serving {args.name} at {url}/v1", file=sys.stderr, flush=True)
    sys.exit(child.wait())


if __name__ == "__main__":
    main()
