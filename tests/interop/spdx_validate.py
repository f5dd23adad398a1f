#!/usr/bin/python3
"""Validate SPDX 3.0.1 JSON-LD documents against the official SPDX 3.0.1 JSON schema, with
Debian's python3-jsonschema (independent of modelseal), for the SBOM tests.

Usage: spdx_validate.py [--schema SCHEMA] FILE...

The schema (default: tests/vectors/spdx/schema-3.0.1.json beside this script's tree, the copy
of the spdx-spec release's JSON schema) is a Draft 2020-12 schema; it is checked itself first
(check_schema) and every document is validated with Draft202012Validator, the `format`
keywords checked too (FormatChecker). A document must also use the 3.0.1 JSON-LD context.
Prints "valid: FILE" on stdout per file, or "invalid: FILE: PATH: MESSAGE" lines (at most 20
per file, deepest first) / "usage: ..." on stderr.
Exit status: 0 all valid, 1 one is not, 2 usage, unreadable input or a missing module.
"""
import json
import os
import sys

CONTEXT = "https://spdx.org/rdf/3.0.1/spdx-context.jsonld"


def usage(msg):
    print(f"usage: {msg}", file=sys.stderr)
    sys.exit(2)


def leaves(err):
    """Every error at the bottom of `err`'s tree of causes."""
    if not err.context:
        return [err]
    return [leaf for sub in err.context for leaf in leaves(sub)]


def deepest(err):
    """The cause of `err` with the longest instance path (a wrong "type" of another class
    ranks below any other cause at the same depth)."""
    return max(leaves(err), key=lambda e: (len(e.absolute_path),
                                           list(e.absolute_path)[-1:] != ["type"]))


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    schema_path = os.path.join(here, "..", "vectors", "spdx", "schema-3.0.1.json")
    args = argv[1:]
    if len(args) >= 2 and args[0] == "--schema":
        schema_path = args[1]
        args = args[2:]
    if not args:
        usage("spdx_validate.py [--schema SCHEMA] FILE...")
    try:
        import jsonschema
        from jsonschema import Draft202012Validator, FormatChecker
    except ImportError as e:
        usage(f"python3-jsonschema is not installed: {e}")
    try:
        with open(schema_path, encoding="utf-8") as f:
            schema = json.load(f)
    except (OSError, ValueError) as e:
        usage(f"cannot read the schema {schema_path}: {e}")
    if schema.get("$schema") != "https://json-schema.org/draft/2020-12/schema":
        usage(f"{schema_path}: not a Draft 2020-12 schema")
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema, format_checker=FormatChecker())

    failed = 0
    for path in args:
        try:
            with open(path, encoding="utf-8") as f:
                doc = json.load(f)
        except OSError as e:
            usage(f"cannot read {path}: {e}")
        except ValueError as e:
            print(f"invalid: {path}: not JSON: {e}", file=sys.stderr)
            failed += 1
            continue
        if not isinstance(doc, dict) or doc.get("@context") != CONTEXT:
            print(f"invalid: {path}: not an SPDX 3.0.1 JSON-LD document (@context)",
                  file=sys.stderr)
            failed += 1
            continue
        errors = list(validator.iter_errors(doc))
        if not errors:
            print(f"valid: {path}")
            continue
        failed += 1
        # The schema is a union of classes (anyOf): follow each error down to its deepest cause,
        # the one about the field that is wrong rather than "matches none of the classes".
        causes = []
        for err in errors:
            cause = deepest(err)
            line = "/" + "/".join(str(p) for p in cause.absolute_path) + ": " + cause.message[:300]
            if line not in causes:
                causes.append(line)
        causes.sort(key=lambda c: -c.split(":", 1)[0].count("/"))
        for line in causes[:20]:
            print(f"invalid: {path}: {line}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
