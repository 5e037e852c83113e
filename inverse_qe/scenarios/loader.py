"""Load scenarios: built-in names or TOML paths, ``extends``, ``--set`` overrides.

Loading never executes code from a file: TOML is parsed as data and validated
by the schema. Every problem raises :class:`ScenarioError`, whose message names
the file, the field path and what was expected.
"""

from __future__ import annotations

import copy
import difflib
import re
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from inverse_qe.scenarios.schema import Scenario

DEFAULT_SCENARIO = "dry_powder_exhaustion"
_BUILTIN = resources.files("inverse_qe.scenarios") / "builtin"


class ScenarioError(ValueError):
    """A scenario that cannot be loaded: a user mistake, reported without a traceback."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"invalid scenario {source}:\n{lines}")


def builtin_names() -> list[str]:
    """Names of the scenarios shipped with the package."""
    return sorted(
        p.name.removesuffix(".toml") for p in _BUILTIN.iterdir() if p.name.endswith(".toml")
    )


def _locate(name_or_path: str, relative_to: Path | None = None) -> tuple[str, str]:
    """(label, TOML text) of a built-in name or a path (relative to the extending file)."""
    candidates = []
    path = Path(name_or_path)
    if relative_to is not None and not path.is_absolute():
        candidates.append(relative_to / path)
    candidates.append(path)
    for candidate in candidates:
        if candidate.is_file():
            return str(candidate), candidate.read_text(encoding="utf-8")
    if name_or_path in builtin_names():
        builtin = _BUILTIN / f"{name_or_path}.toml"
        return f"{name_or_path} (built-in)", builtin.read_text(encoding="utf-8")
    close = difflib.get_close_matches(name_or_path, builtin_names(), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise ScenarioError(
        name_or_path,
        [f"no such scenario file or built-in name{hint} (built-ins: {', '.join(builtin_names())})"],
    )


def _parse(label: str, text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ScenarioError(label, [f"not valid TOML: {error}"]) from None


def deep_merge(base: dict, override: dict) -> dict:
    """Tables merge key by key; any other value (lists included) replaces the base's."""
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def resolve(name_or_path: str, _chain: tuple[str, ...] = ()) -> tuple[str, dict[str, Any]]:
    """The raw data of a scenario with its ``extends`` chain merged in (not yet validated)."""
    base_dir = Path(_chain[-1]).parent if _chain and Path(_chain[-1]).exists() else None
    label, text = _locate(name_or_path, base_dir)
    if label in _chain:
        cycle = " -> ".join([*_chain, label])
        raise ScenarioError(label, [f"extends: a cycle of scenarios ({cycle})"])
    data = _parse(label, text)
    # Comments beside values are their sources: keep them with the data (explicit wins).
    data["sources"] = {**inline_sources(text), **data.get("sources", {})}
    parent = data.pop("extends", None)
    removals = data.pop("remove", [])
    if parent is None:
        merged = data
    elif not isinstance(parent, str):
        raise ScenarioError(label, ["extends: expected the name or path of a scenario"])
    else:
        _, base = resolve(parent, (*_chain, label))
        merged = deep_merge(base, data)
    return label, remove_fields(label, merged, removals)


def remove_fields(label: str, data: dict, paths: Any) -> dict:
    """Delete inherited fields named in ``remove = ["a.b", ...]``.

    Tables merge key by key, so a file that extends another cannot drop a key by
    overriding; ``remove`` does it. Removing an asset (``"assets.gold"``) also
    drops it from every holdings, weights and list that names it.
    """
    if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
        raise ScenarioError(label, ["remove: expected a list of field paths"])
    data = copy.deepcopy(data)
    for path in paths:
        keys = path.split(".")
        node: Any = data
        for key in keys[:-1]:
            node = node.get(key) if isinstance(node, dict) else None
        if not isinstance(node, dict) or keys[-1] not in node:
            raise ScenarioError(label, [f"remove: {path!r} is not a field of the scenario"])
        del node[keys[-1]]
        if len(keys) == 2 and keys[0] == "assets":
            _forget_asset(data, keys[1])
    return data


def _forget_asset(node: Any, asset: str) -> None:
    """Drop every mention of ``asset`` in holdings, weights and asset lists."""
    if isinstance(node, dict):
        for key, value in list(node.items()):
            if key in ("holdings", "weights", "stress_weights") and isinstance(value, dict):
                value.pop(asset, None)
            elif key == "momentum_assets" and isinstance(value, list):
                node[key] = [a for a in value if a != asset]
            else:
                _forget_asset(value, asset)
    elif isinstance(node, list):
        for item in node:
            _forget_asset(item, asset)


_TABLE = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY_COMMENT = re.compile(r"^\s*([A-Za-z0-9_\-\"\.]+)\s*=\s*(.+?)\s+#\s*(.+)$")


