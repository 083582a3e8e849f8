"""UI texts in English and Chinese behind one lookup, so pages never hard-code a language.

``t(key, lang, **values)`` falls back to English, then to the key itself (a missing text is visible, not a
crash). The language comes from ``?lang=``, then the ``bizpilot_lang`` cookie, then English.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

DEFAULT_LANG = "en"
LANG_COOKIE = "bizpilot_lang"
LANGUAGES: dict[str, str] = {"en": "English", "zh": "中文"}

EN: dict[str, str] = {
    "app.tagline": "Intelligent CRM",
    "nav.overview": "Overview", "nav.accounts": "Accounts", "nav.products": "Products",
    "nav.recommendations": "Recommendations", "nav.forecasts": "Forecasts", "nav.content": "Content",
    "nav.service": "Service", "nav.insights": "Insights", "nav.imports": "Imports", "nav.settings": "Settings",
    "nav.api_docs": "API docs", "nav.soon": "soon", "nav.main": "Main navigation",
    "placeholder.title": "Coming in a later release",
    "placeholder.body": "The {area} area is planned but not built yet. Its data can already be imported and "
                        "read through the JSON API.",
    "placeholder.back": "Back to the overview",
    "overview.title": "Overview", "overview.counts": "Your data",
    "overview.revenue_by_month": "Net revenue by month", "overview.total_revenue": "Net revenue, all time",
    "overview.top_accounts": "Top accounts by net revenue", "overview.recent_interactions": "Recent interactions",
    "overview.empty": "No data yet. Import accounts, products and orders to see figures here.",
    "overview.revenue_note": "Net of cancellations, returns and discounts; amounts are summed as recorded, "
                             "without currency conversion.",
    "count.accounts": "Accounts", "count.products": "Products", "count.orders": "Orders",
    "count.order_lines": "Order lines", "count.interactions": "Interactions",
    "count.opportunities": "Opportunities", "count.knowledge_articles": "KB articles",
    "col.account": "Account", "col.name": "Name", "col.country": "Country", "col.industry": "Industry",
    "col.tier": "Tier", "col.size": "Size", "col.region": "Region", "col.revenue": "Net revenue",
    "col.orders": "Orders", "col.month": "Month", "col.date": "Date", "col.channel": "Channel",
    "col.direction": "Direction", "col.subject": "Subject", "col.title": "Job title", "col.email": "Email",
    "col.phone": "Phone", "col.language": "Language", "col.order": "Order", "col.kind": "Type",
    "col.status": "Status", "col.lines": "Lines", "col.amount": "Amount", "col.stage": "Stage",
    "col.outcome": "Outcome", "col.owner": "Owner", "col.created": "Created", "col.closed": "Closed",
    "col.external_id": "Customer ID",
    "accounts.title": "Accounts", "accounts.search": "Search name, customer ID or description",
    "accounts.all": "All", "accounts.apply": "Apply", "accounts.reset": "Reset", "accounts.sort": "Sort",
    "accounts.showing": "Showing {start}–{end} of {total}",
    "accounts.none": "No accounts match these filters.",
    "accounts.empty": "No accounts yet. Import an accounts file to get started.",
    "sort.name": "Name A–Z", "sort.-name": "Name Z–A", "sort.-created_at": "Newest first",
    "sort.created_at": "Oldest first", "sort.country": "Country", "sort.industry": "Industry",
    "pager.prev": "Previous", "pager.next": "Next", "pager.label": "Pages",
    "account.profile": "Company profile", "account.description": "Description",
    "account.contacts": "Contacts", "account.no_contacts": "No contacts recorded.",
    "account.revenue_by_month": "Net revenue by month", "account.total_revenue": "Net revenue",
    "account.order_count": "Orders", "account.last_order": "Last order",
    "account.recent_orders": "Recent orders", "account.no_orders": "No orders yet.",
    "account.interactions": "Interactions", "account.no_interactions": "No interactions recorded.",
    "account.opportunities": "Opportunities", "account.no_opportunities": "No opportunities.",
    "account.back": "All accounts",
    "common.show_table": "Show the numbers", "common.none": "—", "common.no_data": "No data yet.",
    "error.title": "Something went wrong", "error.not_found": "Not found",
    "error.database_not_ready": "The database is not ready", "error.validation_error": "Invalid request",
    "error.code": "Error code", "error.back": "Back to the overview",
    "footer.text": "bizpilot {version} · self-hosted, works offline",
    "lang.switch": "Language",
    "nav.logout": "Sign out", "login.title": "Sign in", "login.password": "Workspace password",
    "login.submit": "Sign in", "login.wrong_password": "Wrong password.",
    "login.no_password": "No dashboard password is set for this workspace.",
    "login.no_password_help": "No dashboard password is set for this workspace. Sign in with the one-time "
                              "link that 'bizpilot serve' prints, or set a password with "
                              "'bizpilot init --password'.",
    "login.link_hint": "Or open the one-time login link printed by 'bizpilot serve' (for a new one, run "
                       "'bizpilot login-link').",
    "login.link_invalid": "This login link is invalid, expired or already used. Get a new one with "
                          "'bizpilot login-link'.",
    "login.too_many": "Too many failed attempts. Wait a few minutes and try again.",
    "login.signed_out": "You are signed out.",
    "error.unauthorized": "Sign-in required", "error.forbidden": "Not allowed",
}

ZH: dict[str, str] = {
    "app.tagline": "智能客户管理",
    "nav.overview": "概览", "nav.accounts": "客户", "nav.products": "产品", "nav.recommendations": "推荐",
    "nav.forecasts": "预测", "nav.content": "内容生成", "nav.service": "客服助手", "nav.insights": "洞察",
    "nav.imports": "数据导入", "nav.settings": "设置", "nav.api_docs": "API 文档", "nav.soon": "即将推出",
    "nav.main": "主导航",
    "placeholder.title": "将在后续版本中推出",
    "placeholder.body": "“{area}”功能已在规划中，尚未完成。相关数据现在已可导入，并可通过 JSON API 读取。",
    "placeholder.back": "返回概览",
    "overview.title": "概览", "overview.counts": "数据概况", "overview.revenue_by_month": "每月净收入",
    "overview.total_revenue": "累计净收入", "overview.top_accounts": "净收入最高的客户",
    "overview.recent_interactions": "最近互动",
    "overview.empty": "暂无数据。导入客户、产品和订单后即可在此查看各项指标。",
    "overview.revenue_note": "已扣除取消、退货和折扣；金额按记录原值汇总，未做币种换算。",
    "count.accounts": "客户", "count.products": "产品", "count.orders": "订单", "count.order_lines": "订单行",
    "count.interactions": "互动记录", "count.opportunities": "商机", "count.knowledge_articles": "知识库文章",
    "col.account": "客户", "col.name": "名称", "col.country": "国家/地区", "col.industry": "行业",
    "col.tier": "等级", "col.size": "规模", "col.region": "区域", "col.revenue": "净收入", "col.orders": "订单数",
    "col.month": "月份", "col.date": "日期", "col.channel": "渠道", "col.direction": "方向", "col.subject": "主题",
    "col.title": "职位", "col.email": "邮箱", "col.phone": "电话", "col.language": "语言", "col.order": "订单号",
    "col.kind": "类型", "col.status": "状态", "col.lines": "行数", "col.amount": "金额", "col.stage": "阶段",
    "col.outcome": "结果", "col.owner": "负责人", "col.created": "创建时间", "col.closed": "关闭时间",
    "col.external_id": "客户编号",
    "accounts.title": "客户", "accounts.search": "搜索名称、客户编号或简介", "accounts.all": "全部",
    "accounts.apply": "筛选", "accounts.reset": "重置", "accounts.sort": "排序",
    "accounts.showing": "第 {start}–{end} 条，共 {total} 条", "accounts.none": "没有符合条件的客户。",
    "accounts.empty": "还没有客户数据。请先导入客户文件。",
    "sort.name": "名称 A–Z", "sort.-name": "名称 Z–A", "sort.-created_at": "最新创建",
    "sort.created_at": "最早创建", "sort.country": "国家/地区", "sort.industry": "行业",
    "pager.prev": "上一页", "pager.next": "下一页", "pager.label": "分页",
    "account.profile": "公司信息", "account.description": "简介", "account.contacts": "联系人",
    "account.no_contacts": "暂无联系人。", "account.revenue_by_month": "每月净收入",
    "account.total_revenue": "净收入", "account.order_count": "订单数", "account.last_order": "最近下单",
    "account.recent_orders": "最近订单", "account.no_orders": "暂无订单。", "account.interactions": "互动记录",
    "account.no_interactions": "暂无互动记录。", "account.opportunities": "商机",
    "account.no_opportunities": "暂无商机。", "account.back": "全部客户",
    "common.show_table": "查看数据表", "common.none": "—", "common.no_data": "暂无数据。",
    "error.title": "出错了", "error.not_found": "未找到", "error.database_not_ready": "数据库尚未就绪",
    "error.validation_error": "请求参数无效", "error.code": "错误代码", "error.back": "返回概览",
    "footer.text": "bizpilot {version} · 自托管，可离线使用",
    "lang.switch": "语言",
    "nav.logout": "退出登录", "login.title": "登录", "login.password": "工作区密码", "login.submit": "登录",
    "login.wrong_password": "密码错误。",
    "login.no_password": "此工作区尚未设置控制台密码。",
    "login.no_password_help": "此工作区尚未设置控制台密码。请使用 'bizpilot serve' 打印的一次性登录链接登录，"
                              "或运行 'bizpilot init --password' 设置密码。",
    "login.link_hint": "也可以打开 'bizpilot serve' 打印的一次性登录链接（获取新链接：'bizpilot login-link'）。",
    "login.link_invalid": "此登录链接无效、已过期或已被使用。请运行 'bizpilot login-link' 获取新链接。",
    "login.too_many": "失败次数过多，请稍等几分钟再试。",
    "login.signed_out": "您已退出登录。",
    "error.unauthorized": "需要登录", "error.forbidden": "无权执行此操作",
}

CATALOGS: dict[str, dict[str, str]] = {"en": EN, "zh": ZH}


def normalise_lang(value: str | None) -> str | None:
    """``zh-CN``/``zh_Hans``/``ZH`` -> ``zh``; unsupported or empty -> None."""
    if not value:
        return None
    base = value.strip().lower().replace("_", "-").split("-")[0]
    return base if base in CATALOGS else None


def t(key: str, lang: str = DEFAULT_LANG, **values: Any) -> str:
    """The text for ``key`` in ``lang`` (English, then the key, as fallbacks), formatted with ``values``."""
    text = CATALOGS.get(lang, EN).get(key) or EN.get(key) or key
    if values:
        try:
            return text.format(**values)
        except (KeyError, IndexError, ValueError):
            return text
    return text


def request_lang(request: Request) -> str:
    """The language a request asks for: ``?lang=``, then the cookie, then the default."""
    return (normalise_lang(request.query_params.get("lang"))
            or normalise_lang(request.cookies.get(LANG_COOKIE))
            or DEFAULT_LANG)


def missing_keys() -> dict[str, list[str]]:
    """Keys present in one catalog but not the other (a test keeps this empty)."""
    return {"zh": sorted(set(EN) - set(ZH)), "en": sorted(set(ZH) - set(EN))}
