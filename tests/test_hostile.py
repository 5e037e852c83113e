"""The hostile-input suite: what a hostile user tries, and what each must give.

Every case is a bad file, option, value or output path given to a command. The
promise: exit status 2, a message naming the file, field, option or path, no
traceback, and nothing written anywhere (the working directory, the home and
cache directories, the temporary directory) except what the command was asked
to write. Cases run in-process through :func:`inverse_qe.cli.main` (fast), and
a few also as real processes (the exit status and stderr a shell sees). Each is
counted by :func:`tests.conftest.record_hostile`; the summary line of the test
run says how many were tried and how many ended otherwise than promised.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from inverse_qe.cli import main
from tests.conftest import record_hostile

ROOT = Path(__file__).resolve().parent.parent
MPL_CONFIG = os.environ.get("MPLCONFIGDIR") or str(Path(tempfile.gettempdir()) / "inverse-qe-mpl")
EXTENDS = 'extends = "dry_powder_exhaustion"\n'
#: Hypothesis settings for the fuzzing cases: few examples, no deadline (a run can be slow).
FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


# -- the sandbox ------------------------------------------------------------------------------
@dataclass
class Sandbox:
    """A working directory, and the home, cache and temporary directories, all watched."""

    root: Path
    work: Path
    outside: Path

    def files(self) -> set[Path]:
        return {p for p in self.root.rglob("*") if not p.is_dir() or p.is_symlink()} | {
            p for p in self.root.rglob("*") if p.is_dir() and not any(p.iterdir())
        }

    @property
    def crashes(self) -> Path:
        return self.outside / "crashes"


@contextlib.contextmanager
def sandbox(monkeypatch) -> Sandbox:
    """A fresh sandbox as the working directory, with HOME, caches and TMPDIR inside it."""
    root = Path(tempfile.mkdtemp(prefix="hostile-"))
    box = Sandbox(root, root / "work", root / "outside")
    box.work.mkdir()
    for name in ("home", "cache", "tmp", "crashes"):
        (box.outside / name).mkdir(parents=True)
    with monkeypatch.context() as patch:
        patch.chdir(box.work)
        # Matplotlib's font cache is the library's, not output: keep it where it was.
        patch.setenv("MPLCONFIGDIR", MPL_CONFIG)
        patch.setenv("HOME", str(box.outside / "home"))
        patch.setenv("XDG_CACHE_HOME", str(box.outside / "cache"))
        patch.setenv("TMPDIR", str(box.outside / "tmp"))
        patch.setenv("INVERSE_QE_CRASH_DIR", str(box.crashes))
        patch.setattr(tempfile, "tempdir", str(box.outside / "tmp"))
        try:
            yield box
        finally:
            import shutil

            shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def box(monkeypatch):
    with sandbox(monkeypatch) as made:
        yield made


def _in_process(argv: list[str], capsys) -> tuple[int, str]:
    capsys.readouterr()
    try:
        code = main(argv)
    except SystemExit as stop:  # argparse
        code = stop.code if isinstance(stop.code, int) else 2
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def _process(argv: list[str], box: Sandbox) -> tuple[int, str]:
    env = {
        **os.environ,
        "HOME": str(box.outside / "home"),
        "XDG_CACHE_HOME": str(box.outside / "cache"),
        "TMPDIR": str(box.outside / "tmp"),
        "INVERSE_QE_CRASH_DIR": str(box.crashes),
        "MPLCONFIGDIR": MPL_CONFIG,
    }
    result = subprocess.run(
        [sys.executable, "-m", "inverse_qe.cli", *argv],
        cwd=box.work,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return result.returncode, result.stdout + result.stderr


def attempt(
    case: str,
    argv: list[str],
    box: Sandbox,
    capsys=None,
    *,
    names: tuple[str, ...] = (),
    code: int | set[int] = 2,
    may_write: tuple[Path, ...] = (),
) -> tuple[int, str]:
    """Run one hostile input and check the promise; count it.

    Args:
        case: the case's name in the tally.
        argv: the command line.
        box: the sandbox.
        capsys: pytest's capsys to run in-process; ``None`` runs a real process.
        names: what the message must mention (a field, a file, an option).
        code: the exit status (or statuses) promised.
        may_write: paths under which new files are allowed (when the command succeeds).
    """
    before = box.files()
    status, output = _in_process(argv, capsys) if capsys is not None else _process(argv, box)
    new = box.files() - before
    allowed = {p for p in new if any(p == w or w in p.parents for w in may_write)}
    promised = {code} if isinstance(code, int) else code
    problems = []
    if status not in promised:
        problems.append(f"exit status {status}, promised {sorted(promised)}")
    if "Traceback" in output:
        problems.append("a traceback")
    for name in names:
        if name not in output:
            problems.append(f"the message does not name {name!r}")
    if new - allowed:
        problems.append(f"wrote {sorted(str(p.relative_to(box.root)) for p in new - allowed)}")
    record_hostile(case, not problems)
    assert not problems, f"{case}: {'; '.join(problems)}\n{output[-2000:]}"
    return status, output


# -- hostile scenario files ---------------------------------------------------------------------
def _nested(opening: str, closing: str, depth: int, inner: str) -> str:
    return opening * depth + inner + closing * depth


#: (case, file content or a function of the directory, what the message must name)
BAD_FILES: list[tuple[str, object, str]] = [
    ("name is an absolute path", EXTENDS + 'name = "/tmp/x"\n', "name"),
    ("name climbs out", EXTENDS + 'name = "../../x"\n', "name"),
    ("name holds a NUL", EXTENDS + 'name = "a\\u0000b"\n', "name"),
    ("name has a space", EXTENDS + 'name = "my run"\n', "name"),
    ("asset named like a path", EXTENDS + '[assets."../x"]\nkind = "equity"\n', "assets"),
    ("not UTF-8", b'name = "caf\xe9"\n', "UTF-8"),
    ("binary", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
    ("empty file", "", "required field is missing"),
    ("sources = 5", EXTENDS + "sources = 5\n", "sources"),
    ("extends = 5", "extends = 5\n", "extends"),
    ("start date 9999", EXTENDS + "[run]\nstart_date = 9999-12-01\n", "run.start_date"),
    ("weeks 1e9 in the file", EXTENDS + "[run]\nweeks = 1000000000\n", "run.weeks"),
    ("seed beyond 64 bits", EXTENDS + "[run]\nseed = 99999999999999999999\n", "run.seed"),
    ("arrays 3000 deep", EXTENDS + "x = " + _nested("[", "]", 3000, "1") + "\n", "nested"),
    ("tables 3000 deep", EXTENDS + "x = " + _nested("{a = ", "}", 3000, "1") + "\n", "nested"),
    ("households cash 1e308", EXTENDS + "[households]\ncash = 1e308\n", "households.cash"),
    ("a price of 1e308", EXTENDS + "[assets.crypto]\nprice = 1e308\n", "assets.crypto.price"),
    ("units of 1e308", EXTENDS + "[assets.crypto]\nunits = 1e308\n", "assets.crypto.units"),
    ("volatility 1e6", EXTENDS + "[assets.crypto]\nvolatility = 1e6\n", "volatility"),
    ("QE of 1e6 a week", EXTENDS + "[central_bank]\nqe_pace = [[0, 1e6]]\n", "qe_pace"),
    ("negative deficit", EXTENDS + "[treasury]\ndeficit = [[0, -5.0]]\n", "treasury.deficit"),
    ("fractional week", EXTENDS + "[treasury]\ndeficit = [[0.5, 5.0]]\n", "treasury.deficit"),
    ("path week beyond the cap", EXTENDS + "[treasury]\ndeficit = [[9999, 5.0]]\n", "deficit"),
    (
        "1e12 hedge funds",
        EXTENDS + "[[hedge_funds.strategies]]\nname = 'x'\ncount = 1e12\nequity = 1.0\n"
        "leverage = 1.0\nleverage_limit = 1.0\nweights = {crypto = 1.0}\n",
        "hedge_funds.strategies.0.count",
    ),
    (
        "two firms of one name",
        EXTENDS + '[[hyperscalers.firms]]\nname = "a"\ncapex_share = 0.5\ncash = 1.0\n'
        'holdings = {}\n[[hyperscalers.firms]]\nname = "a"\ncapex_share = 0.5\ncash = 1.0\n'
        "holdings = {}\n",
        "hyperscalers.firms",
    ),
    ("larger than 4 MiB", EXTENDS + "# " + "x" * (5 * 1024 * 1024) + "\n", "larger"),
    ("cycle through ./sub/..", lambda d: _cycle(d), "cycle"),
    ("extends a chain of 1200 files", lambda d: _chain(d, 1200), "chain longer"),
    ("extends a directory", lambda d: _extends_directory(d), "directory"),
]


def _cycle(directory: Path) -> Path:
    (directory / "sub").mkdir(exist_ok=True)
    path = directory / "self.toml"
    path.write_text('extends = "./sub/../self.toml"\n')
    return path


def _chain(directory: Path, length: int) -> Path:
    chain = directory / "chain"
    chain.mkdir(exist_ok=True)
    (chain / "f0.toml").write_text(EXTENDS)
    for i in range(1, length):
        (chain / f"f{i}.toml").write_text(f'extends = "f{i - 1}.toml"\n')
    return chain / f"f{length - 1}.toml"


def _extends_directory(directory: Path) -> Path:
    (directory / "adir").mkdir(exist_ok=True)
    path = directory / "extends_dir.toml"
    path.write_text('extends = "adir"\nname = "x"\n')
    return path


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory) -> dict[str, Path]:
    """Every bad file, written once (outside any sandbox: reading them writes nothing)."""
    directory = tmp_path_factory.mktemp("bad_files")
    paths = {}
    for i, (case, content, _) in enumerate(BAD_FILES):
        if callable(content):
            paths[case] = content(directory)
            continue
        path = directory / f"bad{i}.toml"
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
        paths[case] = path
    return paths


COMMANDS = {
    "validate": lambda f: ["validate", f],
    "show": lambda f: ["show", f],
    "run": lambda f: ["run", f, "--weeks", "2", "--out", "o", "--quiet", "--no-figure"],
    "explain": lambda f: ["explain", f, "--weeks", "2"],
    "flows": lambda f: ["flows", f, "--weeks", "2"],
    "compare": lambda f: [
        *("compare", f, "dry_powder_exhaustion", "--seeds", "1", "--weeks", "2"),
        *("--workers", "1", "--out", "o", "--quiet", "--no-figures"),
    ],
}


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize(("case", "content", "field"), BAD_FILES, ids=[c for c, *_ in BAD_FILES])
def test_a_bad_scenario_file_is_exit_2_naming_the_field(
    box, capsys, bad_files, command, case, content, field
):
    path = str(bad_files[case])
    attempt(f"{command}: {case}", COMMANDS[command](path), box, capsys, names=(field,))


# -- hostile options ------------------------------------------------------------------------------
COMPARE = ["compare", "dry_powder_exhaustion", "fed_pivot", "--seeds", "1", "--workers", "1"]
SHOW_WITH = ["show", "dry_powder_exhaustion", "--set"]
SWEEP = ["sweep", "dry_powder_exhaustion", "--seeds", "1", "--vary"]
BAD_OPTIONS = [
    ("run --weeks 5300", ["run", "--weeks", "5300"], "--weeks"),
    ("run --weeks 1e9", ["run", "--weeks", "1000000000"], "--weeks"),
    ("run --seed 2^64", ["run", "--seed", str(2**64)], "--seed"),
    ("compare --weeks 5300", [*COMPARE, "--weeks", "5300"], "--weeks"),
    ("compare --weeks 1e9", [*COMPARE, "--weeks", "1000000000"], "--weeks"),
    ("explain --weeks 0", ["explain", "--weeks", "0"], "--weeks"),
    ("--set name=../../x", ["run", "--set", "name=../../x", "--weeks", "2"], "name"),
    ("--set name=/tmp/x for flows", ["flows", "--set", "name=/tmp/x", "--weeks", "2"], "name"),
    ("--set name for animate", ["animate", "--set", 'name="a/b"', "--weeks", "2"], "name"),
    ("--set a NUL", [*SHOW_WITH, "name=a\0b"], "name"),
    ("--set 3000 deep", [*SHOW_WITH, "households.cash=" + "[" * 3000], "nested"),
    ("--set price 1e308", [*SHOW_WITH, "assets.crypto.price=1e308"], "price"),
    ("--set capex 1e6", [*SHOW_WITH, "hyperscalers.capex=[[0, 1e6]]"], "capex"),
    ("--set inf", [*SHOW_WITH, "households.cash=inf"], "households.cash"),
    ("--set nan", [*SHOW_WITH, "households.cash=nan"], "households.cash"),
    ("--set no such field", [*SHOW_WITH, "nope.x=1"], "nope"),
    ("sweep scale to 1e308", [*SWEEP, "hyperscalers.capex*=0:1e308"], "hyperscalers.capex*"),
    ("sweep capex growth 1e308", [*SWEEP, "capex_growth=0:1e308"], "capex_growth"),
    ("sweep beyond the capex range", [*SWEEP, "hyperscalers.capex*=1:1000"], "capex"),
    ("sweep garbage axis", [*SWEEP, "nonsense"], "nonsense"),
    ("compare one scenario", ["compare", "dry_powder_exhaustion", "--seeds", "1"], "two"),
    ("unreachable scheduler", [*COMPARE, "--scheduler", "tcp://127.0.0.1:1"], "--scheduler"),
    ("scheduler not an address", [*COMPARE, "--scheduler", "nonsense"], "--scheduler"),
    ("app on a bad host", ["app", "--host", "not-an-ip"], "--host"),
    ("app on port 70000", ["app", "--port", "70000"], "--port"),
    ("multiplier --scale 1", ["multiplier", "early_phase", "--scale", "1"], "--scale"),
]


@pytest.mark.parametrize(("case", "argv", "named"), BAD_OPTIONS, ids=[c for c, *_ in BAD_OPTIONS])
def test_a_bad_option_is_exit_2_naming_it(box, capsys, case, argv, named):
    attempt(case, argv, box, capsys, names=(named,))


def test_app_on_a_busy_port_is_exit_2_before_any_url(box, capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        _, output = attempt(
            "app on a busy port", ["app", "--port", str(port)], box, capsys, names=(str(port),)
        )
    assert "http://" not in output


# -- hostile output paths -------------------------------------------------------------------------
def _unwritable(box: Sandbox) -> Path:
    if os.geteuid() == 0:  # root writes anywhere a permission allows: use a kernel directory
        return Path("/proc/inverse-qe-hostile/out")
    locked = box.work / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    return locked / "out"


OUTPUTS = {
    "run": lambda out: ["run", "--weeks", "2", "--quiet", "--no-figure", "--out", out],
    "explain": lambda out: ["explain", "--weeks", "2", "--out", out],
    "schema": lambda out: ["schema", "--out", out],
    "flows": lambda out: ["flows", "--weeks", "2", "--out", out],
    "animate": lambda out: ["animate", "--weeks", "2", "--out", out],
    "compare": lambda out: [*COMPARE, "--weeks", "2", "--quiet", "--no-figures", "--out", out],
}


def _target(kind: str, box: Sandbox, command: str) -> str:
    suffix = {"animate": ".gif", "flows": ".png", "schema": ".json", "explain": ".txt"}
    name = "result" + suffix.get(command, "")
    if kind == "parent is a file":
        (box.work / "afile").write_text("x")
        return f"afile/{name}"
    if kind == "dangling link":
        (box.work / name).symlink_to(box.work / "missing" / "target")
        return name
    if kind == "unwritable":
        return str(_unwritable(box).with_name(name))
    if kind == "exists":
        if command in ("run", "compare"):
            (box.work / name).mkdir()
            (box.work / name / "precious.txt").write_text("keep")
        else:
            (box.work / name).write_text("keep")
        return name
    if kind == "is a directory":
        (box.work / name).mkdir()
        (box.work / name / "precious.txt").write_text("keep")
        return name
    if kind == "missing parent":
        return f"no/such/dir/{name}" if command not in ("run", "compare") else "afile2/x"
    if kind == "NUL in the path":
        return f"res\0ult{suffix.get(command, '')}"
    if kind == "wrong suffix":
        return "result.txt" if command in ("flows", "animate") else "result.json"
    raise AssertionError(kind)


OUTPUT_KINDS = [
    "parent is a file",
    "dangling link",
    "unwritable",
    "exists",
    "is a directory",
    "missing parent",
    "NUL in the path",
    "wrong suffix",
]


def _applies(command: str, kind: str) -> bool:
    if kind == "missing parent":  # run and compare create missing parents
        return command not in ("run", "compare")
    if kind == "wrong suffix":  # only images have a format to get wrong
        return command in ("flows", "animate")
    if kind == "is a directory":  # for run and compare, the same as "exists"
        return command not in ("run", "compare")
    return True


OUTPUT_CASES = [(c, k) for c in OUTPUTS for k in OUTPUT_KINDS if _applies(c, k)]


@pytest.mark.parametrize(("command", "kind"), OUTPUT_CASES)
def test_a_bad_output_path_is_exit_2_before_any_work(box, capsys, command, kind):
    target = _target(kind, box, command)
    named = target.replace("\0", "\\x00") if "\0" in target else target.split("/")[0] or target
    attempt(f"{command} --out: {kind}", OUTPUTS[command](target), box, capsys, names=(named,))
    if kind == "exists":
        kept = box.work / target
        kept = kept / "precious.txt" if kept.is_dir() else kept
        assert kept.read_text() == "keep"


def test_force_never_replaces_what_is_not_inverse_qe_results(box, capsys):
    (box.work / "mine").mkdir()
    (box.work / "mine" / "thesis.tex").write_text("keep")
    for command in ("run", "compare"):
        attempt(
            f"{command} --force on a foreign directory",
            [*OUTPUTS[command]("mine"), "--force"],
            box,
            capsys,
            names=("mine",),
        )
    assert (box.work / "mine" / "thesis.tex").read_text() == "keep"


def test_compare_resume_on_a_run_directory_names_it_and_leaves_no_lock(box, capsys):
    assert main(["run", "--weeks", "2", "--quiet", "--no-figure", "--out", "r"]) == 0
    before = sorted(p.name for p in (box.work / "r").iterdir())
    attempt(
        "compare --resume on a run directory",
        [*OUTPUTS["compare"]("r"), "--resume"],
        box,
        capsys,
        names=("inverse-qe run",),
    )
    assert sorted(p.name for p in (box.work / "r").iterdir()) == before  # no .lock


# -- a damaged store ------------------------------------------------------------------------------
@pytest.fixture
def experiment(box, capsys):
    """A finished small comparison in ``exp`` (run in the sandbox)."""
    assert main(OUTPUTS["compare"]("exp")) == 0
    capsys.readouterr()
    return box.work / "exp"


MANIFESTS = {
    "truncated manifest": lambda text: text[: len(text) // 2],
    "empty manifest": lambda text: "",
    "manifest not an object": lambda text: "[1, 2, 3]",
    "manifest not UTF-8": lambda text: "\udcff",
    "manifest of a run": lambda text: json.dumps({"inverse_qe_version": "0", "seed": 1}),
    "manifest with a damaged plan": lambda text: json.dumps({"kind": "compare", "plan": 5}),
}


@pytest.mark.parametrize("case", list(MANIFESTS))
def test_a_broken_manifest_is_a_clear_error_naming_it(box, capsys, experiment, case):
    from inverse_qe.experiments import ExperimentError, load

    path = experiment / "manifest.json"
    text = MANIFESTS[case](path.read_text())
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    attempt(
        f"compare --resume: {case}",
        [*OUTPUTS["compare"]("exp"), "--resume"],
        box,
        capsys,
        names=("manifest.json",),
    )
    with pytest.raises(ExperimentError, match=r"manifest\.json"):
        load(experiment)
    record_hostile(f"load(): {case}", True)


def test_a_directory_where_a_run_file_should_be_is_named(box, capsys, experiment):
    from inverse_qe.experiments import load
    from inverse_qe.experiments.store import DamagedRunWarning, Store

    store = Store(experiment)
    victim = sorted(store.stored_ids())[0]
    store.run_path(victim).unlink()
    store.run_path(victim).mkdir()
    attempt(
        "compare --resume: a directory named <id>.parquet",
        [*OUTPUTS["compare"]("exp"), "--resume"],
        box,
        capsys,
        names=(f"{victim}.parquet",),
    )
    with pytest.warns(DamagedRunWarning, match="directory"):
        results = load(experiment)
    assert results.runs.set_index("run_id").loc[victim, "status"] == "missing"
    record_hostile("load(): a directory named <id>.parquet", True)


def test_flipped_bytes_in_a_run_file_heal_on_resume(box, capsys, experiment):
    from inverse_qe.experiments import load
    from inverse_qe.experiments.store import DamagedRunWarning, Store

    store = Store(experiment)
    victim = sorted(store.stored_ids())[0]
    path = store.run_path(victim)
    data = bytearray(path.read_bytes())
    middle = len(data) // 3  # inside the data pages: the footer stays intact
    data[middle : middle + 16] = bytes(b ^ 0xFF for b in data[middle : middle + 16])
    path.write_bytes(bytes(data))
    with pytest.warns(DamagedRunWarning, match="checksum"):
        results = load(experiment)
    assert results.runs.set_index("run_id").loc[victim, "status"] == "missing"
    attempt(
        "compare --resume: flipped bytes in a run file",
        [*OUTPUTS["compare"]("exp"), "--resume"],
        box,
        capsys,
        code=0,
        names=(victim, "checksum"),
        may_write=(experiment,),
    )
    assert Store(experiment).readable(victim)
    assert json.loads((experiment / "manifest.json").read_text())["status"] == "complete"


def test_an_unreachable_scheduler_leaves_the_manifest_interrupted(box, capsys, experiment):
    attempt(
        "compare --resume on an unreachable scheduler",
        [*OUTPUTS["compare"]("exp"), "--resume", "--scheduler", "tcp://127.0.0.1:1"],
        box,
        capsys,
        names=("--scheduler",),
        may_write=(experiment,),
    )
    assert json.loads((experiment / "manifest.json").read_text())["status"] != "running"


EVERY_RUN_FAILS = {
    "compare": OUTPUTS["compare"]("exp"),
    "multiplier": ["multiplier", "early_phase", "--seeds", "1", "--weeks", "2", "--no-qe"],
    "regime": [
        *("regime", "dry_powder_exhaustion", "--seeds", "1", "--weeks", "2"),
        *("--x", "capex_growth=0:0.2:2", "--y", "dry_powder=200:400:2"),
    ],
}


@pytest.mark.parametrize("command", list(EVERY_RUN_FAILS))
def test_an_experiment_where_every_run_fails_lists_them_and_exits_2(
    box, capsys, monkeypatch, command
):
    from inverse_qe.model import bathtub

    def broken(self):
        raise RuntimeError("the model broke")

    monkeypatch.setattr(bathtub.BathtubModel, "run", broken)
    argv = EVERY_RUN_FAILS[command]
    if command != "compare":
        argv = [*argv, "--workers", "1", "--out", "exp", "--quiet", "--no-figures"]
    attempt(
        f"{command} where every run fails",
        argv,
        box,
        capsys,
        names=("every run failed", "the model broke"),
        may_write=(box.work / "exp",),
    )


# -- fuzzing ------------------------------------------------------------------------------------
@FUZZ
@given(content=st.binary(max_size=300))
def test_random_bytes_as_a_scenario_file(monkeypatch, capsys, content):
    with sandbox(monkeypatch) as fuzz:
        path = fuzz.root / "random.toml"
        path.write_bytes(content)
        attempt("validate: random bytes", ["validate", str(path)], fuzz, capsys, code={0, 2})


TOMLISH = st.text(
    alphabet=st.sampled_from(list('[]{}=".,#\n\\ \t0123456789abextends_-.e+:/\x00\u00e9')),
    max_size=120,
)


@FUZZ
@given(content=TOMLISH)
def test_random_toml_like_text_after_extends(monkeypatch, capsys, content):
    with sandbox(monkeypatch) as fuzz:
        path = fuzz.root / "random.toml"
        path.write_text(EXTENDS + content, encoding="utf-8")
        attempt("show: random TOML-ish text", ["show", str(path)], fuzz, capsys, code={0, 2})


@FUZZ
@given(name=st.text(max_size=80))
def test_random_names_are_identifiers_or_refused(monkeypatch, capsys, name):
    with sandbox(monkeypatch) as fuzz:
        value = json.dumps(name)  # a TOML basic string
        status, _ = attempt(
            "validate: a random name",
            ["show", "dry_powder_exhaustion", "--set", f"name={value}"],
            fuzz,
            capsys,
            code={0, 2},
        )
        if status == 0:
            assert "/" not in name and ".." not in name and "\0" not in name


SEGMENTS = st.sampled_from(["a", "b", "..", ".", "x.json", "é", " ", "-", "~", "\0", "", "*"])


@FUZZ
@given(parts=st.lists(SEGMENTS, min_size=1, max_size=5))
def test_random_output_paths_stay_where_they_were_asked(monkeypatch, capsys, parts):
    with sandbox(monkeypatch) as fuzz:
        (fuzz.work / "a").mkdir()
        target = "/".join(parts)
        resolved = (fuzz.work / target.replace("\0", "")).resolve()
        assume(fuzz.work in resolved.parents or resolved == fuzz.work)
        attempt(
            "schema --out: a random path",
            ["schema", "--out", target],
            fuzz,
            capsys,
            code={0, 2},
            may_write=(resolved,),
        )


FIELDS = [
    "households.cash",
    "assets.crypto.price",
    "assets.crypto.elasticity",
    "markets.depth_floor",
    "run.weeks",
    "run.seed",
    "hedge_funds.strategies.0.count",
    "central_bank.policy_rate",
    "hyperscalers.capex",
]
VALUES = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.text(max_size=20).map(json.dumps),
    st.floats(allow_nan=False, width=32).map(lambda v: f"[[0, {v!r}]]"),
)


@FUZZ
@given(field=st.sampled_from(FIELDS), value=VALUES)
def test_random_values_are_in_range_or_refused(monkeypatch, capsys, field, value):
    with sandbox(monkeypatch) as fuzz:
        attempt(
            "validate: a random value",
            ["show", "dry_powder_exhaustion", "--set", f"{field}={value}"],
            fuzz,
            capsys,
            code={0, 2},
        )


# -- the same, as a shell sees it -----------------------------------------------------------------
PROCESS_CASES = [
    ("name is an absolute path", "run", ("name",)),
    ("binary", "validate", ("binary",)),
    ("extends a chain of 1200 files", "show", ("chain longer",)),
    ("arrays 3000 deep", "explain", ("nested",)),
]


@pytest.mark.parametrize(("case", "command", "names"), PROCESS_CASES)
def test_as_a_process_a_bad_file_is_exit_2_without_traceback(box, bad_files, case, command, names):
    attempt(
        f"process {command}: {case}",
        COMMANDS[command](str(bad_files[case])),
        box,
        None,
        names=names,
    )


def test_as_a_process_weeks_beyond_the_cap_is_exit_2(box):
    attempt(
        "process compare --weeks 5300", [*COMPARE, "--weeks", "5300"], box, None, names=("--weeks",)
    )
