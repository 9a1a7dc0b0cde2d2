"""Reading ratings tables (``qualkit agreement FILE.csv``): shapes accepted and refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from qualkit.agreement import krippendorff_alpha, summarise
from qualkit.agreement.ratings import RatingsTable, read_ratings
from qualkit.errors import FileError, QualkitError

SECRET = "my sister never knew"  # stands for transcript text that must not leak


def write(tmp_path: Path, text: str | bytes, name: str = "ratings.csv") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_bytes(text.encode("utf-8"))
    return path


def problem(tmp_path: Path, text: str | bytes) -> FileError:
    path = write(tmp_path, text)
    with pytest.raises(FileError) as caught:
        read_ratings(path)
    assert isinstance(caught.value, QualkitError)
    assert SECRET not in str(caught.value)
    return caught.value


# ---------------------------------------------------------------------------- accepted


def test_unit_column_and_missing_cells(tmp_path: Path) -> None:
    table = read_ratings(write(tmp_path, "unit,Ann,Ben\ns1,yes,no\ns2,,yes\ns3, no ,\n"))
    assert isinstance(table, RatingsTable)
    assert table.has_unit_column
    assert table.unit_ids == ("s1", "s2", "s3")
    assert table.coders == ("Ann", "Ben")
    assert table.matrix == (("yes", "no"), (None, "yes"), ("no", None))
    assert table.lines == (2, 3, 4)
    assert (table.n_units, table.n_coders) == (3, 2)


def test_without_unit_column_units_are_numbered(tmp_path: Path) -> None:
    table = read_ratings(write(tmp_path, "A,B,C\n1,1,2\n\n2,2,2\n"))
    assert not table.has_unit_column
    assert table.unit_ids == ("1", "2")
    assert table.lines == (2, 4)  # the blank line is skipped, not a unit
    assert table.matrix == (("1", "1", "2"), ("2", "2", "2"))


def test_unit_header_ignores_case_and_spaces(tmp_path: Path) -> None:
    table = read_ratings(write(tmp_path, " Unit , A ,B\nu1,x,y\n"))
    assert table.has_unit_column and table.coders == ("A", "B")


@pytest.mark.parametrize("separator", [";", "\t"])
def test_spreadsheet_separators(tmp_path: Path, separator: str) -> None:
    text = separator.join(["unit", "A", "B"]) + "\n" + separator.join(["u1", "1,5", "2"])
    table = read_ratings(write(tmp_path, text + "\n"))
    assert table.coders == ("A", "B")
    assert table.matrix == (("1,5", "2"),)


def test_bom_crlf_quotes_and_trailing_separators(tmp_path: Path) -> None:
    text = '\ufeffunit,"Smith, J",Doe,\r\nu1,"a, b",c,\r\n"u2","multi\r\nline",,\r\n'
    table = read_ratings(write(tmp_path, text))
    assert table.coders == ("Smith, J", "Doe")
    assert table.matrix == (("a, b", "c"), ("multi\r\nline", None))
    assert table.lines == (2, 3)


def test_rows_of_empty_cells_are_skipped(tmp_path: Path) -> None:
    table = read_ratings(write(tmp_path, "unit,A,B\nu1,x,x\n,,\nu2,,\n"))
    assert table.unit_ids == ("u1", "u2")  # u2 has an id, so it is a (missing) unit
    assert table.matrix[1] == (None, None)


def test_feeds_agreement_end_to_end(tmp_path: Path) -> None:
    # Krippendorff (2011)'s 4 observers x 12 units, with empty cells for missing values:
    # published alpha nominal 0.743, interval 0.849.
    text = (
        "unit,A,B,C,D\n"
        "1,1,1,,1\n2,2,2,3,2\n3,3,3,3,3\n4,3,3,3,3\n5,2,2,2,2\n6,1,2,3,4\n"
        "7,4,4,4,4\n8,1,1,2,1\n9,2,2,2,2\n10,,5,5,5\n11,,,1,1\n12,,3,,\n"
    )
    table = read_ratings(write(tmp_path, text))
    assert round(krippendorff_alpha(table.matrix), 3) == 0.743
    assert round(krippendorff_alpha(table.matrix, "interval"), 3) == 0.849
    assert summarise(table.matrix)["n_units"] == 12


# ---------------------------------------------------------------------------- refused


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileError, match="cannot be read"):
        read_ratings(tmp_path / "absent.csv")


def test_empty_file(tmp_path: Path) -> None:
    err = problem(tmp_path, "\n\n")
    assert "empty" in err.problem


def test_no_coders(tmp_path: Path) -> None:
    err = problem(tmp_path, "unit\nu1\n")
    assert err.line == 1 and "no coder columns" in err.problem


def test_header_without_rows(tmp_path: Path) -> None:
    err = problem(tmp_path, "unit,A,B\n")
    assert "no rows" in err.problem


def test_ragged_row_names_its_line(tmp_path: Path) -> None:
    err = problem(tmp_path, f"unit,A,B\nu1,x,y\nu2,x,y,{SECRET}\nu3,x\n")
    assert err.line == 3
    assert "4 cells" in err.problem and "3" in err.problem
    assert str(err).startswith(f"{tmp_path / 'ratings.csv'}:3: ")


def test_short_row(tmp_path: Path) -> None:
    err = problem(tmp_path, "A,B,C\nx,y,z\nx,y\n")
    assert err.line == 3


def test_duplicate_coder_names(tmp_path: Path) -> None:
    err = problem(tmp_path, "unit,Ann,Ben,Ann\nu1,x,y,z\n")
    assert err.line == 1 and "'Ann'" in err.problem


def test_empty_coder_name(tmp_path: Path) -> None:
    err = problem(tmp_path, "unit,Ann,,Ben\nu1,x,y,z\n")
    assert err.line == 1 and "column 3" in err.problem


def test_unit_column_elsewhere(tmp_path: Path) -> None:
    err = problem(tmp_path, "Ann,unit,Ben\nx,u1,y\n")
    assert err.line == 1 and "first column" in err.problem


def test_duplicate_unit_ids(tmp_path: Path) -> None:
    err = problem(tmp_path, f"unit,A,B\n{SECRET},x,y\nu2,x,y\n{SECRET},x,x\n")
    assert err.line == 4 and "line 2" in err.problem


def test_empty_unit_id(tmp_path: Path) -> None:
    err = problem(tmp_path, "unit,A,B\nu1,x,y\n,x,y\n")
    assert err.line == 3 and "unit id" in err.problem


def test_undecodable_bytes_name_the_line(tmp_path: Path) -> None:
    err = problem(tmp_path, b"unit,A,B\nu1,x,y\nu2,caf\xe9,y\n")
    assert err.line == 3 and "UTF-8" in err.problem


def test_broken_quoting(tmp_path: Path) -> None:
    err = problem(tmp_path, f'unit,A,B\nu1,x,y\nu2,"{SECRET}"oops,y\n')
    assert err.line == 3 and "not valid CSV" in err.problem


def test_unterminated_quote(tmp_path: Path) -> None:
    err = problem(tmp_path, f'unit,A,B\nu1,x,y\nu2,"{SECRET},y\nu3,x,y\n')
    assert err.line == 3
