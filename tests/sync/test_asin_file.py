"""The ASIN file parser the command line and the manual endpoints share: formats, normalising,
duplicates, and every bad line reported with its number."""

from __future__ import annotations

import codecs

import pytest

from sync.asin_file import KEPT_BAD_LINES, AsinFileError, parse, read


def test_a_csv_with_a_bom_a_header_duplicates_and_bad_lines():
    data = codecs.BOM_UTF8 + (
        b"ASIN\r\n"
        b" b0abcdefgh \r\n"  # trimmed, upper-cased
        b"B0ABCDEFGH\r\n"  # a duplicate once normalised
        b"\r\n"  # blank: skipped, not an error
        b"not-an-asin\r\n"
        b"0123456789\r\n"
        b'"B0QUOTED01"\r\n'
        b"B0SHORT\r\n"
    )
    parsed = parse(data)
    assert parsed.asins == ["B0ABCDEFGH", "0123456789", "B0QUOTED01"]
    assert parsed.duplicates == 1 and parsed.column == "asin (column 1)" and parsed.lines == 8
    assert [(b.line, b.value) for b in parsed.bad_lines] == [(5, "not-an-asin"), (8, "B0SHORT")]
    assert parsed.problems() == [
        "line 5: 'not-an-asin' is not an ASIN: an ASIN is B + 9 letters or digits, or 10 digits "
        "(the last may be X), e.g. B0ABCDEFGH",
        "line 8: 'B0SHORT' is not an ASIN: an ASIN is B + 9 letters or digits, or 10 digits "
        "(the last may be X), e.g. B0ABCDEFGH",
    ]
    assert parsed.summary()["invalid_lines"] == 2 and parsed.summary()["asins"] == 3


def test_an_asin_column_among_others_any_separator():
    comma = parse(b'title,Asin,price\nA shirt,B0COMMA001,9.99\n"Big, blue",b0comma002,1\nno asin here\nTotal,,2\n')
    assert comma.asins == ["B0COMMA001", "B0COMMA002"] and comma.column == "asin (column 2)"
    assert [b.describe() for b in comma.bad_lines] == [
        "line 4: holds 1 value where the header names 3 columns",
        "line 5: has no value in the asin column (column 2)",
    ]
    semicolon = parse(b"price;asin\n1,5;B0SEMI0001\n")
    assert semicolon.asins == ["B0SEMI0001"]
    tab = parse(b"\tasin \n\tB0TAB00001\t\nB0TAB00002\tx\n")  # a tab is whitespace, never a separator
    assert tab.asins == ["B0TAB00001"] and tab.bad_lines[0].line == 3


def test_plain_text_one_asin_a_line():
    parsed = parse(b'B0PLAIN001\n"B0PLAIN002"\n\n \t B0PLAIN003\rB0PLAIN001\nB0PLAIN004,\n"B0PLAIN005\n')
    assert parsed.asins == ["B0PLAIN001", "B0PLAIN002", "B0PLAIN003"]
    assert parsed.duplicates == 1
    assert [(b.line, b.reason.split(" and ")[0]) for b in parsed.bad_lines] == [
        (6, "holds 2 values"),
        (7, "cannot be read as CSV (unexpected end of data)"),
    ]
    assert "the file has no `asin` header naming the ASIN column" in parsed.bad_lines[0].reason


@pytest.mark.parametrize(
    ("data", "said"),
    [
        (b"", "is empty"),
        (codecs.BOM_UTF8, "is empty"),
        (b"\n  \n", "is empty"),
        (b"asin\n", "is empty"),
        (b"asin\nnope\n\xff\xfe\n", "has no valid ASIN (2 invalid lines)"),
        ("asin\nB0ABCDEFGH\n".encode("utf-16"), "is UTF-16 text: save it as UTF-8"),
    ],
)
def test_nothing_valid_is_an_error_with_the_bad_lines(data, said):
    with pytest.raises(AsinFileError, match="^the upload ") as caught:
        parse(data, source="the upload")
    assert said in str(caught.value)
    if b"nope" in data:
        assert [b.describe() for b in caught.value.parsed.bad_lines] == [
            "line 2: 'nope' is not an ASIN: an ASIN is B + 9 letters or digits, or 10 digits (the last may be X), "
            "e.g. B0ABCDEFGH",
            "line 3: is not UTF-8 text",
        ]


def test_bad_lines_beyond_the_kept_ones_are_counted():
    data = b"B0ABCDEFGH\n" + b"x\n" * (KEPT_BAD_LINES + 5)
    parsed = parse(data)
    assert parsed.bad_count == KEPT_BAD_LINES + 5 and len(parsed.bad_lines) == KEPT_BAD_LINES
    assert parsed.problems(shown=2)[-1] == f"... and {KEPT_BAD_LINES + 3} more invalid lines"


def test_read_takes_a_path_or_standard_input(tmp_path, monkeypatch):
    import io
    import sys
    import types

    listing = tmp_path / "list.txt"
    listing.write_bytes(b"B0READ0001\n")
    assert read(str(listing)).asins == ["B0READ0001"]
    monkeypatch.setattr(sys, "stdin", types.SimpleNamespace(buffer=io.BytesIO(b"asin\nB0STDIN001\n")))
    assert read("-").asins == ["B0STDIN001"]
    with pytest.raises(AsinFileError, match="^cannot read the ASIN file .*nope.txt: No such file or directory$"):
        read(str(tmp_path / "nope.txt"))
