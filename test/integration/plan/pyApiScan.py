"""Reads Python source on stdin, parses it with ast (exit 1 with the error if it
does not parse) and prints, as JSON, what the source uses from other modules:
`from M import N` imports, calls (the callee as dotted text, its keyword names
and positional count) and attribute chains such as `ShardingType.ROW_WISE`.
The TorchRec export test checks these against the facts read from TorchRec's
source (server/src/plan/torchrecApi.ts). Standard library only."""
import ast
import json
import sys


def dotted(node):
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = dotted(node.value)
        return None if base is None else base + "." + node.attr
    return None


def main():
    source = sys.stdin.read()
    try:
        tree = ast.parse(source)
    except SyntaxError as err:
        print("SyntaxError: %s (line %s)" % (err.msg, err.lineno), file=sys.stderr)
        return 1
    imports, calls, attributes = [], [], []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                imports.append([node.module, alias.name])
        elif isinstance(node, ast.Call):
            calls.append({
                "func": dotted(node.func),
                "keywords": [k.arg for k in node.keywords if k.arg is not None],
                "positional": len(node.args),
            })
        elif isinstance(node, ast.Attribute):
            name = dotted(node)
            if name is not None:
                attributes.append(name)
    json.dump({"imports": imports, "calls": calls, "attributes": attributes}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
