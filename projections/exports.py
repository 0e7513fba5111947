"""The reports as people print them: the year-end table (xlsx) and the monthly bulletin
(xlsx and a printable HTML page), with the hall's Chinese headers.

Every cell holds exactly the JSON's value: counts as numbers, rates and money as the same text
(a float would not keep "99.99" or fen exact); a null rate is an empty cell.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from html import escape
from io import BytesIO
from itertools import groupby
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Column = tuple[str, str, tuple[str, ...]]  # group header, header, path into a row of the JSON

PROMISE_COLUMNS = (
    ("受理", "accepted"), ("办结", "completed"), ("办结率(%)", "rate"), ("按时办结", "on_time"),
    ("按时办结率(%)", "on_time_rate"), ("提前办结", "early"), ("超期未办结", "overdue_open"),
    ("超期办结", "completed_late"), ("平均用时(工作日)", "avg_working_days"),
    ("实际提速率(%)", "speedup_rate"),
)  # fmt: skip
KIND_NAMES = {"promised": "承诺件", "joint": "联办件", "forwarded": "上报件"}
GROUP_NAMES = {"department": "单位", "window": "窗口", "item": "事项", None: "范围"}


def completion_columns(report: Mapping[str, Any]) -> list[Column]:
    """The year-end table's columns for a completion report."""
    columns: list[Column] = [
        ("合计", "受理", ("total", "accepted")),
        ("合计", "办结", ("total", "completed")),
        ("合计", "办结率(%)", ("total", "rate")),
        ("即办件", "受理", ("immediate", "accepted")),
        ("即办件", "当场办结", ("immediate", "completed_on_spot")),
        ("即办件", "办结率(%)", ("immediate", "rate")),
    ]
    for kind, title in KIND_NAMES.items():
        if kind in report:
            columns += [(title, header, (kind, field)) for header, field in PROMISE_COLUMNS]
    columns += [
        ("评价", "评价数", ("ratings", "count")),
        ("评价", "满意率(%)", ("ratings", "satisfied_rate")),
        ("评价", "差评率(%)", ("ratings", "unsatisfied_rate")),
        ("收费(元)", "收费金额", ("fees", "collected")),
        ("收费(元)", "退费", ("fees", "refunded")),
        ("收费(元)", "已划拨", ("fees", "remitted")),
        ("收费(元)", "未划拨", ("fees", "unremitted")),
    ]
    return columns


