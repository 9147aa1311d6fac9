"""The demo banks seed_demo loads: a few hundred questions on real work-safety topics,
two thirds in a bank open to practice and one third in an exam-only bank for the demo exam.

Each fact is a sentence with one blank and its right value plus plausible
wrong ones; it yields a single-choice question, a true and a false
statement, and a fill-in-blank. Lists of duties and measures yield multiple
choice. The import service stores them, so re-seeding changes nothing.
"""

from __future__ import annotations

import random
from typing import Any

from organizations.models import Jurisdiction, TrainingProvider
from question_bank import importers, services
from question_bank.models import Bank, Question

DEMO_BANK_CODE = "demo-safety-basics"  # open to practice
DEMO_EXAM_BANK_CODE = "demo-exam-safety"  # exam-only: the demo exam draws on it

ALL = "全员"
MANAGERS = "主要负责人、安全管理人员"
SPECIAL = "特种作业人员"

# (knowledge point, industries, posts, sentence with {} for the blank, right value, wrong values, explanation)
FACTS: list[tuple[str, str, str, str, str, list[str], str]] = [
    (
        "消防器材",
        "通用",
        ALL,
        "我国的火灾报警电话是{}。",
        "119",
        ["110", "120", "122"],
        "火警119，匪警110，急救120，交通事故122。",
    ),
    (
        "消防器材",
        "通用",
        ALL,
        "手提式干粉灭火器使用的正确顺序是提、{}、握、压。",
        "拔",
        ["摇", "倒", "推"],
        "先提起灭火器，拔下保险销，握住喷管对准火焰根部，压下压把。",
    ),
    (
        "消防器材",
        "通用",
        ALL,
        "使用灭火器灭火时，应对准火焰的{}喷射。",
        "根部",
        ["顶部", "中部", "上方烟雾"],
        "对准火焰根部才能覆盖燃烧物表面，扑灭初起火灾。",
    ),
    (
        "消防器材",
        "通用",
        ALL,
        "灭火器压力表指针在{}区域表示压力正常。",
        "绿色",
        ["红色", "黄色", "白色"],
        "绿区正常，红区欠压，黄区超压。",
    ),
    (
        "消防器材",
        "通用",
        ALL,
        "扑救精密仪器、图书档案初起火灾宜选用{}灭火器。",
        "二氧化碳",
        ["水基型", "泡沫", "清水"],
        "二氧化碳灭火后不留痕迹，不损坏设备。",
    ),
    (
        "消防器材",
        "通用",
        ALL,
        "ABC干粉灭火器不能扑救{}火灾。",
        "金属",
        ["固体", "液体", "气体"],
        "金属火灾（D类）需用专用灭火剂。",
    ),
    (
        "消防器材",
        "通用",
        ALL,
        "室内消火栓箱内的水带和水枪应保持{}状态，随时可用。",
        "完好连接",
        ["拆下存放", "上锁封存", "移至库房"],
        "消防设施必须保持完好有效。",
    ),
    (
        "消防器材",
        "通用",
        ALL,
        "疏散通道、安全出口应当保持{}。",
        "畅通",
        ["上锁", "堆放物品", "关闭"],
        "《消防法》禁止占用、堵塞、封闭疏散通道和安全出口。",
    ),
    (
        "消防器材",
        "通用",
        ALL,
        "发生火灾逃生时，应用湿毛巾捂住口鼻，{}沿疏散方向撤离。",
        "低姿",
        ["直立快跑", "乘坐电梯", "逆向"],
        "烟气上升，低处空气相对较好；火灾时禁止乘坐普通电梯。",
    ),
    (
        "消防器材",
        "通用",
        ALL,
        "电器设备着火时，应首先{}。",
        "切断电源",
        ["用水扑救", "打开门窗", "离开现场"],
        "带电灭火有触电危险，先断电再灭火。",
    ),
    (
        "危险化学品储存",
        "危险化学品",
        ALL,
        "危险化学品应当储存在专用仓库内，实行分区、分类、{}储存。",
        "分库",
        ["混合", "露天", "集中"],
        "禁忌物料不得混存。",
    ),
    (
        "危险化学品储存",
        "危险化学品",
        ALL,
        "剧毒化学品应实行{}收发、双人保管制度。",
        "双人",
        ["单人", "三人", "班长"],
        "《危险化学品安全管理条例》规定剧毒化学品双人收发、双人保管。",
    ),
    (
        "危险化学品储存",
        "危险化学品",
        ALL,
        "化学品安全技术说明书（SDS）由{}个部分组成。",
        "16",
        ["12", "8", "20"],
        "GB/T 16483 规定 SDS 包括 16 部分内容。",
    ),
    (
        "危险化学品储存",
        "危险化学品",
        ALL,
        "氧化剂与{}不得混存。",
        "还原剂",
        ["惰性气体", "不燃物", "水泥"],
        "氧化剂与还原剂接触可能剧烈反应、燃烧或爆炸。",
    ),
    (
        "危险化学品储存",
        "危险化学品",
        ALL,
        "易燃液体储罐区应设置{}，防止泄漏液体漫流。",
        "防火堤",
        ["绿化带", "停车场", "休息区"],
        "防火堤用于围堵泄漏的易燃液体。",
    ),
    (
        "危险化学品储存",
        "危险化学品",
        ALL,
        "危险化学品仓库内严禁{}。",
        "吸烟和使用明火",
        ["通风", "设置标识", "配备灭火器"],
        "仓库内应杜绝一切点火源。",
    ),
    (
        "危险化学品储存",
        "危险化学品",
        ALL,
        "装卸易燃易爆危险化学品时，应使用{}工具。",
        "防爆",
        ["铁质", "普通", "电动"],
        "铁器撞击易产生火花，应使用铜质等防爆工具。",
    ),
    (
        "危险化学品储存",
        "危险化学品",
        MANAGERS,
        "生产、储存危险化学品的单位，应当对其安全生产条件每{}年进行一次安全评价。",
        "3",
        ["1", "5", "10"],
        "《危险化学品安全管理条例》第二十二条。",
    ),
    (
        "动火作业",
        "危险化学品、冶金",
        SPECIAL,
        "动火作业前应进行动火分析，分析时间距动火开始不宜超过{}分钟。",
        "30",
        ["60", "120", "10"],
        "GB 30871-2022：动火分析与动火作业间隔不宜超过 30 min。",
    ),
    (
        "动火作业",
        "危险化学品、冶金",
        SPECIAL,
        "二级动火作业票的有效期不应超过{}小时。",
        "72",
        ["8", "24", "120"],
        "GB 30871-2022：特级、一级动火 8 h，二级动火 72 h。",
    ),
    (
        "动火作业",
        "危险化学品、冶金",
        SPECIAL,
        "特级和一级动火作业票的有效期不应超过{}小时。",
        "8",
        ["24", "72", "4"],
        "GB 30871-2022 规定。",
    ),
    (
        "动火作业",
        "危险化学品、冶金",
        SPECIAL,
        "动火作业期间，{}不得离开现场。",
        "监护人",
        ["驾驶员", "统计员", "访客"],
        "监护人负责现场监护，发现异常立即停止作业。",
    ),
    (
        "动火作业",
        "危险化学品、冶金",
        SPECIAL,
        "五级风以上（含五级）天气，原则上禁止{}动火作业。",
        "露天",
        ["室内", "地下", "夜间"],
        "大风易使火星飞溅引发火灾。",
    ),
    (
        "动火作业",
        "危险化学品、冶金",
        SPECIAL,
        "气焊作业时，氧气瓶与乙炔气瓶的间距不应小于{}米。",
        "5",
        ["1", "2", "3"],
        "两瓶间距不小于 5 m，二者与动火点不小于 10 m。",
    ),
    (
        "动火作业",
        "危险化学品、冶金",
        SPECIAL,
        "乙炔气瓶在使用时应{}放置。",
        "直立",
        ["卧倒", "倒立", "倾斜"],
        "卧放会使丙酮流出，引发危险。",
    ),
    (
        "动火作业",
        "危险化学品、冶金、建筑施工",
        SPECIAL,
        "焊接作业人员必须持有{}上岗。",
        "特种作业操作证",
        ["驾驶证", "健康证", "工作证"],
        "焊接与热切割属于特种作业。",
    ),
    (
        "受限空间",
        "危险化学品、冶金、建筑施工",
        ALL,
        "进入受限空间作业应坚持先通风、再{}、后作业的原则。",
        "检测",
        ["施工", "报告", "照明"],
        "未经通风和检测合格，严禁作业人员进入受限空间。",
    ),
    (
        "受限空间",
        "危险化学品、冶金、建筑施工",
        ALL,
        "受限空间内氧气含量应为{}。",
        "19.5%～21%",
        ["15%～18%", "23.5%～25%", "10%～15%"],
        "GB 30871-2022：氧含量 19.5%～21%（体积分数），富氧环境不应大于 23.5%。",
    ),
    (
        "受限空间",
        "危险化学品、冶金、建筑施工",
        ALL,
        "受限空间作业前的气体检测时间距作业开始不应超过{}分钟。",
        "30",
        ["60", "90", "120"],
        "超过 30 min 应重新检测。",
    ),
    (
        "受限空间",
        "危险化学品、冶金、建筑施工",
        ALL,
        "在潮湿的受限空间内作业，照明电压不应超过{}伏。",
        "12",
        ["24", "36", "220"],
        "普通受限空间不超过 36 V，潮湿或金属容器内不超过 12 V。",
    ),
    (
        "受限空间",
        "危险化学品、冶金、建筑施工",
        ALL,
        "发现受限空间内有人晕倒，未佩戴{}的人员严禁盲目施救。",
        "正压式空气呼吸器",
        ["手套", "安全帽", "护目镜"],
        "盲目施救常导致伤亡扩大。",
    ),
    (
        "受限空间",
        "危险化学品、冶金、建筑施工",
        ALL,
        "受限空间作业期间，应在{}设专人监护。",
        "出入口外",
        ["办公室", "控制室", "食堂"],
        "监护人应在出入口外持续监护，保持联络。",
    ),
    (
        "受限空间",
        "危险化学品、冶金、建筑施工",
        ALL,
        "严禁用{}对受限空间进行通风换气。",
        "纯氧",
        ["压缩空气", "自然通风", "轴流风机"],
        "通入纯氧会形成富氧环境，极易引发火灾。",
    ),
    (
        "安全生产法",
        "通用",
        MANAGERS,
        "安全生产工作坚持安全第一、{}、综合治理的方针。",
        "预防为主",
        ["以人为本", "重点突出", "全面管理"],
        "《安全生产法》第三条。",
    ),
    (
        "安全生产法",
        "通用",
        MANAGERS,
        "生产经营单位的{}是本单位安全生产第一责任人。",
        "主要负责人",
        ["安全管理人员", "班组长", "工会主席"],
        "《安全生产法》第五条。",
    ),
    (
        "安全生产法",
        "通用",
        ALL,
        "从业人员发现直接危及人身安全的紧急情况时，有权停止作业或者在采取可能的应急措施后{}。",
        "撤离作业场所",
        ["继续作业", "等待批准", "关闭通讯"],
        "《安全生产法》第五十五条规定的紧急撤离权。",
    ),
    (
        "安全生产法",
        "通用",
        ALL,
        "从业人员发现事故隐患或者其他不安全因素，应当{}向现场安全生产管理人员或者本单位负责人报告。",
        "立即",
        ["下班后", "一周内", "月底"],
        "《安全生产法》第五十九条。",
    ),
    (
        "安全生产法",
        "通用",
        MANAGERS,
        "生产经营单位新建、改建、扩建工程项目的安全设施，必须与主体工程同时设计、同时施工、同时{}。",
        "投入生产和使用",
        ["验收备案", "申请许可", "报送审批"],
        "即安全设施“三同时”，《安全生产法》第三十一条。",
    ),
    (
        "安全生产法",
        "通用",
        MANAGERS,
        "生产经营单位不得因从业人员拒绝违章指挥、强令冒险作业而降低其工资、福利等待遇或者{}。",
        "解除劳动合同",
        ["调整岗位培训", "表彰奖励", "安排体检"],
        "《安全生产法》第五十四条。",
    ),
    (
        "安全生产法",
        "通用",
        MANAGERS,
        "矿山、金属冶炼、危险化学品等高危单位的主要负责人和安全生产管理人员，应当由主管部门对其安全生产知识和管理能力{}。",
        "考核合格",
        ["备案登记", "口头询问", "自行评价"],
        "《安全生产法》第二十七条。",
    ),
    (
        "安全培训",
        "通用",
        MANAGERS,
        "生产经营单位新上岗的从业人员，岗前安全培训时间不得少于{}学时。",
        "24",
        ["8", "12", "48"],
        "《生产经营单位安全培训规定》第十三条。",
    ),
    (
        "安全培训",
        "危险化学品、冶金、矿山",
        MANAGERS,
        "煤矿、非煤矿山、危险化学品、烟花爆竹、金属冶炼等单位新上岗从业人员岗前安全培训不得少于{}学时。",
        "72",
        ["24", "32", "48"],
        "《生产经营单位安全培训规定》第十三条。",
    ),
    (
        "安全培训",
        "危险化学品、冶金、矿山",
        MANAGERS,
        "高危行业从业人员每年再培训的时间不得少于{}学时。",
        "20",
        ["8", "12", "16"],
        "《生产经营单位安全培训规定》第十三条。",
    ),
    (
        "安全培训",
        "机械制造",
        MANAGERS,
        "加工、制造业等生产单位新上岗人员应接受厂（矿）、车间（工段、区、队）、{}三级安全培训教育。",
        "班组",
        ["公司", "部门", "家庭"],
        "《生产经营单位安全培训规定》第十二条。",
    ),
    (
        "应急救援",
        "通用",
        MANAGERS,
        "生产经营单位应当至少每{}组织一次综合应急预案演练或者专项应急预案演练。",
        "年",
        ["月", "季度", "三年"],
        "《生产安全事故应急预案管理办法》第三十三条。",
    ),
    (
        "应急救援",
        "通用",
        MANAGERS,
        "生产经营单位应当至少每{}组织一次现场处置方案演练。",
        "半年",
        ["年", "两年", "季度"],
        "《生产安全事故应急预案管理办法》第三十三条。",
    ),
    (
        "应急救援",
        "通用",
        ALL,
        "成人心肺复苏时，胸外按压频率应为每分钟{}次。",
        "100～120",
        ["60～80", "80～100", "140～160"],
        "按压深度 5～6 cm，按压与人工呼吸比为 30:2。",
    ),
    (
        "应急救援",
        "通用",
        ALL,
        "成人心肺复苏时，胸外按压与人工呼吸的比例为{}。",
        "30:2",
        ["15:2", "5:1", "30:1"],
        "单人或双人施救均为 30:2。",
    ),
    (
        "应急救援",
        "通用",
        MANAGERS,
        "事故发生后，单位负责人接到报告后，应当于{}小时内向事故发生地县级以上应急管理部门报告。",
        "1",
        ["2", "12", "24"],
        "《生产安全事故报告和调查处理条例》第九条。",
    ),
    (
        "应急救援",
        "危险化学品",
        ALL,
        "发生有毒气体泄漏时，人员应向{}方向撤离。",
        "上风",
        ["下风", "低洼", "泄漏源"],
        "向上风或侧风方向撤离，避开低洼处。",
    ),
    (
        "高处作业",
        "建筑施工",
        ALL,
        "在坠落高度基准面{}米及以上有可能坠落的高处进行的作业称为高处作业。",
        "2",
        ["1", "3", "5"],
        "GB/T 3608 的定义。",
    ),
    (
        "高处作业",
        "建筑施工",
        ALL,
        "安全带应{}使用。",
        "高挂低用",
        ["低挂高用", "平挂平用", "随意悬挂"],
        "高挂低用可减小坠落距离和冲击力。",
    ),
    (
        "高处作业",
        "建筑施工",
        ALL,
        "遇有{}级以上强风、浓雾等恶劣天气，不得进行露天高处作业。",
        "六",
        ["三", "四", "二"],
        "《建筑施工高处作业安全技术规范》。",
    ),
    (
        "临时用电",
        "建筑施工",
        SPECIAL,
        "施工现场临时用电实行三级配电、{}级漏电保护。",
        "两",
        ["一", "三", "四"],
        "总配电箱、开关箱两级漏电保护。",
    ),
    (
        "临时用电",
        "建筑施工",
        SPECIAL,
        "开关箱中漏电保护器的额定漏电动作电流不应大于{}毫安。",
        "30",
        ["50", "75", "100"],
        "额定漏电动作时间不应大于 0.1 s。",
    ),
    (
        "临时用电",
        "建筑施工",
        SPECIAL,
        "施工用电设备应做到“一机、一闸、一漏、{}”。",
        "一箱",
        ["一人", "一证", "一锁"],
        "JGJ 46 规定。",
    ),
    (
        "个体防护",
        "通用",
        ALL,
        "进入施工现场必须正确佩戴{}。",
        "安全帽",
        ["耳机", "墨镜", "围巾"],
        "安全帽须系好下颏带。",
    ),
    (
        "个体防护",
        "机械制造",
        ALL,
        "操作旋转机床时，严禁{}。",
        "戴手套",
        ["戴护目镜", "穿工作服", "戴工作帽"],
        "手套易被卷入旋转部件造成伤害。",
    ),
]

