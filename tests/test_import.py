"""Importing students and staff: a dry run lists every bad row and writes nothing; a clean file is written whole."""

import io
import re

import openpyxl
import pytest

from app.accounts.models import Role, User
from app.schools.models import Student
from app.staff.models import StaffType
from tests import factories


@pytest.fixture(autouse=True)
def import_dir(app, tmp_path):
    app.config["IMPORT_DIR"] = str(tmp_path)
    return tmp_path


@pytest.fixture
def admin(world, login):
    second = factories.create_class(world.own_school, grade_number=2, number=1)
    from app.extensions import db

    db.session.commit()
    login(world.users["school_admin"])
    return second


def page(response) -> str:
    return response.get_data(as_text=True)


def upload(client, kind: str, content: bytes, filename: str):
    return client.post(f"/schools/import/{kind}", data={f"{kind}-file": (io.BytesIO(content), filename)},
                       content_type="multipart/form-data")


def confirm(client, kind: str, response):
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', page(response)).group(1)
    return client.post(f"/schools/import/{kind}/confirm", data={"token": token})


def problems(response) -> list[tuple[str, str, str]]:
    """(row, column, reason) of every line of the problem table."""
    table = re.search(r'<table class="import-errors[^"]*">(.*?)</table>', page(response), re.S)
    if table is None:
        return []
    return re.findall(r"<tr><td>(\d+)</td><td>([^<]+)</td><td>([^<]+)</td></tr>", table.group(1))


def student_count(db, school) -> int:
    return db.session.scalar(db.select(db.func.count(Student.id)).filter_by(school_id=school.id))


def test_dry_run_lists_every_bad_row_and_writes_nothing(client, db, world, admin, import_dir):
    taken = world.own_student.student_number
    rows = [
        "学号,姓名,年级,班级",
        "A001,张一,1,1",  # row 2: fine
        ",李二,1,1",  # 3: missing number
        f"A003,{'名' * 51},1,1",  # 4: name too long
        "A004,王四,1,9",  # 5: unknown class
        "A005,赵五,7,1",  # 6: grade 7 in a primary school
        "A001,钱六,2,1",  # 7: duplicate of row 2
        f"{taken},孙七,1,1",  # 8: exists already
        "A009,,一年级,1班",  # 9: missing name (Chinese grade and class are fine)
    ]
    response = upload(client, "students", "\n".join(rows).encode(), "students.csv")
    assert response.status_code == 200
    found = problems(response)
    assert ("3", "学号", "缺少内容。") in found
    assert ("4", "姓名", "超过50个字符。") in found
    assert ("5", "班级", "1年级没有班级 9：请先添加该班级。") in found
    assert ("6", "年级", "本校没有7年级（开设1–6年级）。") in found
    assert ("7", "学号", "文件中重复（与第2行相同）。") in found
    assert ("8", "学号", "该学号的学生已存在。") in found
    assert ("9", "姓名", "缺少内容。") in found
    assert len(found) == 7
    assert "未保存任何内容" in page(response)
    assert 'name="token"' not in page(response)
    assert student_count(db, world.own_school) == 1
    assert list(import_dir.iterdir()) == []


def test_clean_file_is_written_whole_after_confirming(client, db, world, admin, import_dir):
    content = "学号,姓名,年级,班级\nA001,张一,1,1\nA002,李二,2,1\n\nA003,王三,二年级,1班\n".encode()
    response = upload(client, "students", content, "students.csv")
    assert "3" in page(response) and student_count(db, world.own_school) == 1  # the dry run writes nothing
    assert len(list(import_dir.iterdir())) == 1

    done = confirm(client, "students", response)
    assert done.status_code == 302
    names = set(db.session.scalars(db.select(Student.name).filter_by(school_id=world.own_school.id)))
    assert {"张一", "李二", "王三"} <= names and student_count(db, world.own_school) == 4
    assert db.session.scalar(db.select(Student).filter_by(student_number="A003")).class_id == admin.id
    assert list(import_dir.iterdir()) == []

    again = confirm(client, "students", response)
    assert again.status_code == 302
    assert student_count(db, world.own_school) == 4


