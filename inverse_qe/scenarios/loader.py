"""Load scenarios: built-in names or TOML paths, ``extends``, ``--set`` overrides.

Loading never executes code from a file: TOML is parsed as data and validated
by the schema. Every problem raises :class:`ScenarioError`, whose message names
the file, the field path and what was expected.
"""

from __future__ import annotations

import copy
import datetime as dt
import difflib
import os
import re
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from inverse_qe.errors import UserError
from inverse_qe.scenarios.schema import Scenario

DEFAULT_SCENARIO = "dry_powder_exhaustion"
_BUILTIN = resources.files("inverse_qe.scenarios") / "builtin"
#: Longest ``extends`` chain (the built-ins use two links).
MAX_EXTENDS = 32
#: Deepest nesting of tables and arrays (a time path is four levels deep).
MAX_NESTING = 32
#: Largest scenario file, in bytes (the calibrated base is about 15 kB).
MAX_FILE_BYTES = 4 * 1024 * 1024
#: Problems listed in one error (the rest are counted).
MAX_PROBLEMS = 20


class ScenarioError(UserError, ValueError):
    """A scenario that cannot be loaded: a user mistake, reported without a traceback."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        shown = problems[:MAX_PROBLEMS]
        if len(problems) > MAX_PROBLEMS:
            shown.append(f"... and {len(problems) - MAX_PROBLEMS} more")
        lines = "\n".join(f"  - {p}" for p in shown)
        super().__init__(f"invalid scenario {source}:\n{lines}")

    def __reduce__(self):
        # Rebuilt from its fields, so it crosses to another process (a forked twin) intact.
        return (type(self), (self.source, self.problems))


def builtin_names() -> list[str]:
    """Names of the scenarios shipped with the package."""
    return sorted(
        p.name.removesuffix(".toml") for p in _BUILTIN.iterdir() if p.name.endswith(".toml")
    )


def _read(label: str, path: Path) -> str:
    """The text of a scenario file: UTF-8, not binary, not huge (else ``ScenarioError``)."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ScenarioError(
                label, [f"{size:,} bytes: larger than a scenario file can be ({MAX_FILE_BYTES:,})"]
            )
        data = path.read_bytes()
    except OSError as error:
        raise ScenarioError(label, [f"cannot be read: {error.strerror or error}"]) from None
    if b"\0" in data:
        raise ScenarioError(label, ["a binary file, not a TOML text file"])
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ScenarioError(
            label,
            [
                f"not UTF-8 text (byte 0x{data[error.start]:02x} at offset {error.start});"
                " save the file as UTF-8"
            ],
        ) from None


