"""A KServe v2 (Open Inference Protocol) server for the suite's ONNX models: PyPI `mlserver` with a small ONNX
Runtime runtime class. It is the real v2 server the network SUT (`--sut kserve-v2:URL`) is tested and benchmarked
against.

    python3 references/servers/mlserver_onnx.py --model out/suite/model/fashion-mnist.onnx --name fashion-mnist \
        --port 0 --ready-file /tmp/ready.json

`--port 0` picks a free loopback port. Once the model answers `GET /v2/models/NAME/ready`, the server's address is
written to --ready-file as JSON ({"url": "http://127.0.0.1:PORT", "model": NAME, "pid": PID}); the caller waits for
that file. SIGTERM or SIGINT stops it.

Inputs are decoded with mlserver's NumpyCodec (any v2 datatype and shape), run with one intra-op thread (the
project's default), and every graph output is returned as a FP32/INT64 tensor of its own shape.
"""
import argparse
import asyncio
import os
import signal
import sys
import tempfile
import urllib.request

import numpy as np
import onnxruntime as ort
from mlserver import MLModel, MLServer
from mlserver.codecs import NumpyCodec
from mlserver.settings import ModelParameters, ModelSettings, Settings
from mlserver.errors import InferenceError
from mlserver.types import InferenceRequest, InferenceResponse, MetadataTensor
from readiness import free_port, write_ready_file

# ONNX Runtime's type names → the v2 protocol's datatypes.
V2_DATATYPES = {"tensor(float)": "FP32", "tensor(double)": "FP64", "tensor(int64)": "INT64", "tensor(int32)": "INT32",
                "tensor(uint8)": "UINT8", "tensor(int8)": "INT8", "tensor(bool)": "BOOL", "tensor(float16)": "FP16"}


def metadata(args) -> list:
    """v2 metadata tensors for ONNX Runtime's NodeArgs (a symbolic dimension is -1)."""
    return [MetadataTensor(name=a.name, datatype=V2_DATATYPES.get(a.type, a.type),
                           shape=[d if isinstance(d, int) else -1 for d in a.shape]) for a in args]


class ONNXRuntimeModel(MLModel):
    """Serves one ONNX file (model-settings `parameters.uri`) through ONNX Runtime."""

    async def load(self) -> bool:
        options = ort.SessionOptions()
        options.intra_op_num_threads = int(self.settings.parameters.extra.get("threads", 1))
        options.inter_op_num_threads = 1
        self._session = ort.InferenceSession(self.settings.parameters.uri, options,
                                             providers=["CPUExecutionProvider"])
        self._inputs = {i.name: i for i in self._session.get_inputs()}
        self.inputs = metadata(self._session.get_inputs())
        self.outputs = metadata(self._session.get_outputs())
        return True

    async def predict(self, payload: InferenceRequest) -> InferenceResponse:
        feeds = {}
        for tensor in payload.inputs:
            if tensor.name not in self._inputs:
                raise InferenceError(f"unknown input {tensor.name!r}; the model has {sorted(self._inputs)}")
            feeds[tensor.name] = NumpyCodec.decode_input(tensor)
        names = [o.name for o in self._session.get_outputs()]
        try:
            outputs = self._session.run(names, feeds)
        except Exception as e:  # ORT's own message names the input and the shape it expected
            raise InferenceError(f"ONNX Runtime: {e}") from e
        return InferenceResponse(
            model_name=self.name, id=payload.id,
            outputs=[NumpyCodec.encode_output(name, np.ascontiguousarray(value)) for name, value in zip(names, outputs)])



def ready(url: str) -> bool:
    """True when GET url answers 200 (called off the event loop, which serves the request)."""
    try:
        with urllib.request.urlopen(url, timeout=1) as r:
            return r.status == 200
    except OSError:
        return False


async def serve(args) -> None:
    port = args.port or free_port()
    settings = Settings(host="127.0.0.1", http_port=port, grpc_port=free_port(), metrics_port=free_port(),
                        metrics_endpoint=None, parallel_workers=0, debug=False,
                        load_models_at_startup=True, model_repository_root=tempfile.mkdtemp())
    model = ModelSettings(name=args.name, implementation=ONNXRuntimeModel,
                          parameters=ModelParameters(uri=os.path.abspath(args.model), extra={"threads": args.threads}))
    server = MLServer(settings)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: asyncio.ensure_future(server.stop()))
    task = asyncio.ensure_future(server.start([model]))
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):  # up to 60 s for start-up and the model load
        if task.done():
            task.result()
            raise SystemExit("mlserver stopped before the model was ready")
        if await asyncio.to_thread(ready, f"{url}/v2/models/{args.name}/ready"):
            break
        await asyncio.sleep(0.1)
    else:
        raise SystemExit(f"{url}/v2/models/{args.name}/ready did not answer 200 within 60 s")
    write_ready_file(args.ready_file, url, args.name)
    print(f"serving {args.name} at {url}/v2/models/{args.name}", file=sys.stderr, flush=True)
    await task


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True, help="the ONNX file")
    p.add_argument("--name", required=True, help="the model name in /v2/models/NAME")
    p.add_argument("--port", type=int, default=0, help="HTTP port on 127.0.0.1 (0: a free one)")
    p.add_argument("--threads", type=int, default=1, help="ONNX Runtime intra-op threads")
    p.add_argument("--ready-file", help="written with the URL once the model is ready")
    args = p.parse_args()
    asyncio.run(serve(args))


if __name__ == "__main__":
    main()
