"""Scenario subcommands: ``list``, ``show``, ``validate`` and ``schema``."""

from __future__ import annotations

import argparse
import json
import tomllib
from pathlib import Path

from rich.console import Console

from inverse_qe.scenarios.loader import ScenarioError, builtin_names, load, resolve, validate


def register(commands) -> None:
    """Add the scenario subcommands to the CLI."""
    listing = commands.add_parser(
        "list",
        help="list the built-in scenarios",
        description="The built-in scenarios, each with what it represents. Run one with"
        " `inverse-qe run NAME`; see it fully resolved with `inverse-qe show NAME`.",
    )
    listing.set_defaults(handler=cmd_list)

    show = commands.add_parser(
        "show",
        help="print a scenario fully resolved, as TOML",
        description="A scenario with everything it extends merged and the overrides applied, as"
        " TOML that loads back to the same scenario; the source of each magnitude is in its"
        " [sources] table.",
    )
    show.add_argument("scenario", help="built-in name or path to a .toml file")
    show.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="FIELD.PATH=VALUE",
        help="override a field before showing it (repeatable)",
    )
    show.set_defaults(handler=cmd_show)

    check = commands.add_parser(
        "validate",
        help="check scenario files; exit 2 if any is invalid",
        description="Load and validate each scenario file (extends merged, every field in its"
        " range, the opening balance sheets buildable) and report every problem found, file by"
        " file. Exit status 0 if all are valid, 2 otherwise.",
    )
    check.add_argument("files", nargs="+", help="scenario files or built-in names")
    check.set_defaults(handler=cmd_validate)

    schema = commands.add_parser(
        "schema",
        help="print the JSON Schema of scenario files",
        description="The JSON Schema of scenario files, with each field's range and its reason:"
        " point an editor at it for completion and checking as you type.",
    )
    schema.add_argument("--out", type=Path, help="write it to a file instead")
    schema.add_argument("--force", action="store_true", help="overwrite an existing --out file")
    schema.set_defaults(handler=cmd_schema)


def cmd_list(args: argparse.Namespace, console: Console) -> int:
    """``inverse-qe list``: built-in scenarios with a line each."""
    from inverse_qe.terminal import new_table

    table = new_table(console, title="built-in scenarios", title_justify="left")
    table.add_column("name", style="bold")
    table.add_column("what it represents")
    for name in builtin_names():
        if name.startswith("_"):
            continue  # the calibrated base is extended, not run
        table.add_row(name, load(name).description)
    console.print(table)
    return 0


def to_toml(scenario) -> str:
    """A resolved scenario as TOML text that loads back to the same scenario."""
    import tomli_w  # lazy: only needed here

    data = scenario.model_dump(mode="python")
    return tomli_w.dumps(_drop_none(data))


def _drop_none(node):
    if isinstance(node, dict):
        return {k: _drop_none(v) for k, v in node.items() if v is not None}
    if isinstance(node, list | tuple):
        return [_drop_none(v) for v in node]
    return node


def cmd_show(args: argparse.Namespace, console: Console) -> int:
    """``inverse-qe show``: the resolved scenario (extends merged, overrides applied)."""
    scenario = load(args.scenario, args.overrides)
    label, _ = resolve(args.scenario)
    header = f"# {scenario.name}: resolved from {label}\n# {scenario.description}\n\n"
    console.print(header + to_toml(scenario), markup=False, highlight=False, soft_wrap=True)
    return 0


def cmd_validate(args: argparse.Namespace, console: Console) -> int:
    """``inverse-qe validate``: every file checked; the errors of all of them reported."""
    bad = 0
    for item in args.files:
        try:
            scenario = load(item)
            _check_buildable(scenario)
        except ScenarioError as error:
            bad += 1
            console.print(f"[red]✗[/] {error}", highlight=False)
        else:
            console.print(f"[green]✓[/] {item}: {scenario.name}", highlight=False)
    return 2 if bad else 0


def _check_buildable(scenario) -> None:
    """Checks that need the opening balance sheets (e.g. units held vs outstanding)."""
    from inverse_qe.model.bathtub import BathtubModel  # lazy: heavy import

    BathtubModel(scenario, weeks=1, check_invariants=True)


def cmd_schema(args: argparse.Namespace, console: Console) -> int:
    """``inverse-qe schema``: JSON Schema of a scenario file, for editors' autocompletion."""
    from inverse_qe.outputs import OutputFile

    target = None if args.out is None else OutputFile(args.out, force=args.force)
    text = json.dumps(scenario_json_schema(), indent=2)
    if target is None:
        console.print(text, markup=False, highlight=False, soft_wrap=True)
    else:
        target.write_text(text + "\n")
    return 0


def scenario_json_schema() -> dict:
    """The JSON Schema of scenario files (``extends`` allowed, every table optional)."""
    from inverse_qe.scenarios.schema import Scenario  # lazy: keep --help fast

    schema = Scenario.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "inverse-qe scenario"
    schema["properties"]["extends"] = {
        "type": "string",
        "description": "Name of a built-in scenario or path of a file this one overrides.",
    }
    # A file that extends another may leave out anything it does not change.
    schema["required"] = []
    return schema


def roundtrip(scenario) -> bool:
    """True if the TOML of ``scenario`` loads back to an equal scenario."""
    return validate("roundtrip", tomllib.loads(to_toml(scenario))) == scenario