# (knowledge point, industries, posts, stem, right options, wrong options, explanation)
LISTS: list[tuple[str, str, str, str, list[str], list[str], str]] = [
    (
        "安全生产法",
        "通用",
        ALL,
        "下列属于从业人员安全生产权利的有（　）。",
        ["知情权和建议权", "批评、检举、控告权", "拒绝违章指挥和强令冒险作业权", "紧急情况下停止作业和撤离权"],
        ["拒绝接受安全培训", "随意拆除安全装置"],
        "《安全生产法》第五十三至五十六条。",
    ),
    (
        "安全生产法",
        "通用",
        ALL,
        "下列属于从业人员安全生产义务的有（　）。",
        ["遵守规章制度和操作规程", "正确佩戴和使用劳动防护用品", "接受安全生产教育和培训", "发现隐患及时报告"],
        ["自行决定是否参加培训", "隐瞒事故"],
        "《安全生产法》第五十七至五十九条。",
    ),
    (
        "安全生产法",
        "通用",
        MANAGERS,
        "生产经营单位主要负责人的安全生产职责包括（　）。",
        [
            "建立健全全员安全生产责任制",
            "组织制定安全生产规章制度和操作规程",
            "保证安全生产投入的有效实施",
            "组织制定并实施生产安全事故应急救援预案",
        ],
        ["代替员工参加安全培训", "负责具体设备维修"],
        "《安全生产法》第二十一条。",
    ),
    (
        "动火作业",
        "危险化学品、冶金",
        SPECIAL,
        "动火作业前应采取的安全措施有（　）。",
        ["办理动火安全作业票", "清除动火点周围的易燃物", "进行动火分析", "配备灭火器材并设监护人"],
        ["关闭可燃气体报警器", "先动火后分析"],
        "GB 30871-2022 动火作业要求。",
    ),
    (
        "受限空间",
        "危险化学品、冶金、建筑施工",
        ALL,
        "受限空间作业可能存在的主要危险有（　）。",
        ["缺氧窒息", "中毒", "燃爆"],
        ["高原反应", "噪声性耳聋"],
        "受限空间常见缺氧、有毒气体和可燃气体积聚。",
    ),
    (
        "受限空间",
        "危险化学品、冶金、建筑施工",
        ALL,
        "受限空间作业前必须做好的工作有（　）。",
        ["可靠隔绝（盲板抽堵）", "清洗或置换", "通风", "气体检测合格"],
        ["关闭通讯设备", "撤离监护人"],
        "先隔绝、置换、通风，检测合格后方可进入。",
    ),
    (
        "消防器材",
        "通用",
        ALL,
        "扑救初起火灾的常用灭火方法有（　）。",
        ["冷却灭火法", "窒息灭火法", "隔离灭火法", "抑制灭火法"],
        ["加热灭火法", "通风灭火法"],
        "四种基本灭火方法。",
    ),
    (
        "消防器材",
        "通用",
        ALL,
        "ABC干粉灭火器可以扑救（　）的初起火灾。",
        ["固体物质", "易燃液体", "可燃气体", "带电设备"],
        ["活泼金属", "自燃金属粉末"],
        "ABC干粉适用于 A、B、C 类及带电火灾，不适用于 D 类金属火灾。",
    ),
    (
        "危险化学品储存",
        "危险化学品",
        ALL,
        "危险化学品包装上的安全标签应包含（　）。",
        ["化学品标识", "象形图", "信号词", "危险性说明"],
        ["生产工人姓名", "销售价格"],
        "GB 15258 规定安全标签要素。",
    ),
    (
        "危险化学品储存",
        "危险化学品",
        ALL,
        "下列物品中，不得与强氧化剂混存的有（　）。",
        ["易燃液体", "还原剂", "有机过氧化物"],
        ["沙土", "不燃建材"],
        "禁忌物料混存可引发剧烈反应。",
    ),
    (
        "应急救援",
        "通用",
        MANAGERS,
        "生产经营单位应急预案体系包括（　）。",
        ["综合应急预案", "专项应急预案", "现场处置方案"],
        ["年度生产计划", "员工考勤制度"],
        "《生产安全事故应急预案管理办法》第六条。",
    ),
    (
        "应急救援",
        "通用",
        ALL,
        "发生生产安全事故后，现场人员应当（　）。",
        ["立即报告本单位负责人", "在确保安全的前提下采取措施防止事故扩大", "保护事故现场"],
        ["破坏现场痕迹", "隐瞒不报"],
        "《生产安全事故报告和调查处理条例》第九条、第十六条。",
    ),
    (
        "高处作业",
        "建筑施工",
        ALL,
        "高处作业的“三宝”是指（　）。",
        ["安全帽", "安全带", "安全网"],
        ["安全鞋", "安全绳索钩"],
        "俗称“三宝”。",
    ),
    (
        "临时用电",
        "建筑施工",
        SPECIAL,
        "施工现场临时用电的三级配电是指（　）。",
        ["总配电箱", "分配电箱", "开关箱"],
        ["家用插座", "移动电源"],
        "JGJ 46 三级配电。",
    ),
    (
        "个体防护",
        "通用",
        ALL,
        "下列属于劳动防护用品的有（　）。",
        ["安全帽", "防护眼镜", "防尘口罩", "绝缘手套"],
        ["手机", "遮阳伞"],
        "劳动防护用品由单位免费提供。",
    ),
]


