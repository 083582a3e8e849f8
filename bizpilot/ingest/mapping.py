"""Column mapping: common header names (English and Chinese) are detected; a mapping file covers the rest.

A mapping file is JSON or YAML: ``{"columns": {"Source header": "target_field", ...}}`` (a flat
``{"Source header": "target_field"}`` also works). Map a column to ``null``/``""`` to ignore it explicitly.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from bizpilot.errors import ValidationFailed

_COMMON: dict[str, tuple[str, ...]] = {
    "external_id": ("external_id", "externalid", "id", "ext_id", "code", "编号", "外部编号"),
    "account_external_id": ("account_external_id", "account_id", "accountid", "customer_id", "customerid",
                            "customer", "account", "company_id", "客户编号", "客户id", "客户"),
    "contact_external_id": ("contact_external_id", "contact_id", "contactid", "联系人编号"),
    "order_external_id": ("order_external_id", "order_id", "orderid", "order_number", "order_no", "invoice",
                          "invoiceno", "invoice_no", "订单号", "订单编号"),
    "sku": ("sku", "stockcode", "stock_code", "product_code", "productcode", "item_code", "product_id",
            "item_id", "商品编码", "货号", "产品编码"),
    "created_at": ("created_at", "created", "created_date", "creation_date", "customer_since", "创建时间",
                   "创建日期"),
    "language": ("language", "lang", "locale", "语言"),
    "currency": ("currency", "currency_code", "币种", "货币"),
    "country": ("country", "country_code", "nation", "国家", "国家地区"),
}

ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "accounts": {
        "external_id": ("external_id", "account_id", "accountid", "customer_id", "customerid", "customer_no",
                        "company_id", "id", "客户编号", "客户id", "编号"),
        "name": ("name", "company", "company_name", "account_name", "customer_name", "organisation",
                 "organization", "客户名称", "公司名称", "公司", "名称"),
        "industry": ("industry", "sector", "vertical", "行业"),
        "size_band": ("size_band", "size", "employees", "company_size", "employee_band", "规模", "员工人数"),
        "region": ("region", "state", "province", "area", "地区", "省份", "区域"),
        "tier": ("tier", "segment", "level", "customer_tier", "等级", "客户等级"),
        "description": ("description", "about", "company_description", "desc", "简介", "公司简介", "描述"),
        "owner": ("owner", "account_owner", "owner_name", "owner_email", "sales_rep", "salesperson", "sales_owner",
                  "account_manager", "assigned_to", "负责人", "客户经理", "销售", "销售代表", "业务员", "归属销售"),
    },
    "contacts": {
        "external_id": ("external_id", "contact_id", "contactid", "id", "联系人编号"),
        "name": ("name", "full_name", "contact_name", "contact", "姓名", "联系人"),
        "email": ("email", "e_mail", "email_address", "mail", "邮箱", "电子邮件"),
        "phone": ("phone", "telephone", "mobile", "phone_number", "tel", "电话", "手机"),
        "title": ("title", "job_title", "position", "role", "职位", "职务"),
    },
    "products": {
        "name": ("name", "product_name", "title", "description_short", "item_name", "商品名称", "产品名称", "名称"),
        "category": ("category", "product_category", "type", "class", "类目", "类别", "分类"),
        "attributes": ("attributes", "attrs", "specs", "属性", "规格"),
        "price": ("price", "unit_price", "list_price", "unitprice", "价格", "单价"),
        "unit": ("unit", "uom", "unit_of_measure", "单位"),
        "stock_qty": ("stock_qty", "stock", "inventory", "qty_on_hand", "库存"),
        "description": ("description", "product_description", "details", "描述", "商品描述", "详情"),
        "active": ("active", "is_active", "enabled", "status_active", "在售"),
    },
    "orders": {
        "external_id": ("external_id", "order_external_id", "order_id", "orderid", "order_number", "order_no",
                        "invoiceno", "invoice_no", "invoice", "订单号", "订单编号"),
        "kind": ("kind", "order_type", "type", "订单类型"),
        "status": ("status", "order_status", "订单状态", "状态"),
        "ordered_at": ("ordered_at", "order_date", "date", "invoicedate", "invoice_date", "created_at",
                       "下单时间", "订单日期", "日期"),
        "channel": ("channel", "sales_channel", "渠道"),
        "line_no": ("line_no", "line", "line_number", "行号"),
        "line_type": ("line_type", "行类型"),
        "quantity": ("quantity", "qty", "units", "数量"),
        "unit_price": ("unit_price", "unitprice", "price", "单价", "价格"),
        "discount": ("discount", "discount_rate", "折扣"),
    },
    "interactions": {
        "external_id": ("external_id", "interaction_id", "ticket_id", "message_id", "review_id", "id", "编号"),
        "channel": ("channel", "type", "source", "渠道", "类型"),
        "direction": ("direction", "方向"),
        "subject": ("subject", "title", "summary", "主题", "标题"),
        "text": ("text", "body", "message", "content", "review", "comment", "内容", "正文", "评论"),
        "rating": ("rating", "score", "stars", "评分", "星级"),
        "occurred_at": ("occurred_at", "date", "timestamp", "time", "created_at", "sent_at", "时间", "日期"),
    },
    "opportunities": {
        "external_id": ("external_id", "opportunity_id", "deal_id", "id", "商机编号"),
        "name": ("name", "opportunity", "opportunity_name", "deal", "deal_name", "商机名称", "名称"),
        "stage": ("stage", "deal_stage", "阶段"),
        "amount": ("amount", "value", "deal_value", "expected_revenue", "金额"),
        "source": ("source", "lead_source", "来源"),
        "owner": ("owner", "opportunity_owner", "deal_owner", "owner_name", "owner_email", "sales_rep",
                  "salesperson", "account_owner", "assigned_to", "负责人", "销售", "销售代表", "客户经理", "业务员"),
        "created_at": ("created_at", "created", "created_date", "open_date", "创建日期"),
        "closed_at": ("closed_at", "close_date", "closed_date", "关闭日期", "成交日期"),
        "outcome": ("outcome", "result", "status", "won_lost", "结果"),
    },
    "invoices": {
        "external_id": ("external_id", "invoice_id", "invoiceid", "id", "发票编号"),
        "number": ("number", "invoice_number", "invoice_no", "invoiceno", "invoice", "inv_no", "发票号", "发票号码"),
        "order_external_id": ("order_external_id", "order_id", "orderid", "order_number", "order_no", "订单号",
                              "订单编号"),
        "issued_at": ("issued_at", "issue_date", "invoice_date", "invoicedate", "issued", "date", "开票日期"),
        "due_at": ("due_at", "due_date", "due", "payment_due", "duedate", "到期日", "付款截止日"),
        "amount": ("amount", "total", "invoice_amount", "amount_total", "gross", "金额", "发票金额"),
        "amount_paid": ("amount_paid", "paid", "paid_amount", "payments", "已付金额", "已付"),
        "status": ("status", "invoice_status", "payment_status", "状态"),
        "payment_instructions": ("payment_instructions", "how_to_pay", "payment_details", "bank_details",
                                 "remit_to", "付款方式", "付款说明"),
    },
    "knowledge": {
        "external_id": ("external_id", "article_id", "faq_id", "slug", "id", "文章编号"),
        "title": ("title", "question", "heading", "标题", "问题"),
        "body": ("body", "answer", "content", "text", "article", "正文", "内容", "答案"),
        "category": ("category", "section", "topic", "分类", "类别"),
        "tags": ("tags", "keywords", "labels", "标签", "关键词"),
        "updated_at": ("updated_at", "updated", "modified", "last_updated", "更新时间"),
    },
}


def normalise_header(name: str) -> str:
    """'Customer ID' -> 'customer_id'; keeps CJK characters so Chinese headers match too."""
    text = re.sub(r"[^\w]+", "_", str(name).strip().lower(), flags=re.UNICODE)
    return text.strip("_")


def _compact(name: str) -> str:
    return normalise_header(name).replace("_", "")


def load_mapping_file(path: str | Path) -> dict[str, str | None]:
    """Read a mapping file into {source header: target field or None (ignore)}."""
    path = Path(path)
    if not path.exists():
        raise ValidationFailed(f"mapping file not found: {path}")
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix.lower() in (".yaml", ".yml"):
            import yaml

            data = yaml.safe_load(text)
        else:
            data = json.loads(text)
    except Exception as exc:  # noqa: BLE001 - any parse error becomes one clear message
        raise ValidationFailed(f"mapping file {path.name} is not valid JSON/YAML: {exc}") from exc
    if isinstance(data, dict) and isinstance(data.get("columns"), dict):
        data = data["columns"]
    if not isinstance(data, dict) or not all(isinstance(k, str) for k in data):
        raise ValidationFailed(f"mapping file {path.name} must map source column names to field names")
    return {k: (v or None) for k, v in data.items()}


def resolve_columns(entity: str, headers: list[str], fields: set[str],
                    explicit: dict[str, str | None] | None = None) -> tuple[dict[str, str], list[str]]:
    """Decide which source header feeds which field.

    Returns ``(field -> header, unused headers)``. Explicit mappings win; then an exact field name; then the
    aliases. Unknown target fields in an explicit mapping are an error that names them.
    """
    explicit = explicit or {}
    mapping: dict[str, str] = {}
    for header, target in explicit.items():
        if target is None:
            continue
        if target not in fields and not target.startswith("attr:"):
            raise ValidationFailed(
                f"mapping sends column '{header}' to unknown field '{target}'",
                details=[{"field": target, "reason": f"known fields: {', '.join(sorted(fields))}"}])
        if header not in headers:
            raise ValidationFailed(f"mapping names column '{header}', which the file does not have",
                                   details=[{"field": header, "reason": f"file columns: {', '.join(headers)}"}])
        mapping[target] = header
    taken = set(mapping.values()) | {h for h, t in explicit.items() if t is None}
    by_compact: dict[str, str] = {}
    for header in headers:
        if header not in taken:
            by_compact.setdefault(_compact(header), header)
    aliases = {**_COMMON, **ALIASES.get(entity, {})}
    for target in sorted(fields, key=lambda f: (f not in aliases, f)):
        if target in mapping:
            continue
        for candidate in (target, *aliases.get(target, ())):
            header = by_compact.get(_compact(candidate))
            if header is not None and header not in mapping.values():
                mapping[target] = header
                break
    used = set(mapping.values())
    unused = [h for h in headers if h not in used and h not in taken]
    return mapping, unused
