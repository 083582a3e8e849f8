"""The demo company's world: customer names, places, people and the product catalogue it sells, and the code
that turns them into accounts, products and contacts with the hidden traits (activity window, churn, mood,
staples) that ``demo.py`` turns into orders, messages and deals.

Every name here is invented; e-mail domains use the reserved ``.example`` TLD and US phone numbers the fictional
555 exchange.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from bizpilot.domain.glossary import default_zh

# Keys are industries the product knows: their Chinese names come from the product's glossary (industry_zh), so the
# demo and the product never name an industry differently.
INDUSTRIES: dict[str, dict[str, object]] = {
    # weight, English name words, Chinese name words, what the company does (en, zh), preferred categories
    "manufacturing": {
        "weight": 0.22,
        "en_words": ("Precision Components", "Machining", "Metalworks", "Plastics", "Fabrication", "Industries"),
        "zh_words": ("精密机械", "机械制造", "汽车零部件", "五金制品", "电子科技"),
        "does_en": ("It machines precision parts for automotive and agricultural equipment makers.",
                    "It runs two production lines making injection-moulded housings and brackets.",
                    "It fabricates steel assemblies for industrial machinery builders."),
        "does_zh": ("公司主要为汽车和农机企业加工精密零部件。", "公司拥有两条注塑生产线，生产外壳和支架。",
                    "公司为工业设备厂商制作钢结构组件。"),
        "categories": ("PMP", "VLV", "FST", "PPE", "TLS", "PWT", "ADH", "ELC"),
    },
    "construction": {
        "weight": 0.14,
        "en_words": ("Builders", "Construction", "Contractors", "Civil Works"),
        "zh_words": ("建设工程", "建筑安装", "装饰工程"),
        "does_en": ("It builds commercial and light-industrial buildings for regional developers.",
                    "It specialises in fit-out and renovation projects for offices and warehouses."),
        "does_zh": ("公司承接区域内的商业及轻工业厂房建设项目。", "公司专注于办公楼和仓库的装修改造工程。"),
        "categories": ("FST", "PPE", "TLS", "PWT", "ADH", "ELC", "LGT"),
    },
    "hospitality": {
        "weight": 0.11,
        "en_words": ("Hotels", "Hospitality Group", "Resorts", "Catering"),
        "zh_words": ("酒店管理", "餐饮管理"),
        "does_en": ("It operates business hotels with conference facilities.",
                    "It runs restaurants and a central kitchen serving corporate canteens."),
        "does_zh": ("公司经营多家配有会议设施的商务酒店。", "公司经营连锁餐厅和一个为企业食堂供餐的中央厨房。"),
        "categories": ("CLN", "PAP", "PKG", "LGT", "OFS"),
    },
    "healthcare": {
        "weight": 0.10,
        "en_words": ("Medical Center", "Health Clinics", "Care Homes", "Dental Group"),
        "zh_words": ("医疗科技", "健康管理", "医疗器械"),
        "does_en": ("It runs outpatient clinics and a diagnostic laboratory.",
                    "It operates residential care homes for elderly residents."),
        "does_zh": ("公司运营多家门诊部和一个检验实验室。", "公司运营养老护理机构，为长者提供住宿护理服务。"),
        "categories": ("CLN", "PPE", "PAP", "OFS", "LGT"),
    },
    "retail": {
        "weight": 0.10,
        "en_words": ("Retail", "Supermarkets", "Home Stores", "Outfitters"),
        "zh_words": ("商贸", "连锁超市", "百货"),
        "does_en": ("It runs a chain of neighbourhood stores and ships online orders from a central warehouse.",
                    "It sells home and garden products through retail outlets and an online shop."),
        "does_zh": ("公司经营连锁社区门店，并通过中心仓发送线上订单。", "公司通过门店和网店销售家居园艺用品。"),
        "categories": ("PKG", "PAP", "CLN", "OFS", "LGT"),
    },
    "education": {
        "weight": 0.08,
        "en_words": ("Academy", "College", "Learning Centers"),
        "zh_words": ("教育科技", "教育咨询"),
        "does_en": ("It runs vocational training campuses with workshops and laboratories.",
                    "It operates private schools across several campuses."),
        "does_zh": ("公司运营设有实训车间和实验室的职业培训校区。", "公司在多个校区开办民办学校。"),
        "categories": ("PAP", "OFS", "CLN", "LGT", "ELC"),
    },
    "logistics": {
        "weight": 0.11,
        "en_words": ("Logistics", "Freight", "Distribution", "Warehousing"),
        "zh_words": ("物流", "供应链管理", "仓储服务"),
        "does_en": ("It runs bonded warehouses and a fleet of regional delivery trucks.",
                    "It provides contract warehousing and pick-and-pack services for online sellers."),
        "does_zh": ("公司运营保税仓库和区域配送车队。", "公司为电商卖家提供仓储和拣货包装服务。"),
        "categories": ("PKG", "PPE", "TLS", "LGT", "CLN", "OFS"),
    },
    "food processing": {
        "weight": 0.09,
        "en_words": ("Foods", "Bakeries", "Dairy", "Beverages"),
        "zh_words": ("食品", "食品加工", "饮料"),
        "does_en": ("It produces packaged bakery goods for supermarkets.",
                    "It bottles juices and soft drinks for regional distributors."),
        "does_zh": ("公司为超市生产包装烘焙食品。", "公司为区域经销商灌装果汁和软饮料。"),
        "categories": ("CLN", "PKG", "PPE", "PMP", "VLV"),
    },
    "property management": {
        "weight": 0.05,
        "en_words": ("Property Services", "Facilities Management"),
        "zh_words": ("物业管理", "物业服务"),
        "does_en": ("It manages office parks and residential buildings on behalf of owners.",),
        "does_zh": ("公司受业主委托管理写字楼园区和住宅小区。",),
        "categories": ("CLN", "LGT", "ELC", "TLS", "PAP", "VLV"),
    },
}

# (country, [(region, city), ...], weight, company suffixes, phone prefix)
EN_COUNTRIES = (
    ("United States", (("Ohio", "Columbus"), ("Texas", "Houston"), ("California", "Fresno"), ("Illinois", "Chicago"),
                       ("Georgia", "Atlanta"), ("Pennsylvania", "Pittsburgh"), ("Michigan", "Grand Rapids"),
                       ("North Carolina", "Charlotte"), ("Washington", "Tacoma"), ("Arizona", "Phoenix")),
     0.50, ("Inc.", "LLC", "Co."), "+1"),
    ("United Kingdom", (("England", "Manchester"), ("England", "Birmingham"), ("Scotland", "Glasgow"),
                        ("Wales", "Cardiff")), 0.14, ("Ltd",), "+44"),
    ("Germany", (("Bavaria", "Munich"), ("North Rhine-Westphalia", "Dortmund"), ("Baden-Württemberg", "Stuttgart")),
     0.10, ("GmbH",), "+49"),
    ("Canada", (("Ontario", "Toronto"), ("British Columbia", "Vancouver"), ("Alberta", "Calgary")), 0.10,
     ("Inc.", "Ltd."), "+1"),
    ("Australia", (("New South Wales", "Sydney"), ("Victoria", "Melbourne"), ("Queensland", "Brisbane")), 0.08,
     ("Pty Ltd",), "+61"),
    ("Singapore", (("Central Region", "Singapore"),), 0.04, ("Pte Ltd",), "+65"),
    ("Netherlands", (("South Holland", "Rotterdam"), ("North Holland", "Amsterdam")), 0.04, ("B.V.",), "+31"),
)

# (city, pinyin, province)
ZH_CITIES = (
    ("苏州", "suzhou", "Jiangsu"), ("无锡", "wuxi", "Jiangsu"), ("南京", "nanjing", "Jiangsu"),
    ("上海", "shanghai", "Shanghai"), ("杭州", "hangzhou", "Zhejiang"), ("宁波", "ningbo", "Zhejiang"),
    ("温州", "wenzhou", "Zhejiang"), ("广州", "guangzhou", "Guangdong"), ("深圳", "shenzhen", "Guangdong"),
    ("东莞", "dongguan", "Guangdong"), ("佛山", "foshan", "Guangdong"), ("青岛", "qingdao", "Shandong"),
    ("济南", "jinan", "Shandong"), ("天津", "tianjin", "Tianjin"), ("北京", "beijing", "Beijing"),
    ("成都", "chengdu", "Sichuan"), ("武汉", "wuhan", "Hubei"), ("厦门", "xiamen", "Fujian"),
    ("重庆", "chongqing", "Chongqing"), ("合肥", "hefei", "Anhui"), ("长沙", "changsha", "Hunan"),
)

ZH_BRANDS = (
    ("恒达", "hengda"), ("华盛", "huasheng"), ("鑫源", "xinyuan"), ("永泰", "yongtai"), ("金鼎", "jinding"),
    ("宏远", "hongyuan"), ("瑞丰", "ruifeng"), ("天成", "tiancheng"), ("嘉和", "jiahe"), ("德信", "dexin"),
    ("锦程", "jincheng"), ("博远", "boyuan"), ("新宇", "xinyu"), ("利达", "lida"), ("兴隆", "xinglong"),
    ("泰和", "taihe"), ("众诚", "zhongcheng"), ("明辉", "minghui"), ("同创", "tongchuang"), ("顺发", "shunfa"),
    ("凯旋", "kaixuan"), ("远航", "yuanhang"), ("鸿运", "hongyun"), ("联创", "lianchuang"), ("华晟", "huasheng2"),
    ("润泽", "runze"), ("信诚", "xincheng"), ("佳美", "jiamei"), ("恒通", "hengtong"), ("宝丰", "baofeng"),
    ("金桥", "jinqiao"), ("海纳", "haina"), ("同舟", "tongzhou"), ("星辰", "xingchen"), ("广源", "guangyuan"),
    ("华茂", "huamao"),
)

EN_PREFIXES = (
    "Northfield", "Bluewater", "Summit", "Redwood", "Ironbridge", "Lakeside", "Harbor View", "Crestline", "Pinecrest",
    "Granite", "Silverline", "Westbrook", "Eastgate", "Oakridge", "Brightwater", "Riverstone", "Highland", "Meridian",
    "Cobalt", "Keystone", "Evergreen", "Falcon", "Sterling", "Atlas", "Beacon", "Cedar", "Horizon", "Pioneer",
    "Union", "Liberty", "Maple", "Anchor", "Copperfield", "Stonegate", "Bayview", "Greenfield", "Kingsway",
    "Windmill", "Fairview", "Trident",
)

EN_FIRST = (
    "James", "Mary", "Robert", "Linda", "Michael", "Sarah", "David", "Karen", "Daniel", "Emily", "Thomas", "Laura",
    "Kevin", "Rachel", "Brian", "Megan", "Steven", "Olivia", "Mark", "Hannah", "Paul", "Grace", "Andrew", "Chloe",
    "Jason", "Sophie", "Ryan", "Anna", "Lukas", "Julia", "Priya", "Arjun", "Aisha", "Omar", "Mei", "Wei", "Carlos",
    "Lucia", "Liam", "Noah",
)
EN_LAST = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Anderson", "Taylor", "Thomas",
    "Moore", "Martin", "Jackson", "Thompson", "White", "Harris", "Clark", "Lewis", "Walker", "Young", "King",
    "Wright", "Scott", "Green", "Baker", "Adams", "Nelson", "Hill", "Campbell", "Mitchell", "Roberts", "Schmidt",
    "Weber", "Fischer", "de Vries", "Patel", "Singh", "Tan", "Nguyen",
)
ZH_SURNAMES = (
    ("王", "wang"), ("李", "li"), ("张", "zhang"), ("刘", "liu"), ("陈", "chen"), ("杨", "yang"), ("赵", "zhao"),
    ("黄", "huang"), ("周", "zhou"), ("吴", "wu"), ("徐", "xu"), ("孙", "sun"), ("胡", "hu"), ("朱", "zhu"),
    ("高", "gao"), ("林", "lin"), ("何", "he"), ("郭", "guo"), ("马", "ma"), ("罗", "luo"),
)
ZH_GIVEN = (
    ("伟", "wei"), ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"), ("丽", "li"), ("强", "qiang"),
    ("磊", "lei"), ("军", "jun"), ("洋", "yang"), ("勇", "yong"), ("艳", "yan"), ("杰", "jie"), ("娟", "juan"),
    ("涛", "tao"), ("明", "ming"), ("超", "chao"), ("秀英", "xiuying"), ("建国", "jianguo"), ("晓东", "xiaodong"),
    ("海燕", "haiyan"), ("志强", "zhiqiang"), ("雪梅", "xuemei"), ("文博", "wenbo"), ("子涵", "zihan"),
    ("浩然", "haoran"), ("佳怡", "jiayi"), ("俊杰", "junjie"), ("思远", "siyuan"), ("雨欣", "yuxin"),
)
TITLES = {
    "en": ("Purchasing Manager", "Procurement Specialist", "Facilities Manager", "Operations Director",
           "Accounts Payable Clerk", "Plant Manager", "Office Manager", "Maintenance Supervisor", "Buyer"),
    "zh": ("采购经理", "采购专员", "行政主管", "运营总监", "财务专员", "厂长", "办公室主任", "设备主管", "采购员"),
}

SIZE_BANDS = ("1-10", "11-50", "51-200", "201-1000", "1000+")
SIZE_WORDS = {"en": ("small", "growing", "mid-sized", "large", "major"),
              "zh": ("小型", "成长型", "中型", "大型", "大型集团")}
PURCHASING_EN = (
    "Its purchasing team mainly orders {cat1} and {cat2} and values reliable lead times.",
    "It buys {cat1} and {cat2} from us and consolidates orders to reach the free-shipping threshold.",
    "It has been sourcing {cat1} and {cat2} through us for several years.",
    "Its buyers compare suppliers every year on price, stock availability and documentation for {cat1}.",
)
PURCHASING_ZH = (
    "公司主要向我们采购{cat1}和{cat2}，比较看重交货周期和质量稳定性。",
    "公司向我们采购{cat1}和{cat2}，通常合并订单以达到免运费标准。",
    "公司多年来一直通过我们采购{cat1}和{cat2}。",
    "公司采购部每年会从价格、库存和资料齐全程度等方面评估{cat1}供应商。",
)

SALES_REPS = {"en": ("Emily Carter", "Daniel Brooks", "Priya Nair", "Marcus Weber"), "zh": ("王芳", "陈浩", "刘洋")}
REP_SKILL = {"Emily Carter": 0.3, "Daniel Brooks": -0.2, "Priya Nair": 0.15, "Marcus Weber": 0.0,
             "王芳": 0.25, "陈浩": -0.1, "刘洋": 0.05}
# lead source -> effect on the odds of winning (referrals and existing customers close far more often)
OPP_SOURCES = {"referral": 0.8, "existing customer": 0.9, "trade show": 0.2, "website": 0.0, "partner": 0.3,
               "email campaign": -0.4, "cold call": -0.9}
OPP_KINDS = {"en": ("annual supply agreement", "restock", "site expansion", "pilot order", "framework contract",
                    "bulk order"),
             "zh": ("年度供货协议", "补货", "新厂区配套", "试单", "框架合同", "批量采购")}
ORDER_CHANNELS = ("web", "email", "edi", "phone", "sales rep")


@dataclass(frozen=True)
class Category:
    """A catalogue category: product types, attribute options and how it is sold and ordered."""

    code: str
    name: str
    name_zh: str
    types: tuple[tuple[str, str], ...]
    attributes: dict[str, tuple[str, ...]]
    name_attrs: tuple[str, ...]
    unit: str
    price: tuple[float, float]
    base_qty: float
    cycle_days: tuple[int, ...]
    uses: tuple[str, str]
    warranty: str


CATEGORIES: tuple[Category, ...] = (
    Category("PMP", "Pumps", "泵类", (("Centrifugal Pump", "离心泵"), ("Submersible Sump Pump", "潜水排污泵"),
             ("Diaphragm Pump", "隔膜泵"), ("Booster Pump", "增压泵"), ("Gear Pump", "齿轮泵")),
             {"power": ("0.5 HP", "1 HP", "1.5 HP", "3 HP", "5 HP"), "voltage": ("115V", "230V", "400V 3-phase"),
              "material": ("cast iron", "stainless steel 304", "stainless steel 316", "bronze"),
              "certification": ("CE", "UL", "CE/UL")},
             ("power", "voltage", "material"), "each", (180, 2400), 1, (120, 180, 240),
             ("transferring water, coolant and light process fluids", "输送清水、冷却液及轻度工艺液体"), "24 months"),
    Category("VLV", "Valves", "阀门", (("Ball Valve", "球阀"), ("Gate Valve", "闸阀"), ("Butterfly Valve", "蝶阀"),
             ("Check Valve", "止回阀"), ("Solenoid Valve", "电磁阀")),
             {"size": ("DN15", "DN20", "DN25", "DN40", "DN50", "DN80"),
              "material": ("brass", "stainless steel 304", "carbon steel", "PVC"),
              "pressure_rating": ("PN10", "PN16", "PN25"), "connection": ("threaded", "flanged")},
             ("size", "material", "pressure_rating"), "each", (12, 480), 4, (60, 90, 120),
             ("isolating and regulating water, air and steam lines", "水、气、蒸汽管路的截断与调节"), "12 months"),
    Category("FST", "Fasteners", "紧固件", (("Hex Bolt", "六角螺栓"), ("Hex Nut", "六角螺母"),
             ("Flat Washer", "平垫圈"), ("Self-Tapping Screw", "自攻螺钉"), ("Anchor Bolt", "膨胀螺栓"),
             ("Socket Head Cap Screw", "内六角螺钉")),
             {"size": ("M6", "M8", "M10", "M12", "M16", "M20"),
              "material": ("zinc-plated steel", "stainless steel 304", "stainless steel 316", "grade 8.8 steel"),
              "pack_size": ("100", "200", "500", "1000"), "standard": ("DIN 933", "ISO 4017", "GB/T 5783")},
             ("size", "material", "pack_size"), "box", (6, 120), 10, (30, 45, 60),
             ("assembly, maintenance and construction work", "装配、维修及建筑施工"), "12 months"),
    Category("PPE", "Safety Gear", "劳保安全用品", (("Nitrile Gloves", "丁腈手套"), ("Safety Glasses", "安全眼镜"),
             ("Hard Hat", "安全帽"), ("Hi-Vis Vest", "反光背心"), ("Foam Ear Plugs", "泡沫耳塞"),
             ("Disposable Respirator", "一次性防护口罩"), ("Cut-Resistant Gloves", "防割手套")),
             {"size": ("S", "M", "L", "XL"), "color": ("blue", "black", "orange", "yellow", "white"),
              "certification": ("EN 166", "EN 388", "ANSI Z87.1", "NIOSH N95", "GB 2626 KN95"),
              "pack_size": ("10", "50", "100", "200")},
             ("size", "color", "pack_size"), "box", (4, 90), 10, (21, 30, 45),
             ("protecting staff on production floors, sites and in warehouses", "生产车间、工地及仓库人员的安全防护"),
             "consumable"),
    Category("CLN", "Cleaning Supplies", "清洁用品", (("All-Purpose Cleaner", "多用途清洁剂"),
             ("Floor Degreaser", "地面除油剂"), ("Hand Soap Refill", "洗手液补充装"), ("Glass Cleaner", "玻璃清洁剂"),
             ("Disinfectant Spray", "消毒喷雾"), ("Toilet Bowl Cleaner", "洁厕剂"), ("Hand Sanitizer", "免洗洗手液")),
             {"volume": ("500 mL", "1 L", "5 L", "20 L"), "scent": ("unscented", "lemon", "lavender"),
              "pack_size": ("6", "12", "24"), "certification": ("EU Ecolabel", "EPA Safer Choice", "none")},
             ("volume", "scent", "pack_size"), "case", (8, 95), 6, (21, 30, 45),
             ("daily cleaning of kitchens, washrooms, offices and production areas", "厨房、卫生间、办公区及生产区域的日常清洁"),
             "consumable"),
    Category("PKG", "Packaging", "包装材料", (("Corrugated Box", "瓦楞纸箱"), ("Stretch Film", "缠绕膜"),
             ("Packing Tape", "封箱胶带"), ("Bubble Wrap Roll", "气泡膜卷"), ("Pallet Strapping", "打包带"),
             ("Void Fill Paper", "填充纸")),
             {"size": ("small", "medium", "large", "pallet"), "grade": ("light-duty", "standard", "heavy-duty"),
              "color": ("brown", "clear", "white"), "pack_size": ("6", "20", "36", "100")},
             ("size", "grade", "pack_size"), "case", (10, 140), 12, (21, 30, 45),
             ("shipping, palletising and protecting goods in transit", "货物发运、托盘打包及运输防护"), "consumable"),
    Category("PAP", "Office Paper", "办公用纸", (("A4 Copy Paper", "A4复印纸"), ("Letter Copy Paper", "Letter复印纸"),
             ("A3 Copy Paper", "A3复印纸"), ("Recycled Copy Paper", "再生复印纸"), ("Coloured Copy Paper", "彩色复印纸"),
             ("Laser Printing Paper", "激光打印纸")),
             {"grammage": ("70 gsm", "75 gsm", "80 gsm"), "pack_size": ("5 reams", "10 reams"),
              "color": ("white", "natural"), "certification": ("FSC", "PEFC", "none")},
             ("grammage", "pack_size"), "case", (15, 70), 10, (21, 30, 45),
             ("printing and copying in offices, classrooms and front desks", "办公室、教室及前台的打印复印"), "consumable"),
    Category("ELC", "Electrical", "电气元件", (("Circuit Breaker", "断路器"), ("RCD Switch", "漏电保护开关"),
             ("Isolator Switch", "隔离开关"), ("Industrial Socket", "工业插座"), ("Contactor", "接触器")),
             {"rating": ("10A", "16A", "32A", "63A"), "voltage": ("230V", "400V", "24V DC"),
              "poles": ("1P", "2P", "3P", "4P"), "certification": ("CE", "UL", "CCC")},
             ("rating", "voltage"), "each", (5, 300), 6, (60, 90, 120),
             ("electrical installation and panel maintenance", "电气安装及配电柜维护"), "12 months"),
    Category("LGT", "Lighting", "照明", (("LED Panel Light", "LED平板灯"), ("LED High Bay", "LED工矿灯"),
             ("LED Tube T8", "LED T8灯管"), ("Emergency Exit Sign", "应急出口指示灯"), ("LED Work Light", "LED工作灯")),
             {"wattage": ("18 W", "36 W", "100 W", "150 W"), "color_temperature": ("4000K", "5000K", "6500K"),
              "ip_rating": ("IP20", "IP44", "IP65"), "certification": ("CE", "UL", "CCC")},
             ("wattage", "color_temperature", "ip_rating"), "each", (8, 260), 6, (90, 120, 180),
             ("offices, warehouses, car parks and production halls", "办公室、仓库、停车场及生产车间"), "12 months"),
    Category("TLS", "Hand Tools", "手动工具", (("Combination Wrench Set", "组合扳手套装"), ("Screwdriver Set", "螺丝刀套装"),
             ("Torque Wrench", "扭力扳手"), ("Utility Knife", "美工刀"), ("Tape Measure", "卷尺"), ("Slip-Joint Pliers", "鲤鱼钳")),
             {"material": ("chrome vanadium steel", "carbon steel", "stainless steel 304"),
              "pieces": ("1", "6", "12", "24"), "size": ("small", "medium", "large")},
             ("material", "pieces"), "each", (6, 220), 2, (90, 120, 180),
             ("maintenance teams and site crews", "维修班组及施工人员"), "12 months"),
    Category("PWT", "Power Tools", "电动工具", (("Cordless Drill", "无绳电钻"), ("Angle Grinder", "角磨机"),
             ("Impact Driver", "冲击起子"), ("Circular Saw", "圆锯"), ("Rotary Hammer", "电锤")),
             {"voltage": ("18V", "20V", "230V"), "battery": ("2.0 Ah", "4.0 Ah", "5.0 Ah", "corded"),
              "power": ("500 W", "800 W", "1200 W"), "certification": ("CE", "UL", "CCC")},
             ("voltage", "battery"), "each", (60, 480), 1, (150, 240),
             ("drilling, cutting and fixing on sites and in workshops", "工地及车间的钻孔、切割和紧固作业"), "24 months"),
    Category("ADH", "Adhesives & Sealants", "胶粘剂与密封剂", (("Epoxy Adhesive", "环氧胶"),
             ("Silicone Sealant", "硅酮密封胶"), ("Thread Locker", "螺纹锁固胶"), ("Spray Adhesive", "喷胶"),
             ("Construction Adhesive", "结构胶")),
             {"volume": ("50 mL", "300 mL", "400 mL"), "color": ("clear", "white", "grey", "black"),
              "cure_time": ("5 min", "30 min", "24 h"), "temperature_range": ("-40 to 120 °C", "-50 to 200 °C")},
             ("volume", "color"), "each", (4, 60), 12, (45, 60, 90),
             ("bonding, sealing and repair work", "粘接、密封及维修作业"), "consumable"),
    Category("OFS", "Office Supplies", "办公用品", (("Ballpoint Pens", "圆珠笔"), ("Sticky Notes", "便利贴"),
             ("Heavy-Duty Stapler", "重型订书机"), ("Toner Cartridge", "硒鼓"), ("Whiteboard Markers", "白板笔"),
             ("Lever Arch Files", "杠杆夹文件夹")),
             {"color": ("black", "blue", "red", "assorted"), "pack_size": ("1", "10", "12", "50")},
             ("color", "pack_size"), "pack", (3, 120), 10, (30, 45, 60),
             ("offices, classrooms and reception areas", "办公室、教室及接待区"), "consumable"),
)
CATEGORY_BY_CODE = {c.code: c for c in CATEGORIES}

ATTR_LABELS_ZH = {
    "power": "功率", "voltage": "电压", "material": "材质", "certification": "认证", "size": "规格",
    "pressure_rating": "压力等级", "connection": "连接方式", "pack_size": "包装数量", "standard": "标准",
    "color": "颜色", "volume": "容量", "scent": "香型", "thickness": "厚度", "grammage": "克重", "rating": "额定电流",
    "length": "长度", "wattage": "功率", "color_temperature": "色温", "ip_rating": "防护等级", "pieces": "件数",
    "battery": "电池", "cure_time": "固化时间", "temperature_range": "耐温范围", "grade": "等级", "poles": "极数",
}
VALUES_ZH = {
    "cast iron": "铸铁", "stainless steel 304": "304不锈钢", "stainless steel 316": "316不锈钢", "bronze": "青铜",
    "brass": "黄铜", "carbon steel": "碳钢", "zinc-plated steel": "镀锌钢", "grade 8.8 steel": "8.8级钢",
    "threaded": "螺纹连接", "flanged": "法兰连接", "blue": "蓝色", "black": "黑色", "orange": "橙色", "yellow": "黄色",
    "white": "白色", "brown": "棕色", "clear": "透明", "grey": "灰色", "red": "红色", "natural": "本色",
    "assorted": "混色", "unscented": "无香型", "lemon": "柠檬香", "lavender": "薰衣草香", "small": "小号",
    "medium": "中号", "large": "大号", "pallet": "托盘用", "chrome vanadium steel": "铬钒钢", "corded": "插电式",
    "light-duty": "轻型", "standard": "标准型", "heavy-duty": "重型", "none": "无", "400V 3-phase": "400V三相",
}
UNITS_ZH = {"each": "个", "box": "盒", "case": "箱", "pack": "包"}
UNIT_PHRASE = {"each": "Sold individually.", "box": "Sold by the box.", "case": "Sold by the case.",
               "pack": "Sold by the pack."}
ATTR_LABELS_EN = {"ip_rating": "IP rating", "pack_size": "pack size"}


def attr_text(key: str, value: str, language: str) -> str:
    """How an attribute value reads inside a product name ('6' pack size -> '6-pack' / '6装')."""
    if key in ("pack_size", "pieces") and value.isdigit():
        if language == "zh":
            return f"{value}{'装' if key == 'pack_size' else '件套'}"
        return f"{value}-{'pack' if key == 'pack_size' else 'piece'}"
    return VALUES_ZH.get(value, value) if language == "zh" else value


def industry_zh(industry: str) -> str:
    """The product's Chinese name of an industry; an industry the product does not know is a bug in this file."""
    name = default_zh("industry", industry)
    if name is None:
        raise KeyError(f"demo industry {industry!r} is not in the product glossary (bizpilot/domain/data)")
    return name