def value_at(row: Mapping[str, Any], path: Sequence[str]) -> Any:
    """The JSON value a cell shows (None when a part of the path is missing)."""
    value: Any = row
    for part in path:
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def completion_xlsx(report: Mapping[str, Any], group_by: str | None) -> bytes:
    """The completion report laid out like the hall's year-end table (年度办件统计表)."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "办件统计"
    title = f"行政审批办件统计表（{report['from']} 至 {report['to']}）"
    rows = [(f"{r['name'] or r['key']}（{r['key']}）", r) for r in report["rows"]]
    rows.append(("合计", report))
    _table(sheet, title, f"统计截至 {report['as_of']}", GROUP_NAMES[group_by],
           completion_columns(report), rows)  # fmt: skip
    return _save(book)


BULLETIN_COLUMNS: list[Column] = [
    ("", "受理", ("accepted",)), ("", "办结", ("completed",)), ("", "办结率(%)", ("rate",)),
    ("承诺件", "按时办结", ("on_time",)), ("承诺件", "按时办结率(%)", ("on_time_rate",)),
    ("承诺件", "超期", ("overdue",)), ("承诺件", "平均用时(工作日)", ("avg_working_days",)),
    ("收费(元)", "收费金额", ("fees", "collected")), ("收费(元)", "未划拨", ("fees", "unremitted")),
    ("评价", "评价数", ("ratings", "count")), ("评价", "满意率(%)", ("ratings", "satisfied_rate")),
    ("评价", "差评率(%)", ("ratings", "unsatisfied_rate")),
]  # fmt: skip
OVERDUE_COLUMNS: list[Column] = [
    ("", "办件编号", ("case_no",)), ("", "单位", ("department_name",)),
    ("", "事项", ("item_name",)), ("", "窗口", ("window_no",)), ("", "受理日期", ("accepted_on",)),
    ("", "到期日", ("due_date",)), ("", "状态", ("status_name",)),
    ("", "超期(工作日)", ("working_days_overdue",)),
]  # fmt: skip
RANK_COLUMNS: list[Column] = [
    ("", "按时办结率(%)", ("on_time_rate",)), ("", "承诺件办结", ("completed",)),
    ("", "超期", ("overdue",)),
]  # fmt: skip
STATUS_NAMES = {"open": "超期未办结", "completed_late": "超期办结"}


def bulletin_xlsx(bulletin: Mapping[str, Any]) -> bytes:
    """The monthly bulletin: units, overdue cases and the ranking, one sheet each."""
    book = Workbook()
    units = book.active
    assert units is not None
    units.title = "各单位情况"
    heading = f"{_month_title(bulletin)}各单位办件情况"
    rows = [(f"{u['name'] or u['key']}（{u['key']}）", u) for u in bulletin["departments"]]
    summary = bulletin["summary"]
    total = {**summary["total"], "fees": summary["fees"], "ratings": summary["ratings"]}
    _table(units, heading, f"统计截至 {bulletin['as_of']}", "单位", BULLETIN_COLUMNS,
           [*rows, ("合计", total)])  # fmt: skip
    late = book.create_sheet("超期件")
    cases = [(str(n), _overdue_row(c)) for n, c in enumerate(bulletin["overdue"], 1)]
    _table(late, f"{_month_title(bulletin)}超期件", "", "序号", OVERDUE_COLUMNS, cases)
    ranking = book.create_sheet("排名")
    ranked = [(f"前列 {n}", u) for n, u in enumerate(bulletin["top"], 1)]
    ranked += [(f"后列 {n}", u) for n, u in enumerate(bulletin["bottom"], 1)]
    columns = [("", "单位", ("name",)), *RANK_COLUMNS]
    _table(ranking, "按时办结率排名", "", "名次", columns, ranked)
    return _save(book)


def _overdue_row(case: Mapping[str, Any]) -> dict[str, Any]:
    return {**case, "status_name": STATUS_NAMES.get(case["status"], case["status"])}


def _month_title(bulletin: Mapping[str, Any]) -> str:
    year, month = bulletin["month"].split("-")
    return f"{year}年{int(month)}月"


THIN = Side(style="thin")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)


def _table(
    sheet: Worksheet,
    title: str,
    note: str,
    first: str,
    columns: Sequence[Column],
    rows: Sequence[tuple[str, Mapping[str, Any]]],
) -> None:
    width = len(columns) + 1
    sheet.cell(1, 1, title).font = Font(bold=True, size=14)
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    sheet.cell(1, 1).alignment = Alignment(horizontal="center")
    sheet.cell(2, 1, note)
    sheet.cell(3, 1, first)
    sheet.merge_cells(start_row=3, start_column=1, end_row=4, end_column=1)
    n = 2
    for group, members in groupby(columns, key=lambda column: column[0]):
        headers = [header for _, header, _ in members]
        if not group:  # a column of its own: its header spans both header rows
            for header in headers:
                sheet.cell(3, n, header)
                sheet.merge_cells(start_row=3, start_column=n, end_row=4, end_column=n)
                n += 1
            continue
        sheet.cell(3, n, group)
        if len(headers) > 1:
            sheet.merge_cells(
                start_row=3, start_column=n, end_row=3, end_column=n + len(headers) - 1
            )
        for header in headers:
            sheet.cell(4, n, header)
            n += 1
    for r, (label, row) in enumerate(rows, start=5):
        sheet.cell(r, 1, label)
        for c, (_, _, path) in enumerate(columns, start=2):
            sheet.cell(r, c, value_at(row, path)).alignment = Alignment(horizontal="right")
    for line in sheet.iter_rows(min_row=3, max_row=4 + len(rows), max_col=width):
        for cell in line:
            cell.border = BOX
    for row_cells in sheet.iter_rows(min_row=3, max_row=4, max_col=width):
        for cell in row_cells:
            cell.font = Font(bold=True)
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    sheet.column_dimensions["A"].width = 28
    for c in range(2, width + 1):
        sheet.column_dimensions[get_column_letter(c)].width = 11
    sheet.freeze_panes = "B5"


def _save(book: Workbook) -> bytes:
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def bulletin_html(bulletin: Mapping[str, Any]) -> str:
    """The bulletin as a printable page (A4, no scripts, no external resources)."""
    month = _month_title(bulletin)
    s = bulletin["summary"]
    promised = s["promised"]
    lead = (
        f"本月受理 {s['total']['accepted']} 件，办结 {s['total']['completed']} 件，"
        f"办结率 {_pct(s['total']['rate'])}；其中即办件 {s['immediate']['accepted']} 件，"
        f"当场办结 {s['immediate']['completed_on_spot']} 件，"
        f"办结率 {_pct(s['immediate']['rate'])}；"
        f"承诺件 {promised['accepted']} 件，办结 {promised['completed']} 件，"
        f"办结率 {_pct(promised['rate'])}，按时办结率 {_pct(promised['on_time_rate'])}。"
        f"经服务大厅收费 {s['fees']['collected']} 元。"
        f"评价 {s['ratings']['count']} 次，满意率 {_pct(s['ratings']['satisfied_rate'])}，"
        f"差评率 {_pct(s['ratings']['unsatisfied_rate'])}。"
    )
    units = [(f"{u['name'] or u['key']}", u) for u in bulletin["departments"]]
    total = {**s["total"], "fees": s["fees"], "ratings": s["ratings"]}
    cases = [(c["case_no"], _overdue_row(c)) for c in bulletin["overdue"]]

    def ranked(units: list[dict[str, Any]]) -> str:
        return _html_table("单位", RANK_COLUMNS, [(u["name"] or u["key"], u) for u in units])

    return (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{escape(month)}工作简报</title><style>{STYLE}</style></head><body>"
        f"<h1>{escape(month)}工作简报</h1>"
        f'<p class="as-of">统计截至 {escape(bulletin["as_of"])}</p><p>{escape(lead)}</p>'
        f"<h2>一、各单位办件情况</h2>"
        f"{_html_table('单位', BULLETIN_COLUMNS, [*units, ('合计', total)])}"
        f"<h2>二、超期件（{len(cases)} 件）</h2>"
        f"{_html_table('办件编号', OVERDUE_COLUMNS[1:], cases)}"
        f"<h2>三、按时办结率前列单位</h2>{ranked(bulletin['top'])}"
        f"<h2>四、按时办结率后列单位</h2>{ranked(bulletin['bottom'])}"
        "</body></html>\n"
    )


STYLE = (
    "@page{size:A4;margin:15mm}body{font-family:'SimSun','Songti SC',serif;font-size:11pt}"
    "h1{text-align:center;font-size:18pt}h2{font-size:13pt;margin-top:1.2em}"
    "table{border-collapse:collapse;width:100%;page-break-inside:auto}"
    "th,td{border:1px solid #000;padding:2px 4px}td.n{text-align:right}"
    "tr{page-break-inside:avoid}.as-of{text-align:right;font-size:9pt}"
)


def _html_table(
    first: str, columns: Sequence[Column], rows: Sequence[tuple[str, Mapping[str, Any]]]
) -> str:
    cell: Callable[[Any], str] = lambda v: "" if v is None else escape(str(v))  # noqa: E731
    head = "".join(f"<th>{escape(h)}</th>" for _, h, _ in columns)
    body = "".join(
        f"<tr><td>{escape(label)}</td>"
        + "".join(f'<td class="n">{cell(value_at(row, path))}</td>' for _, _, path in columns)
        + "</tr>"
        for label, row in rows
    )
    head = f"<thead><tr><th>{escape(first)}</th>{head}</tr></thead>"
    return f"<table>{head}<tbody>{body}</tbody></table>"


def _pct(rate: str | None) -> str:
    return "—" if rate is None else f"{rate}%"
