"""Every data command the README and docs show runs as written (#10.1).

The commands are read from the fenced code blocks (and inline code) of the
documents, parsed with the real argument parsers (so a spelling the CLI does
not accept fails here), then run with tiny sizes substituted: a small synthetic
dataset for the dataset root, a temporary folder for the output, the ``tiny``
preset, 64 x 48 images, a few examples and batches.
"""

from __future__ import annotations

import pathlib
import re
import runpy
import shlex
import sys

import pytest

from sievenet_tf.data import cli
from sievenet_tf.data.synthetic import generate
from sievenet_tf.training import benchmark_data

REPO = pathlib.Path(__file__).resolve().parents[2]
DOCUMENTS = ("README.md", "docs/data.md", "docs/synthetic.md")
BENCHMARK_SCRIPT = "training/benchmark_data.py"
# Option -> the tiny value it gets; options not listed keep the documented value.
TINY_VALUES = {
    "--train": "3",
    "--num-train": "3",
    "--test": "2",
    "--num-test": "2",
    "--size": "64x48",
    "--shards": "2",
    "--batches": "2",
    "--batch-size": "2",
    "--preset": "tiny",
    "--model-steps": "1",
    "--count": "1",
}


def documented_commands() -> list[tuple[str, str]]:
    """(document, command line) for every ``sievenet-data`` / benchmark command shown."""
    found = []
    for name in DOCUMENTS:
        text = (REPO / name).read_text(encoding="utf-8")
        lines = []
        for block in re.findall(r"```[^\n]*\n(.*?)```", text, flags=re.S):
            lines += block.replace("\\\n", " ").splitlines()
        lines += re.findall(r"`((?:sievenet-data|python training/benchmark_data\.py) [^`]+)`", text)
        for line in lines:
            line = line.strip().removeprefix("$ ")
            if line.startswith(("sievenet-data ", f"python {BENCHMARK_SCRIPT} ")) and _runnable(
                line
            ):
                found.append((name, line))
    return list(dict.fromkeys(found))


def _runnable(line: str) -> bool:
    """Usage synopses (``[--opt]``, ``a|b``, ``ROOT``) and mentions of a
    subcommand without arguments are not runnable commands."""
    tokens = shlex.split(line, comments=True)
    synopsis = any(c in line.split("#")[0] for c in "[]|") or any(
        re.fullmatch(r"[A-Z][A-Z_x]*", token) for token in tokens
    )
    return not synopsis and len(tokens) >= 3


def tiny_command(line: str) -> tuple[str, ...]:
    """The command to run for a documented ``line``: the program ("sievenet-data"
    or the benchmark script) and its arguments, with tiny values and the
    placeholders ``{data}`` / ``{out}`` for the dataset root and the output.

    Parsing with the real parser checks that the documented spelling is accepted.
    """
    tokens = shlex.split(line, comments=True)
    program, argv = (
        (tokens[0], tokens[1:]) if tokens[0] == "sievenet-data" else (BENCHMARK_SCRIPT, tokens[2:])
    )
    parser = cli.build_parser() if program == "sievenet-data" else benchmark_data.build_parser()
    try:
        parsed = parser.parse_args(argv)
    except SystemExit:  # reported by the test, not at collection
        return ("refused by the parser", line)
    replacements = {getattr(parsed, "root", None): "{data}", getattr(parsed, "out", None): "{out}"}
    result, seen = [], set()
    tokens = iter(argv)
    for token in tokens:
        option, _, value = token.partition("=")
        if option in TINY_VALUES:
            seen.add(option)
            result += [option, TINY_VALUES[option]]
            if not value:
                next(tokens)
        else:
            result.append(replacements.pop(token, token))
    subcommand = argv[0] if program == "sievenet-data" else "benchmark"
    extra = {
        "to-tfrecord": ("--preset",),
        "benchmark": ("--preset", "--batches", "--batch-size"),
    }.get(subcommand, ())
    if getattr(parsed, "model", False):
        extra += ("--model-steps",)
    for option in extra:
        if option not in seen and not (option == "--preset" and "--size" in seen):
            result += [option, TINY_VALUES[option]]
    return (program, *result)


COMMANDS = {}  # tiny command -> the first documented line that gives it
for _document, _line in documented_commands():
    COMMANDS.setdefault(tiny_command(_line), f"{_document}: {_line.split('#')[0].strip()}")


def test_the_readme_shows_the_data_commands():
    readme = [line for document, line in documented_commands() if document == "README.md"]
    subcommands = {line.split()[1] for line in readme if line.startswith("sievenet-data")}
    assert {"validate", "to-tfrecord", "synth"} <= subcommands, readme
    assert any(BENCHMARK_SCRIPT in line for line in readme), readme


@pytest.fixture(scope="module")
def tiny_dataset(tmp_path_factory):
    root = tmp_path_factory.mktemp("documented") / "data"
    return generate(root, 3, 2, image_size=(64, 48), progress=False)


@pytest.mark.parametrize("command", list(COMMANDS), ids=list(COMMANDS.values()))
def test_documented_command_runs(command, tiny_dataset, tmp_path, capsys):
    program, *argv = command
    if program == "refused by the parser":
        pytest.fail(f"{COMMANDS[command]}: the documented command is refused by the parser")
    argv = [
        a.replace("{data}", str(tiny_dataset)).replace("{out}", str(tmp_path / "out")) for a in argv
    ]
    if program == "sievenet-data":
        code = cli.main(argv)
    else:  # the documented script itself
        code = _run_script(REPO / program, argv)
    err = capsys.readouterr().err
    assert code == 0, f"{COMMANDS[command]} -> {program} {' '.join(argv)} exited {code}:\n{err}"


def _run_script(path: pathlib.Path, argv: list[str]) -> int:
    saved = sys.argv
    sys.argv = [str(path), *argv]
    try:
        runpy.run_path(str(path), run_name="__main__")
    except SystemExit as e:
        return int(e.code or 0)
    finally:
        sys.argv = saved
    return 0
