"""The setup form's store picker: stores ticked in a list, added as container + encoding.

A store is a container and an encoding (``tar+png``, ``lmdb+jpeg90``). The list holds the
stores worth comparing (the classic four and the formats preset's) and any other that was
given or added; two menus and an add key put in another pair without typing its name, and
a text field takes the same comma list as the command line's ``--stores``. The list and
the text field follow each other. A container whose library is missing stays in sight,
its stores greyed out and its install line said under the list.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from rich.segment import Segment
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.strip import Strip
from textual.widgets import Button, Input, Label, Select, SelectionList, Static
from textual.widgets._toggle_button import ToggleButton
from textual.widgets.option_list import OptionDoesNotExist
from textual.widgets.selection_list import Selection

from imgbench.core.backends.names import CONTAINERS, missing_library, parse_store
from imgbench.core.settings import FORMATS_STORES

from .encoding_words import encoding_words
from .value_parsers import parse_stores

#: The stores the list always shows, in this order: the classic four among today's formats.
BASE_STORES: tuple[str, ...] = FORMATS_STORES
#: The encodings the add menu offers (any other is typed): (short name, what the menu says).
ENCODING_CHOICES: tuple[tuple[str, str], ...] = (
    ("raw", "raw"),
    ("png", "png"),
    ("png1", "png1 (fast)"),
    ("png9", "png9 (small)"),
    ("jpeg95", "jpeg95"),
    ("jpeg90", "jpeg90"),
    ("jpeg", "jpeg (q75)"),
    ("jpeg50", "jpeg50"),
    ("webp", "webp (lossless)"),
    ("webp90", "webp90"),
    ("webp75", "webp75"),
    ("original", "original (folder)"),
)
#: Only an image folder has files of its own to store as they are.
FOLDER_ONLY_ENCODINGS = ("original",)
CONTAINER_WORDS = {
    "lmdb": "LMDB",
    "hdf5": "HDF5",
    "tar": "tar shards",
    "parquet": "Parquet",
    "zarr": "Zarr",
}


# -- words --------------------------------------------------------------------------------------


def store_words(name: str) -> str:
    """What a store is, in a few words: "tar shards of PNG", "PNG files, one per image"."""
    store = parse_store(name)
    encoding = encoding_words(store.encoding)
    if store.container == "files":
        if store.encoding == "original":
            return "the images' own files, as they are"
        return f"{encoding} files, one per image"
    if store.container == "raw":
        return "raw pixels in one flat file"
    return f"{CONTAINER_WORDS.get(store.container, store.container)} of {encoding}"


def container_of(name: str) -> str:
    """A store's container ("" for a name that means nothing)."""
    try:
        container: str = parse_store(name).container
    except ValueError:
        return ""
    return container


def canonical_or_as_given(name: str) -> str:
    """A store's one spelling; a name that means nothing stays as it is (the settings'
    check says what is wrong with it, under the list)."""
    try:
        canonical: str = parse_store(name).canonical
    except ValueError:
        return name
    return canonical


def merged(listed: Sequence[str], more: Iterable[str]) -> list[str]:
    """``listed`` with each of ``more`` not in it yet put after the last store of its
    container (so lmdb+jpeg90 sits by lmdb), or at the end."""
    result = list(listed)
    for name in more:
        if name in result:
            continue
        container = container_of(name)
        places = [i for i, there in enumerate(result) if container_of(there) == container]
        if container and places:
            result.insert(places[-1] + 1, name)
        else:
            result.append(name)
    return result


def add_problem(container: str, encoding: str) -> str:
    """Why this container and encoding cannot be added here; empty when they can. A
    missing library is said in short: the install line is under the list already."""
    if missing_library(container):
        return f"cannot add {container} stores here: not installed (see above)"
    try:
        parse_store(f"{container}+{encoding}")
    except ValueError as error:
        return str(error)
    return ""


# -- widgets --------------------------------------------------------------------------------------


class TickList(SelectionList[str]):
    """A selection list whose boxes are empty when off, like the form's checkboxes, so it
    reads right without colour (16-colour SSH)."""

    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        try:
            option = self.get_option_at_index(self.scroll_offset.y + y)
        except OptionDoesNotExist:
            return strip
        if option.value in self.selected:
            return strip
        segments = list(strip)
        if len(segments) > 1 and segments[1].text == ToggleButton.BUTTON_INNER:
            segments[1] = Segment(" ", segments[1].style, segments[1].control)
            return Strip(segments, strip.cell_length)
        return strip