def glossary_rows() -> list[dict[str, str]]:
    """The catalogue's own vocabulary as glossary terms (kind, key, en, zh, note), which the demo writes into the
    workspace glossary so content generation renders this catalogue's words; industries, units and common
    words come from the product's defaults."""
    note = "demo catalogue"
    rows = [{"kind": "category", "key": c.name, "en": c.name, "zh": c.name_zh, "note": note} for c in CATEGORIES]
    rows += [{"kind": "attribute", "key": key, "en": ATTR_LABELS_EN.get(key, key.replace("_", " ")), "zh": zh,
              "note": note} for key, zh in ATTR_LABELS_ZH.items()]
    rows += [{"kind": "value", "key": value, "en": value, "zh": zh, "note": note} for value, zh in VALUES_ZH.items()]
    rows += [{"kind": "unit", "key": unit, "en": unit, "zh": zh, "note": note} for unit, zh in UNITS_ZH.items()]
    return rows


# ---------------------------------------------------------------------------------------------------------------
# Instantiating the world: accounts, products and contacts with the hidden traits the activity generator uses.
# ---------------------------------------------------------------------------------------------------------------

SIZE_QTY = (1.0, 2.0, 4.0, 8.0, 15.0)  # order-quantity multiplier by size band
SIZE_P = (0.20, 0.33, 0.26, 0.14, 0.07)
N_ACCOUNTS, N_PRODUCTS = 300, 500
CATEGORY_P = np.array([0.06, 0.08, 0.10, 0.10, 0.10, 0.09, 0.08, 0.08, 0.07, 0.07, 0.05, 0.06, 0.06])


