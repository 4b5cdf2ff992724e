"""Help and usage lines that read as words in a terminal.

Typer (0.29) labels every option with its Python type, flags included (``--json <bool>``),
and writes a required argument as ``{number}`` in the usage line. The conventional forms
instead: ``--json`` alone, ``--cards INTEGER``, ``skillcard check [OPTIONS] NUMBER``.
"""

from __future__ import annotations

import typer
from typer.core import TyperArgument, TyperCommand, TyperOption

# Typer's type label -> the word shown after an option that takes a value.
VALUE_WORDS = {
    "<str>": "TEXT",
    "<list[str]>": "TEXT",
    "<int>": "INTEGER",
    "<int range>": "INTEGER",
    "<float>": "NUMBER",
    "<path>": "PATH",
    "<file>": "FILE",
    "<%Y-%m-%d>": "YYYY-MM-DD",
}


class _Argument(TyperArgument):
    """An argument named in capitals, bare when required and in [brackets] when not."""

    def _usage_display_name(self) -> str:
        name = self.display_name_raw if self.required else f"[{self.display_name_raw}]"
        return name + ("..." if self.nargs != 1 else "")

    def display_type_rich(self, ctx: typer.Context) -> str | None:  # type: ignore[override]
        return None  # the name says what to give; its help says more


def make_readable(command: TyperCommand, ctx: typer.Context | None = None) -> TyperCommand:
    """Relabel the parameters of ``command`` and of every command below it, in place."""
    ctx = ctx or typer.Context(command)
    helper = command.get_help_option(ctx)  # made once and kept: relabel it like the others
    for param in [*command.params, *([helper] if helper else [])]:
        try:
            _relabel(param, ctx)
        except AttributeError:  # another Typer: its own labels, but the command still runs
            continue
    for sub in getattr(command, "commands", {}).values():
        make_readable(sub, ctx)
    return command


def _relabel(param, ctx: typer.Context) -> None:
    if isinstance(param, TyperArgument):
        param.__class__ = _Argument
        param.metavar = param.metavar or param.name.upper()
    elif isinstance(param, TyperOption) and param.metavar is None:
        if param.is_flag:
            param.metavar = ""  # a flag takes no value
        else:
            shown = param.display_type(ctx)
            param.metavar = VALUE_WORDS.get(shown, shown)
