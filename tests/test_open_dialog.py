"""The open dialog at 80x24: a typed path and a list of folders and results files."""

from __future__ import annotations

from pathlib import Path

from test_dialogs import SIZE, Host, in_view, save_shot, screen_text
from textual.widgets import Input

from imgbench.tui.open_dialog import OpenDialog, ResultsTree, folder_of, open_problem, shows
from pilot_waits import wait_for


def results_folder(root: Path) -> Path:
    """A folder as people have them: results, other files, a dot-file, a sub-folder."""
    folder = root / "runs"
    (folder / "older").mkdir(parents=True)
    for name in ("a.json", "b.json", "older/c.json", ".hidden.json"):
        (folder / name).write_text("{}")
    (folder / "notes.txt").write_text("not results")
    (folder / ".cache").mkdir()
    return folder


def test_the_list_holds_folders_and_json_files_only(tmp_path: Path) -> None:
    folder = results_folder(tmp_path)
    kept = sorted(p.name for p in folder.iterdir() if shows(p))
    assert kept == ["a.json", "b.json", "older"]
    assert folder_of(f"{folder}/") == folder and folder_of(f"{folder}/a.json") == folder
    assert folder_of(f"{folder}/nothing/here.json") == Path.cwd()
    assert open_problem(f"{folder}/nothing/here.json") == "no folder nothing there"
    assert open_problem(f"{folder}/older") == "older is not a file"
    assert open_problem(f"{folder}/a.json") == "" and open_problem(" ") == "type a path"


async def test_typing_picking_and_a_missing_file(tmp_path: Path) -> None:
    folder = results_folder(tmp_path)
    app = Host()
    async with app.run_test(size=SIZE) as pilot:
        app.show(OpenDialog("Open a results file", f"{folder}/"))
        await pilot.pause()
        dialog = app.screen
        tree = dialog.query_one(ResultsTree)
        await wait_for(pilot, lambda: len(tree.root.children) == 3)
        assert [str(node.label) for node in tree.root.children] == ["older", "a.json", "b.json"]

        await pilot.press(*"gone.json")
        assert dialog.query_one(Input).value == f"{folder}/gone.json"  # the pre-fill stays
        await pilot.press("enter")
        await wait_for(pilot, lambda: "no file gone.json there" in screen_text(app))
        assert dialog.query_one("#problem").region.height == 1
        assert in_view(app, dialog.query_one("#keys")) and "esc: cancel" in screen_text(app)
        save_shot(app, "open-missing-80x24")

        await pilot.press("down")  # from the field to the list
        assert app.focused is tree
        await pilot.press("down", "down", "enter")  # older, a.json: opened
        await wait_for(pilot, lambda: bool(app.answers))
        assert app.answers == [folder / "a.json"]

        app.show(OpenDialog("Compare with results file (B)", str(folder / "older")))
        await pilot.pause()
        await pilot.press(*"/c.json", "enter")  # a typed path opens too
        await wait_for(pilot, lambda: len(app.answers) == 2)

        app.show(OpenDialog("Open a results file"))
        await pilot.pause()
        await pilot.press("escape")
        await wait_for(pilot, lambda: len(app.answers) == 3)
    assert app.answers == [folder / "a.json", folder / "older" / "c.json", None]