def pick(rng: np.random.Generator, items: tuple | list, p: np.ndarray | None = None) -> Any:
    """One element as its own Python type (``rng.choice`` would turn strings into numpy scalars); ``p`` is
    normalised here so callers can pass plain weights."""
    if p is None:
        return items[int(rng.integers(len(items)))]
    return items[int(rng.choice(len(items), p=np.asarray(p, dtype=float) / np.sum(p)))]


@dataclass
class DemoProduct:
    """A catalogue item plus what only the generator knows: how popular it is and when it was discontinued."""

    index: int
    sku: str
    category: Category
    type_en: str
    type_zh: str
    name_en: str
    name_zh: str
    attributes: dict[str, str]
    price: float
    currency: str
    language: str
    stock_qty: float
    active: bool
    created_at: datetime
    popularity: float
    last_day: float = math.inf  # discontinued products stop selling here

    def name(self, language: str) -> str:
        return self.name_zh if language == "zh" else self.name_en

    def row(self) -> dict[str, Any]:
        return {"sku": self.sku, "name": self.name(self.language), "category": self.category.name,
                "attributes": dict(self.attributes), "price": self.price, "currency": self.currency,
                "unit": self.category.unit, "stock_qty": self.stock_qty, "description": self.describe(),
                "language": self.language, "active": self.active, "created_at": self.created_at}

    def describe(self) -> str:
        """Catalogue copy in the product's language, built from its attributes so text and data agree."""
        cat, zh = self.category, self.language == "zh"
        specs = [(ATTR_LABELS_ZH[k] if zh else ATTR_LABELS_EN.get(k, k.replace("_", " ")),
                  VALUES_ZH.get(v, v) if zh else v)
                 for k, v in self.attributes.items() if k != "certification"]
        cert = self.attributes.get("certification")
        if zh:
            return (f"{self.type_zh}，适用于{cat.uses[1]}。规格参数：" + "，".join(f"{k}{v}" for k, v in specs) + "。"
                    + (f"符合{cert}认证。" if cert else "") + f"按{UNITS_ZH[cat.unit]}销售。")
        return (f"{self.type_en} for {cat.uses[0]}. Specifications: " + ", ".join(f"{k} {v}" for k, v in specs)
                + "." + (f" Certified to {cert}." if cert else "") + f" {UNIT_PHRASE[cat.unit]}")


