#!/usr/bin/env python3
"""Translates official compliance-checker YAML rule files (PyPI mlperf-logging) into SwiftMLPerf's JSON ruleset
format (Sources/Training/Rulesets/training_<id>/<name>.json). A developer tool: run it when a new official ruleset
appears, then review the diff. Expressions are rewritten into RuleExpression's language:
v['value'] -> value, v['metadata'] -> metadata, s['x'] -> s.x, ll.timestamp -> time_ms, a | b -> a or b,
math.f -> f, enqueue_config('training_X/{}_y.yaml'.format(e)) -> enqueue(<name with e>).
Usage: translate_official_rules.py RULESET_ID FILE_STEM... (e.g. 6.1.0 common closed_common closed_llama31_8b)"""
import json, os, re, sys
import yaml
import mlperf_logging.compliance_checker as cc

def expr(s):
    s = s.strip()
    s = re.sub(r"enqueue_config\('(?:training_[\d.]+/)?([^']*)\{\}([^']*)\.yaml'\.format\(([^)]*)\)\)",
               lambda m: "enqueue(" + "+".join(p for p in [repr(m.group(1)) if m.group(1) else "", m.group(3),
                                                               repr(m.group(2)) if m.group(2) else ""] if p) + ")", s)
    s = s.replace("v['value']", "value").replace("v['metadata']", "metadata")
    s = re.sub(r"s\['(\w+)'\]", r"s.\1", s)
    s = s.replace("ll.timestamp", "time_ms").replace("math.", "")
    s = re.sub(r"\)\s*\|\s*\(", ") or (", s)
    return s

def stmts(s):
    s = expr(s)
    # A one-statement `if C:` block with an augmented assignment becomes a conditional assignment.
    s = re.sub(r"^if (.+):\n\s+s\.(\w+) \+= (.+)$", r"s.\2 = s.\2 + (\3) if \1 else s.\2", s.strip(), flags=re.M)
    return s

def checks(c):
    return [expr(x) for x in c] if isinstance(c, list) else [expr(c)]

def begin_state(code):
    m = re.search(r"s\.update\((\{.*\})\)", code, re.S)
    return eval(m.group(1)) if m else {}

def translate(ruleset, stem):
    path = os.path.join(os.path.dirname(cc.__file__), f"training_{ruleset}", stem + ".yaml")
    with open(path) as f:
        recs = yaml.load(f, Loader=yaml.BaseLoader) or []
    out = {"description": f"Translated from mlperf-logging compliance_checker/training_{ruleset}/{stem}.yaml", "rules": []}
    for r in recs:
        (kind, body), = r.items()
        if kind == "BEGIN":
            out["begin"] = begin_state(body["CODE"])
        elif kind == "KEY":
            rule = {"key": body["NAME"]}
            if "REQ" in body: rule["req"] = body["REQ"]
            if "PRE" in body: rule["pre"] = stmts(body["PRE"])
            if "CHECK" in body: rule["check"] = checks(body["CHECK"])
            if "POST" in body: rule["post"] = stmts(body["POST"])
            if "FIRST_CHECK" in body: rule["first_check"] = checks(body["FIRST_CHECK"])
            if "ATLEAST_ONE_CHECK" in body: rule["at_least_one_check"] = expr(body["ATLEAST_ONE_CHECK"])
            out["rules"].append(rule)
        elif kind == "END":
            out["end"] = {k.lower(): (checks(v) if k == "CHECK" else stmts(v)) for k, v in body.items()}
    return out

if __name__ == "__main__":
    ruleset, stems = sys.argv[1], sys.argv[2:]
    dest = os.path.join(os.path.dirname(__file__), "..", "Sources", "Training", "Rulesets", f"training_{ruleset}")
    os.makedirs(dest, exist_ok=True)
    for stem in stems:
        with open(os.path.join(dest, stem + ".json"), "w") as f:
            json.dump(translate(ruleset, stem), f, indent=1)
            f.write("\n")
        print("wrote", os.path.join(dest, stem + ".json"))
