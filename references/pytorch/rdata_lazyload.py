"""Reads objects from an R lazy-load database (Rdata.rdx + Rdata.rdb) without R, as docs/datasets.md describes.

Uses the PyPI package `rdata` (in the project's .venv) for R serialization:

    from rdata_lazyload import read_object, LazyLoadError
    frame = read_object(directory, "movielens", hint)   # a dict {column name: numpy array / list}

`Rdata.rdx` is gzip-compressed R serialization of a list whose element `variables` maps each object name to
(offset, length) in `Rdata.rdb`; each chunk is a 4-byte big-endian uncompressed length, then a zlib stream, or
b"Z" + raw LZMA2, or b"2" + bzip2, or b"0" + the bytes themselves.
"""
import bz2
import gzip
import lzma
import os
import struct
import warnings
import zlib


class LazyLoadError(Exception):
    pass


def _convert(raw):
    import rdata
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Unknown file type: assumed RDS": the chunk has no RDX/RDA header
        parsed = rdata.parser.parse_data(raw)
        return rdata.conversion.convert(parsed)


def _decompress(chunk, path):
    if len(chunk) < 5:
        raise LazyLoadError(f"{path}: chunk of {len(chunk)} bytes is truncated (expected at least 5); "
                            "the file is damaged: run scripts/setup.sh again")
    size = struct.unpack(">I", chunk[:4])[0]
    body = chunk[4:]
    try:
        if body[:1] == b"Z":
            data = lzma.decompress(body[1:], format=lzma.FORMAT_RAW,
                                   filters=[{"id": lzma.FILTER_LZMA2, "preset": 9 | lzma.PRESET_EXTREME}])
        elif body[:1] == b"2":
            data = bz2.decompress(body[1:])
        elif body[:1] == b"0":
            data = body[1:]
        else:
            data = zlib.decompress(body)
    except (zlib.error, lzma.LZMAError, OSError, ValueError) as e:
        raise LazyLoadError(f"{path}: cannot decompress a chunk ({e}); the file is damaged: "
                            "run scripts/setup.sh again") from None
    if len(data) != size:
        raise LazyLoadError(f"{path}: chunk decompressed to {len(data)} bytes, its header says {size}; "
                            "the file is damaged: run scripts/setup.sh again")
    return data


def _columns(frame):
    """A data frame as a dict of columns: pandas (rdata's conversion) or already a dict."""
    import numpy as np
    out = {}
    if hasattr(frame, "columns"):
        for name in frame.columns:
            col = frame[name]
            if str(col.dtype) == "category":
                out[name] = {"codes": np.asarray(col.cat.codes, dtype=np.int64),
                             "levels": [str(v) for v in col.cat.categories]}
            else:
                out[name] = col.to_numpy()
        return out
    raise LazyLoadError(f"object is not a data frame (got {type(frame).__name__})")


def read_object(directory, name, hint):
    """The object `name` of the lazy-load database in `directory`, converted by rdata (a data frame → dict of
    columns; a factor column → {"codes" (0-based, -1 = NA), "levels"}). `hint` says how to get the files."""
    rdx = os.path.join(directory, "Rdata.rdx")
    rdb = os.path.join(directory, "Rdata.rdb")
    for path in (rdx, rdb):
        if not os.path.exists(path):
            raise LazyLoadError(f"{path}: no such file. {hint}")
    try:
        with gzip.open(rdx, "rb") as f:
            index = _convert(f.read())
    except LazyLoadError:
        raise
    except Exception as e:  # noqa: BLE001 - any parse failure is a damaged file
        raise LazyLoadError(f"{rdx}: cannot read the lazy-load index ({e}). {hint}") from None
    variables = index.get("variables", {}) if isinstance(index, dict) else {}
    if name not in variables:
        raise LazyLoadError(f"{rdx}: no object named {name!r} (objects: {', '.join(sorted(variables))}). {hint}")
    offset, length = (int(v) for v in variables[name])
    with open(rdb, "rb") as f:
        f.seek(offset)
        chunk = f.read(length)
    if len(chunk) != length:
        raise LazyLoadError(f"{rdb}: object {name!r} needs bytes {offset}..{offset + length}, the file has "
                            f"{offset + len(chunk)}; the file is truncated. {hint}")
    try:
        obj = _convert(_decompress(chunk, rdb))
    except LazyLoadError:
        raise
    except Exception as e:  # noqa: BLE001
        raise LazyLoadError(f"{rdb}: cannot parse object {name!r} ({e}). {hint}") from None
    try:
        return _columns(obj)
    except LazyLoadError as e:
        raise LazyLoadError(f"{rdb}: {name!r}: {e}") from None