def make_products(rng: np.random.Generator, begin: datetime, span: int) -> list[DemoProduct]:
    """The catalogue: named from type + key attributes, priced by where those attributes sit in their range."""
    products: list[DemoProduct] = []
    seen: set[str] = set()
    per_category: dict[str, int] = {}
    for index in range(N_PRODUCTS):
        cat = pick(rng, CATEGORIES, CATEGORY_P)
        for _ in range(6):
            t_idx = int(rng.integers(len(cat.types)))
            choice = {k: int(rng.integers(len(v))) for k, v in cat.attributes.items()}
            attrs = {k: cat.attributes[k][i] for k, i in choice.items() if cat.attributes[k][i] != "none"}
            name_en = " ".join([cat.types[t_idx][0], *(attr_text(a, attrs[a], "en") for a in cat.name_attrs
                                                        if a in attrs)])
            if name_en not in seen:
                break
        name_en = name_en if name_en not in seen else f"{name_en} ({index})"
        seen.add(name_en)
        name_zh = " ".join([cat.types[t_idx][1], *(attr_text(a, attrs[a], "zh") for a in cat.name_attrs
                                                    if a in attrs)])
        lead = cat.name_attrs[0]
        rank = choice[lead] / max(len(cat.attributes[lead]) - 1, 1)
        lo, hi = cat.price
        price = lo * (hi / lo) ** (0.55 * rank + 0.45 * rng.random())
        local = rng.random() < 0.04  # a few locally sourced items priced in CNY for mainland customers
        per_category[cat.code] = per_category.get(cat.code, 0) + 1
        stock = 0.0 if rng.random() < 0.06 else float(int(rng.lognormal(5.0, 1.0)))
        product = DemoProduct(
            index, f"{cat.code}-{1000 + per_category[cat.code]:04d}", cat, *cat.types[t_idx], name_en, name_zh, attrs,
            round(price * 7.2 if local else price, 2), "CNY" if local else "USD",
            "zh" if local or rng.random() < 0.3 else "en", stock, bool(rng.random() > 0.04),
            begin - timedelta(days=int(rng.integers(60, 2000))), float(rng.lognormal(0.0, 1.0)))
        if not product.active:
            product.last_day = float(rng.uniform(0.3, 0.7) * span)
        products.append(product)
    return products


