"""The terminal UI of ``qualkit tag`` (and of ``qualkit adjudicate --walk``) over
:class:`qualkit.coding.session.TaggingSession`.

This module only draws and maps keys to session methods; every decision, and whether it is
saved, belongs to the session. It is laid out for an 80x24 terminal, and nothing is said by
colour alone: ticks are ``[x]``, suggestions are marked ``S`` with their evidence, the
segment sits between ``»`` and ``«`` as well as in reverse video. Transcript text is always
drawn as :class:`rich.text.Text`, never as markup, so a ``[`` in what a participant said is
shown, not interpreted.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from typing import ClassVar

from rich.text import Text
from textual import events
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Checkbox, Input, Label, Static

from qualkit.coding.session import CodeLine, Filters, TaggingSession, TurnView, View
from qualkit.errors import QualkitError

KEYS: tuple[tuple[str, str], ...] = (
    ("1-9", "tick or untick code 1-9 (saved at once)"),
    ("/ or t", "tick or untick a code by number or part of its name (fuzzy)"),
    ("+", "add a new (inductive) code to the codebook and apply it here"),
    ("a", "accept the suggestions (marked S) and go to the next segment"),
    ("n", "none apply: reviewed, no code; go to the next segment"),
    ("Enter", "done with this segment: go to the next one"),
    ("s or →", "skip: next segment without deciding"),
    ("b or ←", "back to the previous segment"),
    ("j", "jump to the next segment you have not reviewed"),
    ("u", "undo your last decision, memo or quote mark"),
    ("m", "write or edit the memo of this segment"),
    ("i", "mark or unmark this segment as an illustrative quote"),
    ("c", "adjudication: take one coder's codes (c then 1, 2, ...) and go on"),
    ("f", "filter: transcript, code, suggested only"),
    ("?", "this help"),
    ("q", "quit (everything is already saved)"),
)

FOOTER = "1-9 / code · a accept · n none · ⏎ next · b back · u undo · m memo · ? · q quit"
CONTEXT_CHARS = 160  # of a neighbouring turn, so the segment always fits on an 80x24 screen
TURN_CHARS = 240  # of the current turn on each side of the segment


def _head(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " …"


def _tail(text: str, limit: int) -> str:
    return text if len(text) <= limit else "… " + text[-limit:].split(" ", 1)[-1]


def _turn(turn: TurnView, current: bool) -> Text:
    out = Text()
    if current:
        out.append(f"{turn.speaker}: ", style="bold")
        before, after = _tail(turn.before, TURN_CHARS), _head(turn.after, TURN_CHARS)
        out.append(before + (" " if before else ""))
        out.append("» ", style="bold")
        out.append(turn.segment, style="bold reverse")
        out.append(" «", style="bold")
        out.append((" " if after else "") + after)
    else:
        out.append(f"{turn.speaker}: ", style="dim bold")
        out.append(_head(turn.after, CONTEXT_CHARS), style="dim")
    return out


def _code_line(line: CodeLine, pending: bool) -> Text:
    box = "[x]" if line.ticked else "[ ]"
    if pending and line.ticked:
        box = "[+]"  # preselected suggestion, not yet a decision
    out = Text()
    out.append(f"{box} ", style="bold" if line.ticked else "")
    out.append(f"{line.number:>2} ")
    out.append(line.code.name, style="bold" if line.ticked else "")
    if line.suggested:
        words = ", ".join(dict.fromkeys(
            f"{e.matched}{' (negated)' if e.negated else ''}" for e in line.evidence))
        out.append(f"  S {line.score:.2f}", style="bold")
        if words:
            out.append(f": {words}", style="italic")
    if line.learned is not None:
        out.append(f"  L {line.learned:.2f} learned", style="bold")
    elif line.needs_examples:
        out.append("  (learning needs more examples)", style="dim")
    if line.others:
        out.append(f"  ← {', '.join(line.others)}", style="underline")
    return out


def render_header(view: View, coder: str, filters: Filters) -> Text:
    share = view.reviewed / view.total if view.total else 0.0
    group = f" ({view.group})" if view.group and view.group != view.transcript else ""
    state = ("decided" if view.decided else
             "suggestions preselected" if view.pending else "not reviewed")
    marks = (" · QUOTE" if view.quote else "") + (" · memo" if view.memo else "")
    where = f" · filter: {filters.describe()}" if filters.describe() else ""
    return Text(f"{coder} · {view.transcript}{group} · {view.turn.speaker} · segment "
                f"{view.position:,} of {view.total:,} · {share:.0%} reviewed\n"
                f"id {view.segment.id} · [{state}]{marks}{where}")


def render_context(view: View) -> Text:
    """The turns around the segment; in the adjudication walk, each coder's codes and memo
    come first, so they are on screen however long the turns are."""
    parts = []
    if view.others:
        shown = "; ".join(f"{name}: " + (", ".join(sorted(codes)) or "none apply"
                                         if codes is not None else "not reviewed")
                          for name, codes in view.others.items())
        parts.append(Text(f"Coders: {shown}", style="underline"))
    for name, memo in view.others_memos.items():
        parts.append(Text(f"{name}'s memo: {memo}", style="italic"))
    if view.previous_turn:
        parts.append(_turn(view.previous_turn, current=False))
    parts.append(_turn(view.turn, current=True))
    if view.next_turn:
        parts.append(_turn(view.next_turn, current=False))
    if view.memo:
        parts.append(Text(f"Memo: {view.memo}", style="italic"))
    return Text("\n").join(parts)


def render_codes(view: View) -> Text:
    """The numbered codes, after one line naming the suggested ones, so a suggestion is
    seen even when its code is below the fold of a long codebook."""
    hits = [f"{line.number} {line.code.name}" for line in view.codes if line.suggested]
    learned = [f"{line.number} {line.code.name}" for line in view.codes
               if line.learned is not None]
    top = Text("Suggested (S, press a to accept): " + "; ".join(hits) if hits
               else "No suggestions", style="bold" if hits else "dim")
    if learned:
        top.append(" · learned from your decisions (L): " + "; ".join(learned), style="bold")
    return Text("\n").join([top, *(_code_line(line, view.pending) for line in view.codes)])


class HelpScreen(ModalScreen[None]):
    """Every key, one per line; any key closes it."""

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    #help { width: 78; height: auto; max-height: 22; border: heavy $accent;
            background: $surface; padding: 0 1; }
    """

    def compose(self) -> ComposeResult:
        lines = Text("Keys (press any key to close)\n", style="bold")
        for key, what in KEYS:
            lines.append(f"{key:<8}", style="bold")
            lines.append(f"{what}\n")
        yield _Swallow(lines, id="help")

    def on_mount(self) -> None:
        self.query_one("#help").focus()

    def on_key(self, event: events.Key) -> None:
        event.stop()  # the key closes the help and does nothing else
        event.prevent_default()
        self.dismiss(None)