def inline_sources(text: str) -> dict[str, str]:
    """``{"table.key": comment}`` for every ``key = value  # comment`` line of a TOML file.

    Array-of-table entries are addressed by their ``name`` when they have one
    (``sovereign_funds.softbank.cash``), else by index. A value containing ``#``
    inside a string is never mistaken for a comment (the value must parse as TOML).
    """
    found: dict[str, str] = {}
    table: list[str] = []
    counts: dict[str, int] = {}
    for line in text.splitlines():
        header = _TABLE.match(line)
        if header and not line.lstrip().startswith("#"):
            path = header.group(2).strip()
            if header.group(1) == "[[":
                counts[path] = counts.get(path, -1) + 1
                table = [*path.split("."), str(counts[path])]
            else:
                table = path.split(".")
            continue
        match = _KEY_COMMENT.match(line)
        if not match:
            continue
        key, value, comment = match.groups()
        try:
            tomllib.loads(f"v = {value}")
        except tomllib.TOMLDecodeError:
            continue  # the "#" was inside the value
        if key == "name" and table and table[-1].isdigit():
            continue
        found[".".join([*table, key.strip('"')])] = comment.strip()
    # Name array entries by their name where they have one.
    names = {}
    for line_table, name in _array_names(text):
        names[line_table] = name
    return {_rename(k, names): v for k, v in found.items()}


def _array_names(text: str):
    table, counts = None, {}
    for line in text.splitlines():
        header = _TABLE.match(line)
        if header and not line.lstrip().startswith("#"):
            path = header.group(2).strip()
            if header.group(1) == "[[":
                counts[path] = counts.get(path, -1) + 1
                table = f"{path}.{counts[path]}"
            else:
                table = None
            continue
        name = re.match(r'^\s*name\s*=\s*"([^"]+)"', line)
        if table and name:
            yield table, name.group(1)


def _rename(key: str, names: dict[str, str]) -> str:
    for indexed, name in names.items():
        if key.startswith(indexed + "."):
            return key.replace(indexed, indexed.rsplit(".", 1)[0] + "." + name, 1)
    return key


def _format_location(loc: tuple) -> str:
    parts = [str(p) for p in loc if not str(p).startswith(("function-", "tagged-union"))]
    return ".".join(parts) or "(top level)"


def _describe(error: dict, data: dict) -> str:
    where = _format_location(error["loc"])
    if error["type"] == "extra_forbidden":
        parent = _lookup(data, error["loc"][:-1])
        field = str(error["loc"][-1])
        known = _known_fields(error["loc"][:-1])
        close = difflib.get_close_matches(field, known, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        del parent
        return f"{where}: unknown field{hint}"
    if error["type"] == "missing":
        return f"{where}: required field is missing"
    value = error.get("input")
    shown = "" if isinstance(value, dict | list) else f" (got {value!r})"
    return f"{where}: {error['msg']}{shown}"


def _lookup(data: Any, loc: tuple) -> Any:
    for key in loc:
        try:
            data = data[key]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _known_fields(loc: tuple) -> list[str]:
    """Field names the schema allows at a location (for "did you mean")."""
    model: Any = Scenario
    for key in loc:
        if isinstance(key, int) or model is None:
            continue
        field = getattr(model, "model_fields", {}).get(key)
        if field is None:
            return []
        model = _model_of(field.annotation)
    return list(getattr(model, "model_fields", {}))


def _model_of(annotation: Any) -> Any:
    if hasattr(annotation, "model_fields"):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_of(arg)
        if found is not None:
            return found
    return None


def validate(label: str, data: dict[str, Any]) -> Scenario:
    """Validate raw data against the schema, with errors that name the field."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as error:
        problems = [_describe(e, data) for e in error.errors()]
        raise ScenarioError(label, problems) from None


def load(name_or_path: str = DEFAULT_SCENARIO, overrides: list[str] | None = None) -> Scenario:
    """Load, merge, override (``field.path=value``) and validate a scenario."""
    label, data = resolve(name_or_path)
    for assignment in overrides or []:
        data = apply_override(label, data, assignment)
    return validate(label, data)


def parse_value(text: str) -> Any:
    """A ``--set`` value as TOML (numbers, booleans, lists, dates), else a plain string."""
    try:
        return tomllib.loads(f"value = {text}")["value"]
    except tomllib.TOMLDecodeError:
        return text


def apply_override(label: str, data: dict, assignment: str) -> dict:
    """Set ``a.b.c=value`` in the raw scenario data; list items by index or by ``name``."""
    if "=" not in assignment:
        raise ScenarioError(label, [f"--set {assignment!r}: expected field.path=value"])
    path, text = assignment.split("=", 1)
    keys = [k for k in path.strip().split(".") if k]
    if not keys:
        raise ScenarioError(label, [f"--set {assignment!r}: empty field path"])
    data = copy.deepcopy(data)
    node: Any = data
    for depth, key in enumerate(keys[:-1]):
        node = _child(label, node, key, ".".join(keys[: depth + 1]))
    last = keys[-1]
    if isinstance(node, list):
        node[_list_index(label, node, last, path)] = parse_value(text.strip())
    elif isinstance(node, dict):
        node[last] = parse_value(text.strip())
    else:
        raise ScenarioError(label, [f"--set {path}: {'.'.join(keys[:-1])} is not a table"])
    return data


def _child(label: str, node: Any, key: str, where: str) -> Any:
    if isinstance(node, dict):
        if key not in node:
            close = difflib.get_close_matches(key, list(node), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ScenarioError(label, [f"--set {where}: no such field{hint}"])
        return node[key]
    if isinstance(node, list):
        return node[_list_index(label, node, key, where)]
    raise ScenarioError(label, [f"--set {where}: not a table or list"])


def _list_index(label: str, items: list, key: str, where: str) -> int:
    if key.isdigit() and int(key) < len(items):
        return int(key)
    for i, item in enumerate(items):
        if isinstance(item, dict) and item.get("name") == key:
            return i
    raise ScenarioError(label, [f"--set {where}: no item {key!r} (use an index or a name)"])