@dataclass
class DemoAccount:
    """A customer plus its hidden traits (activity window, churn, mood, growth, staples) that drive its activity."""

    index: int
    external_id: str
    name: str
    short_name: str
    language: str
    industry: str
    size: int
    tier: str
    country: str
    region: str
    city: str
    domain: str
    phone_prefix: str
    created_at: datetime
    first_day: float
    last_day: float
    churns: bool
    satisfaction: float
    growth: float
    channel: str
    description: str = ""
    categories: tuple[str, ...] = ()
    candidates: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    candidate_p: np.ndarray = field(default_factory=lambda: np.zeros(0))
    staples: list[int] = field(default_factory=list)
    contacts: list[tuple[str, str]] = field(default_factory=list)  # (external_id, name)

    def row(self) -> dict[str, Any]:
        return {"external_id": self.external_id, "name": self.name, "industry": self.industry,
                "size_band": SIZE_BANDS[self.size], "country": self.country, "region": self.region,
                "tier": self.tier, "description": self.description, "language": self.language,
                "created_at": self.created_at}


def _identity(rng: np.random.Generator, language: str, industry: dict[str, Any], size: int) -> tuple[str, ...]:
    """(name, short name, country, region, city, e-mail domain, phone prefix) for one company."""
    if language == "zh":
        city, city_py, province = pick(rng, ZH_CITIES)
        brand, brand_py = pick(rng, ZH_BRANDS)
        suffix = "集团有限公司" if size == 4 else ("股份有限公司" if size == 3 else "有限公司")
        return (f"{city}{brand}{pick(rng, industry['zh_words'])}{suffix}", f"{city}{brand}", "China", province,
                city, f"{brand_py}-{city_py}.example", "+86")
    weights = np.array([c[2] for c in EN_COUNTRIES])
    country, places, _, suffixes, phone = pick(rng, EN_COUNTRIES, weights)
    region, city = pick(rng, places)
    prefix, word = pick(rng, EN_PREFIXES), pick(rng, industry["en_words"])
    slug = "".join(ch for ch in f"{prefix}{word}".lower() if ch.isalnum())
    return f"{prefix} {word} {pick(rng, suffixes)}", f"{prefix} {word}", country, region, city, f"{slug}.example", phone