def test_confirm_checks_again_and_writes_nothing_if_a_row_went_bad(client, db, world, admin):
    response = upload(client, "students", "学号,姓名,年级,班级\nA001,张一,1,1\nA002,李二,1,1\n".encode(), "s.csv")
    factories.create_student(world.own_class, number="A002")
    db.session.commit()
    result = confirm(client, "students", response)
    assert result.status_code == 200
    assert ("3", "学号", "该学号的学生已存在。") in problems(result)
    assert student_count(db, world.own_school) == 2


def test_another_admin_cannot_confirm_the_upload(app, client, db, world, admin):
    response = upload(client, "students", "学号,姓名,年级,班级\nA001,张一,1,1\n".encode(), "s.csv")
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', page(response)).group(1)
    other = app.test_client()
    other.post("/account/login", data={"mobile": world.other_users["school_admin"].mobile,
                                       "password": factories.PASSWORD})
    assert other.post("/schools/import/students/confirm", data={"token": token}).status_code == 302
    assert db.session.scalar(db.select(db.func.count(Student.id)).filter_by(student_number="A001")) == 0


@pytest.mark.parametrize("encoding", ["gbk", "utf-8-sig"])
def test_gbk_and_bom_csv_files_are_read(client, db, world, admin, encoding):
    content = "学号,姓名,年级,班级\r\nG001,欧阳娜娜,1,1\r\n".encode(encoding)
    response = upload(client, "students", content, "学生名单.csv")
    assert "欧阳娜娜" in page(response)
    assert confirm(client, "students", response).status_code == 302
    assert db.session.scalar(db.select(Student).filter_by(student_number="G001")).name == "欧阳娜娜"


def test_xlsx_file_with_numbers_as_cells(client, db, world, admin):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["学号", "姓名", "年级", "班级"])
    sheet.append([20260001, "周一", 1, 1])
    sheet.append([20260002, "吴二", 2.0, "1班"])
    sheet.append([None, None, None, None])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = upload(client, "students", buffer.getvalue(), "students.xlsx")
    assert problems(response) == []
    assert confirm(client, "students", response).status_code == 302
    assert db.session.scalar(db.select(Student).filter_by(student_number="20260002")).name == "吴二"


@pytest.mark.parametrize(("content", "filename", "message"), [
    (b"name\nx\n", "students.txt", "请上传 .csv 或 .xlsx 文件"),
    (b"", "students.csv", "文件是空的"),
    (b"   \n\n", "students.csv", "文件是空的"),
    (b"not a zip", "students.xlsx", "无法作为 Excel 工作簿"),
    ("姓名,班级\n张一,1\n".encode(), "students.csv", "缺少：学号 (student_number)、年级 (grade)"),
    ("学号,姓名,年级,班级\n".encode(), "students.csv", "没有要导入的行"),
])
def test_unusable_files_are_explained_and_nothing_is_written(client, db, world, admin, content, filename, message):
    response = upload(client, "students", content, filename)
    assert response.status_code == 200
    assert message in page(response)
    assert student_count(db, world.own_school) == 1


def test_no_file_is_explained(client, admin):
    response = client.post("/schools/import/students", data={}, content_type="multipart/form-data")
    assert response.status_code == 200
    assert "请选择文件" in page(response)


def test_templates_download_with_the_chinese_headers(client, admin):
    students = client.get("/schools/import/students/template.csv")
    assert students.mimetype == "text/csv"
    assert students.data.decode("utf-8-sig").strip() == "学号,姓名,年级,班级,家长手机号"
    staff = client.get("/schools/import/staff/template.csv")
    assert staff.data.decode("utf-8-sig").strip() == "姓名,手机号,类型,学科,技能"
    assert client.get("/schools/import/other/template.csv").status_code == 404


# --- Staff ---


