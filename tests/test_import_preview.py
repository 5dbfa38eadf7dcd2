"""The import preview's changed cells: marked with classes the stylesheet colours (no inline
style, which the Content-Security-Policy blocks), text escaped, unknown cells empty."""

from estates.spreadsheets.resources import PreviewDiff


def diff_of(before, after, new=False):
    diff = PreviewDiff.__new__(PreviewDiff)
    diff.left, diff.right, diff.new = before, after, new
    return diff.as_html()


def test_preview_marks_changes_with_classes_not_styles():
    [cell] = diff_of(["1250"], ["1260"])
    assert cell == '12<del class="diff-removed">5</del><ins class="diff-added">6</ins>0'
    assert "style" not in cell


def test_preview_escapes_what_a_cell_holds():
    [cell] = diff_of([""], ['<img src=x onerror="alert(1)">'], new=True)
    assert cell == '<ins class="diff-added">&lt;img src=x onerror=&quot;alert(1)&quot;&gt;</ins>'


def test_preview_shows_an_unknown_cell_empty():
    assert diff_of([None, 5], [None, 5]) == ["", "5"]
