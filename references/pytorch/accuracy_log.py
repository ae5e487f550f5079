"""The metric oracles' reader of MLPerf LoadGen's accuracy log (mlperf_log_accuracy.json: a JSON array of
{"seq_id", "qsl_idx", "data"}, data = the response bytes in hex). Shared by ncf_accuracy.py and sentiment_accuracy.py;
none of the trainers' or SwiftMLPerf's code."""
import json


class AccuracyLogError(Exception):
    pass


def read_accuracy_log(path, response_bytes, what):
    """MLPerf LoadGen's mlperf_log_accuracy.json → {qsl_idx: response bytes} (a repeated qsl_idx: its first
    response). Every response must be `response_bytes` long (`what` names it in the error); None: any length."""
    try:
        with open(path) as f:
            entries = json.load(f)
    except OSError as e:
        raise AccuracyLogError(f"{path}: cannot read ({e.strerror}); give the mlperf_log_accuracy.json of an "
                               "accuracy run") from None
    except ValueError as e:
        raise AccuracyLogError(f"{path}: not JSON ({e}); give the mlperf_log_accuracy.json of an accuracy run") from None
    if not isinstance(entries, list):
        raise AccuracyLogError(f"{path}: expected a JSON array of responses")
    rows = {}
    for n, e in enumerate(entries):
        try:
            q = int(e["qsl_idx"])
            raw = bytes.fromhex(e["data"])
        except (KeyError, TypeError, ValueError):
            raise AccuracyLogError(f"{path}: response {n} has no integer qsl_idx and hex data") from None
        if response_bytes is not None and len(raw) != response_bytes:
            raise AccuracyLogError(f"{path}: response {n} (qsl_idx {q}) has {len(raw)} bytes, expected "
                                   f"{response_bytes} ({what})")
        rows.setdefault(q, raw)
    return rows
