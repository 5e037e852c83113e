"""Writing outputs: checked first, atomic, never overwriting or colliding, swept when orphaned."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from inverse_qe import outputs
from inverse_qe.errors import OutputError, OutputExistsError
from inverse_qe.outputs import OutputDir, OutputFile, safe_name, sweep_leftovers

MPL_CONFIG = os.environ.get("MPLCONFIGDIR") or str(Path(tempfile.gettempdir()) / "inverse-qe-mpl")


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("dry_powder_exhaustion", "dry_powder_exhaustion"),
        ("/tmp/x", "_tmp_x"),
        ("../../x", "____x"),
        ("a\0b", "a_b"),
        ("..", "_"),
        ("", "output"),
        (".hidden", "hidden"),
        ("é ü", "___"),
        ("x" * 300, "x" * outputs.MAX_NAME),
    ],
)
def test_safe_names_never_leave_their_directory(tmp_path, name, safe):
    assert safe_name(name) == safe
    assert outputs.inside(tmp_path, name).parent == tmp_path


def test_a_file_is_written_atomically_and_only_replaced_with_force(tmp_path):
    path = tmp_path / "x.txt"
    OutputFile(path).write_text("one")
    with pytest.raises(OutputExistsError, match="--force"):
        OutputFile(path)
    OutputFile(path, force=True).write_text("two")
    assert path.read_text() == "two"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.txt"]


def test_a_failure_while_writing_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "x.png"
    path.write_text("old")
    target = OutputFile(path, force=True)
    with pytest.raises(RuntimeError), target.writing() as temporary:
        temporary.write_text("half")
        raise RuntimeError("killed")
    assert path.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.png"]
    assert temporary.suffix == ".png"  # libraries pick the format from it


def test_a_results_directory_appears_whole_or_not_at_all(tmp_path):
    out = tmp_path / "deep" / "run"
    with pytest.raises(RuntimeError), OutputDir(out) as staging:
        (staging / "half.csv").write_text("x")
        raise RuntimeError("killed")
    assert not out.exists() and not list((tmp_path / "deep").iterdir())
    with OutputDir(out) as staging:
        (staging / "done.csv").write_text("x")
    assert [p.name for p in out.iterdir()] == ["done.csv"]


def test_force_replaces_earlier_results_but_nothing_else(tmp_path):
    out = tmp_path / "run"
    with OutputDir(out) as staging:
        (staging / "manifest.json").write_text("{}")
    with pytest.raises(OutputExistsError, match="not empty"):
        OutputDir(out)
    target = OutputDir(out, force=True)
    with target as staging:
        (staging / "manifest.json").write_text('{"new": 1}')
    assert (out / "manifest.json").read_text() == '{"new": 1}'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]
    foreign = tmp_path / "thesis"
    foreign.mkdir()
    (foreign / "chapter.tex").write_text("keep")
    with pytest.raises(OutputExistsError, match=r"manifest\.json"):
        OutputDir(foreign, force=True)


def test_default_names_take_the_next_free_one(tmp_path):
    base = tmp_path / "runs" / "x_seed1"
    made = []
    for _ in range(3):
        target = OutputDir(base, unique=True)
        with target as staging:
            (staging / "a").write_text("x")
        made.append(target.path.name)
    assert made == ["x_seed1", "x_seed1_2", "x_seed1_3"]


def test_two_runs_started_together_both_succeed(tmp_path):
    env = {**os.environ, "MPLCONFIGDIR": MPL_CONFIG}
    command = [sys.executable, "-m", "inverse_qe.cli", "run", "--weeks", "3", "--quiet"]
    started = [
        subprocess.Popen(
            [*command, "--no-figure"], cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    for process in started:
        assert process.wait(timeout=120) == 0, process.stderr.read()
    assert len([p for p in (tmp_path / "runs").iterdir() if not p.name.startswith(".")]) == 2


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_leftovers_of_dead_owners_are_swept_and_of_live_ones_kept(tmp_path):
    mine = tmp_path / outputs.temporary_name("alive")
    mine.mkdir()
    dead = outputs.temporary_name("dead").replace(f"-{os.getpid()}-", f"-{_dead_pid()}-")
    (tmp_path / dead).mkdir()
    (tmp_path / dead / "partial.csv").write_text("x")
    (tmp_path / (dead + ".tmp")).write_text("x")
    (tmp_path / ".user-dotfile").write_text("x")
    assert sweep_leftovers(tmp_path) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([mine.name, ".user-dotfile"])


def test_checks_name_the_path_and_what_is_wrong(tmp_path):
    (tmp_path / "afile").write_text("x")
    (tmp_path / "link").symlink_to(tmp_path / "nowhere")
    for target, message in [
        (tmp_path / "afile" / "x.txt", "is a file"),
        (tmp_path / "missing" / "x.txt", "does not exist"),
        (tmp_path / "link", "symbolic link"),
        (tmp_path, "is a directory"),
        (Path("a\0b"), "NUL"),
    ]:
        with pytest.raises(OutputError, match=message):
            OutputFile(target)
    with pytest.raises(OutputError, match="is a file"):
        OutputDir(tmp_path / "afile" / "sub")
    with pytest.raises(OutputError, match=r"\.png"):
        OutputFile(tmp_path / "x.txt", suffixes=(".png",))


def test_a_figure_replaces_the_old_picture_whole_or_not_at_all(tmp_path):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from PIL import Image

    picture = tmp_path / "figure.png"
    picture.write_bytes(b"the old picture")
    fig = Figure(figsize=(2, 1), dpi=50)
    FigureCanvasAgg(fig)
    fig.add_subplot().plot([0, 1], [1, 0])
    assert outputs.write_figure(fig, picture) == picture
    with Image.open(picture) as image:
        assert image.size == (100, 50)
    # A figure that cannot be drawn leaves the old picture, and no temporary beside it.
    fig.add_subplot().set_title(r"$\frac{1}$")  # mathtext that does not parse
    with pytest.raises(ValueError):
        outputs.write_figure(fig, picture)
    with Image.open(picture) as image:
        assert image.size == (100, 50)
    assert [p.name for p in tmp_path.iterdir()] == ["figure.png"]
