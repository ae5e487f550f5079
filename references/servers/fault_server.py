"""A FAULT-INJECTING STAND-IN, not a real inference server: it answers the pre-run checks of both protocols like a
healthy server (KServe v2 health, readiness and a fashion-mnist-shaped model's metadata; OpenAI's /v1/models), then
answers every inference request with one fault, for the faults a real server cannot be made to produce on demand.
The network SUTs' fault tests use it; healthy runs use the real servers (mlserver_onnx.py, llama_server.py).

    python3 references/servers/fault_server.py --fault stall --ready-file /tmp/ready.json

Faults: stall (read the request, never answer), http500, http400, malformed-json (200 with a body that is not
JSON), wrong-id (a valid KServe v2 response for another request id), wrong-shape (a response for the request
whose output has 7 values a sample, not the model's 10), malformed-sse (200 event stream whose events
are not JSON), cut-stream (two good SSE chunks, then the connection closes without `data: [DONE]`).
"""
import argparse
import json
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from readiness import write_ready_file

MODEL = "fashion-mnist"
METADATA = {"name": MODEL, "versions": [], "platform": "fault-server",
            "inputs": [{"name": "input", "datatype": "FP32", "shape": [-1, 1, 28, 28]}],
            "outputs": [{"name": "logits", "datatype": "FP32", "shape": [-1, 10]}]}


def chunk(text: str) -> bytes:
    return ("data: " + json.dumps({"choices": [{"text": text, "index": 0}]}) + "\n\n").encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    fault = "stall"

    def log_message(self, *args):
        pass

    def send_json(self, status: int, obj) -> None:
        body = json.dumps(obj).encode() if not isinstance(obj, bytes) else obj
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path in ("/v2/health/ready", "/v2/health/live", f"/v2/models/{MODEL}/ready"):
            self.send_json(200, {})
        elif self.path == f"/v2/models/{MODEL}":
            self.send_json(200, METADATA)
        elif self.path == "/v1/models":
            self.send_json(200, {"object": "list", "data": [{"id": "fault-model", "object": "model"}]})
        else:
            self.send_json(404, {"error": f"no route {self.path}"})

    def do_POST(self):
        length = int(self.headers.get("content-length", 0))
        request = json.loads(self.rfile.read(length) or b"{}")
        fault = self.fault
        if fault == "stall":
            time.sleep(3600)
        elif fault == "http500":
            self.send_json(500, {"error": "injected internal error"})
        elif fault == "http400":
            self.send_json(400, {"error": "injected bad request"})
        elif fault == "malformed-json":
            self.send_json(200, b'{"outputs": [ {"name": "logits", "data": [0.1, 0.2')
        elif fault == "wrong-id":
            n = request.get("inputs", [{}])[0].get("shape", [1])[0]
            self.send_json(200, {"id": "not-" + str(request.get("id")), "model_name": MODEL,
                                 "outputs": [{"name": "logits", "datatype": "FP32", "shape": [n, 10],
                                              "data": [0.0] * (10 * n)}]})
        elif fault == "wrong-shape":
            n = request.get("inputs", [{}])[0].get("shape", [1])[0]
            self.send_json(200, {"id": request.get("id"), "model_name": MODEL,
                                 "outputs": [{"name": "logits", "datatype": "FP32", "shape": [n, 7],
                                              "data": [0.0] * (7 * n)}]})
        elif fault in ("malformed-sse", "cut-stream"):
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.send_header("transfer-encoding", "chunked")
            self.end_headers()

            def send(data: bytes):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                self.wfile.flush()

            if fault == "malformed-sse":
                send(b"data: {this is not json\n\n")
                send(b"data: [DONE]\n\n")
                self.wfile.write(b"0\r\n\r\n")
            else:
                send(chunk(" one"))
                send(chunk(" two"))
                self.wfile.flush()
                self.connection.shutdown(socket.SHUT_RDWR)  # no [DONE], no last chunk: the stream is cut
                self.close_connection = True
        else:
            self.send_json(500, {"error": f"unknown fault {fault}"})


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--fault", required=True, choices=["stall", "http500", "http400", "malformed-json", "wrong-id", "wrong-shape",
                                                      "malformed-sse", "cut-stream"])
    p.add_argument("--ready-file")
    args = p.parse_args()
    Handler.fault = args.fault
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    write_ready_file(args.ready_file, url, MODEL)
    print(f"fault server ({args.fault}) at {url}", file=sys.stderr, flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
