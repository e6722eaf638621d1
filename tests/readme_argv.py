"""`kerascanvas` as README commands see it in tests/test_readme.py: validate and codegen run
for real (they are quick and need no keras); every other command's arguments are parsed
with the real parser, which exits 2 on an unknown option or a bad value."""

from __future__ import annotations

import sys

from kerascanvas.app import cli


def main(argv: list[str]) -> int:
    if argv and argv[0] in ("validate", "codegen"):
        code = cli.main(argv)
        return 0 if argv[0] == "validate" and code == 1 else code  # 1 is "has errors"
    modules = {n: m for n in cli.COMMANDS if (m := cli._load_command(n)) is not None}
    cli.build_parser(modules).parse_args(argv)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
