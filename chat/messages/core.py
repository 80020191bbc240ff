"""Messages of the foundation: onboarding, lead cards, customers, dedup, undo and errors."""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    # onboarding and help
    "start.unknown": (
        "你好！我是 chatcrm 销售助手。\n"
        "目前你还不在任何团队中。请向你的经理索取邀请链接，点开链接即可加入。\n"
        "在加入之前，你发来的内容不会被保存。",
        "Hello! I am the chatcrm sales assistant.\n"
        "You are not in a team yet. Ask your manager for an invite link and open it to join.\n"
        "Until you join, nothing you send is stored.",
    ),
    "start.founded": (
        "欢迎！已为你创建团队「{team}」，你是管理员。\n用 /invite 邀请销售（/invite rep）或经理（/invite manager）。",
        "Welcome! Team “{team}” is created and you are its admin.\n"
        "Invite reps with /invite rep and managers with /invite manager.",
    ),
    "start.joined": (
        "欢迎加入团队「{team}」！你的角色：{role}。",
        "Welcome to team “{team}”! Your role: {role}.",
    ),
    "start.welcome_back": ("欢迎回来，{name}！", "Welcome back, {name}!"),
    "help": (
        "我能帮你把客户信息记进 CRM，不用打字：\n"
        "• 转发或粘贴客户聊天 → 线索卡片（联系人、公司、电话、预算、时间、下次会面、需求、承诺）\n"
        "• 拜访后发语音 → 拜访纪要、待办和提醒\n"
        "• 拍名片（正反面可一起发）→ 联系人\n"
        "• 发文件或截图（说明写商机，或回复商机卡片）→ 商机证据\n"
        "• 打字“提醒我周五给他回电话” → 到时提醒你\n\n"
        "命令：\n"
        "/find 关键词 — 查找客户\n"
        "/customer 名称 — 客户卡片和往来记录\n"
        "/history 名称 — 客户的变更记录（谁改了什么、来自哪次采集或导入）\n"
        "/health — 你的客户数据还缺什么\n"
        "/deals、/deal 名称 — 商机和阶段；/advance — 推进阶段\n"
        "/reminders — 待办提醒；/settings — 免打扰时段、周末、时区\n"
        "/pool — 公海线索（领取）；/away — 休假期间暂停分配线索\n"
        "/export — 导出 Excel；发表格时说明写 /import 即导入（单发 /import 得模板）\n"
        "/undo — 撤销上一条记录\n"
        "/link — 绑定微信 / Telegram 的同一账号\n"
        "/lang — 切换语言（中文 / English）\n"
        "/help — 显示帮助",
        "I put customer information into the CRM so you don't have to type it:\n"
        "• forward or paste a customer chat → a lead card (contact, company, phone, budget, timeline, "
        "next meeting, needs, commitments)\n"
        "• a voice note after a visit → visit minutes, to-dos and reminders\n"
        "• a photo of a business card (front and back together) → a contact\n"
        "• a document or screenshot (caption naming the deal, or replying to a deal card) → deal evidence\n"
        '• type "remind me Friday to call him back" → a reminder when it is due\n\n'
        "Commands:\n"
        "/find text — search your customers\n"
        "/customer name — a customer's card and history\n"
        "/history name — who changed what on a customer, from which capture or import\n"
        "/health — what your customer data is missing\n"
        "/deals, /deal name — deals and stages; /advance — move a deal on\n"
        "/reminders — what is pending; /settings — quiet hours, weekends, timezone\n"
        "/pool — leads in the pool (claim); /away — time off: no leads routed to you\n"
        "/export — your records as Excel; a spreadsheet captioned /import is imported "
        "(/import alone: the template)\n"
        "/undo — undo your last capture\n"
        "/link — use the same account on WeChat and Telegram\n"
        "/lang — switch language (中文 / English)\n"
        "/help — this help",
    ),
    "help.manager": (
        "\n\n经理命令：\n/invite rep|manager — 生成邀请链接\n/invites — 未使用的邀请（可撤销）\n"
        "/members — 团队成员：停用、角色、转交客户\n/review — 待审核的疑似重复\n"
        "/pipeline — 各阶段商机数和图表\n/digest — 立即发送每日简报（/digest 08:30 改时间）\n"
        "/terms 词1，词2 — 语音识别的产品术语\n"
        "/lead — 把线索按辖区分配给团队；/territories — 辖区与公海规则\n"
        "/health — 团队数据健康（/health off 关闭每周提醒）",
        "\n\nManager commands:\n/invite rep|manager — create an invite link\n"
        "/invites — open invites (revoke them)\n/members — the team: deactivate, roles, hand over customers\n"
        "/review — possible duplicates to review\n/pipeline — deals per stage with a chart\n"
        "/digest — the daily digest now (/digest 08:30 changes its time)\n"
        "/terms word1, word2 — product terms for speech recognition\n"
        "/lead — route a lead to the team by territory; /territories — territories and pool rules\n"
        "/health — the team's data health (/health off stops the weekly reminders)",
    ),
    "role.rep": ("销售", "rep"),
    "role.manager": ("经理", "manager"),
    "role.admin": ("管理员", "admin"),
    "invite.created": (
        "邀请{role}的链接（7 天内有效，仅限一人使用）：\n{link}",
        "Invite link for a {role} (valid 7 days, for one person):\n{link}",
    ),
    "invite.usage": ("用法：/invite rep 或 /invite manager", "Usage: /invite rep or /invite manager"),
    "lang.set": ("已切换为中文。", "Language set to English."),
    "lang.choose": ("请选择语言：/lang zh 或 /lang en", "Choose a language: /lang zh or /lang en"),
    # lead card
    "lead.created": ("✅ 新线索已保存", "✅ New lead saved"),
    "lead.updated": ("🔄 已更新已有联系人", "🔄 Existing contact updated"),
    "lead.updated.exact": (
        "🔄 该联系人已存在（{reason}相同），已合并本次信息",
        "🔄 This contact already exists (same {reason}); the new details were added",
    ),
    "lead.edited": ("✏️ 已更新", "✏️ Updated"),
    "lead.confirmed": ("👍 已确认", "👍 Confirmed"),
    "lead.noted": ("📝 已记录", "📝 Noted"),
    "lead.noted.on": ("📝 已记到「{customer}」", "📝 Noted on “{customer}”"),
    "lead.colleague": (
        "ℹ️ 该客户已由同事负责。本次记录已转交负责人，如有疑问请联系你的经理。",
        "ℹ️ This customer is already owned by a colleague. The conversation was passed to the owner; "
        "ask your manager if in doubt.",
    ),
    "lead.nothing": (
        "📝 已保存为备注，但没有识别出客户信息（姓名、公司、电话、邮箱或微信）。\n"
        "请转发客户的聊天记录，或发送带有这些信息的文字。",
        "📝 Saved as a note, but I found no customer details (name, company, phone, e-mail or WeChat).\n"
        "Forward the customer's chat, or send text that contains them.",
    ),
    "lead.repeated": ("这些消息已经记录过了。", "These messages were already captured."),
    "lead.cleaned": (
        "（已移除 {count} 个不可见控制字符）",
        "({count} invisible control characters were removed)",
    ),
    "field.customer": ("客户", "Customer"),
    "field.contact": ("联系人", "Contact"),
    "field.title": ("职务", "Title"),
    "field.phone": ("电话", "Phone"),
    "field.email": ("邮箱", "E-mail"),
    "field.wechat": ("微信", "WeChat"),
    "field.address": ("地址", "Address"),
    "field.region": ("地区", "Region"),
    "field.website": ("网站", "Website"),
    "field.budget": ("预算", "Budget"),
    "field.timeline": ("时间线", "Timeline"),
    "field.next_meeting": ("下次会面", "Next meeting"),
    "field.needs": ("需求", "Needs"),
    "field.follow_up": ("跟进状态", "Follow-up"),
    "field.commitments": ("承诺", "Commitments"),
    "field.todos": ("待办", "To-dos"),
    "field.people": ("相关人员", "People"),
    "field.stage": ("阶段", "Stage"),
    "field.missing": ("待补充", "missing"),
    "lead.timeline_by": ("（截至 {date}）", " (by {date})"),
    "lead.party.us": ("我方", "us"),
    "lead.party.customer": ("客户", "customer"),
    "lead.completeness": ("完整度 {before}% → {after}%", "Profile {before}% → {after}%"),
    "lead.missing": ("还缺：{fields}（点下方按钮补充）", "Missing: {fields} (tap a button below)"),
    "lead.reminders": ("⏰ 已设提醒 {count} 条，最近：{first}", "⏰ {count} reminder(s) set, next: {first}"),
    "lead.duplicate": (
        "⚠️ 可能与已有联系人重复：{name}{company}（相似度 {score}）",
        "⚠️ Possibly the same as an existing contact: {name}{company} (similarity {score})",
    ),
    "lead.review": (
        "⚠️ 可能与团队中已有的客户重复，已提交经理审核。",
        "⚠️ This may duplicate a customer in your team; it was flagged for your manager to review.",
    ),
    "lead.no_customer_name": ("（未填写公司）", "(no company yet)"),
    "follow_up.new": ("新线索", "New"),
    "follow_up.contacted": ("已联系", "Contacted"),
    "follow_up.interested": ("有意向", "Interested"),
    "follow_up.meeting": ("已约见", "Meeting set"),
    "follow_up.on_hold": ("暂缓", "On hold"),
    "button.add": ("＋{field}", "+ {field}"),
    "button.confirm": ("✅ 确认", "✅ Confirm"),
    "button.edit": ("✏️ 修改", "✏️ Edit"),
    "button.attach": ("🔗 关联已有客户", "🔗 Attach to customer"),
    "button.merge": ("🔀 合并", "🔀 Merge"),
    "button.keep": ("↔️ 保持独立", "↔️ Keep separate"),
    "button.undo_merge": ("↩️ 撤销合并", "↩️ Undo merge"),
    "button.retry": ("🔁 重试", "🔁 Retry"),
    "button.cancel": ("取消", "Cancel"),
    "button.open": ("打开", "Open"),
    "edit.choose": ("要修改哪一项？", "Which field do you want to correct?"),
    "edit.prompt": (
        "请输入新的{field}（15 分钟内有效，发送 /cancel 取消）：",
        "Type the new {field} (within 15 minutes; /cancel to stop):",
    ),
    "edit.cancelled": ("已取消。", "Cancelled."),
    "edit.bad_phone": (
        "“{value}”不是有效的电话号码，请重新输入。",
        "“{value}” is not a valid phone number; try again.",
    ),
    "edit.bad_email": (
        "“{value}”不是有效的邮箱，请重新输入。",
        "“{value}” is not a valid e-mail address; try again.",
    ),
    "edit.bad_budget": (
        "没看懂金额“{value}”，例如：50万、¥200,000。",
        "I could not read “{value}” as an amount, e.g. 500k or ¥200,000.",
    ),
    "follow_up.choose": ("选择跟进状态：", "Choose the follow-up status:"),
    "attach.choose": (
        "关联到哪个客户？也可以发送 /find 名称 搜索。",
        "Attach to which customer? You can also /find a name.",
    ),
    "attach.none": ("你还没有其他客户。", "You have no other customers yet."),
    # merge
    "merge.done": (
        "🔀 已合并到 {name}。所有记录都已保留，可撤销。",
        "🔀 Merged into {name}. All history is kept; you can undo.",
    ),
    "merge.kept": ("↔️ 已保持为两个独立联系人。", "↔️ Kept as two separate contacts."),
    "merge.undone": ("↩️ 合并已撤销，两个联系人已恢复。", "↩️ Merge undone; both contacts are back."),
    "merge.already_decided": ("这条疑似重复已经处理过了。", "This possible duplicate was already handled."),
    "merge.already_undone": ("这次合并已经撤销过了。", "This merge was already undone."),
    "review.none": ("没有待审核的疑似重复。", "No possible duplicates to review."),
    "review.item": ("{new} ↔ {old}（相似度 {score}）", "{new} ↔ {old} (similarity {score})"),
    "review.title": ("待审核的疑似重复：", "Possible duplicates to review:"),
    # customers
    "customer.not_found": ("没有找到“{query}”。", "Nothing found for “{query}”."),
    "customer.list": ("找到 {count} 个客户：", "Found {count} customer(s):"),
    "find.people": ("找到 {count} 位联系人：", "Found {count} person(s):"),
    "find.no_customer": ("（未关联客户）", "(no customer yet)"),
    "customer.choose": ("有多个匹配，请选择：", "Several match; choose one:"),
    "customer.unnamed": ("未命名客户", "Unnamed customer"),
    "customer.card.history": ("最近往来（共 {count} 条）：", "Recent history ({count} in all):"),
    "customer.card.contacts": ("联系人：", "Contacts:"),
    "customer.card.open_commitments": ("未完成的承诺：", "Open commitments:"),
    "customer.card.deal": ("商机：{title} · {stage}", "Deal: {title} · {stage}"),
    "find.usage": ("用法：/find 关键词", "Usage: /find text"),
    "customer.usage": ("用法：/customer 客户名称", "Usage: /customer name"),
    "source.chat": ("聊天", "chat"),
    "source.voice": ("语音", "voice"),
    "source.card": ("名片", "card"),
    "source.note": ("备注", "note"),
    "source.document": ("文件", "document"),
    "source.location": ("位置", "location"),
    "source.lead": ("线索", "lead"),
    # undo
    "undo.done": (
        "↩️ 已撤销上一条记录（{when}）。原始内容仍保留在历史中。",
        "↩️ Undone your last capture ({when}). The original text stays in the history.",
    ),
    "undo.nothing": ("没有可以撤销的记录。", "There is nothing to undo."),
    # what an undo (of a capture or a merge) left as it is
    "undo.kept": (
        "以下内容此后有人改过或仍在使用，已保留现状：",
        "Changed or used since, so kept as they are now:",
    ),
    "undo.kept.field": ("• {record} · {field}：{value}", "• {record} · {field}: {value}"),
    "undo.kept.record": ("• {kind}「{name}」（仍在使用）", "• {kind} “{name}” (still in use)"),
    "field.deal": ("商机", "Deal"),
    "field.status": ("状态", "Status"),
    "field.decision_role": ("决策链角色", "Decision role"),
    "deal.status.open": ("进行中", "open"),
    "deal.status.won": ("赢单", "won"),
    "deal.status.lost": ("丢单", "lost"),
    # input problems
    "input.empty": ("消息是空的，没有可以保存的内容。", "The message is empty; there is nothing to save."),
    "input.too_long": (
        "内容太长（{length} 字，上限 {limit} 字），请分几段发送。",
        "That is too long ({length} characters, the limit is {limit}); please send it in parts.",
    ),
    "input.binary": (
        "这看起来不是文字（可能是二进制文件内容），没有保存。",
        "This does not look like text (perhaps binary data); nothing was saved.",
    ),
    "input.field_too_long": ("内容太长（上限 {limit} 字）。", "That is too long (limit {limit} characters)."),
    "input.unsupported": (
        "暂不支持这种消息。请转发文字聊天记录。",
        "I cannot handle this kind of message yet. Please forward a text chat.",
    ),
    # errors
    "error.generic": ("抱歉，出了点问题，请稍后再试。", "Sorry, something went wrong. Please try again."),
    "error.unprocessed": (
        "抱歉，这条消息试了几次都没能处理，没有保存。请稍后重新发送。",
        "Sorry, this message could not be processed after several tries and was not saved. Please send it again later.",
    ),
    "error.not_registered": (
        "你还不是团队成员。请向经理索取邀请链接。",
        "You are not a team member yet. Ask your manager for an invite link.",
    ),
    "error.not_allowed": ("你没有权限这样做。", "You are not allowed to do that."),
    "error.invite_not_allowed": (
        "只有经理可以邀请销售，只有管理员可以邀请经理。",
        "Only managers can invite reps, and only admins can invite managers.",
    ),
    "error.not_found": ("没有找到，或你没有权限查看。", "Not found, or not yours to see."),
    "error.input_rejected": ("无法处理这条内容。", "I cannot process this input."),
    "error.invite_invalid": (
        "邀请链接无效、已被使用或已过期。请向经理索取新的链接。",
        "This invite is invalid, used or expired. Ask your manager for a new one.",
    ),
    "error.storage_unavailable": (
        "⚠️ 暂时无法保存（数据库繁忙）。你的内容已保留，请稍后点“重试”。",
        "⚠️ Not saved right now (the database is busy). Your input is kept; tap Retry in a moment.",
    ),
    "error.retry_gone": ("没有待重试的内容（可能已经保存）。", "Nothing to retry (it may already be saved)."),
    "error.stale_button": ("这个按钮已过期。", "This button has expired."),
}
MESSAGES.update(
    {
        "menu.hint": ("回复数字选择：", "Reply with a number:"),
        "menu.handled": (
            "这个选择已经处理过了（消息重复送达）。",
            "That choice was handled already (the message arrived again).",
        ),
        "command.unknown": (
            "未知命令 /{name}。发送 /help 查看可用命令。",
            "Unknown command /{name}. Send /help for the list.",
        ),
        "console.banner": (
            "chatcrm 控制台。粘贴客户聊天记录，空行结束发送；/help 查看命令；Ctrl-D 退出。",
            "chatcrm console. Paste a customer chat and end it with an empty line; /help for commands; Ctrl-D quits.",
        ),
    }
)
