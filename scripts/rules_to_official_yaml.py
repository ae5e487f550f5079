#!/usr/bin/env python3
"""Translates a SwiftMLPerf JSON ruleset (Sources/Training/Rulesets/training_<id>/) back into the official
compliance checker's YAML, so that the official engine (PyPI mlperf-logging) can run our own rulesets:

    rules_to_official_yaml.py Sources/Training/Rulesets/training_swift-1.0 OUTDIR
    .venv/bin/python3 -m mlperf_logging.compliance_checker --config OUTDIR/common.yaml LOG

Expressions are rewritten token by token: value -> v['value'], metadata -> v['metadata'], time_ms -> ll.timestamp,
s.x -> s['x'], log2/sqrt/ceil/floor -> math.*, enqueue(X) -> enqueue_config(OUTDIR + '/' + X + '.yaml')."""
import io, json, os, sys, tokenize
import yaml

MATH = {"log2", "sqrt", "ceil", "floor"}

def expr(src, outdir):
    toks = list(tokenize.generate_tokens(io.StringIO(src.strip()).readline))
    out = []
    i = 0
    while i < len(toks):
        t = toks[i]
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        prev = toks[i - 1] if i > 0 else None
        after_dot = prev is not None and prev.type == tokenize.OP and prev.string == "."
        if t.type == tokenize.NAME and not after_dot:
            if t.string == "s" and nxt is not None and nxt.string == "." and i + 2 < len(toks):
                out.append("s[%r]" % toks[i + 2].string); i += 3; continue
            if t.string == "value": out.append("v['value']")
            elif t.string == "metadata": out.append("v['metadata']")
            elif t.string == "time_ms": out.append("ll.timestamp")
            elif t.string in MATH and nxt is not None and nxt.string == "(": out.append("math." + t.string)
            elif t.string == "enqueue": out.append("(lambda f: enqueue_config(%r + '/' + f + '.yaml'))" % outdir)
            elif t.string in ("true", "false", "null"): out.append({"true": "True", "false": "False", "null": "None"}[t.string])
            else: out.append(t.string)
        elif t.type in (tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER, tokenize.INDENT, tokenize.DEDENT):
            pass
        else:
            out.append(t.string)
        i += 1
    return " ".join(out)

def convert(rule_dir, outdir):
    os.makedirs(outdir, exist_ok=True)
    for name in sorted(os.listdir(rule_dir)):
        if not name.endswith(".json") or name.startswith("rcps_"):
            continue
        data = json.load(open(os.path.join(rule_dir, name)))
        recs = []
        if data.get("begin"):
            recs.append({"BEGIN": {"CODE": "s.update(%r)" % data["begin"]}})
        for r in data.get("rules", []):
            k = {"NAME": r["key"]}
            if "req" in r: k["REQ"] = r["req"]
            for ours, theirs in [("pre", "PRE"), ("post", "POST")]:
                if ours in r: k[theirs] = "; ".join(expr(x, outdir) for x in r[ours].split(";") if x.strip())
            for ours, theirs in [("check", "CHECK"), ("first_check", "FIRST_CHECK")]:
                if ours in r:
                    c = r[ours] if isinstance(r[ours], list) else [r[ours]]
                    k[theirs] = [expr(x, outdir) for x in c]
            if "at_least_one_check" in r: k["ATLEAST_ONE_CHECK"] = expr(r["at_least_one_check"], outdir)
            recs.append({"KEY": k})
        with open(os.path.join(outdir, name[:-5] + ".yaml"), "w") as f:
            yaml.safe_dump(recs, f, sort_keys=False, width=1000)

if __name__ == "__main__":
    convert(sys.argv[1], os.path.abspath(sys.argv[2]))