class StorePicker(Vertical):
    """The stores of a run: ticked in a list, added from two menus, or typed.

    ``chosen`` is what the run stores in, in the list's order. Its widgets keep the ids
    the form marks problems at: ``#backends`` (the list) and ``#stores`` (the text).
    """

    def __init__(self, stores: Sequence[str], *, id: str | None = None) -> None:
        super().__init__(id=id)
        chosen = _spelled(stores)
        #: Why each container cannot be used here ("" when it can).
        self._missing = {container: missing_library(container) for container in CONTAINERS}
        #: Stores the list keeps showing when they are not ticked.
        self._pinned: list[str] = merged(BASE_STORES, chosen)
        self._listed: list[str] = list(self._pinned)
        self._initial = chosen
        self._folder = False

    # -- building -------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Horizontal(classes="field choice-row", id="backends-row"):
            yield Label("stores", classes="field-label")
            yield TickList(*self._selections(self._initial), id="backends", compact=True)
        yield Static("", id="stores-missing", classes="note hint", markup=False)
        yield Static("", id="backends-problem", classes="problem", markup=False)
        with Horizontal(classes="field", id="store-add-row"):
            yield Label("add a store", classes="field-label")
            yield Select(
                self._container_options(),
                id="add-container",
                compact=True,
                allow_blank=False,
                value="tar",
            )
            yield Label("+", classes="plus")
            yield Select(
                self._encoding_options(),
                id="add-encoding",
                compact=True,
                allow_blank=False,
                value="png",
            )
            yield Button("Add  a", id="add-store", compact=True)
        yield Static("", id="store-add-note", classes="note hint", markup=False)
        with Horizontal(classes="field", id="stores-row"):
            yield Label("or type stores", classes="field-label")
            yield Input(
                ",".join(self._initial),
                placeholder="comma list, e.g. png,lmdb+jpeg90,tar+png",
                id="stores",
                compact=True,
            )
        yield Static("", id="stores-problem", classes="problem", markup=False)

    def on_mount(self) -> None:
        self._show_missing()
        self._show_pick()

    def _selections(self, ticked: Iterable[str]) -> list[Selection[str]]:
        chosen = set(ticked)
        width = max(len(name) for name in self._listed) + 2
        selections = []
        for name in self._listed:
            missing = self._cannot_run(name)
            prompt = Content.assemble((name.ljust(width), "bold"), _words(name))
            if missing:
                prompt = Content.assemble(prompt, " (not installed)")
            # a ticked store can always be unticked, even when it cannot run here
            disabled = missing and name not in chosen
            selections.append(Selection(prompt, name, name in chosen, disabled=disabled))
        return selections

    def _container_options(self) -> list[tuple[str, str]]:
        return [(f"{name} (missing)" if self._missing[name] else name, name) for name in CONTAINERS]

    def _cannot_run(self, name: str) -> bool:
        """Whether a store's container is missing its library here."""
        return bool(self._missing.get(container_of(name)))

    def _encoding_options(self) -> list[tuple[str, str]]:
        offered = self.offered_encodings()
        return [(words, name) for name, words in ENCODING_CHOICES if name in offered]

    def offered_encodings(self) -> tuple[str, ...]:
        """The encodings the add menu offers: original only for an image folder."""
        return tuple(
            name
            for name, _ in ENCODING_CHOICES
            if self._folder or name not in FOLDER_ONLY_ENCODINGS
        )

    # -- public ---------------------------------------------------------------------------------

    @property
    def chosen(self) -> tuple[str, ...]:
        """The ticked stores, in the list's order."""
        ticked = set(self.query_one(TickList).selected)
        return tuple(name for name in self._listed if name in ticked)

    def set_chosen(self, stores: Sequence[str]) -> None:
        """Tick exactly these stores (a preset, or settings loaded), keeping them listed."""
        chosen = _spelled(stores)
        self._pinned = merged(self._pinned, chosen)
        self._relist(chosen)
        self._write_text()

    def add(self, name: str) -> None:
        """List (if new) and tick one store, and show it."""
        self._pinned = merged(self._pinned, [name])
        self._relist([*self.chosen, name])
        self._write_text()
        tick_list = self.query_one(TickList)
        tick_list.highlighted = self._listed.index(name)

    def set_folder_data(self, folder: bool) -> None:
        """Offer the original encoding only while the data is an image folder."""
        if folder == self._folder:
            return
        self._folder = folder
        menu: Select[str] = self.query_one("#add-encoding", Select)
        value = menu.value
        menu.set_options(self._encoding_options())
        menu.value = value if value in self.offered_encodings() else "png"
        self._show_pick()

    def picked(self) -> tuple[str, str]:
        """The container and encoding the add menus show."""
        container: Any = self.query_one("#add-container", Select).value
        encoding: Any = self.query_one("#add-encoding", Select).value
        return str(container), str(encoding)

    def add_picked(self) -> str:
        """Add the store the menus show; the reason it cannot be added, or ""."""
        container, encoding = self.picked()
        problem = missing_library(container) or add_problem(container, encoding)
        if problem:
            return problem
        self.add(parse_store(f"{container}+{encoding}").canonical)
        self._show_pick()
        return ""

    # -- keeping the list and the text together ----------------------------------------------------

    def _relist(self, ticked: Sequence[str]) -> None:
        """Show the pinned stores and those ticked, with exactly ``ticked`` ticked."""
        self._listed = merged(self._pinned, ticked)
        tick_list = self.query_one(TickList)
        highlighted = tick_list.highlighted
        tick_list.clear_options()
        tick_list.add_options(self._selections(ticked))
        if highlighted is not None:
            tick_list.highlighted = min(highlighted, len(self._listed) - 1)
        self._show_missing()

    def _write_text(self) -> None:
        """The text field says the ticked stores, unless it already means them."""
        field = self.query_one("#stores", Input)
        try:
            typed = set(parse_stores(field.value))
        except ValueError:
            typed = None
        if typed != set(self.chosen):
            field.value = ",".join(self.chosen)

    @on(SelectionList.SelectedChanged, "#backends")
    def _ticks_changed(self) -> None:
        self._write_text()
        self._show_missing()
        self._show_pick()
        tick_list = self.query_one(TickList)
        ticked = set(tick_list.selected)
        for index, name in enumerate(self._listed):  # an unticked store that cannot run
            disabled = self._cannot_run(name) and name not in ticked
            if tick_list.get_option_at_index(index).disabled != disabled:
                if disabled:
                    tick_list.disable_option_at_index(index)
                else:
                    tick_list.enable_option_at_index(index)

    @on(Input.Changed, "#stores")
    def _text_changed(self, event: Input.Changed) -> None:
        """A typed list that means something ticks exactly its stores (a typo is marked by
        the form's check, and the ticks stay as they were)."""
        try:
            typed = parse_stores(event.value)
        except ValueError:
            return
        if set(typed) != set(self.chosen):
            self._relist(typed)

    @on(Input.Blurred, "#stores")
    def _text_left(self) -> None:
        """Once typing is done, the field shows the stores in their one spelling."""
        field = self.query_one("#stores", Input)
        try:
            typed = parse_stores(field.value)
        except ValueError:
            return
        if set(typed) == set(self.chosen) and ",".join(self.chosen) != field.value:
            field.value = ",".join(self.chosen)

    @on(Select.Changed)
    def _pick_changed(self) -> None:
        self._show_pick()

    @on(Button.Pressed, "#add-store")
    def _add_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.add_picked()

    # -- showing ----------------------------------------------------------------------------------

    def _show_missing(self) -> None:
        """The install line of each container missing here whose stores are not ticked
        (a ticked one is a problem, said in red under the list)."""
        ticked = {container_of(name) for name in self.chosen}
        lines = [
            missing
            for container, missing in self._missing.items()
            if missing and container not in ticked
        ]
        note = self.query_one("#stores-missing", Static)
        note.update("\n".join(lines))
        note.display = bool(lines)

    def _show_pick(self) -> None:
        """What the add key would add, or why it cannot."""
        container, encoding = self.picked()
        problem = add_problem(container, encoding)
        note = self.query_one("#store-add-note", Static)
        button = self.query_one("#add-store", Button)
        button.disabled = bool(problem)
        note.set_class(bool(problem), "-blocked")
        if problem:
            note.update(problem)
            return
        name = parse_store(f"{container}+{encoding}").canonical
        if name in self.chosen:
            note.update(f"{name} ({store_words(name)}) is ticked above")
        else:
            note.update(f"adds {name}: {store_words(name)}")


def _spelled(stores: Iterable[object]) -> list[str]:
    """Store names in their one spelling, each once (settings may hold any names)."""
    return list(dict.fromkeys(canonical_or_as_given(n) for n in stores if isinstance(n, str)))


def _words(name: str) -> str:
    try:
        return store_words(name)
    except ValueError:
        return ""
