#!/usr/bin/python3
"""Check the --json documents the CLI tests printed against doc/schemas/ (modelseal-json(7)).

    json_schemas.py SCHEMA_DIR CAPTURE_DIR [COMMAND...]

CAPTURE_DIR holds what tests/cli/lib.sh kept of each `ms ... --json` run: NAME.json (standard
output) and NAME (the exit status, then the arguments, each ended by a NUL byte). Each
document must be one line (unless --json=pretty), parse as JSON and validate against the schema
of its command (`verify --policy` has its own; a document of exit status 2 or 3 may be the error
document, error.schema.json). COMMAND... (the commands that have a --json option, as
"attest-list") must each have a schema. Prints one line per problem and exits 1 if there is
any; with no problem, prints how many documents were checked per schema.

Debian's python3-jsonschema (4.10) validates, draft 2020-12, one process for the whole suite.
"""
import json
import os
import sys

from jsonschema import Draft202012Validator, RefResolver

COMMANDS_WITH_SUBCOMMANDS = {"attest", "blob", "dataset", "lineage", "policy", "hooks"}


def schema_name(args):
    """The schema a command line's document follows: "verify", "verify-policy",
    "attest-list"... (None when the command line names no command)."""
    words = [a for a in args if not a.startswith("-")]
    if not words:
        return None
    name = words[0]
    if name in COMMANDS_WITH_SUBCOMMANDS:
        i = args.index(name)
        if i + 1 < len(args) and not args[i + 1].startswith("-"):
            name += "-" + args[i + 1]
    if name == "verify" and any(a == "--policy" or a.startswith("--policy=") for a in args):
        name = "verify-policy"
    return name


def load_schemas(schema_dir):
    store, schemas = {}, {}
    for f in sorted(os.listdir(schema_dir)):
        if not f.endswith(".schema.json"):
            continue
        path = os.path.abspath(os.path.join(schema_dir, f))
        with open(path, encoding="utf-8") as fh:
            s = json.load(fh)
        Draft202012Validator.check_schema(s)
        uri = "file://" + path
        store[uri] = s
        schemas[f[: -len(".schema.json")]] = (uri, s)
    validators = {}
    for name, (uri, s) in schemas.items():
        resolver = RefResolver(uri, s, store=store)
        validators[name] = Draft202012Validator(s, resolver=resolver)
    return validators


def check_document(validators, status, args, text):
    """The schema one captured document follows and its problems (empty when it is right)."""
    name = schema_name(args)
    if name is None:
        return "?", ["no command in the command line"]
    if "--help" in args or "-h" in args:
        return "help", []
    if "--json" not in args and "--json=pretty" not in args:
        return "not-json", []  # --json=yaml, say: a usage error that asked for no JSON
    pretty = "--json=pretty" in args
    if not text:
        return name, ["nothing on standard output (exit %d)" % status]
    if not text.endswith("\n") or (not pretty and text.count("\n") != 1):
        return name, ["not one line ending in a newline"]
    try:
        doc = json.loads(text)
    except ValueError as e:
        return name, ["not JSON: %s" % e]
    if isinstance(doc, dict) and set(doc) == {"error"}:
        if status not in (2, 3):
            return name, ["an error document with exit status %d" % status]
        name = "error"
    v = validators.get(name)
    if v is None:
        return name, ["no schema doc/schemas/%s.schema.json" % name]
    problems = []
    for e in sorted(v.iter_errors(doc), key=lambda e: list(e.absolute_path)):
        where = "/".join(str(p) for p in e.absolute_path) or "(document)"
        problems.append("%s.schema.json: at %s: %s" % (name, where, e.message[:300]))
    return name, problems


def main(argv):
    if len(argv) < 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    validators = load_schemas(argv[1])
    capture = argv[2]
    problems = []
    for command in argv[3:]:
        if command not in validators:
            problems.append("%s has a --json option but no doc/schemas/%s.schema.json" %
                            (command, command))
    counts = {}
    names = sorted(f for f in os.listdir(capture) if not f.endswith(".json")) \
        if os.path.isdir(capture) else []
    for f in names:
        base = os.path.join(capture, f)
        with open(base, "rb") as fh:
            fields = fh.read().split(b"\0")[:-1]
        try:
            with open(base + ".json", "rb") as fh:
                raw = fh.read()
        except FileNotFoundError:
            problems.append("%s: no standard output kept" % f)
            continue
        if not fields or not fields[0].isdigit():
            problems.append("%s: no exit status kept" % f)
            continue
        status = int(fields[0])
        args = [os.fsdecode(a) for a in fields[1:]]
        text = raw.decode("utf-8", "surrogateescape")
        name, found = check_document(validators, status, args, text)
        for p in found:
            problems.append("%s: modelseal %s (exit %d): %s" %
                            (os.path.basename(base), " ".join(args)[:200], status, p))
        counts[name] = counts.get(name, 0) + 1
    if not names:
        problems.append("no documents in %s" % capture)
    for p in problems:
        print("FAIL: " + p)
    print("checked %d documents: %s" % (len(names), ", ".join(
        "%s %d" % kv for kv in sorted(counts.items()))))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
