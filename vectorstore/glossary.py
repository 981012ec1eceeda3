"""English -> Chinese crime-prevention terms, so keyword search can help English questions on Chinese text.

Dense search carries English questions to Chinese paragraphs, but a small multilingual embedder
misses many paraphrases. The UN's Chinese terminology for this field is stable (网络犯罪,
资产追回, 恢复性司法...), so the English terms of a question are mapped to the Chinese terms the
reports use and searched with BM25 as an extra ranking. Terms are general UN crime-prevention
vocabulary, not tied to particular paragraphs.
"""

from __future__ import annotations

import re

# English phrase (lowercase; a trailing "s"/"es" plural is accepted) -> Chinese terms
EN_ZH: dict[str, tuple[str, ...]] = {
    # crimes
    "cybercrime": ("网络犯罪",), "cyber crime": ("网络犯罪",),
    "cyber-enabled crime": ("网络犯罪", "网络辅助"),
    "organized crime": ("有组织犯罪",), "organised crime": ("有组织犯罪",),
    "transnational organized crime": ("跨国有组织犯罪",),
    "corruption": ("腐败",), "bribery": ("贿赂", "腐败"),
    "money laundering": ("洗钱",), "laundering": ("洗钱",), "terrorist financing": ("资助恐怖主义",),
    "terrorism": ("恐怖主义",), "terrorist": ("恐怖主义", "恐怖"),
    "foreign terrorist fighter": ("外国恐怖主义战斗人员",),
    "fight for terrorist": ("恐怖主义战斗人员",), "radicalization": ("极端化", "激进化"),
    "radicalisation": ("极端化", "激进化"), "violent extremism": ("暴力极端主义",),
    "trafficking in persons": ("贩运人口", "人口贩运"), "human trafficking": ("贩运人口", "人口贩运"),
    "trafficking victim": ("贩运人口受害人", "人口贩运受害人"), "trafficking": ("贩运",),
    "migrant smuggling": ("偷运移民",), "smuggling of migrants": ("偷运移民",), "smuggling": ("走私", "偷运"),
    "firearm": ("枪支",), "gun": ("枪支",), "weapon": ("武器", "枪支"), "ammunition": ("弹药",),
    "drug trafficking": ("贩毒", "贩运毒品"), "drug": ("毒品",), "narcotic": ("麻醉药品", "毒品"),
    "wildlife crime": ("野生生物犯罪",), "wildlife": ("野生生物",),
    "environmental crime": ("环境犯罪", "影响环境的犯罪"),
    "crimes that affect the environment": ("影响环境的犯罪",),
    "environment": ("环境",), "illegal mining": ("非法采矿",), "natural resources": ("自然资源",),
    "cultural property": ("文化财产",), "cultural goods": ("文化财产",),
    "economic crime": ("经济犯罪",), "financial crime": ("金融犯罪",), "fraud": ("欺诈",),
    "kidnapping": ("绑架",), "piracy": ("海盗",), "gang": ("团伙",), "hate crime": ("仇恨犯罪",),
    "dark web": ("暗网",), "darknet": ("暗网",),
    "violence against women": ("暴力侵害妇女",), "femicide": ("杀害妇女",),
    "gender-based violence": ("基于性别的暴力",), "domestic violence": ("家庭暴力",),
    "sexual violence": ("性暴力",), "sexual exploitation": ("性剥削",), "sexual abuse": ("性虐待",),
    "child sexual abuse": ("儿童性虐待",), "violence against children": ("暴力侵害儿童",),
    "interpersonal violence": ("人际暴力",), "violence": ("暴力",),
    "forced labour": ("强迫劳动",), "forced labor": ("强迫劳动",),
    # criminal justice
    "criminal justice": ("刑事司法",), "crime prevention": ("预防犯罪",), "prevention": ("预防",),
    "rule of law": ("法治",), "culture of lawfulness": ("守法文化",), "lawfulness": ("守法",),
    "access to justice": ("诉诸司法",), "legal aid": ("法律援助",), "public defender": ("公设辩护人",),
    "restorative justice": ("恢复性司法",), "juvenile justice": ("少年司法",),
    "children in conflict with the law": ("触法儿童",), "young offender": ("年轻罪犯", "青年罪犯"),
    "youth": ("青年",), "young people": ("青年",), "children": ("儿童",), "child": ("儿童",),
    "reoffending": ("累犯", "再犯"), "recidivism": ("累犯",), "reintegration": ("重返社会", "重新融入社会"),
    "rehabilitation": ("改造", "康复"), "social reintegration": ("重返社会",),
    "imprisonment": ("监禁",), "prison": ("监狱", "监禁"), "incarceration": ("监禁",),
    "alternatives to imprisonment": ("替代监禁", "监禁替代"), "non-custodial": ("非拘禁",),
    "overcrowding": ("人满为患",), "pretrial detention": ("审前羁押",), "detention": ("羁押", "拘留"),
    "deprived of liberty": ("被剥夺自由",), "death penalty": ("死刑",), "capital punishment": ("死刑",),
    "victim": ("受害人", "被害人", "受害者"), "witness": ("证人",),
    "victim-centred": ("以受害人为中心",), "victim-centered": ("以受害人为中心",),
    "compensation": ("赔偿",), "punishment": ("惩罚",), "punitive": ("惩罚性",), "punish": ("惩罚",),
    "offender": ("罪犯",), "prosecution": ("起诉",), "prosecute": ("起诉",), "prosecutor": ("检察官",),
    "investigation": ("调查", "侦查"), "investigate": ("调查", "侦查"), "judiciary": ("司法机关",),
    "law enforcement": ("执法",), "police": ("警察", "警务", "执法"), "policing": ("警务",),
    "community policing": ("社区警务",), "excessive force": ("过度使用武力",), "use of force": ("使用武力",),
    "racial profiling": ("种族形象定性",), "discrimination": ("歧视",), "racism": ("种族主义",),
    "practitioner": ("从业人员",), "training": ("培训",), "capacity-building": ("能力建设",),
    "capacity building": ("能力建设",), "technical assistance": ("技术援助",),
    "evidence-based": ("循证", "以证据为基础"), "data collection": ("数据收集",),
    "disaggregated data": ("分列的数据", "分类数据"), "statistics": ("统计",),
    "gender": ("性别",), "women": ("妇女",), "empowerment": ("增强妇女权能", "权能"),
    "gender equality": ("性别平等",), "gender-responsive": ("性别响应性",),
    "human rights": ("人权",), "privacy": ("隐私",), "data protection": ("数据保护",),
    "due process": ("正当程序",), "safeguard": ("保障措施",),
    "vulnerable": ("弱势", "处境脆弱"), "indigenous": ("土著",), "migrant": ("移民",),
    "people of african descent": ("非洲裔",), "marginalized": ("边缘化",), "poverty": ("贫困",),
    "root causes": ("根源", "根本原因"), "social exclusion": ("社会排斥",),
    "community-based": ("基于社区",), "community": ("社区",), "civil society": ("民间社会",),
    "private sector": ("私营部门",), "public-private partnership": ("公私伙伴关系",),
    "partnership": ("伙伴关系",), "stakeholder": ("利益攸关方",), "academia": ("学术界",),
    # cooperation and assets
    "international cooperation": ("国际合作",), "cooperation": ("合作",),
    "mutual legal assistance": ("司法协助",), "extradition": ("引渡",),
    "transfer of sentenced persons": ("移交被判刑人",), "sentenced person": ("被判刑人",),
    "convicted person": ("被判刑人",), "court ruling": ("判决",), "judgment": ("判决",),
    "foreign judgments": ("外国判决",), "joint investigation": ("联合调查", "联合工作队"),
    "central authorit": ("中央当局",), "information sharing": ("信息交流", "情报共享"),
    "intelligence": ("情报",), "financial intelligence unit": ("金融情报单位",),
    "financial intelligence": ("金融情报",), "illicit financial flows": ("非法资金流动",),
    "asset recovery": ("资产追回",), "recovering": ("追回",), "recover": ("追回",),
    "confiscation": ("没收",), "confiscate": ("没收",), "confiscated": ("没收",), "seizure": ("扣押",),
    "freezing": ("冻结",), "proceeds of crime": ("犯罪所得",), "criminal assets": ("犯罪所得", "资产"),
    "assets": ("资产",), "non-conviction-based": ("非定罪没收",), "predicate offence": ("上游犯罪",),
    "predicate offense": ("上游犯罪",), "bank": ("银行",), "suspicious": ("可疑",),
    "cryptocurrenc": ("加密货币",), "virtual currenc": ("虚拟货币",), "virtual asset": ("虚拟资产",),
    "border": ("边境",), "cross-border": ("跨境",),
    # technology
    "artificial intelligence": ("人工智能",), "ai": ("人工智能",), "technology": ("技术",),
    "digital": ("数字",), "electronic evidence": ("电子证据",), "digital evidence": ("数字证据", "电子证据"),
    "big data": ("大数据",), "algorithm": ("算法",), "internet": ("互联网", "网上"),
    "online": ("网上", "在线"),
    "service provider": ("服务提供商", "服务提供者"), "encryption": ("加密",),
    "information and communications technolog": ("信息和通信技术",), "ict": ("信息和通信技术",),
    # instruments and bodies
    "organized crime convention": ("打击跨国有组织犯罪公约",),
    "convention against transnational organized crime": ("打击跨国有组织犯罪公约",),
    "convention against corruption": ("反腐败公约",), "convention against cybercrime": ("打击网络犯罪公约",),
    "protocol": ("议定书",), "unodc": ("毒罪办", "毒品和犯罪问题办公室"),
    "office on drugs and crime": ("毒品和犯罪问题办公室", "毒罪办"),
    "commission on crime prevention": ("预防犯罪和刑事司法委员会",), "general assembly": ("大会",),
    "resolution": ("决议",), "declaration": ("宣言",), "kyoto declaration": ("京都宣言",),
    "abu dhabi declaration": ("阿布扎比宣言",), "2030 agenda": ("2030年议程", "可持续发展议程"),
    "sustainable development": ("可持续发展",), "expert group": ("专家组",),
    "programme network": ("方案网",), "institute": ("研究所",), "observer": ("观察员",),
    "rapporteur": ("报告员",), "chair": ("主席",), "vice-chair": ("副主席",), "bureau": ("主席团",),
    "agenda": ("议程",), "workshop": ("讲习班",), "discussion guide": ("讨论指南",),
    "standards and norms": ("标准和规范",), "nelson mandela rules": ("纳尔逊·曼德拉规则",),
    "bangkok rules": ("曼谷规则",), "climate change": ("气候变化",), "climate": ("气候",),
}

_PATTERN = re.compile(
    r"(?<![a-z])(" + "|".join(re.escape(k) for k in sorted(EN_ZH, key=len, reverse=True))
    + r")(?:s|es|ies|y)?(?![a-z])",
    re.IGNORECASE,
)


def chinese_terms(text: str) -> list[str]:
    """The Chinese terms for the English terms in `text` (longest phrase wins, no duplicates)."""
    found: list[str] = []
    for m in _PATTERN.finditer(text):
        for term in EN_ZH[m.group(1).lower()]:
            if term not in found:
                found.append(term)
    return found