def demo_rows() -> list[dict[str, str]]:
    return [row for _exam, row in _grouped_rows()]


def _for_exam(index: int) -> bool:
    """Every third fact and list goes to the exam-only bank, the others to the practice bank:
    the demo exam then asks nothing a learner could have practised."""
    return index % 3 == 2


def _grouped_rows() -> list[tuple[bool, dict[str, str]]]:
    """Each demo row with whether it belongs to the exam-only bank."""
    rng = random.Random(2026)  # noqa: S311 - deterministic shuffle so re-seeding finds the same questions
    grouped: list[tuple[bool, dict[str, str]]] = []
    for index, (kp, industry, post, sentence, right, wrong, why) in enumerate(FACTS):
        rows: list[dict[str, str]] = []
        base = {"knowledge_point": kp, "industry": industry, "post": post, "explanation": why}
        difficulty = str(1 + index % 5)
        options = [right, *wrong[:3]]
        rng.shuffle(options)
        letter = "ABCD"[options.index(right)]
        rows.append(
            {
                **base,
                "type": "单选题",
                "stem": sentence.format("（　）"),
                "answer": letter,
                "difficulty": difficulty,
                **{f"option_{c}": o for c, o in zip("abcd", options, strict=True)},
            }
        )
        rows.append({**base, "type": "判断题", "stem": sentence.format(right), "answer": "正确", "difficulty": "1"})
        for wrong_value in wrong[:2]:
            rows.append(
                {
                    **base,
                    "type": "判断题",
                    "stem": sentence.format(wrong_value),
                    "answer": "错误",
                    "difficulty": "2",
                    "explanation": f"应为“{right}”。{why}",
                }
            )
        rows.append({**base, "type": "填空题", "stem": sentence.format("____"), "answer": right, "difficulty": "3"})
        grouped += [(_for_exam(index), row) for row in rows]
    for index, (kp, industry, post, stem, right, wrong, why) in enumerate(LISTS):
        rows = []
        base = {"knowledge_point": kp, "industry": industry, "post": post, "explanation": why}
        options = [*right, *wrong]
        rng.shuffle(options)
        answer = "".join(sorted("ABCDEFGH"[options.index(r)] for r in right))
        rows.append(
            {
                **base,
                "type": "多选题",
                "stem": stem,
                "answer": answer,
                "difficulty": "3",
                **{f"option_{c}": o for c, o in zip("abcdefgh", options, strict=False)},
            }
        )
        # The same list turned around: which is NOT one of them (single choice).
        for odd in wrong:
            picks = [*right[:3], odd]
            rng.shuffle(picks)
            rows.append(
                {
                    **base,
                    "type": "单选题",
                    "stem": _negated(stem),
                    "answer": "ABCD"[picks.index(odd)],
                    "difficulty": "4",
                    **{f"option_{c}": o for c, o in zip("abcd", picks, strict=True)},
                }
            )
        grouped += [(_for_exam(index), row) for row in rows]
    return grouped