class _Swallow(Static, can_focus=True):
    """Takes every key, so that no session key acts while the help is open."""

    def check_consume_key(self, key: str, character: str | None) -> bool:
        return True


class PromptScreen(ModalScreen[str | None]):
    """One line of text (memo, code search); Enter keeps it, Escape cancels."""

    DEFAULT_CSS = """
    PromptScreen { align: center middle; }
    #box { width: 76; height: auto; border: heavy $accent; background: $surface;
           padding: 0 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, value: str = "", hint: str = "") -> None:
        super().__init__()
        self.title_text, self.value, self.hint = title, value, hint

    def compose(self) -> ComposeResult:
        with Vertical(id="box"):
            yield Label(self.title_text)
            yield Input(value=self.value, id="prompt")
            yield Label(self.hint or "Enter: keep · Escape: cancel")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class FilterScreen(ModalScreen[Filters | None]):
    """Transcript, code and "suggested only"; empty fields mean no filter."""

    DEFAULT_CSS = """
    FilterScreen { align: center middle; }
    #box { width: 76; height: auto; border: heavy $accent; background: $surface;
           padding: 0 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, current: Filters) -> None:
        super().__init__()
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(id="box"):
            yield Label("Filter (empty: all). Enter in a field applies; Escape cancels.")
            yield Label("Transcript:")
            yield Input(value=self.current.transcript or "", id="transcript")
            yield Label("Code (number or part of its name):")
            yield Input(value=self.current.code or "", id="code")
            yield Checkbox("Suggested segments only", self.current.suggested_only,
                           id="suggested")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        transcript = self.query_one("#transcript", Input).value.strip() or None
        code = self.query_one("#code", Input).value.strip() or None
        suggested = self.query_one("#suggested", Checkbox).value
        self.dismiss(Filters(transcript, code, suggested))

    def action_cancel(self) -> None:
        self.dismiss(None)


_APP_ACTIONS = {"quit", "command_palette", "help_quit", "screenshot", "focus_next",
                "focus_previous"}