def _describe(rng: np.random.Generator, acct: DemoAccount, industry: dict[str, Any]) -> str:
    cat1, cat2 = (CATEGORY_BY_CODE[c] for c in acct.categories[:2])
    if acct.language == "zh":
        founded = acct.created_at.year - int(rng.integers(2, 20))
        return (f"{acct.name}成立于{founded}年，总部位于{acct.city}，是一家{SIZE_WORDS['zh'][acct.size]}"
                f"{industry_zh(acct.industry)}企业。{pick(rng, industry['does_zh'])}"
                + pick(rng, PURCHASING_ZH).format(cat1=cat1.name_zh, cat2=cat2.name_zh))
    return (f"{acct.name} is a {SIZE_WORDS['en'][acct.size]} {acct.industry} business based in {acct.city}, "
            f"{acct.country}. {pick(rng, industry['does_en'])} "
            + pick(rng, PURCHASING_EN).format(cat1=cat1.name.lower(), cat2=cat2.name.lower()))


def make_accounts(rng: np.random.Generator, begin: datetime, span: int,
                  products: list[DemoProduct]) -> list[DemoAccount]:
    """~300 customers; ~12% join during the period and ~15% churn part-way through it."""
    names = list(INDUSTRIES)
    weights = np.array([INDUSTRIES[n]["weight"] for n in names], dtype=float)
    popularity = np.array([p.popularity for p in products])
    accounts: list[DemoAccount] = []
    seen_names: set[str] = set()
    seen_domains: set[str] = set()
    for index in range(N_ACCOUNTS):
        language = "zh" if rng.random() < 0.35 else "en"
        industry_name = pick(rng, names, weights)
        industry = INDUSTRIES[industry_name]
        size = int(rng.choice(5, p=SIZE_P))
        score = size + rng.normal(0.0, 0.8)
        tier = "strategic" if score >= 3.6 else "key" if score >= 2.5 else "standard" if score >= 1.2 else "small"
        ident = _identity(rng, language, industry, size)
        while ident[0] in seen_names:
            ident = _identity(rng, language, industry, size)
        name, short, country, region, city, domain, phone = ident
        domain = domain if domain not in seen_domains else domain.replace(".example", f"{index}.example")
        seen_names.add(name)
        seen_domains.add(domain)
        joins_late = rng.random() < 0.12
        if joins_late:
            created_day = float(rng.uniform(60, span - 150))
            first_day = created_day + float(rng.uniform(3, 30))
        else:
            created_day, first_day = -float(rng.uniform(30, 8 * 365)), float(rng.uniform(0, 25))
        churns = not joins_late and rng.random() < 0.17
        last_day = float(rng.uniform(0.3, 0.82) * span) if churns else float(span)
        acct = DemoAccount(
            index, f"ACC-{index + 1:05d}", name, short, language, industry_name, size, tier, country, region, city,
            domain, phone, begin + timedelta(days=int(created_day), hours=int(rng.integers(9, 17))), first_day,
            last_day, churns, float(rng.normal(-0.25, 0.5) if churns else rng.normal(0.35, 0.55)),
            float(rng.normal(0.08, 0.1)),
            pick(rng, ORDER_CHANNELS, np.array([0.45, 0.25, 0.02 + 0.05 * size, 0.12, 0.08])))
        cats = list(industry["categories"])
        order = rng.permutation(len(cats))
        acct.categories = tuple(cats[i] for i in order)
        acct.description = _describe(rng, acct, industry)
        affinity = np.array([3.0 if p.category.code in acct.categories[:3] else
                             1.0 if p.category.code in acct.categories else 0.05 for p in products])
        allowed = np.array([p.currency == "USD" or country == "China" for p in products])
        p = popularity * affinity * allowed
        acct.candidates, acct.candidate_p = np.arange(len(products)), p / p.sum()
        n_staples = min(2 + size + int(rng.integers(0, 2)), 7)
        acct.staples = [int(i) for i in rng.choice(len(products), size=n_staples, replace=False, p=acct.candidate_p)]
        accounts.append(acct)
    return accounts


