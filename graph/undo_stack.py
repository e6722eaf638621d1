"""The undo machinery: `Command` (an edit that can be done and undone), `Macro` (several
run as one) and `UndoStack` (the history, with a clean mark for "saved"). No Qt.
The document's own commands are in `graph.commands`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

from .bulk import collector_paused
from .errors import DocumentError


class Command:
    """An edit that can be done, undone and redone."""

    text = "Edit"

    def do(self) -> Any:
        raise NotImplementedError

    def undo(self) -> None:
        raise NotImplementedError

    def merge(self, later: Command) -> bool:
        """Take in `later`, run just after this command, so that the two undo as one step
        (arrow-key moves of one selection); False, the default, keeps them two steps."""
        return False


class Macro(Command):
    """Several commands run as one; undo runs theirs in reverse."""

    def __init__(self, text: str):
        self.text = text
        self.children: list[Command] = []

    def do(self):
        for c in self.children:
            c.do()

    def undo(self):
        for c in reversed(self.children):
            c.undo()


class UndoStack:
    """History of commands with a clean mark for "saved".

    `listeners` are called with no arguments after every change of the history.
    `bulk` frames each edit the stack runs (a push, a macro, an undo or a redo) so that
    views can treat its events as one change; a `Project` sets it to its document's
    `events.bulk`.
    """

    def __init__(self) -> None:
        self._done: list[Command] = []
        self._undone: list[Command] = []
        self._macro: Macro | None = None
        # The last push, which the next may merge into (`Command.merge`): None once anything
        # else happened to the history (an undo, a redo, a macro, a save).
        self._open: Command | None = None
        self._busy = False
        self._clean_depth: int | None = 0
        self.listeners: list[Callable[[], None]] = []
        self.bulk: Callable[[], AbstractContextManager] = nullcontext

    def push(self, command: Command) -> Any:
        """Run `command` and record it. A refused command leaves no trace."""
        if self._busy:
            raise DocumentError("An edit was attempted while another edit was running")
        self._busy = True
        try:
            with collector_paused(), self.bulk():
                result = command.do()
        finally:
            self._busy = False
        if self._macro is not None:
            self._macro.children.append(command)
            return result
        if self._open is not None and self._open.merge(command):
            self._changed(pushed=True)
            return result
        self._done.append(command)
        self._open = command
        if self._clean_depth is not None and self._clean_depth > len(self._done) - 1:
            self._clean_depth = None
        self._undone.clear()
        self._changed(pushed=True)
        return result

    @contextmanager
    def macro(self, text: str) -> Iterator[Macro]:
        """Group the pushes inside the `with` into one undoable step.

        If an edit inside fails, the ones already made are undone and the error propagates.
        """
        if self._macro is not None:  # nested: join the outer gesture
            yield self._macro
            return
        self._macro = macro = Macro(text)
        with collector_paused(), self.bulk():  # the whole gesture is one edit for the views
            try:
                yield macro
            except BaseException:
                self._macro = None
                macro.undo()
                raise
            self._macro = None
        if macro.children:
            self._done.append(macro)
            self._undone.clear()
            if self._clean_depth is not None and self._clean_depth > len(self._done) - 1:
                self._clean_depth = None
            self._changed()

    def undo(self) -> None:
        if self._done:
            command = self._done.pop()
            self._run(command.undo)
            self._undone.append(command)
            self._changed()

    def redo(self) -> None:
        if self._undone:
            command = self._undone.pop()
            self._run(command.do)
            self._done.append(command)
            self._changed()

    def _run(self, fn):
        if self._busy:
            raise DocumentError("Undo or redo was attempted while an edit was running")
        self._busy = True
        try:
            with collector_paused(), self.bulk():
                fn()
        finally:
            self._busy = False

    @property
    def can_undo(self) -> bool:
        return bool(self._done)

    @property
    def can_redo(self) -> bool:
        return bool(self._undone)

    @property
    def undo_text(self) -> str:
        return self._done[-1].text if self._done else ""

    @property
    def redo_text(self) -> str:
        return self._undone[-1].text if self._undone else ""

    def set_clean(self) -> None:
        self._clean_depth = len(self._done)
        self._changed()

    @property
    def is_clean(self) -> bool:
        return self._clean_depth == len(self._done)

    def mark_modified(self) -> None:
        """No state in the history counts as saved (work restored after a crash)."""
        self._clean_depth = None
        self._changed()

    def clear(self) -> None:
        self._done.clear()
        self._undone.clear()
        self._clean_depth = 0
        self._changed()

    def _changed(self, pushed: bool = False) -> None:
        if not pushed:
            self._open = None
        for listener in list(self.listeners):
            listener()