def test_staff_dry_run_lists_every_bad_row(client, db, world, admin):
    existing = world.users["teacher"].mobile
    rows = [
        "姓名,手机号,类型,学科,技能",
        "钱一,13700000001,teacher,数学、体育,supervision;sports",  # 2: fine
        "孙二,12345,teacher,,",  # 3: bad mobile
        "李三,13700000001,volunteer,,",  # 4: duplicate of row 2
        f"周四,{existing},teacher,,",  # 5: account exists
        "吴五,13700000005,coach,,",  # 6: unknown type
        "郑六,13700000006,teacher,,讲故事",  # 7: unknown skill
        "王七,13700000007,teacher,,new_lesson",  # 8: never a skill
        ",13700000008,teacher,,",  # 9: missing name
    ]
    response = upload(client, "staff", "\n".join(rows).encode(), "staff.csv")
    found = problems(response)
    assert ("3", "手机号", "不是手机号（以1开头的11位数字）。") in found
    assert ("4", "手机号", "文件中重复（与第2行相同）。") in found
    assert ("5", "手机号", "该手机号的账号已存在。") in found
    assert ("6", "类型", "未知类型 coach（请用 teacher、retired_teacher 或 volunteer）。") in found
    assert ("7", "技能", "未知技能 讲故事。") in found
    assert ("8", "技能", "未知技能 new_lesson。") in found
    assert ("9", "姓名", "缺少内容。") in found
    assert len(found) == 7
    assert db.session.scalar(db.select(db.func.count(User.id)).filter_by(mobile="13700000001")) == 0


def test_clean_staff_import_creates_accounts_and_shows_passwords_once(app, client, db, world, admin):
    content = ("姓名,手机号,类型,学科,技能\n"
               "钱一,13700000001,teacher,数学、体育,supervision;体育\n"
               "孙二,13700000002,退休教师,语文,阅读\n").encode()
    response = upload(client, "staff", content, "staff.csv")
    assert problems(response) == []
    done = confirm(client, "staff", response)
    assert done.status_code == 200
    passwords = re.findall(r"<code>([^<]+)</code>", page(done))
    assert len(passwords) == 2
    first = db.session.scalar(db.select(User).filter_by(mobile="13700000001"))
    assert first.role is Role.TEACHER and first.school_id == world.own_school.id
    assert first.must_change_password  # the school chose it: they choose their own at first login
    assert first.staff_profile.subjects == ["数学", "体育"] and first.staff_profile.skills == ["supervision", "sports"]
    second = db.session.scalar(db.select(User).filter_by(mobile="13700000002"))
    assert second.staff_profile.staff_type is StaffType.RETIRED_TEACHER and second.staff_profile.skills == ["reading"]
    fresh = app.test_client()
    assert fresh.post("/account/login", data={"mobile": "13700000001", "password": passwords[0]}).status_code == 302


# --- Hostile files: each refused with a message, without reading what it claims to hold ---


def _workbook_bytes(*rows) -> bytes:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _rewrite(xlsx: bytes, name: str, change) -> bytes:
    """The workbook with one member's bytes replaced by change(old bytes), or written by change(old, stream)."""
    import zipfile

    source, target = zipfile.ZipFile(io.BytesIO(xlsx)), io.BytesIO()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for member in source.infolist():
            if member.filename != name:
                archive.writestr(member, source.read(member))
                continue
            with archive.open(name, "w", force_zip64=True) as stream:
                change(source.read(member), stream)
    return target.getvalue()


def dimension_bomb() -> bytes:
    """A few KB: the header, and one cell at XFD1048576 (the sheet declares A1:XFD1048576)."""
    workbook = openpyxl.Workbook()
    workbook.active.append(["学号", "姓名", "年级", "班级"])
    workbook.active["XFD1048576"] = "x"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def lying_dimension_bomb() -> bytes:
    """The same cell at XFD1048576, but the sheet declares it is A1:D1."""
    return _rewrite(dimension_bomb(), "xl/worksheets/sheet1.xml",
                    lambda old, stream: stream.write(old.replace(b'ref="A1:XFD1048576"', b'ref="A1:D1"')))


def wide_row_bomb() -> bytes:
    """About 20 KB: one row of four million empty cells (openpyxl would hold the whole row in memory)."""
    def change(old, stream):
        head, tail = old.split(b"</sheetData>", 1)
        stream.write(head + b'<row r="3">' + b"<c/>" * 4_000_000 + b"</row></sheetData>" + tail)

    return _rewrite(_workbook_bytes(["学号", "姓名", "年级", "班级"], ["1", "周一", "1", "1"]),
                    "xl/worksheets/sheet1.xml", change)


