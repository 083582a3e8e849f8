"""The demo's knowledge base: policy articles and product-category guides in English and Chinese.

Every number comes from one ``POLICY`` table and product guides from the generated catalogue, so an answer
citing two articles never meets two different return windows.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd

from bizpilot.ingest.demo_content import (
    ATTR_LABELS_EN,
    ATTR_LABELS_ZH,
    CATEGORIES,
    UNIT_PHRASE,
    UNITS_ZH,
    VALUES_ZH,
    Category,
    DemoProduct,
)

# One set of policy facts, used by every knowledge-base article in both languages so answers never disagree.
POLICY = {
    "return_days": 30, "restocking_fee": "15%", "net_days": 30, "free_ship_usd": "USD 500",
    "free_ship_cny": "CNY 3,500", "flat_ship_usd": "USD 25", "cutoff": "2:00 pm", "cutoff_24h": "14:00",
    "standard_days": "3-5", "express_days": "1-2", "intl_days": "7-14", "damage_hours": 48, "refund_days": 7, "warranty_std": 12, "warranty_long": 24, "credit_days": "3-5", "late_interest": "1.5%",
    "dispute_days": 14, "min_order_usd": "USD 50", "fapiao_days": 5, "email": "support@harborline.example",
    "orders_email": "orders@harborline.example",
}

# (slug, category, tags, (en title, en body), (zh title, zh body)); bodies are Markdown with {policy} fields.
POLICY_ARTICLES = (
    ("shipping-options", "shipping", ("shipping", "delivery", "lead time"),
     ("Shipping options and delivery times",
      "## Standard and express delivery\nOrders placed before {cutoff} (local warehouse time) on a business day are "
      "dispatched the same day. Standard delivery takes {standard_days} business days; express delivery takes "
      "{express_days} business days for an additional fee shown at checkout.\n\n## International shipments\n"
      "International orders are delivered in {intl_days} business days. Duties and import taxes are paid by the "
      "customer unless agreed otherwise in writing.\n\n## Tracking\nA tracking link is e-mailed when the order is "
      "dispatched and is also shown in the ordering portal under *My orders*."),
     ("配送方式与送达时间",
      "## 标准配送与加急配送\n工作日{cutoff_24h}（仓库当地时间）前下单，当天发货。标准配送需{standard_days}个工作日；"
      "加急配送需{express_days}个工作日，加急费用在结算时显示。\n\n## 国际发货\n国际订单{intl_days}个工作日送达。"
      "除非另有书面约定，关税和进口税由客户承担。\n\n## 物流跟踪\n订单发货后系统会通过邮件发送物流跟踪链接，"
      "也可以在订货平台的“我的订单”中查看。")),
    ("free-shipping", "shipping", ("shipping", "freight", "free shipping"),
     ("Free shipping threshold and freight charges",
      "## Free standard shipping\nOrders of {free_ship_usd} or more (before tax) ship free by standard delivery. "
      "For orders invoiced in CNY the threshold is {free_ship_cny}.\n\n## Orders below the threshold\nA flat "
      "freight charge of {flat_ship_usd} applies per order below the threshold. Express delivery and pallet "
      "deliveries to sites without a loading dock are charged at cost.\n\n## Combining orders\nOpen orders placed "
      "on the same day for the same delivery address are combined automatically when checking the threshold."),
     ("免运费标准与运费说明",
      "## 标准配送免运费\n订单金额（税前）满{free_ship_usd}即可享受标准配送免运费；以人民币结算的订单，"
      "免运费标准为{free_ship_cny}。\n\n## 未达标准的订单\n未达到免运费标准的订单，每单收取{flat_ship_usd}的固定运费。"
      "加急配送以及送往无装卸平台场地的整托盘配送按实际费用收取。\n\n## 合并订单\n同一天下单、送往同一地址的订单，"
      "在计算免运费标准时会自动合并。")),
    ("damaged-or-missing", "shipping", ("delivery", "damage", "missing items", "claims"),
     ("Damaged or missing items in a delivery",
      "## Report within {damage_hours} hours\nPlease check deliveries on arrival and report damaged or missing items "
      "within {damage_hours} hours by opening a ticket or e-mailing {email}. Include the order number and photos of "
      "the packaging and the goods.\n\n## What happens next\nWe send replacements for confirmed damage or shortages "
      "free of charge, usually the same business day. You do not need to return damaged goods unless we ask for "
      "them.\n\n## Refused deliveries\nIf a pallet is visibly damaged, note it on the driver's delivery note before "
      "signing."),
     ("货物破损或缺件处理",
      "## {damage_hours}小时内反馈\n请在收货时检查货物，如有破损或缺件，请在{damage_hours}小时内提交工单或发邮件至"
      "{email}，并附上订单号以及外包装和货物的照片。\n\n## 后续处理\n经确认的破损或缺件，我们会免费补发，通常当天发出。"
      "除非我们要求，破损货物无需退回。\n\n## 拒收\n如果托盘有明显破损，请在签收前在司机的送货单上注明。")),
    ("return-policy", "returns", ("returns", "refund", "restocking fee"),
     ("Return policy",
      "## Return window\nUnused items in their original packaging can be returned within {return_days} days of "
      "delivery. Every return needs a return authorisation (RMA) number.\n\n## Fees\nReturns of items that are not "
      "defective carry a {restocking_fee} restocking fee. Defective items and items we shipped in error are "
      "returned free of charge and credited in full.\n\n## Items that cannot be returned\nCables cut to length, "
      "special-order items and opened hygiene products (respirators, ear plugs, hand soap) cannot be returned.\n\n"
      "## Refunds\nCredits or refunds are issued within {refund_days} business days after the return reaches our "
      "warehouse."),
     ("退货政策",
      "## 退货期限\n未使用且保留原包装的商品，可在签收后{return_days}天内退货。所有退货都需要先申请退货授权号（RMA）。\n\n"
      "## 费用\n非质量问题的退货收取{restocking_fee}的重新上架费。质量问题或我方发错的商品免费退货并全额退款。\n\n"
      "## 不可退货商品\n按长度裁切的电缆、特殊订购商品以及已拆封的卫生防护用品（口罩、耳塞、洗手液）不予退货。\n\n"
      "## 退款\n退货到达我方仓库后{refund_days}个工作日内完成退款或开具贷项。")),
    ("how-to-return", "returns", ("returns", "RMA"),
     ("How to request a return (RMA)",
      "## Request an RMA\nOpen a ticket in the portal or e-mail {email} with the order number, the SKUs, the "
      "quantities and the reason for the return. You receive an RMA number and a return label within one business "
      "day.\n\n## Send the goods back\nWrite the RMA number on the outside of each carton. Returns without an RMA "
      "number may be refused.\n\n## Credit\nThe credit note appears on your account within {refund_days} business "
      "days after we receive the goods (see *Return policy*)."),
     ("如何申请退货（RMA）",
      "## 申请退货授权号\n请在订货平台提交工单，或发邮件至{email}，注明订单号、商品编码、数量和退货原因。"
      "我们会在一个工作日内提供退货授权号（RMA）和退货面单。\n\n## 寄回商品\n请在每个纸箱外侧写上退货授权号，"
      "没有授权号的退货可能会被拒收。\n\n## 退款\n收到退货后{refund_days}个工作日内，贷项通知单会显示在您的账户中"
      "（详见《退货政策》）。")),
    ("cancel-or-change-order", "ordering", ("orders", "cancellation", "changes"),
     ("Cancelling or changing an order",
      "## Before dispatch\nOrders can be changed or cancelled free of charge until they are dispatched. Use *My "
      "orders* in the portal or contact your account manager. A cancelled order is confirmed with a credit note.\n\n"
      "## After dispatch\nOnce an order has left the warehouse it can no longer be cancelled; it is handled as a "
      "return within {return_days} days under the *Return policy*.\n\n## Special-order items\nSpecial-order and "
      "cut-to-length items cannot be cancelled after we have placed the order with the manufacturer."),
     ("取消或修改订单",
      "## 发货前\n订单在发货前可以免费修改或取消，请在订货平台的“我的订单”中操作，或联系您的客户经理。"
      "取消订单后会出具贷项通知单确认。\n\n## 发货后\n订单出库后无法取消，需按《退货政策》在{return_days}天内办理退货。\n\n"
      "## 特殊订购商品\n特殊订购商品和按长度裁切的商品，在我们向厂家下单后不能取消。")),
    ("payment-terms", "payments", ("payment terms", "Net 30", "credit account"),
     ("Payment terms and credit accounts",
      "## Net {net_days}\nApproved credit accounts pay invoices within {net_days} days of the invoice date "
      "(Net {net_days}). New customers pay by card or bank transfer in advance until a credit account is opened.\n\n"
      "## Opening a credit account\nSend the credit application form with your company registration and two trade "
      "references. The review takes {credit_days} business days.\n\n## Late payment\nOverdue balances accrue "
      "interest of {late_interest} per month, and new orders may be put on hold until the account is current."),
     ("付款条件与信用账户",
      "## 月结{net_days}天\n已审批的信用账户在发票日期起{net_days}天内付款（Net {net_days}）。新客户在信用账户开通前，"
      "需通过银行卡或银行转账预付货款。\n\n## 申请信用账户\n请提交信用申请表、营业执照及两家供应商推荐信，"
      "审核需要{credit_days}个工作日。\n\n## 逾期付款\n逾期余额按每月{late_interest}计收利息，"
      "账户结清前新订单可能会被暂停处理。")),
    ("payment-methods", "payments", ("payment", "bank transfer", "credit card"),
     ("Accepted payment methods",
      "## Methods\nWe accept bank transfer (including ACH and SEPA), major credit cards and, for customers in "
      "mainland China, transfers in CNY to our local account.\n\n## Remittance details\nPlease quote the invoice "
      "number on every payment so it is matched automatically. Remittance advice can be e-mailed to {email}.\n\n"
      "## Terms\nCard and transfer payments are subject to the same Net {net_days} terms for credit accounts (see "
      "*Payment terms and credit accounts*)."),
     ("支持的付款方式",
      "## 付款方式\n我们支持银行转账（包括ACH和SEPA）、主流信用卡；中国大陆客户可以人民币转账至我们的本地账户。\n\n"
      "## 付款备注\n每笔付款请注明发票号，以便系统自动核销。付款水单可发送至{email}。\n\n"
      "## 账期\n信用账户无论以何种方式付款，均适用月结{net_days}天的付款条件（详见《付款条件与信用账户》）。")),
    ("invoices-and-credit-notes", "invoices", ("invoice", "credit note", "fapiao", "billing"),
     ("Invoices, credit notes and billing disputes",
      "## Invoices\nAn invoice is e-mailed as a PDF when the order is dispatched; copies are available in the "
      "portal under *Invoices*. Customers in mainland China receive a VAT fapiao within {fapiao_days} business days "
      "of dispatch.\n\n## Credit notes\nCancellations and accepted returns are settled with a credit note that "
      "references the original invoice.\n\n## Disputes\nPlease raise billing questions within {dispute_days} days "
      "of the invoice date with the invoice number. Undisputed lines remain due on the normal Net {net_days} terms."),
     ("发票、贷项通知单与账单争议",
      "## 发票\n订单发货时，PDF发票会通过邮件发送，也可以在订货平台的“发票”中下载。中国大陆客户在发货后"
      "{fapiao_days}个工作日内收到增值税发票。\n\n## 贷项通知单\n取消订单和已确认的退货，通过关联原发票的贷项通知单结算。\n\n"
      "## 账单争议\n如对账单有疑问，请在发票日期起{dispute_days}天内凭发票号提出。无争议的部分仍按月结{net_days}天付款。")),
    ("placing-orders", "ordering", ("orders", "portal", "EDI", "minimum order"),
     ("How to place an order",
      "## Ordering channels\nOrder through the online portal, by e-mail to {orders_email}, by EDI for integrated "
      "customers, or through your account manager. Phone orders are confirmed by e-mail.\n\n## Cut-off and "
      "minimum\nOrders received before {cutoff} ship the same business day. The minimum order value is "
      "{min_order_usd}.\n\n## Standing orders\nFor items you buy regularly, set up a standing order with a fixed "
      "interval; you can pause or change it at any time in the portal."),
     ("如何下单",
      "## 下单渠道\n可以通过网上订货平台、发送邮件至{orders_email}、EDI系统对接或联系客户经理下单。电话订单会通过邮件确认。\n\n"
      "## 截单时间与起订金额\n{cutoff_24h}前收到的订单当天发货。最低订单金额为{min_order_usd}。\n\n## 定期订单\n"
      "经常采购的商品可以设置固定周期的定期订单，并可随时在订货平台暂停或修改。")),
    ("account-tiers", "account", ("account", "tiers", "account manager", "pricing"),
     ("Account tiers and your account manager",
      "## Tiers\nAccounts are grouped into strategic, key, standard and small tiers based on annual volume. Tier "
      "discounts apply automatically to catalogue prices.\n\n## Account manager\nStrategic and key accounts have a "
      "dedicated account manager and a quarterly business review. Standard and small accounts are served by the "
      "customer service team at {email}.\n\n## Keeping details current\nUpdate contacts, delivery addresses and "
      "billing details in the portal under *Account settings*."),
     ("客户等级与客户经理",
      "## 客户等级\n根据年度采购量，客户分为战略、重点、标准和小型四个等级，对应的等级折扣会自动计入目录价格。\n\n"
      "## 客户经理\n战略客户和重点客户配有专属客户经理，并每季度进行业务回顾。标准和小型客户由客服团队（{email}）提供服务。\n\n"
      "## 更新账户信息\n联系人、送货地址和开票信息可在订货平台的“账户设置”中更新。")),
    ("warranty-coverage", "warranty", ("warranty", "defects", "coverage"),
     ("Warranty coverage",
      "## Standard warranty\nProducts carry a {warranty_std}-month warranty against manufacturing defects from the "
      "delivery date.\n\n## Extended warranty\nPumps and power tools carry a {warranty_long}-month warranty.\n\n"
      "## Consumables\nConsumables (safety gear, cleaning supplies, packaging, paper, adhesives and office supplies) "
      "are covered against defects present on delivery; report them under the {return_days}-day *Return policy*.\n\n"
      "## Not covered\nWear and tear, misuse and installation that does not follow the manufacturer's instructions."),
     ("保修范围",
      "## 标准保修\n商品自交付之日起享受{warranty_std}个月的制造缺陷保修。\n\n## 延长保修\n泵类和电动工具享受"
      "{warranty_long}个月保修。\n\n## 消耗品\n消耗品（劳保用品、清洁用品、包装材料、纸品、胶粘剂和办公用品）"
      "仅保障到货时存在的缺陷，请按{return_days}天《退货政策》反馈。\n\n## 不在保修范围内\n正常磨损、使用不当，"
      "以及未按厂家说明安装造成的问题。")),
    ("warranty-claims", "warranty", ("warranty", "claims", "replacement"),
     ("Making a warranty claim",
      "## Open a claim\nOpen a ticket with the order number, the SKU, a description of the fault and photos or a "
      "short video.\n\n## Assessment\nWe reply within two business days. Where the fault is clear we ship a "
      "replacement straight away; otherwise we arrange collection for inspection by the manufacturer.\n\n"
      "## Outcome\nApproved claims are settled by replacement, repair or credit. Warranty periods are "
      "{warranty_std} months, or {warranty_long} months for pumps and power tools (see *Warranty coverage*)."),
     ("如何申请保修",
      "## 提交申请\n请提交工单，注明订单号、商品编码、故障描述，并附上照片或短视频。\n\n## 评估\n我们会在两个工作日内回复。"
      "故障明确的，直接寄出更换件；否则安排取件，交由厂家检测。\n\n## 处理结果\n审核通过的保修以更换、维修或退款方式处理。"
      "保修期为{warranty_std}个月，泵类和电动工具为{warranty_long}个月（详见《保修范围》）。")),
    ("product-documents", "products", ("SDS", "certificate of conformity", "documents", "compliance"),
     ("Safety data sheets and certificates",
      "## Safety data sheets\nSafety data sheets (SDS) for chemicals, cleaning supplies and adhesives can be "
      "downloaded from each product page or requested at {email}.\n\n## Certificates of conformity\nCertificates "
      "(CE, UL, CCC, EN and ANSI standards as listed in the product attributes) are available for every batch; ask "
      "for them when ordering so they ship with the goods.\n\n## Customs information\nHS codes and country of "
      "origin are listed on the commercial invoice for international shipments."),
     ("安全技术说明书与合格证",
      "## 安全技术说明书\n化学品、清洁用品和胶粘剂的安全技术说明书（SDS）可在商品页面下载，或发邮件至{email}索取。\n\n"
      "## 合格证\n每个批次均可提供合格证及认证文件（商品属性中列出的CE、UL、CCC、EN和ANSI标准）；"
      "请在下单时注明，资料会随货发出。\n\n## 报关信息\n国际发货的商业发票上会注明海关编码（HS编码）和原产地。")),
)


def _category_article(cat: Category, products: list[DemoProduct], language: str) -> tuple[str, str]:
    """A product-spec article generated from what the catalogue actually holds, so it cannot contradict it."""
    items = [p for p in products if p.category is cat and p.active]
    types = [t for t in cat.types if any(p.type_en == t[0] for p in items)] or list(cat.types)
    values = {k: [v for v in options if any(p.attributes.get(k) == v for p in items)]
              for k, options in cat.attributes.items()}
    certs = values.pop("certification", [])
    warranty = {"24 months": "long", "12 months": "std"}.get(cat.warranty, "consumable")
    if language == "zh":
        specs = "\n".join(f"- **{ATTR_LABELS_ZH[k]}**：{'、'.join(VALUES_ZH.get(v, v) for v in vs)}"
                          for k, vs in values.items())
        cover = {"long": f"{cat.name_zh}享受{POLICY['warranty_long']}个月保修。",
                 "std": f"{cat.name_zh}享受{POLICY['warranty_std']}个月保修。",
                 "consumable": f"{cat.name_zh}属于消耗品，仅保障到货时存在的缺陷，请按{POLICY['return_days']}天退货政策反馈。"}
        return (f"{cat.name_zh}选型指南与规格说明",
                f"## 概述\n我们目前备有{len(items)}款{cat.name_zh}，包括{'、'.join(t[1] for t in types)}，适用于"
                f"{cat.uses[1]}。\n\n## 主要规格\n{specs}\n\n## 标准与认证\n"
                + (f"可提供符合{'、'.join(certs)}的型号。" if certs else "")
                + "合格证和安全技术说明书可按需提供（详见《安全技术说明书与合格证》）。\n\n## 订购、库存与保修\n"
                f"按{UNITS_ZH[cat.unit]}销售。现货商品在{POLICY['cutoff_24h']}前下单当天发货，订单满{POLICY['free_ship_usd']}"
                f"免运费。{cover[warranty]}")
    labels = {k: ATTR_LABELS_EN.get(k, k.replace("_", " ")) for k in values}
    specs = "\n".join(f"- **{labels[k][:1].upper()}{labels[k][1:]}**: {', '.join(vs)}" for k, vs in values.items())
    cover = {"long": f"{cat.name} carry a {POLICY['warranty_long']}-month warranty.",
             "std": f"{cat.name} carry the standard {POLICY['warranty_std']}-month warranty.",
             "consumable": f"{cat.name} are consumables: they are covered against defects present on delivery "
                           f"under the {POLICY['return_days']}-day return policy."}
    return (f"{cat.name}: selection guide and specifications",
            f"## Overview\nOur {cat.name.lower()} range has {len(items)} products for {cat.uses[0]}, including "
            f"{', '.join(t[0].lower() for t in types)}.\n\n## Key specifications\n{specs}\n\n"
            "## Standards and certifications\n" + (f"Models are available certified to {', '.join(certs)}. "
                                                     if certs else "")
            + "Certificates of conformity and safety data sheets are available on request (see *Safety data "
            f"sheets and certificates*).\n\n## Ordering, stock and warranty\n{UNIT_PHRASE[cat.unit]} Items in stock "
            f"ship the same business day when ordered before {POLICY['cutoff']}; orders of {POLICY['free_ship_usd']} "
            f"or more ship free. {cover[warranty]}")


def knowledge_frame(products: list[DemoProduct], begin: datetime) -> pd.DataFrame:
    """Policy articles (one set of facts in both languages) plus a spec guide per product category."""
    rows = []
    for slug, category, tags, *versions in POLICY_ARTICLES:
        for language, (title, body) in zip(("en", "zh"), versions, strict=True):
            rows.append({"external_id": f"kb-{slug}-{language}", "title": title, "body": body.format(**POLICY),
                         "category": category, "tags": list(tags), "language": language})
    for cat in CATEGORIES:
        for language in ("en", "zh"):
            title, body = _category_article(cat, products, language)
            rows.append({"external_id": f"kb-products-{cat.code.lower()}-{language}", "title": title, "body": body,
                         "category": "products", "tags": ["products", cat.name.lower(), "specifications"],
                         "language": language})
    for i, row in enumerate(rows):
        row["updated_at"] = begin - timedelta(days=14 + 9 * i)
    return pd.DataFrame(rows)