def _locate(name_or_path: str, relative_to: Path | None = None) -> tuple[str, str, str]:
    """(label, identity, TOML text) of a built-in name or a path.

    A relative path is looked up beside the extending file first. The identity
    is the file's resolved path (or ``builtin:NAME``), so the same file reached
    by two spellings (``a.toml``, ``./sub/../a.toml``) is recognised in a cycle.
    """
    if not name_or_path or "\0" in name_or_path:
        raise ScenarioError(
            repr(name_or_path), ["expected a built-in scenario name or the path of a .toml file"]
        )
    candidates = []
    path = Path(name_or_path)
    if relative_to is not None and not path.is_absolute():
        candidates.append(relative_to / path)
    candidates.append(path)
    for candidate in candidates:
        try:
            found = candidate.is_file()
        except OSError as error:  # a name too long, a loop of links
            raise ScenarioError(str(candidate), [f"cannot be read: {error.strerror}"]) from None
        if found:
            return str(candidate), str(candidate.resolve()), _read(str(candidate), candidate)
    if name_or_path in builtin_names():
        builtin = _BUILTIN / f"{name_or_path}.toml"
        return f"{name_or_path} (built-in)", f"builtin:{name_or_path}", builtin.read_text("utf-8")
    for candidate in candidates:
        if candidate.exists():
            raise ScenarioError(str(candidate), ["is a directory, not a scenario file"])
    runnable = [n for n in builtin_names() if not n.startswith("_")]  # as `list` shows them
    close = difflib.get_close_matches(name_or_path, runnable, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise ScenarioError(
        name_or_path,
        [f"no such scenario file or built-in name{hint} (built-ins: {', '.join(runnable)})"],
    )


def _nesting(value: Any) -> int:
    """How deeply tables and arrays nest in parsed data (iterative: no recursion limit)."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children = node.values()
        elif isinstance(node, list | tuple):
            children = node
        else:
            continue
        deepest = max(deepest, depth + 1)
        if deepest > MAX_NESTING:
            return deepest
        stack.extend((child, depth + 1) for child in children)
    return deepest


def check_nesting(label: str, data: Any, where: str = "") -> None:
    """Refuse tables or arrays nested deeper than :data:`MAX_NESTING`."""
    if _nesting(data) > MAX_NESTING:
        raise ScenarioError(
            label,
            [f"{where or '(top level)'}: tables or arrays nested more than {MAX_NESTING} deep"],
        )


def _parse(label: str, text: str) -> dict[str, Any]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ScenarioError(label, [f"not valid TOML: {error}"]) from None
    except RecursionError:
        raise ScenarioError(
            label, [f"tables or arrays nested more than {MAX_NESTING} deep"]
        ) from None
    check_nesting(label, data)
    return data


def deep_merge(base: dict, override: dict) -> dict:
    """Tables merge key by key; any other value (lists included) replaces the base's."""
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _own_data(label: str, text: str) -> tuple[dict[str, Any], Any, Any]:
    """A file's own data (sources gathered), its ``extends`` and its ``remove``."""
    data = _parse(label, text)
    sources = data.get("sources", {})
    if not isinstance(sources, dict) or not all(isinstance(v, str) for v in sources.values()):
        raise ScenarioError(
            label, ['sources: expected a table of "field.path" = "where the value comes from"']
        )
    # Comments beside values are their sources: keep them with the data (explicit wins).
    data["sources"] = {**inline_sources(text), **sources}
    parent = data.pop("extends", None)
    if parent is not None and (not isinstance(parent, str) or not parent.strip()):
        raise ScenarioError(label, ["extends: expected the name or path of a scenario"])
    return data, parent, data.pop("remove", [])


def resolve(name_or_path: str) -> tuple[str, dict[str, Any]]:
    """The raw data of a scenario with its ``extends`` chain merged in (not yet validated).

    The chain is followed iteratively, at most :data:`MAX_EXTENDS` links, and a
    file met twice (by its resolved path) is a cycle.
    """
    chain: list[tuple[str, dict[str, Any], Any]] = []
    seen: dict[str, str] = {}
    name, relative_to = name_or_path, None
    while name is not None:
        label, identity, text = _locate(name, relative_to)
        if identity in seen:
            cycle = " -> ".join([*seen.values(), label])
            raise ScenarioError(label, [f"extends: a cycle of scenarios ({cycle})"])
        if len(chain) >= MAX_EXTENDS:
            raise ScenarioError(
                chain[0][0],
                [f"extends: a chain longer than {MAX_EXTENDS} files (reached {label})"],
            )
        seen[identity] = label
        data, name, removals = _own_data(label, text)
        chain.append((label, data, removals))
        # A relative ``extends`` is looked up beside the file as it was named.
        relative_to = None if identity.startswith("builtin:") else Path(label).parent
    merged: dict[str, Any] = {}
    for label, data, removals in reversed(chain):
        merged = remove_fields(label, deep_merge(merged, data), removals)
    return chain[0][0], merged


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
    text = value.isoformat() if isinstance(value, dt.date) else repr(value)
    if len(text) > 80:
        text = text[:77] + "..."
    shown = "" if isinstance(value, dict | list) else f" (got {text})"
    return f"{where}: {error['msg'].removeprefix('Value error, ')}{shown}"


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
    check_nesting(label, data)
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
    try:
        value = parse_value(text.strip())
    except RecursionError:
        value = None
    if value is None or _nesting(value) > MAX_NESTING:
        raise ScenarioError(label, [f"--set {path}: nested more than {MAX_NESTING} deep"])
    if isinstance(node, list):
        node[_list_index(label, node, last, path)] = value
    elif isinstance(node, dict):
        node[last] = value
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


def as_scenario(scenario: Scenario | str | os.PathLike) -> Scenario:
    """A validated scenario as it is, or a built-in name or file path loaded.

    Lets a model be built from a name, as ``mesa.batch_run`` passes parameters.
    """
    if isinstance(scenario, Scenario):
        return scenario
    if isinstance(scenario, str | os.PathLike):
        return load(os.fspath(scenario))
    raise TypeError(
        "scenario must be a Scenario, a built-in name or a .toml path,"
        f" not {type(scenario).__name__}"
    )
