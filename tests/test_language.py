from assistant.language import detect_language, is_in_language
from vectorstore.query_text import clean_query, simplified


def test_chinese_and_english_questions():
    assert detect_language("欧洲报告对网络犯罪有什么建议？") == "zh"
    assert detect_language("What did the European report recommend on cybercrime?") == "en"


def test_chinese_question_with_symbols_and_acronyms_is_chinese():
    assert detect_language("A/CONF.241/RPM.2/2 第24(d)段说了什么？") == "zh"
    assert detect_language("UNODC 在 AI 方面的作用是什么？") == "zh"
    assert detect_language("[A/CONF.241/RPM.2/2 ¶24(d)] 是什么意思") == "zh"


def test_english_question_quoting_a_chinese_term_is_english():
    assert detect_language("What does the report mean by 资产追回 here?") == "en"


def test_no_letters_uses_the_default():
    assert detect_language("24(d)?", default="zh") == "zh"
    assert detect_language("", default="en") == "en"


def test_is_in_language_ignores_quotes_and_spots_french():
    assert is_in_language("The report recommends “加强国际合作” [A/CONF.241/RPM.2/2 ¶24(a)].", "en")
    assert not is_in_language("Le rapport recommande de renforcer la coopération dans la région.", "en")
    assert not is_in_language("The report recommends cooperation.", "zh")
    assert is_in_language("报告建议加强国际合作[A/CONF.241/RPM.2/2 ¶24(a)]。", "zh")


def test_traditional_characters_read_as_simplified_and_nothing_else_changes():
    traditional, simple = "拉美報告對槍支販運有什麼表述？", "拉美报告对枪支贩运有什么表述？"
    assert simplified(traditional) == simple
    unchanged = (simple, "干部、发展、后来、范围", "para. 24 (d) of A/CONF.241/RPM.2/2", "")
    for text in unchanged:
        assert simplified(text) == text
    assert clean_query("歐洲報告 第10段")[0] == "欧洲报告 第10段"
