"""The README's list of every command and its options ("Every command and its options")
says what `kerascanvas --help` and each `kerascanvas COMMAND --help` list: each command
and each option is described, and nothing is described that the parsers do not have.
The parsers are the real ones (`app.cli.build_parser`)."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from kerascanvas.app import cli

README = Path(__file__).parents[1] / "README.md"
HEADING = "### Every command and its options"
COMMAND = re.compile(r"^- `kerascanvas ([\w-]+)")
OPTION = re.compile(r"^  - ((?:`-[^`]+`(?:, )?)+):")


def described() -> dict[str, set[str]]:
    """command -> the options its entry of the README's list describes."""
    text = README.read_text(encoding="utf-8")
    section = text.split(HEADING, 1)[1].split("\n#", 1)[0]
    found: dict[str, set[str]] = {}
    command = None
    for line in section.splitlines():
        if match := COMMAND.match(line):
            command = match.group(1)
            assert command not in found, f"{command} is listed twice"
            found[command] = set()
        elif match := OPTION.match(line):
            assert command is not None, line
            spans = re.findall(r"`([^`]+)`", match.group(1))
            found[command] |= {span.split()[0] for span in spans}
    return found


def parsed() -> dict[str, set[str]]:
    """command -> the option strings its parser takes (--help aside)."""
    modules = {n: m for n in cli.COMMANDS if (m := cli._load_command(n)) is not None}
    parser = cli.build_parser(modules)
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return {name: {o for a in command._actions if not isinstance(a, argparse._HelpAction)
                   for o in a.option_strings}
            for name, command in sub.choices.items()}


PARSED, DESCRIBED = parsed(), described()


def test_the_list_names_every_command_and_no_other():
    assert list(DESCRIBED) == list(PARSED)


@pytest.mark.parametrize("command", sorted(PARSED))
def test_the_list_describes_every_option_of_a_command_and_no_other(command):
    missing = PARSED[command] - DESCRIBED.get(command, set())
    unknown = DESCRIBED.get(command, set()) - PARSED[command]
    assert not missing, f"README: describe {sorted(missing)} of kerascanvas {command}"
    assert not unknown, f"README describes {sorted(unknown)}, which kerascanvas {command} " \
                        "does not take"