class TaggingApp(App[None]):
    """The full-screen coding session."""

    TITLE = "qualkit tag"
    CSS = """
    Screen { layout: vertical; }
    #header { height: 2; background: $boost; text-style: bold; }
    #context { height: 1fr; min-height: 5; border-bottom: solid $primary; }
    #codes { height: 1fr; min-height: 6; }
    #status { height: 1; text-style: bold; }
    #footer { height: 1; background: $boost; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        *(Binding(str(n), f"toggle('{n}')", show=False) for n in range(1, 10)),
        Binding("slash,t", "find", show=False),
        Binding("plus", "add_code", show=False),
        Binding("a", "accept", show=False),
        Binding("n", "none", show=False),
        Binding("enter", "confirm", show=False),
        Binding("s,right", "skip", show=False),
        Binding("b,left", "back", show=False),
        Binding("j", "next_unreviewed", show=False),
        Binding("u", "undo", show=False),
        Binding("m", "memo", show=False),
        Binding("i", "quote", show=False),
        Binding("c", "adopt", show=False),
        Binding("f", "filter", show=False),
        Binding("question_mark", "help", show=False),
        Binding("q", "quit_session", show=False),
    ]

    def __init__(self, session: TaggingSession, title: str = "qualkit tag") -> None:
        super().__init__()
        self.session = session
        self.title = title
        self.message = "? lists every key. Decisions are saved as you make them."

    def compose(self) -> ComposeResult:
        yield Static(id="header")
        with VerticalScroll(id="context"):
            yield Static(id="context-text")
        with VerticalScroll(id="codes"):
            yield Static(id="codes-text")
        yield Static(id="status")
        yield Static(FOOTER, id="footer")

    def on_mount(self) -> None:
        self.refresh_view()
        self.set_interval(1.0, self._take_model)

    def _take_model(self) -> None:
        """Show a model retrained in the background as soon as it is ready (the session
        trains in a thread; this only looks whether it has finished)."""
        message = self.session.poll_model()
        if message:
            self.message = message
            self.refresh_view()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Session keys act only on the session screen: not under the help, a memo or a
        filter (where the key belongs to the overlay)."""
        return not (isinstance(self.screen, ModalScreen) and action not in _APP_ACTIONS)

    def refresh_view(self) -> None:
        view = self.session.view()
        self.query_one("#header", Static).update(
            render_header(view, self.session.coder, self.session.filters))
        self.query_one("#context-text", Static).update(render_context(view))
        self.query_one("#codes-text", Static).update(render_codes(view))
        self.query_one("#status", Static).update(Text(self.message))
        self.query_one("#context", VerticalScroll).scroll_home(animate=False)

    def _do(self, step: Callable[[], str | bool | None]) -> None:
        """Run one session step; a store failure is shown, never raised into Textual."""
        try:
            result = step()
        except QualkitError as err:
            self.message = f"Not saved: {err}"
        else:
            if isinstance(result, str):
                self.message = result
            elif result is False:
                self.message = "No more segments that way"
            else:
                self.message = ""
            retrained = self.session.poll_model()
            if retrained:
                self.message = f"{self.message} · {retrained}" if self.message else retrained
        self.refresh_view()

    def action_toggle(self, number: str) -> None:
        self._do(lambda: self.session.toggle(number))

    def action_accept(self) -> None:
        self._do(self.session.accept)

    def action_none(self) -> None:
        self._do(self.session.none_apply)

    def action_confirm(self) -> None:
        self._do(self.session.confirm)

    def action_skip(self) -> None:
        self._do(self.session.next)

    def action_back(self) -> None:
        self._do(self.session.back)

    def action_next_unreviewed(self) -> None:
        def step() -> str | bool:
            return self.session.next_unreviewed() or "Every segment here is reviewed"

        self._do(step)

    def action_undo(self) -> None:
        self._do(self.session.undo)

    def action_quote(self) -> None:
        self._do(self.session.toggle_quote)

    def action_memo(self) -> None:
        view = self.session.view()

        def done(value: str | None) -> None:
            if value is not None:
                self._do(lambda: self.session.set_memo(value))

        self.push_screen(PromptScreen(f"Memo on segment {view.segment.id}", view.memo,
                                      "Enter: save · Escape: cancel · empty: clear"), done)

    def action_adopt(self) -> None:
        names = list(self.session.others)
        if not names:
            self._do(lambda: self.session.adopt(""))
            return

        def done(value: str | None) -> None:
            if value:
                self._do(lambda: self.session.adopt(value))

        choices = ", ".join(f"{i} {name}" for i, name in enumerate(names, start=1))
        self.push_screen(PromptScreen(f"Take whose codes? {choices}"), done)

    def action_find(self) -> None:
        def done(value: str | None) -> None:
            if value:
                self._do(lambda: self.session.toggle(value))

        self.push_screen(PromptScreen("Toggle which code? (number or part of its name)"),
                         done)

    def action_add_code(self) -> None:
        def done(value: str | None) -> None:
            if value:
                self._do(lambda: self.session.add_code(value))

        self.push_screen(PromptScreen("New code (added to the codebook as an inductive code)"),
                         done)

    def action_filter(self) -> None:
        def done(value: Filters | None) -> None:
            if value is not None:
                def step() -> str:
                    n = self.session.set_filters(value)
                    return f"{n:,} segment(s) selected" + (
                        f" ({value.describe()})" if value.describe() else "")

                self._do(step)

        self.push_screen(FilterScreen(self.session.filters), done)

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def action_quit_session(self) -> None:
        # A failure here loses only the resume position; every decision is already saved.
        with suppress(QualkitError):
            self.session.close()
        self.exit()
