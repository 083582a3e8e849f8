"""UI texts in English and Chinese behind one lookup, so pages never hard-code a language.

``t(key, lang, **values)`` falls back to English, then to the key itself (a missing text is visible, not a
crash). The language comes from ``?lang=``, then the ``bizpilot_lang`` cookie, then English.
"""

from __future__ import annotations

import json
from pathlib import Path
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
    # Imports page
    "imports.title": "Imports", "imports.upload": "Upload a file", "imports.entity": "The file contains",
    "imports.file": "File", "imports.strict": "Strict: write nothing if any row is bad",
    "imports.submit": "Start import",
    "imports.formats": "CSV, TSV, Excel, Parquet or JSON Lines (optionally .gz). Columns are matched by their "
                       "headers; bad rows are set aside with a reason and the good ones are imported.",
    "imports.read_only": "Uploading files needs role write; you can view the imports here.",
    "imports.err_title": "The file was not imported:", "imports.err_empty": "the file is empty.",
    "imports.err_format": "unknown file format. Use CSV, TSV, Excel, Parquet or JSON Lines (optionally .gz).",
    "imports.err_too_large": "the file is larger than 200 MB.", "imports.err_no_file": "choose a file to upload.",
    "imports.err_entity": "choose what the file contains.",
    "imports.recent": "Recent imports", "imports.no_runs": "No imports yet.", "imports.back": "All imports",
    "imports.run": "Import #{id}", "imports.progress": "Progress", "imports.phase_reading": "Reading the file",
    "imports.phase_writing": "Writing {table}", "imports.progress_rows": "{done} of {total} rows",
    "imports.running_note": "This page updates by itself until the import ends.",
    "imports.rows_read": "Rows read", "imports.rejected": "Rejected rows", "imports.tables": "Rows per table",
    "imports.details": "Details", "imports.duplicates": "Duplicate rows in the file",
    "imports.outliers": "Outliers flagged", "imports.seconds": "Duration (seconds)",
    "imports.nothing_written": "Nothing was written.", "imports.message": "Message",
    "imports.rejects": "Rejected rows", "imports.no_rejects": "No rows were rejected.",
    "imports.download_rejects": "Download the rejected rows (CSV)",
    "imports.rejects_shown": "Showing the first {shown} of {total} rejected rows; the CSV has them all.",
    "imports.strict_tag": "strict",
    "status.running": "Running", "status.finished": "Finished", "status.rejected": "Rejected (nothing written)",
    "status.failed": "Failed", "status.interrupted": "Interrupted (process stopped; nothing written)",
    "entity.accounts": "Accounts", "entity.contacts": "Contacts", "entity.products": "Products",
    "entity.interactions": "Interactions", "entity.opportunities": "Opportunities",
    "entity.knowledge": "Knowledge-base articles", "entity.orders": "Orders and order lines",
    "entity.online-retail": "Online Retail transactions", "entity.movielens": "MovieLens ratings",
    "count.contacts": "Contacts",
    "col.started": "Started", "col.finished": "Finished", "col.entity": "Data", "col.source": "Source",
    "col.inserted": "New", "col.updated": "Updated", "col.unchanged": "Unchanged", "col.table": "Table",
    "col.row": "Row", "col.field": "Field", "col.reason": "Reason", "col.value": "Value",
    # Settings page
    "settings.title": "Settings", "settings.workspace": "Workspace", "settings.home": "Workspace directory",
    "settings.dialect": "Database", "settings.db_url": "Database URL", "settings.revision": "Schema revision",
    "settings.version": "Version",
    "settings.admin_facts": "The workspace directory and database URL are shown to admins only.",
    "settings.language": "Language", "settings.save": "Save",
    "settings.language_help": "The dashboard's language; this browser remembers the choice.",
    "settings.keys": "API keys",
    "settings.keys_help": "API keys let scripts and the Python client use the JSON API. Only a hash of each "
                          "key is stored; a revoked key stops working on its next request.",
    "settings.no_keys": "No API keys yet.", "settings.new_key": "New API key", "settings.key_name": "Name",
    "settings.key_role": "Role", "settings.create_key": "Create key", "settings.revoke": "Revoke",
    "settings.active": "active", "settings.keys_admin_only": "Managing API keys needs role admin.",
    "settings.err_key_exists": "An API key named '{name}' already exists; choose another name.",
    "settings.err_key_name": "A key name must have 1-64 printable characters.",
    "settings.err_key_role": "Choose the role read, write or admin.",
    "settings.key_created": "API key created", "settings.key_value": "The new API key",
    "settings.key_once": "Copy this key now: it is shown only this once and cannot be recovered. If it is lost, "
                         "revoke it and create a new one.",
    "settings.copy": "Copy", "settings.copied": "Copied",
    "settings.key_usage": "Send it as 'Authorization: Bearer <key>' or 'X-API-Key: <key>'.",
    "settings.back": "Settings", "settings.done": "Done",
    "role.read": "read: view data", "role.write": "write: also import and change data",
    "role.admin": "admin: also manage keys",
    "col.prefix": "Prefix", "col.last_used": "Last used", "col.revoked": "Revoked",
    "settings.password": "Dashboard password", "settings.current_password": "Current password",
    "settings.new_password": "New password", "settings.repeat_password": "New password again",
    "settings.change_password": "Change password", "settings.set_password": "Set password",
    "settings.password_help": "At least {min} characters. Changing it signs out every other browser.",
    "settings.no_password_yet": "No password is set yet (you signed in with a one-time link). Set one to sign in "
                                "with it.",
    "settings.err_current": "The current password is wrong.",
    "settings.err_short": "The new password must have at least {min} characters.",
    "settings.err_mismatch": "The two new passwords do not match.",
    "notice.key_revoked": "The API key was revoked.",
    "notice.password_changed": "Password changed. Other browsers have been signed out.",
    "notice.password_set": "Password set. From now on you can sign in with it.",
    "content.title": "Content studio",
    "content.intro": "Copy written from your own data: every number, price, attribute and product name is checked "
                     "against the facts in the database; wrong values are repaired, invented claims removed.",
    "content.generate": "Generate", "content.kind": "Kind", "content.product": "Product (SKU)",
    "content.account": "Account (ID)", "content.language": "Language", "content.tone": "Tone",
    "content.length": "Length", "content.inquiry": "Customer inquiry (for replies)",
    "content.use_llm": "Let the language model write it (checked; falls back to templates)",
    "content.submit": "Generate", "content.err_title": "Could not generate:",
    "content.help": "Product kinds need a product; emails, case studies and call scripts need an account.",
    "content.read_only": "Generating content needs role write; you can read the generations here.",
    "content.result": "Generation #{id}", "content.model": "Model", "content.fallback": "Template text used",
    "content.backing": "Sentences and the facts behind them", "content.repaired": "repaired",
    "content.no_facts": "no fact needed", "content.repaired_claims": "Repaired values",
    "content.removed": "Removed sentences (claims the facts do not support)", "content.draft": "The model's draft",
    "content.edit_problems": "Your edit states things the facts do not support",
    "content.rating": "Rating", "content.edit": "Your edit", "content.feedback": "Note",
    "content.approve": "Approve (becomes an example for similar copy)", "content.save_feedback": "Save",
    "content.recent": "Recent generations", "content.text": "Text", "content.none": "Nothing generated yet.",
    "content.kind.product_description": "Product description", "content.kind.ad": "Ad",
    "content.kind.headline": "Headline", "content.kind.announcement": "Announcement",
    "content.kind.inquiry_reply": "Inquiry reply", "content.kind.sales_email": "Sales email",
    "content.kind.follow_up": "Follow-up email", "content.kind.case_study": "Case study",
    "content.kind.call_script": "Call script",
    "content.lang.en": "English", "content.lang.zh": "Chinese",
    "content.tone.neutral": "Neutral", "content.tone.friendly": "Friendly", "content.tone.formal": "Formal",
    "content.tone.enthusiastic": "Enthusiastic",
    "content.length.short": "Short", "content.length.medium": "Medium", "content.length.long": "Long",
    # service console (issue 6: assistant, sources, hand-off queue)
    "service.title": "Service console",
    "service.intro": "Ask as a customer would: the assistant answers only from the knowledge base and the account's "
                     "orders, cites every sentence, and hands off complaints, refund requests and anything it cannot "
                     "answer reliably.",
    "service.err_title": "Could not ask:",
    "service.kb_stats": "Knowledge base: {chunks} chunks from {sources} sources.",
    "service.chat": "Conversation", "service.role.user": "Customer", "service.role.assistant": "Assistant",
    "service.role.agent": "Agent", "service.role.system": "System",
    "service.handed_off": "Handed off: ticket #{id} ({reason}).", "service.account": "Account",
    "service.question": "Message", "service.placeholder": "e.g. where is my order 1043? / 你们的付款条件是什么",
    "service.send": "Send", "service.new": "New conversation",
    "service.read_only": "Your key or session is read-only: asking and changing tickets need the write role.",
    "service.sources": "Sources", "service.no_sources": "No sources: the assistant did not answer this itself.",
    "service.suggested": "Suggested reply for ticket #{id}", "service.queue": "Hand-off queue",
    "service.status.open": "Open", "service.status.claimed": "Claimed", "service.status.closed": "Closed",
    "service.status.all": "All", "service.reason": "Reason", "service.summary": "Last message",
    "service.suggest": "Suggest reply", "service.to.claimed": "Claim", "service.to.closed": "Close",
    "service.to.open": "Re-open", "service.queue_empty": "No tickets here.",
    "service.conversations": "Recent conversations", "service.n_messages": "{n} messages",
    "service.no_conversations": "No conversations yet.",
    # signals (overview dissatisfaction alerts)
    "signals.alerts": "Dissatisfaction alerts",
    "signals.alerts_intro": "Accounts with negative messages or complaints/refund requests in the last {days} days "
                            "(up to the newest interaction).",
    "signals.none": "No dissatisfied accounts in this period.",
    "signals.not_analysed": "{count} interaction(s) not analysed yet: run `bizpilot signals analyse`.",
    "signals.negative": "Negative", "signals.complaints": "Complaints/refunds", "signals.score": "Avg. sentiment",
    "signals.last": "Latest", "signals.severity": "Severity", "signals.severity.high": "High",
    "signals.severity.medium": "Medium",
    # intelligence (forecasts page, account detail)
    "forecasts.title": "Demand forecasts",
    "forecasts.intro": "Weekly quantity of the best-selling products for the next {weeks} weeks, with {level}% "
                       "prediction intervals. Method chosen by backtest on past weeks: {method}.",
    "forecasts.product": "Product", "forecasts.next_total": "Next {weeks} weeks", "forecasts.method": "Method",
    "forecasts.history": "Sold", "forecasts.forecast": "Forecast", "forecasts.lower": "Low", "forecasts.upper": "High",
    "forecasts.week": "Week", "forecasts.backtest": "Backtest MASE (lower is better)", "forecasts.none":
    "Not enough sales history to forecast yet (12 complete weeks needed).",
    "forecasts.segments": "Customer segments (RFM)", "forecasts.segment": "Segment",
    "forecasts.definition": "Definition", "forecasts.action": "Suggested action", "forecasts.accounts": "Accounts",
    "forecasts.at_risk": "Valuable accounts at risk", "forecasts.probability": "P(order in {days} days)",
    "intel.summary": "Summary", "intel.narrative_source": "Written by: {source}",
    "intel.segment": "Segment", "intel.rfm": "RFM (recency, frequency, monetary; 5 = best)",
    "intel.repurchase": "Repurchase score", "intel.repurchase_text": "Chance of ordering in the next {days} days",
    "intel.factors_up": "Raises it", "intel.factors_down": "Lowers it", "intel.method": "Model: {method}",
    "intel.win_probability": "Win probability", "intel.reorders": "Likely reorders (next 30 days)",
    "intel.cycle": "Cycle (days)", "intel.due_in": "Due in (days)", "intel.risks": "Risks",
    "intel.next_actions": "Next actions", "intel.top_categories": "Top categories", "intel.none": "None",
    "intel.unavailable": "Scores are not available: {reason}",
    "intel.expected_units": "Units, next {days} days (range)",
    # recommendations (issue 7: next-best products with reasons, reorder due, similar products)
    "recs.title": "Recommendations",
    "recs.intro": "Next-best products per account (bought together by similar accounts, and by product text for "
                  "new products), with the reason for each; replenishments that are due; similar products.",
    "recs.account": "Account", "recs.product": "Product", "recs.choose_account": "Choose an account",
    "recs.choose_product": "Choose a product", "recs.show": "Show", "recs.retrain": "Retrain model",
    "recs.trained": "Retraining started: new results show when it is done", "recs.next_best": "Next best for {name}",
    "recs.fallback": "No purchase history yet: showing the most popular products.",
    "recs.category": "Category", "recs.price": "Price", "recs.reason": "Why", "recs.new": "new",
    "recs.similar_link": "Similar", "recs.none": "Nothing to recommend.", "recs.reorder": "Reorder due",
    "recs.no_reorder": "No regular purchases due.", "recs.similar": "Similar to {name}",
    "recs.similarity": "Similarity", "recs.reorder_all": "Overdue and due replenishments (as of {date})",
    "recs.cycle": "Every (days)", "recs.last": "Last bought", "recs.due": "Due", "recs.status": "Status",
    "recs.status.overdue": "overdue", "recs.status.due": "due", "recs.status.upcoming": "upcoming",
    "recs.status.lapsed": "lapsed",
    "models.title": "Models", "models.intro": "Every model the workspace trains from its own data: its state, "
    "the run the pages read, what a retrain changed and whether the data has drifted since. Pages never train: a "
    "missing model trains in the background and the page shows it when ready; the server retrains on a schedule.",
    "models.model": "Model", "models.state": "State", "models.trained": "Trained", "models.rows": "Rows",
    "models.seconds": "Seconds", "models.by": "Started by", "models.metrics": "Key metrics", "models.flags": "Flags",
    "models.retrain": "Retrain", "models.train_all": "Retrain all", "models.runs": "Runs of {name}",
    "models.started": "Started", "models.last_failed": "last retrain failed: {reason}",
    "models.see": "see Models", "models.state.ready": "ready", "models.state.queued": "queued for training",
    "models.state.training": "training…", "models.state.failed": "training failed",
    "models.state.missing": "not trained yet", "models.state.skipped": "not trained (not enough data)",
    "models.state.default": "shipped default", "nav.models": "Models",
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
    # 数据导入页
    "imports.title": "数据导入", "imports.upload": "上传文件", "imports.entity": "文件内容",
    "imports.file": "文件", "imports.strict": "严格模式：只要有一行有误就全部不写入", "imports.submit": "开始导入",
    "imports.formats": "支持 CSV、TSV、Excel、Parquet 或 JSON Lines（可为 .gz 压缩）。按表头匹配列；有误的行会连同原因"
                       "单独列出，其余行正常导入。",
    "imports.read_only": "上传文件需要 write 权限；您可以在此查看导入记录。",
    "imports.err_title": "文件未导入：", "imports.err_empty": "文件为空。",
    "imports.err_format": "无法识别文件格式。请使用 CSV、TSV、Excel、Parquet 或 JSON Lines（可为 .gz 压缩）。",
    "imports.err_too_large": "文件超过 200 MB。", "imports.err_no_file": "请选择要上传的文件。",
    "imports.err_entity": "请选择文件内容的类型。",
    "imports.recent": "最近的导入", "imports.no_runs": "暂无导入记录。", "imports.back": "全部导入",
    "imports.run": "导入 #{id}", "imports.progress": "进度", "imports.phase_reading": "正在读取文件",
    "imports.phase_writing": "正在写入 {table}", "imports.progress_rows": "{done} / {total} 行",
    "imports.running_note": "导入结束前，本页会自动更新。",
    "imports.rows_read": "读取行数", "imports.rejected": "被拒绝的行", "imports.tables": "各表行数",
    "imports.details": "详情", "imports.duplicates": "文件内重复行", "imports.outliers": "标记的异常值",
    "imports.seconds": "耗时（秒）", "imports.nothing_written": "未写入任何数据。", "imports.message": "说明",
    "imports.rejects": "被拒绝的行", "imports.no_rejects": "没有被拒绝的行。",
    "imports.download_rejects": "下载被拒绝的行（CSV）",
    "imports.rejects_shown": "显示前 {shown} 行，共 {total} 行被拒绝；CSV 文件包含全部。",
    "imports.strict_tag": "严格",
    "status.running": "进行中", "status.finished": "已完成", "status.rejected": "已拒绝（未写入）",
    "status.failed": "失败", "status.interrupted": "已中断（进程停止，未写入）",
    "entity.accounts": "客户", "entity.contacts": "联系人", "entity.products": "产品",
    "entity.interactions": "互动记录", "entity.opportunities": "商机", "entity.knowledge": "知识库文章",
    "entity.orders": "订单及订单行",
    "entity.online-retail": "Online Retail 交易数据", "entity.movielens": "MovieLens 评分",
    "count.contacts": "联系人",
    "col.started": "开始时间", "col.finished": "结束时间", "col.entity": "数据", "col.source": "来源",
    "col.inserted": "新增", "col.updated": "更新", "col.unchanged": "未变", "col.table": "数据表",
    "col.row": "行号", "col.field": "字段", "col.reason": "原因", "col.value": "值",
    # 设置页
    "settings.title": "设置", "settings.workspace": "工作区", "settings.home": "工作区目录",
    "settings.dialect": "数据库", "settings.db_url": "数据库 URL", "settings.revision": "数据库结构版本",
    "settings.version": "版本", "settings.admin_facts": "工作区目录和数据库 URL 仅向管理员显示。",
    "settings.language": "语言", "settings.save": "保存",
    "settings.language_help": "控制台的显示语言；此浏览器会记住您的选择。",
    "settings.keys": "API 密钥",
    "settings.keys_help": "API 密钥供脚本和 Python 客户端调用 JSON API。系统只保存密钥的哈希值；密钥被撤销后，"
                          "下一次请求即失效。",
    "settings.no_keys": "暂无 API 密钥。", "settings.new_key": "新建 API 密钥", "settings.key_name": "名称",
    "settings.key_role": "角色", "settings.create_key": "创建密钥", "settings.revoke": "撤销",
    "settings.active": "有效", "settings.keys_admin_only": "管理 API 密钥需要 admin 权限。",
    "settings.err_key_exists": "名为“{name}”的 API 密钥已存在，请换一个名称。",
    "settings.err_key_name": "密钥名称须为 1-64 个可打印字符。",
    "settings.err_key_role": "请选择角色 read、write 或 admin。",
    "settings.key_created": "API 密钥已创建", "settings.key_value": "新的 API 密钥",
    "settings.key_once": "请立即复制此密钥：它只显示这一次，之后无法找回。如果丢失，请撤销后重新创建。",
    "settings.copy": "复制", "settings.copied": "已复制",
    "settings.key_usage": "调用时以 'Authorization: Bearer <key>' 或 'X-API-Key: <key>' 发送。",
    "settings.back": "设置", "settings.done": "完成",
    "role.read": "read：查看数据", "role.write": "write：还可导入和修改数据", "role.admin": "admin：还可管理密钥",
    "col.prefix": "前缀", "col.last_used": "最近使用", "col.revoked": "撤销时间",
    "settings.password": "控制台密码", "settings.current_password": "当前密码", "settings.new_password": "新密码",
    "settings.repeat_password": "再次输入新密码", "settings.change_password": "修改密码",
    "settings.set_password": "设置密码",
    "settings.password_help": "至少 {min} 个字符。修改后，其他浏览器都会退出登录。",
    "settings.no_password_yet": "尚未设置密码（您是通过一次性链接登录的）。设置后即可用密码登录。",
    "settings.err_current": "当前密码错误。",
    "settings.err_short": "新密码至少需要 {min} 个字符。",
    "settings.err_mismatch": "两次输入的新密码不一致。",
    "notice.key_revoked": "API 密钥已撤销。",
    "notice.password_changed": "密码已修改，其他浏览器已退出登录。",
    "notice.password_set": "密码已设置，今后可用它登录。",
    "content.title": "内容工作室",
    "content.intro": "基于您自己的数据撰写文案：每个数字、价格、属性和产品名称都会与数据库中的事实核对；"
                     "错误的数值会被修正，编造的内容会被删除。",
    "content.generate": "生成", "content.kind": "类型", "content.product": "产品（货号）",
    "content.account": "客户（编号）", "content.language": "语言", "content.tone": "语气",
    "content.length": "篇幅", "content.inquiry": "客户来信（用于回复）",
    "content.use_llm": "由语言模型撰写（经核对；不合格时改用模板）",
    "content.submit": "生成", "content.err_title": "无法生成：",
    "content.help": "产品类内容需要选择产品；邮件、客户案例和电话话术需要选择客户。",
    "content.read_only": "生成内容需要写入权限；您可以在此查看已生成的内容。",
    "content.result": "生成记录 #{id}", "content.model": "模型", "content.fallback": "已使用模板文本",
    "content.backing": "句子及其依据的事实", "content.repaired": "已修正",
    "content.no_facts": "无需事实依据", "content.repaired_claims": "已修正的数值",
    "content.removed": "已删除的句子（事实不支持的说法）", "content.draft": "模型草稿",
    "content.edit_problems": "您的修改中有事实不支持的内容",
    "content.rating": "评分", "content.edit": "您的修改", "content.feedback": "备注",
    "content.approve": "批准（作为同类文案的范例）", "content.save_feedback": "保存",
    "content.recent": "最近生成", "content.text": "正文", "content.none": "尚未生成内容。",
    "content.kind.product_description": "产品描述", "content.kind.ad": "广告文案",
    "content.kind.headline": "标题", "content.kind.announcement": "新品公告",
    "content.kind.inquiry_reply": "询价回复", "content.kind.sales_email": "销售邮件",
    "content.kind.follow_up": "跟进邮件", "content.kind.case_study": "客户案例",
    "content.kind.call_script": "电话话术",
    "content.lang.en": "英文", "content.lang.zh": "中文",
    "content.tone.neutral": "中性", "content.tone.friendly": "亲切", "content.tone.formal": "正式",
    "content.tone.enthusiastic": "热情",
    "content.length.short": "短", "content.length.medium": "中", "content.length.long": "长",
    # service console (issue 6: assistant, sources, hand-off queue)
    "service.title": "客服控制台",
    "service.intro": "以客户身份提问：助手只根据知识库和该账户的订单作答，每句话都注明来源；"
                     "投诉、退款申请以及无法可靠回答的问题会转人工。",
    "service.err_title": "无法提问：", "service.kb_stats": "知识库：{sources} 个来源，共 {chunks} 个片段。",
    "service.chat": "对话", "service.role.user": "客户", "service.role.assistant": "助手",
    "service.role.agent": "客服", "service.role.system": "系统",
    "service.handed_off": "已转人工：工单 #{id}（{reason}）。", "service.account": "账户",
    "service.question": "消息", "service.placeholder": "例如：我的订单1043到哪了？/ what are your payment terms?",
    "service.send": "发送", "service.new": "新对话",
    "service.read_only": "当前密钥或会话为只读：提问和处理工单需要写权限。",
    "service.sources": "来源", "service.no_sources": "没有来源：此问题未由助手直接回答。",
    "service.suggested": "工单 #{id} 的建议回复", "service.queue": "转人工队列",
    "service.status.open": "待处理", "service.status.claimed": "处理中", "service.status.closed": "已关闭",
    "service.status.all": "全部", "service.reason": "原因", "service.summary": "最新消息",
    "service.suggest": "建议回复", "service.to.claimed": "认领", "service.to.closed": "关闭",
    "service.to.open": "重新打开", "service.queue_empty": "暂无工单。",
    "service.conversations": "最近对话", "service.n_messages": "{n} 条消息",
    "service.no_conversations": "暂无对话。",
    # signals (overview dissatisfaction alerts)
    "signals.alerts": "不满预警",
    "signals.alerts_intro": "最近 {days} 天内（截至最新互动）有负面消息或投诉/退款请求的客户。",
    "signals.none": "此期间没有不满的客户。",
    "signals.not_analysed": "还有 {count} 条互动未分析：运行 `bizpilot signals analyse`。",
    "signals.negative": "负面", "signals.complaints": "投诉/退款", "signals.score": "平均情感",
    "signals.last": "最近一条", "signals.severity": "严重程度", "signals.severity.high": "高",
    "signals.severity.medium": "中",
    # intelligence (forecasts page, account detail)
    "forecasts.title": "需求预测",
    "forecasts.intro": "畅销产品未来 {weeks} 周的每周销量预测，含 {level}% 预测区间。方法由历史回测选出：{method}。",
    "forecasts.product": "产品", "forecasts.next_total": "未来 {weeks} 周", "forecasts.method": "方法",
    "forecasts.history": "销量", "forecasts.forecast": "预测", "forecasts.lower": "下限", "forecasts.upper": "上限",
    "forecasts.week": "周", "forecasts.backtest": "回测 MASE（越低越好）", "forecasts.none":
    "销售历史不足，暂无法预测（需要 12 个完整周）。",
    "forecasts.segments": "客户分群（RFM）", "forecasts.segment": "分群",
    "forecasts.definition": "定义", "forecasts.action": "建议行动", "forecasts.accounts": "客户数",
    "forecasts.at_risk": "有流失风险的重要客户", "forecasts.probability": "{days} 天内下单概率",
    "intel.summary": "摘要", "intel.narrative_source": "生成方式：{source}",
    "intel.segment": "分群", "intel.rfm": "RFM（最近购买、频次、金额；5 为最好）",
    "intel.repurchase": "复购评分", "intel.repurchase_text": "未来 {days} 天内下单的概率",
    "intel.factors_up": "提高因素", "intel.factors_down": "降低因素", "intel.method": "模型：{method}",
    "intel.win_probability": "赢单概率", "intel.reorders": "可能的复购（未来 30 天）",
    "intel.cycle": "周期（天）", "intel.due_in": "距到期（天）", "intel.risks": "风险",
    "intel.next_actions": "下一步行动", "intel.top_categories": "主要品类", "intel.none": "无",
    "intel.unavailable": "评分暂不可用：{reason}",
    "intel.expected_units": "未来 {days} 天数量（区间）",
    # recommendations (issue 7: next-best products with reasons, reorder due, similar products)
    "recs.title": "推荐",
    "recs.intro": "按客户推荐下一步最适合的产品（相似客户一起购买的产品，新品按产品文本匹配），并说明理由；"
                  "到期的补货；相似产品。",
    "recs.account": "客户", "recs.product": "产品", "recs.choose_account": "选择客户",
    "recs.choose_product": "选择产品", "recs.show": "查看", "recs.retrain": "重新训练模型",
    "recs.trained": "已开始重新训练：完成后显示新结果", "recs.next_best": "{name} 的推荐",
    "recs.fallback": "暂无购买记录：显示最受欢迎的产品。",
    "recs.category": "品类", "recs.price": "价格", "recs.reason": "理由", "recs.new": "新品",
    "recs.similar_link": "相似", "recs.none": "暂无推荐。", "recs.reorder": "到期补货",
    "recs.no_reorder": "没有到期的定期采购。", "recs.similar": "与 {name} 相似",
    "recs.similarity": "相似度", "recs.reorder_all": "已逾期和到期的补货（截至 {date}）",
    "recs.cycle": "周期（天）", "recs.last": "上次购买", "recs.due": "到期", "recs.status": "状态",
    "recs.status.overdue": "已逾期", "recs.status.due": "到期", "recs.status.upcoming": "即将到期",
    "recs.status.lapsed": "已流失",
    "models.title": "模型",
    "models.intro": "工作区用自身数据训练的全部模型：状态、页面读取的训练结果、重新训练带来的变化，以及"
    "训练后数据是否发生漂移。页面从不当场训练：缺少的模型在后台训练，完成后页面自动显示；服务器会按计划重新训练。",
    "models.model": "模型", "models.state": "状态", "models.trained": "训练时间", "models.rows": "数据行数",
    "models.seconds": "耗时（秒）", "models.by": "触发方式", "models.metrics": "关键指标", "models.flags": "提醒",
    "models.retrain": "重新训练", "models.train_all": "全部重新训练", "models.runs": "{name} 的训练记录",
    "models.started": "开始时间", "models.last_failed": "上次重新训练失败：{reason}",
    "models.see": "查看模型页", "models.state.ready": "就绪", "models.state.queued": "排队等待训练",
    "models.state.training": "训练中…", "models.state.failed": "训练失败",
    "models.state.missing": "尚未训练", "models.state.skipped": "未训练（数据不足）",
    "models.state.default": "内置默认模型", "nav.models": "模型",
}

CATALOGS: dict[str, dict[str, str]] = {"en": EN, "zh": ZH}
TEXTS_DIR = Path(__file__).with_name("texts")


def _merge_area_texts() -> None:
    """Texts of a feature area live in ``web/texts/<area>.json`` (``{"en": {...}, "zh": {...}}``) beside the ones
    above, so features add their words without editing one shared file; a key defined twice is an error."""
    for path in sorted(TEXTS_DIR.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        for lang, texts in data.items():
            catalog = CATALOGS[lang]
            twice = sorted(set(texts) & set(catalog))
            if twice:
                raise ValueError(f"{path.name}: text keys already defined: {', '.join(twice)}")
            catalog.update(texts)


_merge_area_texts()


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
