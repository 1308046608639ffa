import json

from app.cli import main


def test_check_reports_file_line_col_and_exit_code(tmp_path, capsys):
    good = tmp_path / "good.txt"
    good.write_text("{你好|您好}，${nickname}", "utf-8")
    bad = tmp_path / "bad.txt"
    bad.write_bytes("\ufeff好{a|b\r\n\r\n}}".encode("utf-8"))
    assert main(["variants", "check", str(good)]) == 0
    assert capsys.readouterr().out == ""
    assert main(["variants", "check", str(good), str(bad)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"{bad}:2:1: paragraph break inside a variant")
    assert lines[1].startswith(f"{bad}:3:2: unmatched '}}'")


def test_render_is_json_per_line_and_seeded(tmp_path, capsys):
    f = tmp_path / "t.txt"
    f.write_text("{甲|乙|丙}{一|二}${product}", "utf-8")
    assert main(["variants", "render", str(f), "--count", "6", "--seed", "3", "--var", "product=面霜"]) == 0
    first = capsys.readouterr().out.splitlines()
    assert main(["variants", "render", str(f), "--count", "6", "--seed", "3", "--var", "product=面霜"]) == 0
    assert capsys.readouterr().out.splitlines() == first
    texts = [json.loads(line) for line in first]
    assert len(set(texts)) == 6 and all(t.endswith("面霜") for t in texts)
    assert "面霜" in first[0]  # ensure_ascii=False