def _negated(stem: str) -> str:
    """“下列属于…的有（　）” → “下列…不包括（　）”: the odd one out."""
    if stem.startswith("下列属于") and stem.endswith("的有（　）。"):
        return "下列不属于" + stem[len("下列属于") : -len("的有（　）。")] + "的是（　）。"
    for positive, negative in (
        ("不得与强氧化剂混存的有（　）", "不属于强氧化剂禁忌物料的是（　）"),
        ("可以扑救（　）的初起火灾", "不适用于扑救（　）的初起火灾"),
        ("应包含（　）", "不包含（　）"),
        ("应当（　）", "不应当（　）"),
        ("包括（　）", "不包括（　）"),
        ("是指（　）", "不包括（　）"),
        ("有（　）", "不包括（　）"),
    ):
        if positive in stem:
            return stem.replace(positive, negative, 1)
    raise ValueError(f"no negated form for {stem}")


def seed_question_bank(*, provider: TrainingProvider, shared_with: Jurisdiction) -> dict[str, Any]:
    """Create (or refresh) the two demo banks, both shared with ``shared_with``:

    - 安全生产基础知识题库 (``DEMO_BANK_CODE``), open to practice: what the demo learner practises on;
    - 安全生产知识考试题库 (``DEMO_EXAM_BANK_CODE``), exam-only: what the demo exam draws on.

    No question is in both. A database seeded before the split had every question in
    the practice bank: those now in the exam bank are retired there.
    """
    grouped = _grouped_rows()
    practice = _bank(provider, shared_with, DEMO_BANK_CODE, "安全生产基础知识题库", Bank.Purpose.PRACTICE)
    exam = _bank(provider, shared_with, DEMO_EXAM_BANK_CODE, "安全生产知识考试题库", Bank.Purpose.EXAM_ONLY)
    counts = {
        practice.code: _load(practice, [row for for_exam, row in grouped if not for_exam]),
        exam.code: _load(exam, [row for for_exam, row in grouped if for_exam]),
    }
    exam_fingerprints = Question.objects.filter(bank=exam).values("fingerprint")
    Question.objects.filter(bank=practice, fingerprint__in=exam_fingerprints, is_active=True).update(is_active=False)
    return {"practice_bank": practice, "exam_bank": exam, "counts": counts}


def _bank(provider: TrainingProvider, shared_with: Jurisdiction, code: str, name: str, purpose: str) -> Bank:
    bank = Bank.objects.filter(code=code).first()
    if bank is None:
        bank = services.bank_create(
            actor=None,
            code=code,
            name=name,
            owner=provider,
            visibility=Bank.Visibility.SHARED,
            shared_with=shared_with,
            purpose=purpose,
        )
    elif bank.purpose != purpose:
        bank = services.bank_update(actor=None, bank=bank, data={"purpose": purpose})
    return bank


def _load(bank: Bank, rows: list[dict[str, str]]) -> dict[str, int]:
    table = importers.RawTable(
        rows=[
            importers.RawRow(i, {k: importers.clean_cell(v) for k, v in row.items()})
            for i, row in enumerate(rows, start=2)
        ],
        labels={},
        source="示范题库.xlsx",
    )
    parsed = importers.validate(table)
    if parsed.errors:  # a broken fact in the table above: fail loudly, never seed half a bank
        raise ValueError(f"demo bank rows in error: {parsed.errors[:3]}")
    return services.import_parsed(bank=bank, parsed=parsed, source="示范题库.xlsx").counts