def shared_texts_bomb() -> bytes:
    """About 50 KB: a table of 1.2 million shared texts (openpyxl would load them all)."""
    import zipfile

    source, target = zipfile.ZipFile(io.BytesIO(_workbook_bytes(["学号", "姓名", "年级", "班级"]))), io.BytesIO()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for member in source.infolist():
            content = source.read(member)
            if member.filename == "[Content_Types].xml":
                content = content.replace(b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="'
                                          b'application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings'
                                          b'+xml"/></Types>')
            if member.filename == "xl/_rels/workbook.xml.rels":
                content = content.replace(b"</Relationships>", b'<Relationship Id="rIdTexts" Type="http://schemas.'
                                          b'openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
                                          b'Target="sharedStrings.xml"/></Relationships>')
            archive.writestr(member, content)
        archive.writestr("xl/sharedStrings.xml", b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/'
                         b'main">' + b"<si><t>a</t></si>" * 1_200_000 + b"</sst>")
    return target.getvalue()


def entity_bomb() -> bytes:
    """Billion laughs: ten levels of entities, each ten of the one below, used in a cell."""
    levels = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10)]
    doctype = ("<!DOCTYPE worksheet [" + "".join(levels) + "]>").encode()

    def change(old, stream):
        assert "周一".encode() in old
        stream.write(doctype + old.replace("周一".encode(), b"&lol9;"))

    return _rewrite(_workbook_bytes(["学号", "姓名", "年级", "班级"], ["1", "周一", "1", "1"]),
                    "xl/worksheets/sheet1.xml", change)


def zip_bomb() -> bytes:
    """A sheet that unpacks to 64 MB of blanks (about 64 KB packed)."""
    def change(old, stream):
        head, tail = old.rsplit(b"</worksheet>", 1)
        stream.write(head)
        for _ in range(64):
            stream.write(b" " * (1024 * 1024))
        stream.write(b"</worksheet>" + tail)

    return _rewrite(_workbook_bytes(["学号", "姓名", "年级", "班级"], ["1", "周一", "1", "1"]),
                    "xl/worksheets/sheet1.xml", change)


TOO_LARGE = "超过"  # "工作表超过 5000 行或 100 列" / "解压后超过 20 MB"


@pytest.mark.parametrize(("build", "message"), [
    (dimension_bomb, "工作表超过 5000 行或 100 列"),
    (lying_dimension_bomb, "工作表超过 5000 行或 100 列"),
    (wide_row_bomb, "工作表超过 5000 行或 100 列"),
    (shared_texts_bomb, "超过 100000 条不同的文字"),
    (entity_bomb, "无法作为 Excel 工作簿"),
    (zip_bomb, "解压后超过 20 MB"),
], ids=["dimension", "lying-dimension", "wide-row", "shared-texts", "entities", "zip"])
def test_hostile_workbooks_are_refused_with_a_message(client, db, world, admin, build, message):
    import tracemalloc

    content = build()
    assert len(content) < 200_000
    tracemalloc.start()
    try:
        response = upload(client, "students", content, "students.xlsx")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status_code == 200
    assert message in page(response)
    assert peak < 40 * 1024 * 1024, f"{peak / 2**20:.0f} MB"
    assert student_count(db, world.own_school) == 1


def test_too_many_rows_or_columns_are_refused_in_csv_and_xlsx(client, db, world, admin):
    header = "学号,姓名,年级,班级"
    long_csv = (header + "\n" + "\n".join(f"{n},名{n},1,1" for n in range(5000))).encode()
    wide_xlsx = _workbook_bytes(["学号", "姓名", "年级", "班级", *["备注"] * 97], ["1", "周一", "1", "1"])
    for content, filename in ((long_csv, "students.csv"), (wide_xlsx, "students.xlsx")):
        response = upload(client, "students", content, filename)
        assert "工作表超过 5000 行或 100 列" in page(response), filename
    assert student_count(db, world.own_school) == 1


def test_the_staff_imports_share_the_bounded_reader(client, admin):
    response = client.post("/staff/teaching-minutes/import",
                           data={"file": (io.BytesIO(dimension_bomb()), "minutes.xlsx")},
                           content_type="multipart/form-data")
    assert response.status_code == 200
    assert "工作表超过 5000 行或 100 列" in page(response)
    response = upload(client, "staff", lying_dimension_bomb(), "staff.xlsx")
    assert "工作表超过 5000 行或 100 列" in page(response)