def make_contacts(rng: np.random.Generator, accounts: list[DemoAccount], begin: datetime) -> list[dict[str, Any]]:
    """1-3 buyers per account, named for the account's language, at the account's ``.example`` domain."""
    rows: list[dict[str, Any]] = []
    seen_emails: set[str] = set()
    for acct in accounts:
        for _ in range(min(3, 1 + int(rng.binomial(2, (0.2, 0.35, 0.5, 0.65, 0.8)[acct.size])))):
            if acct.language == "zh":
                (surname, s_py), (given, g_py) = pick(rng, ZH_SURNAMES), pick(rng, ZH_GIVEN)
                name, local = f"{surname}{given}", f"{g_py}.{s_py}"
                phone = f"+86 1{rng.integers(30, 90)} {rng.integers(1000, 10000)} {rng.integers(1000, 10000)}"
            else:
                first, last = pick(rng, EN_FIRST), pick(rng, EN_LAST)
                name, local = f"{first} {last}", f"{first}.{last}".lower().replace(" ", "")
                phone = (f"+1 555-{rng.integers(100, 1000)}-{rng.integers(1000, 10000)}" if acct.phone_prefix == "+1"
                         else f"{acct.phone_prefix} {rng.integers(10, 100)} {rng.integers(1000, 10000)} "
                              f"{rng.integers(1000, 10000)}")
            email = f"{local}@{acct.domain}"
            n = 2
            while email in seen_emails:
                email, n = f"{local}{n}@{acct.domain}", n + 1
            seen_emails.add(email)
            external_id = f"CON-{len(rows) + 1:05d}"
            acct.contacts.append((external_id, name))
            first_order = begin + timedelta(days=int(acct.first_day))  # buyers exist before they first buy
            created = min(acct.created_at + timedelta(days=int(rng.integers(0, 200))), first_order)
            rows.append({"external_id": external_id, "account_external_id": acct.external_id, "name": name,
                         "email": email, "phone": phone, "title": pick(rng, TITLES[acct.language]),
                         "language": acct.language, "created_at": created})
    return rows
